"""handlers.district."""
