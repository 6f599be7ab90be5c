"""Command groups of the `safeconduct` command, one module each (see `cli`)."""
