"""What the public reads of published suggestions: the page (newest publication first) and one.

A suggestion is shown while it is published (``published_at``), its proposer's consent stands
(``consent_publish``: withdrawn consent hides it at once) and it is still adopted, forwarded,
answered or implemented. Shown: the approved wording (``publication.published_wording``), the
credit (the name the proposer gave, else 匿名), category and street, when it was received and
adopted, the departments it was adopted for and their answers (masked as the wording is:
they may name a person), whether it went to the city or got a leader's 批示, the result (落地),
and the station or themed call it came through. Never shown: the proposer's account, phone or
original words, staff names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.queryset import QuerySet

from config import suggestion_publication as texts
from handlers.clock import local
from handlers.suggestions.anonymise import anonymised
from handlers.suggestions.publication import PUBLISHABLE, Wording, credit_of, published_wording
from models import (
    AdoptionStatus,
    Station,
    Suggestion,
    SuggestionAdoption,
    SuggestionCall,
    SuggestionStatus,
    Unit,
)

ANSWERED = AdoptionStatus.ANSWERED
MAX_PER_PAGE = 50
MAX_PAGE = 10_000


@dataclass(frozen=True)
class PublicAnswer:
    unit: str
    kind: str
    kind_label: str
    answer: str
    answered_on: date | None
    effective_on: date | None  # when the measure takes effect, as the department gave it

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "answer": self.answer,
            "answered_on": _day(self.answered_on),
            "effective_on": _day(self.effective_on),
        }


@dataclass(frozen=True)
class PublicSuggestion:
    """One published suggestion as anyone may read it. ``resident_id`` is for the mini-program
    (is it the signed-in resident's own?) and never shown."""

    number: str
    title: str
    text: str
    category: str
    street: str
    credit: str
    status: str
    status_label: str
    received_on: date
    adopted_on: date | None
    departments: tuple[str, ...]
    answers: tuple[PublicAnswer, ...]
    forwarded: bool
    instructed: bool
    implemented_on: date | None
    result: str
    station: str | None
    call: str | None
    published_at: datetime
    resident_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "text": self.text,
            "category": self.category,
            "street": self.street,
            "credit": self.credit,
            "status": self.status,
            "status_label": self.status_label,
            "received_on": self.received_on.isoformat(),
            "adopted_on": _day(self.adopted_on),
            "departments": list(self.departments),
            "answers": [answer.as_dict() for answer in self.answers],
            "forwarded": self.forwarded,
            "instructed": self.instructed,
            "implemented_on": _day(self.implemented_on),
            "result": self.result,
            "station": self.station,
            "call": self.call,
            "published_at": self.published_at.isoformat(),
        }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _local_day(value: datetime | None) -> date | None:
    return local(value).date() if value is not None else None


def shown() -> QuerySet[Suggestion]:
    """Every suggestion the public may read now."""
    return Suggestion.filter(
        published_at__isnull=False, consent_publish=True, status__in=list(PUBLISHABLE)
    )


async def published_page(page: int, per_page: int) -> tuple[list[PublicSuggestion], int]:
    """A page of published suggestions, newest publication first, and how many there are."""
    query = shown()
    total = await query.count()
    rows = (
        await query.order_by("-published_at", "-id").offset((page - 1) * per_page).limit(per_page)
    )
    return await _views(rows), total


async def published_one(number: str) -> PublicSuggestion | None:
    """One published suggestion by number, or None (not published looks like no such number)."""
    row = await shown().get_or_none(number=number[:32])
    if row is None:
        return None
    return (await _views([row]))[0]


async def _views(rows: list[Suggestion]) -> list[PublicSuggestion]:
    if not rows:
        return []
    ids = [row.id for row in rows]
    wording = await published_wording(ids)
    adoptions: dict[int, list[SuggestionAdoption]] = {}
    for adoption in await SuggestionAdoption.filter(suggestion_id__in=ids).order_by(
        "assigned_at", "id"
    ):
        adoptions.setdefault(adoption.suggestion_id, []).append(adoption)
    unit_ids = {a.unit_id for found in adoptions.values() for a in found}
    units = {u.id: u.name for u in await Unit.filter(id__in=list(unit_ids))} if unit_ids else {}
    station_ids = [row.station_id for row in rows if row.station_id is not None]
    stations = {s.id: s.name for s in await Station.filter(id__in=station_ids)}
    call_ids = [row.call_id for row in rows if row.call_id is not None]
    calls = {c.id: c.title for c in await SuggestionCall.filter(id__in=call_ids)}
    views = []
    for row in rows:
        approved = wording.get(row.id) or Wording(row.title, "")
        found = adoptions.get(row.id, [])
        views.append(
            PublicSuggestion(
                number=row.number,
                title=approved.title,
                text=approved.text,
                category=row.category,
                street=row.street,
                credit=credit_of(row),
                status=SuggestionStatus(row.status).value,
                status_label=SuggestionStatus(row.status).label,
                received_on=local(row.created_at).date(),
                adopted_on=_local_day(row.adopted_at),
                departments=tuple(units.get(a.unit_id, "") for a in found),
                answers=tuple(_answer(a, units) for a in found if a.status == ANSWERED),
                forwarded=row.forwarded_at is not None,
                instructed=row.instructed_at is not None,
                implemented_on=_local_day(row.implemented_at),
                result=row.result,
                station=stations.get(row.station_id) if row.station_id is not None else None,
                call=calls.get(row.call_id) if row.call_id is not None else None,
                published_at=row.published_at or row.updated_at,
                resident_id=row.resident_id,
            )
        )
    return views


def _answer(adoption: SuggestionAdoption, units: dict[int, str]) -> PublicAnswer:
    kind = adoption.answer_kind or ""
    return PublicAnswer(
        unit=units.get(adoption.unit_id, ""),
        kind=kind,
        kind_label=texts.ANSWER_KINDS.get(kind, texts.ANSWER_KINDS[""]),
        answer=anonymised(adoption.answer),
        answered_on=_local_day(adoption.answered_at),
        effective_on=adoption.answer_date,
    )
