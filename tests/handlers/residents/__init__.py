"""tests.handlers.residents."""
