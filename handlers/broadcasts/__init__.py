"""handlers.broadcasts.notices."""
