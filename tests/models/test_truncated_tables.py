"""Every table a model declares is emptied between PostgreSQL tests (tests/conftest.py)."""

from __future__ import annotations

import importlib

from models import MODEL_MODULES
from tests.conftest import DATA_TABLES


def test_every_model_table_is_truncated_between_tests() -> None:
    tables = set()
    for name in MODEL_MODULES:
        for value in vars(importlib.import_module(name)).values():
            meta = getattr(value, "_meta", None)
            table = getattr(meta, "db_table", None)
            if table and not getattr(meta, "abstract", False):
                tables.add(table)
    assert tables - set(DATA_TABLES) == set(), "add them to DATA_TABLES in tests/conftest.py"
