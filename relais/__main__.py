from relais.cli.main import main

main()
