from relais.cli.main import app

app(prog_name="relais")
