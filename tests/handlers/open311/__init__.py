"""tests.handlers.open311."""
