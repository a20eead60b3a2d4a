"""tests.handlers.figures."""
