"""tests.handlers.intake."""
