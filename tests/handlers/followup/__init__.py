"""tests.handlers.followup."""
