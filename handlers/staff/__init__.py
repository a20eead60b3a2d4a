"""handlers.staff."""
