"""tests.handlers.broadcasts."""
