"""Reading the cases a new report is judged against: the open ones it may duplicate (并案) and
the closed ones it may repeat (重复诉求), in one statement, by the place indexes of 0021.

The statement is written here rather than by the ORM: building the query's filter tree cost
more of intake's CPU than the search itself (issue 17). Its conditions are those of
:func:`handlers.intake.duplicates.near_filter` (tests hold the two to the same rows).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from config import duplicates as tuning
from models import CaseStatus
from models.case_status import OPEN_STATUSES

CLOSED = (CaseStatus.COMPLETED, CaseStatus.VISITED, CaseStatus.ARCHIVED)
PROBE_COLUMNS = (
    "resident_id",
    "category",
    "text",
    "place_text",
    "street",
    "compound",
    "address",
    "grid_id",
    "lng",
    "lat",
)
_SELECT = ", ".join(f'"{c}"' for c in ("id", *PROBE_COLUMNS))


class Params:
    """Numbered placeholders ($n on PostgreSQL, ?n on SQLite) and their values."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else f"?{len(self.values)}"

    def each(self, values: Any) -> str:
        return ", ".join(self(v) for v in values)


def near_sql(probe: Any, p: Params) -> str:
    """The place condition of ``probe`` (a Probe): see ``duplicates.near_filter``."""
    others: list[str] = []
    if probe.resident_id is not None:
        others.append(f'"resident_id" = {p(probe.resident_id)}')
    if probe.grid_id is not None:
        others.append(f'"grid_id" = {p(probe.grid_id)}')
    if probe.address:
        others.append(f'"address" = {p(probe.address)}')
    if probe.lng is not None and probe.lat is not None:
        box = tuning.SAME_POINT_METRES / 111_000 * 2
        others.append(
            f'"lat" >= {p(probe.lat - box)} AND "lat" <= {p(probe.lat + box)} AND '
            f'"lng" >= {p(probe.lng - box * 1.2)} AND "lng" <= {p(probe.lng + box * 1.2)}'
        )
    if probe.compound:
        parts = [f'"compound" = {p(probe.compound)}']
        parts += [f'({other} AND "compound" IS NULL)' for other in others]
    else:
        parts = [f"({other})" for other in others]
    return "(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"


def _open_sql(probe: Any, now: datetime, exclude_id: int | None, p: Params) -> str:
    exclude = f' AND "id" <> {p(exclude_id)}' if exclude_id is not None else ""
    return (
        f'SELECT {_SELECT} FROM "cases" WHERE {near_sql(probe, p)} '
        f'AND "status" IN ({p.each(s.value for s in sorted(OPEN_STATUSES))}) '
        f'AND "duplicate_of_id" IS NULL '
        f'AND "created_at" >= {p(now - timedelta(days=tuning.WINDOW_DAYS))}{exclude} '
        f'ORDER BY "created_at" DESC LIMIT {tuning.MAX_CANDIDATES}'
    )


def _closed_sql(probe: Any, now: datetime, window_days: int, p: Params) -> str:
    return (
        f'SELECT {_SELECT} FROM "cases" WHERE {near_sql(probe, p)} '
        f'AND "status" IN ({p.each(s.value for s in CLOSED)}) '
        f'AND "duplicate_of_id" IS NULL '
        f'AND "completed_at" >= {p(now - timedelta(days=window_days))} '
        f'AND "completed_at" <= {p(now)} '
        f'AND ("review_state" IS NULL OR "review_state" <> {p("pending")}) '
        f'ORDER BY "completed_at" DESC LIMIT {tuning.MAX_CANDIDATES}'
    )


async def read_candidates(
    probe: Any,
    now: datetime,
    *,
    open_cases: bool = True,
    repeat_days: int = 0,
    exclude_id: int | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(open candidates, newest first; closed candidates within ``repeat_days``, newest
    completed first): up to ``MAX_CANDIDATES`` each, as plain rows, in one statement."""
    conn = connections.get("default")
    p = Params(conn.capabilities.dialect == "postgres")
    parts = []
    if open_cases:
        parts.append(f"SELECT 'o' AS found, * FROM ({_open_sql(probe, now, exclude_id, p)}) o")
    if repeat_days > 0:
        parts.append(f"SELECT 'r' AS found, * FROM ({_closed_sql(probe, now, repeat_days, p)}) r")
    if not parts:
        return [], []
    rows = await conn.execute_query_dict(" UNION ALL ".join(parts), p.values)
    return [r for r in rows if r["found"] == "o"], [r for r in rows if r["found"] == "r"]


def probe_values(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in PROBE_COLUMNS}
