"""The `mycelix` command line: a thin layer turning flags into `Settings`."""
