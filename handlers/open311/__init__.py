"""handlers.open311.requests."""
