"""handlers.intake."""
