"""Which entries answer residents, and which published entries need looking at.

The definitions staff read are ``ENTRIES_USED`` and ``STALE`` in
:mod:`handlers.knowledge.figures`; the numbers are ``config.knowledge`` (``STALE_*``).

- *Entries used*: the entries that answered at least one question of the period (answered,
  solved or unsolved), counted in the database; the list is the most used first, with how many
  of their answers were then said 解决了 and 没解决.
- *Stale entries* (relative to today, whatever the period): published entries whose last valid
  day (``valid_until``, inclusive) has passed (``expired``) or falls within
  ``STALE_EXPIRY_DAYS`` days from today (``expiring``), and published entries not changed for
  more than ``STALE_UNCHANGED_DAYS`` days (``unchanged``); an entry may be both. Expired and
  expiring first (soonest first), then the unchanged ones (longest unchanged first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from config import knowledge as tuning
from handlers.clock import local
from models import AskOutcome, EntryStatus, KnowledgeEntry

ANSWERED_OUTCOMES = (AskOutcome.ANSWERED, AskOutcome.SOLVED, AskOutcome.UNSOLVED)
EXPIRED, EXPIRING, UNCHANGED = "expired", "expiring", "unchanged"
STALE_REASONS: dict[str, str] = {
    EXPIRED: "已过有效期",
    EXPIRING: f"{tuning.STALE_EXPIRY_DAYS}天内到期",
    UNCHANGED: f"超过{tuning.STALE_UNCHANGED_DAYS}天未修改",
}


@dataclass(frozen=True)
class EntryRef:
    """An entry as the lists name it, with its owning unit."""

    id: int
    code: str
    question: str
    status: str
    unit_code: str
    unit_name: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "question": self.question,
            "status": self.status,
            "unit": self.unit_code,
            "unit_name": self.unit_name,
        }


@dataclass(frozen=True)
class EntryUse:
    entry: EntryRef
    answered: int
    solved: int
    unsolved: int

    @property
    def no_feedback(self) -> int:
        return self.answered - self.solved - self.unsolved


@dataclass(frozen=True)
class StaleEntry:
    entry: EntryRef
    valid_until: date | None
    updated_at: datetime
    reasons: tuple[str, ...]


async def entry_refs(ids: list[int]) -> dict[int, EntryRef]:
    rows = await KnowledgeEntry.filter(id__in=ids).values(
        "id", "code", "question", "status", "unit__code", "unit__name"
    )
    return {
        row["id"]: EntryRef(
            id=row["id"],
            code=row["code"],
            question=row["question"],
            status=EntryStatus(row["status"]).value,
            unit_code=row["unit__code"] or "",
            unit_name=row["unit__name"] or "",
        )
        for row in rows
    }


async def entries_used(asks: Any, *, with_list: bool = True) -> tuple[int, tuple[EntryUse, ...]]:
    """How many entries answered questions of ``asks`` (a queryset of the period), and the
    most used of them (``config.knowledge.ENTRIES_USED_SHOWN``)."""
    answered = asks.filter(entry_id__isnull=False, outcome__in=list(ANSWERED_OUTCOMES))
    [row] = await answered.annotate(_n=Count("entry_id", distinct=True)).values("_n")
    used = int(row["_n"] or 0)
    if not with_list or not used:
        return used, ()
    rows = (
        await answered.annotate(
            _answered=Count("id"),
            _solved=Count("id", _filter=Q(outcome=AskOutcome.SOLVED)),
            _unsolved=Count("id", _filter=Q(outcome=AskOutcome.UNSOLVED)),
        )
        .group_by("entry_id")
        .order_by("-_answered", "entry_id")
        .limit(tuning.ENTRIES_USED_SHOWN)
        .values("entry_id", "_answered", "_solved", "_unsolved")
    )
    refs = await entry_refs([r["entry_id"] for r in rows])
    top = tuple(
        EntryUse(refs[r["entry_id"]], int(r["_answered"]), int(r["_solved"]), int(r["_unsolved"]))
        for r in rows
        if r["entry_id"] in refs
    )
    return used, top


def _reasons(entry: dict[str, Any], today: date, unchanged_before: datetime) -> tuple[str, ...]:
    until: date | None = entry["valid_until"]
    reasons = []
    if until is not None and until < today:
        reasons.append(EXPIRED)
    elif until is not None and until <= today + timedelta(days=tuning.STALE_EXPIRY_DAYS):
        reasons.append(EXPIRING)
    if entry["updated_at"] < unchanged_before:
        reasons.append(UNCHANGED)
    return tuple(reasons)


async def stale_entries(
    now: datetime, *, with_list: bool = True
) -> tuple[tuple[StaleEntry, ...], int]:
    """The stale entries at ``now`` (at most ``config.knowledge.STALE_SHOWN``) and how many
    there are in all."""
    today = local(now).date()
    horizon = today + timedelta(days=tuning.STALE_EXPIRY_DAYS)
    unchanged_before = now - timedelta(days=tuning.STALE_UNCHANGED_DAYS)
    published = KnowledgeEntry.filter(status=EntryStatus.PUBLISHED)
    expiring = Q(valid_until__lte=horizon)
    stale = published.filter(expiring | Q(updated_at__lt=unchanged_before))
    total = await stale.count()
    if not with_list or not total:
        return (), total
    fields = ("id", "valid_until", "updated_at")
    rows = list(
        await published.filter(expiring)
        .order_by("valid_until", "id")
        .limit(tuning.STALE_SHOWN)
        .values(*fields)
    )
    if len(rows) < tuning.STALE_SHOWN:
        rows += await (
            published.filter(updated_at__lt=unchanged_before)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=horizon))
            .order_by("updated_at", "id")
            .limit(tuning.STALE_SHOWN - len(rows))
            .values(*fields)
        )
    refs = await entry_refs([row["id"] for row in rows])
    found = tuple(
        StaleEntry(
            refs[row["id"]],
            row["valid_until"],
            row["updated_at"],
            _reasons(row, today, unchanged_before),
        )
        for row in rows
        if row["id"] in refs
    )
    return found, total
