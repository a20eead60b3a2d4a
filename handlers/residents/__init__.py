"""handlers.residents.records."""
