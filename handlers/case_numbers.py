"""Human-friendly case numbers: local date + a per-day sequence, e.g. 2611220007."""

from __future__ import annotations

import re
from datetime import datetime

from tortoise import connections

from handlers.clock import local

CASE_NUMBER_PATTERN = re.compile(r"(?<!\d)(\d{6}\d{4,})(?!\d)")


async def next_case_number(now: datetime) -> str:
    """Take the next number atomically (an upsert with RETURNING works on SQLite and PostgreSQL)."""
    day = local(now).strftime("%y%m%d")
    conn = connections.get("default")
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(
        "INSERT INTO case_counters (day, value) VALUES "
        f"({placeholder}, 1) ON CONFLICT (day) DO UPDATE SET value = case_counters.value + 1 "
        "RETURNING value",
        [day],
    )
    return f"{day}{rows[0]['value']:04d}"


def find_case_number(text: str) -> str | None:
    match = CASE_NUMBER_PATTERN.search(text)
    return match.group(1) if match else None
