"""One governance item as staff read it: the ledger's line, its plan, co-units, milestones,
cases and timeline, and what the reader may do (for the API's JSON and the dashboard page)."""

from __future__ import annotations

from datetime import date
from typing import Any

from config import hot_items as texts
from handlers.clock import iso
from handlers.hot.ledger import LedgerRow, ledger_rows
from models import (
    Case,
    HotItem,
    HotItemCase,
    HotItemMilestone,
    HotItemNote,
    HotItemStatus,
    HotItemUnit,
    Notice,
    Unit,
)

MAX_CASES_SHOWN = 500
MAX_NOTES_SHOWN = 500


def may(role: str, status: str) -> dict[str, bool]:
    """The steps a reader with ``role`` may take on an item in ``status``."""
    open_ = status == HotItemStatus.OPEN.value
    manage = role == "manage"
    return {
        "edit": manage and open_,
        "note": role in ("manage", "owner", "co") and open_,
        "milestone": manage and open_,
        "tick": role in ("manage", "owner") and open_,
        "link": manage and open_,
        "close": role in ("manage", "owner") and open_,
        "withdraw": manage and open_,
        "notice": manage and status == HotItemStatus.CLOSED.value,
    }


def row_json(row: LedgerRow) -> dict[str, Any]:
    item = row.item
    return {
        "number": item.number,
        "kind": str(item.kind),
        "kind_label": texts.KIND_LABELS.get(str(item.kind), ""),
        "status": str(item.status),
        "status_label": texts.STATUS_LABELS.get(str(item.status), ""),
        "title": item.title,
        "place_label": item.place_label,
        "month": item.month,
        "owner_unit": row.owner,
        "co_units": list(row.co_units),
        "created_at": iso(item.created_at),
        "deadline": item.deadline.isoformat(),
        "overdue": row.overdue,
        "milestones_done": row.milestones_done,
        "milestones": row.milestones,
        "cases": row.cases,
        "outcome": str(item.outcome) if item.outcome else None,
        "result": row.result,
        "version": item.version,
    }


async def item_detail(item: HotItem, role: str, today: date) -> dict[str, Any]:
    (row,) = await ledger_rows([item], today)
    owner = await Unit.get(id=item.owner_unit_id)
    co = await HotItemUnit.filter(item_id=item.id).order_by("id").values_list("unit_id", flat=True)
    co_units = {u.id: u for u in await Unit.filter(id__in=list(co) or [0])}
    milestones = await HotItemMilestone.filter(item_id=item.id).order_by("position", "id")
    links = (
        await HotItemCase.filter(item_id=item.id).order_by("linked_at", "id").limit(MAX_CASES_SHOWN)
    )
    cases = {c.id: c for c in await Case.filter(id__in=[link.case_id for link in links] or [0])}
    notes = await HotItemNote.filter(item_id=item.id).order_by("at", "id").limit(MAX_NOTES_SHOWN)
    notice = await Notice.get_or_none(id=item.notice_id) if item.notice_id else None
    body = row_json(row)
    body.update(
        {
            "problem": item.problem,
            "plan": item.plan,
            "topic_words": list(item.topic_words or []),
            "place_key": item.place_key,
            "category": item.category,
            "heat": item.heat or {},
            "owner_unit_code": owner.code,
            "co_unit_codes": [co_units[u].code for u in co if u in co_units],
            "updated_at": iso(item.updated_at),
            "closed_at": iso(item.closed_at) if item.closed_at else None,
            "result_text": item.result,
            "role": role,
            "may": may(role, str(item.status)),
            "notice": {"id": notice.id, "status": str(notice.status)} if notice else None,
            "milestone_list": [
                {
                    "id": m.id,
                    "title": m.title,
                    "due": m.due.isoformat(),
                    "done_at": iso(m.done_at) if m.done_at else None,
                    "note": m.note,
                    "overdue": m.done_at is None and m.due < today,
                }
                for m in milestones
            ],
            "case_list": [
                {
                    "number": cases[link.case_id].number,
                    "title": cases[link.case_id].title,
                    "status": str(cases[link.case_id].status),
                    "how": link.how,
                    "how_label": texts.HOW_LABELS.get(link.how, link.how),
                    "linked_at": iso(link.linked_at),
                }
                for link in links
                if link.case_id in cases
            ],
            "timeline": [
                {
                    "at": iso(n.at),
                    "action": n.action,
                    "action_label": texts.NOTE_LABELS.get(n.action, n.action),
                    "actor": n.actor,
                    "text": n.text,
                }
                for n in notes
            ],
        }
    )
    return body
