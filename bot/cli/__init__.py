"""The ``jiesu`` command line (``bot.cli.main``) and its sub-commands, one module per group."""
