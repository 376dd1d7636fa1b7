"""The `placeplan` command line: one module per capability, each adding its commands with `register`."""
