"""tests.handlers.staff."""
