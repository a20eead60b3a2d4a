"""The deadline history of a case on the admin case detail (``GET /api/admin/cases/{number}``):
its unit spells and the unit's 退单 and 延期 requests with the centre's decisions.

These are what anyone checking a unit's 先行联系率 and 按时办结率 by hand needs (the figures'
definitions, ``handlers/figures/compute.py``, count spells, not cases): for each unit the case
reached (派单, 改派), when it got the case and when and why it left (``end_reason``: returned,
reassigned, reopened, merged, invalid, cancelled), the deadlines that unit owed and what it did
by them; and for each request who asked, who decided, when and what. Units are named by their
codes (``GET /api/admin/units``); the numeric ids stay for older clients.
"""

from __future__ import annotations

from typing import Any

from bot.api.openapi import BOOLEAN, DATETIME, INTEGER, STRING, array, nullable, obj, one_of_values
from handlers.clock import iso
from models import Case, ExtensionRequest, ExtensionStatus, ReturnRequest, Unit, UnitSpell


async def history_fields(case: Case) -> dict[str, Any]:
    """``spells``, ``extensions`` and ``returns`` of ``case``, oldest first."""
    spells = await UnitSpell.filter(case_id=case.id).order_by("started_at", "id")
    extensions = await ExtensionRequest.filter(case_id=case.id).order_by("created_at", "id")
    returns = await ReturnRequest.filter(case_id=case.id).order_by("created_at", "id")
    ids = {s.unit_id for s in spells} | {x.unit_id for x in extensions}
    ids |= {i for r in returns for i in (r.unit_id, r.suggested_unit_id, r.new_unit_id)}
    known = [i for i in ids if i is not None]
    codes: dict[int, str] = dict(await Unit.filter(id__in=known).values_list("id", "code"))

    def code(unit_id: int | None) -> str | None:
        return codes.get(unit_id) if unit_id is not None else None

    return {
        "spells": [
            {
                "unit": code(s.unit_id),
                "started_at": iso(s.started_at),
                "ended_at": iso(s.ended_at),
                "end_reason": s.end_reason,
                "sign_due_at": iso(s.sign_due_at),
                "first_contact_due_at": iso(s.first_contact_due_at),
                "first_contact_at": iso(s.first_contact_at),
                "completion_due_at": iso(s.completion_due_at),
                "completed_at": iso(s.completed_at),
            }
            for s in spells
        ],
        "extensions": [
            {
                "id": x.id,
                "unit": code(x.unit_id),
                "hours": x.hours,
                "reason": x.reason,
                "status": str(x.status),
                "worker_id": x.worker_id,
                "created_at": iso(x.created_at),
                "decided_at": iso(x.decided_at),
                "decided_by": x.decided_by_staff
                or (f"worker:{x.decided_by_id}" if x.decided_by_id else ""),
                "note": x.note,
                "new_due_at": iso(x.new_due_at),
                "late": x.late,
            }
            for x in extensions
        ],
        "returns": [
            {
                "id": r.id,
                "unit": code(r.unit_id),
                "reason": r.reason,
                "status": str(r.status),
                "worker_id": r.worker_id,
                "suggested_unit_id": r.suggested_unit_id,
                "suggested_unit": code(r.suggested_unit_id),
                "new_unit_id": r.new_unit_id,
                "new_unit": code(r.new_unit_id),
                "created_at": iso(r.created_at),
                "decided_at": iso(r.decided_at),
                "decided_by": r.decided_by_staff,
                "note": r.note,
            }
            for r in returns
        ],
    }


_STATUS = one_of_values(x.value for x in ExtensionStatus)
HISTORY_SCHEMA: dict[str, Any] = {
    "spells": array(
        obj(
            {
                "unit": nullable(STRING),
                "started_at": DATETIME,
                "ended_at": nullable(DATETIME),
                "end_reason": STRING,  # "" while open; returned, reassigned, reopened, merged …
                "sign_due_at": nullable(DATETIME),
                "first_contact_due_at": nullable(DATETIME),
                "first_contact_at": nullable(DATETIME),
                "completion_due_at": nullable(DATETIME),
                "completed_at": nullable(DATETIME),
            }
        )
    ),
    "extensions": array(
        obj(
            {
                "id": INTEGER,
                "unit": nullable(STRING),
                "hours": INTEGER,
                "reason": STRING,
                "status": _STATUS,
                "worker_id": INTEGER,
                "created_at": DATETIME,
                "decided_at": nullable(DATETIME),
                "decided_by": STRING,
                "note": STRING,
                "new_due_at": nullable(DATETIME),
                "late": BOOLEAN,
            }
        )
    ),
    "returns": array(
        obj(
            {
                "id": INTEGER,
                "unit": nullable(STRING),
                "reason": STRING,
                "status": _STATUS,
                "worker_id": nullable(INTEGER),
                "suggested_unit_id": nullable(INTEGER),
                "suggested_unit": nullable(STRING),
                "new_unit_id": nullable(INTEGER),
                "new_unit": nullable(STRING),
                "created_at": DATETIME,
                "decided_at": nullable(DATETIME),
                "decided_by": STRING,
                "note": STRING,
            }
        )
    ),
}
