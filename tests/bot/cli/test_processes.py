"""``jiesu serve --processes N``: what is refused, and what each child is told."""

from __future__ import annotations

import pytest

from bot.cli.processes import child_environment, refusal
from tests.conftest import make_settings

PG = "postgres://postgres@127.0.0.1:5432/jiesu"


def test_more_than_one_process_on_sqlite_is_refused_saying_why() -> None:
    problem = refusal(make_settings("sqlite:///tmp/x.sqlite3"), 2)
    assert problem is not None and "PostgreSQL" in problem and "database is locked" in problem
    assert refusal(make_settings("sqlite:///tmp/x.sqlite3"), 1) is None
    assert refusal(make_settings(PG), 4) is None
    assert refusal(make_settings(PG), 0) is not None


def test_children_share_the_pace_and_only_the_first_sweeps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JIESU_SERVE_SWEEPS", raising=False)
    settings = make_settings(PG, outbound_rate_per_second=50.0)
    first, second = (child_environment(settings, index, 2) for index in (0, 1))
    assert "JIESU_SERVE_SWEEPS" not in first and second["JIESU_SERVE_SWEEPS"] == "false"
    assert float(first["JIESU_OUTBOUND_RATE_PER_SECOND"]) == 25.0
    assert first["JIESU_REFERENCE_CACHE_SECONDS"] == "5"
    chosen = make_settings(PG, reference_cache_seconds=30.0)
    assert "JIESU_REFERENCE_CACHE_SECONDS" not in child_environment(chosen, 1, 2)
