"""SQL pieces the figures share: what differs between SQLite and PostgreSQL, grouped counts.

The figures themselves are defined in ``handlers/figures/compute.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tortoise.expressions import Q, RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from handlers.clock import LOCAL_TZ
from models import Case


def dialect() -> str:
    name: str = Case._meta.db.capabilities.dialect
    if name not in ("sqlite", "postgres"):
        raise RuntimeError(f"figures support SQLite and PostgreSQL, not {name}")
    return name


def local_day_sql(table: str, column: str) -> RawSQL:
    """The Shanghai day ('YYYY-MM-DD') of a stored UTC time."""
    if dialect() == "sqlite":
        # Asia/Shanghai has kept UTC+8 without summer time since 1991.
        offset = LOCAL_TZ.utcoffset(datetime(2000, 1, 1))
        hours = int(offset.total_seconds() // 3600) if offset else 0
        return RawSQL(f'date("{table}"."{column}", \'{hours:+d} hours\')')
    return RawSQL(f"to_char(\"{table}\".\"{column}\" AT TIME ZONE '{LOCAL_TZ}', 'YYYY-MM-DD')")


def local_day_of(expression: str) -> RawSQL:
    """The Shanghai day ('YYYY-MM-DD') of a SQL expression giving a stored UTC time."""
    if dialect() == "sqlite":
        offset = LOCAL_TZ.utcoffset(datetime(2000, 1, 1))
        hours = int(offset.total_seconds() // 3600) if offset else 0
        return RawSQL(f"date({expression}, '{hours:+d} hours')")
    return RawSQL(f"to_char(({expression}) AT TIME ZONE '{LOCAL_TZ}', 'YYYY-MM-DD')")


def seconds_between_sql(start: str, end: str) -> str:
    """Seconds from ``start`` to ``end``: column names of cases, or SQL expressions."""
    start, end = (c if "(" in c or '"' in c else f'"cases"."{c}"' for c in (start, end))
    if dialect() == "sqlite":
        return f"(julianday({end}) - julianday({start})) * 86400.0"
    return f"EXTRACT(EPOCH FROM (({end}) - ({start})))"


def where(condition: str, value: Any) -> Q:
    """``Q`` of one condition whose name is built at run time."""
    conditions: dict[str, Any] = {condition: value}
    return Q(**conditions)


async def grouped(
    query: QuerySet[Any], key: str | RawSQL, aggregates: Mapping[str, Count]
) -> dict[Any, dict[str, int]]:
    """``{group: {aggregate: value}}``, grouped by a column or by a SQL expression."""
    if isinstance(key, RawSQL):
        query = query.annotate(_group=key)
        key = "_group"
    # Aliased: an annotation named like a column ("late") would capture filters on the column.
    aliased = {f"_n_{name}": aggregate for name, aggregate in aggregates.items()}
    rows = await query.annotate(**aliased).group_by(key).values(key, *aliased)
    return {row[key]: {name: int(row[f"_n_{name}"] or 0) for name in aggregates} for row in rows}


async def counted(query: QuerySet[Any], **keys: str | RawSQL) -> list[tuple[tuple[Any, ...], int]]:
    """``[(key values, rows)]``: rows counted by columns or SQL expressions (in that order)."""
    annotations: dict[str, Any] = {}
    names: list[str] = []
    for name, key in keys.items():
        if isinstance(key, RawSQL):
            annotations[f"_k_{name}"] = key
            names.append(f"_k_{name}")
        else:
            names.append(key)
    rows = (
        await query.annotate(**annotations, _n_rows=Count("id"))
        .group_by(*names)
        .values(*names, "_n_rows")
    )
    return [(tuple(row[name] for name in names), int(row["_n_rows"] or 0)) for row in rows]


def as_day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
