"""The ``genfin`` command: thin faces over the library, one module per command group."""
