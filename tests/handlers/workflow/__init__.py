"""tests.handlers.workflow."""
