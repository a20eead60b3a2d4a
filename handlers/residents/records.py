"""Knowing who writes: residents are created on first contact and kept current."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise import connections

from handlers.case_numbers import NUMBER_SEQUENCE
from models import Resident

# Set on a Resident read by :func:`resident_writing` when this very message created it: nothing
# can refer to it yet (no dialogue, no cases, no surveys), so the lookups of those are skipped.
_FIRST_CONTACT = "_jiesu_first_contact"
# On PostgreSQL the resident's statement also takes a value of the case numbers' sequence, so
# that a case this message makes needs no round trip of its own for its number (issue 17); a
# message that makes no case leaves a gap, which numbers may have (handlers.case_numbers).
_CASE_SEQUENCE = "_jiesu_case_sequence"
_SEQUENCE_COLUMN = "jiesu_case_sequence"


def _returning(dialect: str) -> str:
    if dialect == "postgres":
        return f"RETURNING *, nextval('{NUMBER_SEQUENCE}') AS \"{_SEQUENCE_COLUMN}\""
    return "RETURNING *"


def _resident_of(row: dict[str, Any], first: bool) -> Resident:
    row = dict(row)
    value = row.pop(_SEQUENCE_COLUMN, None)
    resident = Resident._init_from_db(**row)
    if first:
        setattr(resident, _FIRST_CONTACT, True)
    if value is not None:
        setattr(resident, _CASE_SEQUENCE, int(value))
    return resident


def take_case_sequence(resident: Resident) -> int | None:
    """The sequence value taken with the resident's statement for this message, once."""
    value = getattr(resident, _CASE_SEQUENCE, None)
    if value is not None:
        delattr(resident, _CASE_SEQUENCE)
    return value


async def resident_for(openid: str) -> Resident:
    resident, _ = await Resident.get_or_create(openid=openid)
    return resident


def first_contact(resident: Resident) -> bool:
    """Whether this message created the resident (inside its transaction): see above."""
    return bool(getattr(resident, _FIRST_CONTACT, False))


def _insert_sql(resident: Resident, dialect: str) -> tuple[str, list[Any]]:
    meta = Resident._meta
    columns, values = [], []
    for name, column in meta.fields_db_projection.items():
        if name == meta.pk_attr:
            continue
        field = meta.fields_map[name]
        columns.append(f'"{column}"')
        values.append(field.to_db_value(getattr(resident, name), resident))
    marks = [f"${n}" if dialect == "postgres" else "?" for n in range(1, len(values) + 1)]
    sql = (
        f'INSERT INTO "residents" ({",".join(columns)}) VALUES ({",".join(marks)}) '
        f'ON CONFLICT ("openid") DO NOTHING {_returning(dialect)}'
    )
    return sql, values


async def resident_writing(openid: str, now: datetime) -> Resident:
    """The resident a chat message comes from, its ``last_message_at`` set to ``now`` (the
    message opens WeChat's 48-hour customer-service window): made on first contact.

    One statement for a new resident (an insert that does nothing if the openid exists), one
    more for a known one (the update, returning the row): no savepoint, no separate update.
    """
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    fresh = Resident(openid=openid, last_message_at=now)
    sql, values = _insert_sql(fresh, dialect)
    rows = await conn.execute_query_dict(sql, values)
    if rows:
        return _resident_of(rows[0], first=True)
    mark = "$" if dialect == "postgres" else "?"
    at = Resident._meta.fields_map["last_message_at"].to_db_value(now, fresh)
    rows = await conn.execute_query_dict(
        f'UPDATE "residents" SET "last_message_at" = {mark}1 WHERE "openid" = {mark}2 '
        + _returning(dialect),
        [at, openid],
    )
    return _resident_of(rows[0], first=False)


async def note_message(resident: Resident, now: datetime) -> None:
    """A message from the resident opens WeChat's 48-hour customer-service window."""
    resident.last_message_at = now
    await Resident.filter(id=resident.id).update(last_message_at=now)


async def remember_phone(resident: Resident, phone: str) -> None:
    if resident.phone != phone:
        resident.phone = phone
        await Resident.filter(id=resident.id).update(phone=phone)
