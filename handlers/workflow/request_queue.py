"""The centre's queue of what units asked (退单, 延期), for the dashboard and the admin API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from models import Case, ExtensionRequest, ExtensionStatus, ReturnRequest, Unit

KINDS: Final = ("return", "extension")
STATUSES: Final = (*(s.value for s in ExtensionStatus), "all")
LIMIT = 200


class BadQueueFilter(ValueError):
    """A status or kind the queue does not know; the message says what it takes."""


@dataclass(frozen=True)
class QueuedRequest:
    kind: str  # return | extension
    id: int
    case_number: str
    case_title: str
    unit: str  # the asking unit's name
    reason: str
    status: str
    created_at: datetime
    completion_due_at: datetime | None  # the case's present deadline
    new_due_at: datetime | None  # 延期: the date asked for
    suggested_unit: str  # 退单: the unit suggested, "" if none
    late: bool
    note: str


def _filters(status: str, kind: str) -> tuple[str, tuple[str, ...]]:
    status = (status or "pending").strip()
    kind = (kind or "all").strip()
    if status not in STATUSES:
        raise BadQueueFilter(f"status 只能是 {', '.join(STATUSES)}")
    if kind not in (*KINDS, "all"):
        raise BadQueueFilter("kind 只能是 return, extension 或 all")
    return status, KINDS if kind == "all" else (kind,)


async def queued_requests(status: str = "pending", kind: str = "all") -> list[QueuedRequest]:
    """The requests by status (``pending`` first of all), oldest first, at most 200 each kind."""
    status, kinds = _filters(status, kind)
    where = {} if status == "all" else {"status": ExtensionStatus(status)}
    returns = (
        await ReturnRequest.filter(**where).order_by("created_at", "id").limit(LIMIT)
        if "return" in kinds
        else []
    )
    extensions = (
        await ExtensionRequest.filter(**where).order_by("created_at", "id").limit(LIMIT)
        if "extension" in kinds
        else []
    )
    case_ids = {r.case_id for r in returns} | {x.case_id for x in extensions}
    cases = {c.id: c for c in await Case.filter(id__in=case_ids)} if case_ids else {}
    unit_ids = {r.unit_id for r in returns} | {r.suggested_unit_id for r in returns}
    unit_ids |= {x.unit_id for x in extensions}
    wanted = [i for i in unit_ids if i is not None]
    units = {u.id: u.name for u in await Unit.filter(id__in=wanted)} if wanted else {}
    rows: list[QueuedRequest] = []
    for r in returns:
        case = cases[r.case_id]
        rows.append(
            QueuedRequest(
                "return",
                r.id,
                case.number,
                case.title,
                units.get(r.unit_id or 0, ""),
                r.reason,
                ExtensionStatus(r.status).value,
                r.created_at,
                case.completion_due_at,
                None,
                units.get(r.suggested_unit_id or 0, ""),
                False,
                r.note,
            )
        )
    for x in extensions:
        case = cases[x.case_id]
        rows.append(
            QueuedRequest(
                "extension",
                x.id,
                case.number,
                case.title,
                units.get(x.unit_id or 0, ""),
                x.reason,
                ExtensionStatus(x.status).value,
                x.created_at,
                case.completion_due_at,
                x.new_due_at,
                "",
                x.late,
                x.note,
            )
        )
    rows.sort(key=lambda row: (row.created_at, row.kind, row.id))
    return rows
