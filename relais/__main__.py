"""``python -m relais``: the same start as the ``relais`` command (the wiring list, then the CLI)."""

from wiring import main

main()
