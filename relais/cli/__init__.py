"""The ``relais`` command line (typer), French help texts."""
