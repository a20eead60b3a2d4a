"""Human-friendly case numbers: local date + a number, e.g. 2611220007.

Numbers are unique, and increase within a day, but may have gaps and do not start again at 1
each day on PostgreSQL: there they come from one sequence (``case_numbers``, migration 0021),
which no transaction waits on (a per-day counter row was a lock every new case queued behind,
held until its transaction committed). A number taken by a transaction that rolls back is not
used again. SQLite, with its one writer, keeps the per-day counter (``case_counters``).
"""

from __future__ import annotations

import re
from datetime import datetime

from tortoise import connections

from handlers.clock import local

CASE_NUMBER_PATTERN = re.compile(r"(?<!\d)(\d{6}\d{4,})(?!\d)")
NUMBER_SEQUENCE = "case_numbers"


async def next_counter_value(key: str) -> int:
    """The next value of the ``case_counters`` row ``key`` (made at 1), by one upsert on either
    backend. Inside a transaction the row stays locked until it commits (PostgreSQL)."""
    conn = connections.get("default")
    mark = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(
        f"INSERT INTO case_counters (day, value) VALUES ({mark}, 1) "
        "ON CONFLICT (day) DO UPDATE SET value = case_counters.value + 1 RETURNING value",
        [key],
    )
    return int(rows[0]["value"])


def case_number(now: datetime, value: int) -> str:
    """``now``'s local day (YYMMDD) and ``value`` in at least four digits."""
    return f"{local(now).strftime('%y%m%d')}{value:04d}"


async def next_case_number(now: datetime) -> str:
    """The next number of ``now``'s local day: YYMMDD and at least four digits."""
    day = local(now).strftime("%y%m%d")
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return case_number(now, await next_counter_value(day))
    rows = await conn.execute_query_dict(f"SELECT nextval('{NUMBER_SEQUENCE}') AS value")
    return case_number(now, int(rows[0]["value"]))


def find_case_number(text: str) -> str | None:
    match = CASE_NUMBER_PATTERN.search(text)
    return match.group(1) if match else None
