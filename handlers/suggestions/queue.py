"""The suggestions an account may see, filtered, a page at a time: the admin API's list and the
dashboard's queues.

Filters: ``status`` (a status, or ``screening`` for 已收到 and 待补充 together), ``overdue``
(screening past its deadline, or a department's answer owed past its own), ``unit`` (adopted
for that unit, by code), ``call`` and ``station`` (by code), ``q`` (the number, or words of the
title or text). Screening comes deadline first (overdue ones on top); everything else newest
first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from handlers.suggestions.access import visible_suggestions
from handlers.suggestions.departments import overdue_adoptions
from handlers.suggestions.records import OPEN_STATUSES
from models import (
    AdoptionStatus,
    StaffUser,
    Station,
    Suggestion,
    SuggestionAdoption,
    SuggestionCall,
    SuggestionStatus,
    Unit,
)

PAGE_SIZE = 20
MAX_PAGE = 10_000
SCREENING = "screening"  # 待甄别: 已收到 and 待补充
ANSWERING = "answering"  # 待部门答复: a department's answer owed
ADOPTED = "adopted"  # 已采纳 and what followed (answered, carried out)
ADOPTED_STATUSES = (
    SuggestionStatus.ADOPTED,
    SuggestionStatus.ANSWERED,
    SuggestionStatus.IMPLEMENTED,
)
STATUS_CHOICES = ("", SCREENING, ANSWERING, ADOPTED, *(s.value for s in SuggestionStatus))


class BadFilter(ValueError):
    """A filter that cannot be used; the message says which (Chinese, for people)."""


@dataclass(frozen=True)
class Filters:
    status: str = ""
    overdue: bool = False
    unit: str = ""
    call: str = ""
    station: str = ""
    q: str = ""
    page: int = 1


@dataclass(frozen=True)
class Found:
    suggestions: list[Suggestion]
    total: int
    page: int
    pages: int
    page_size: int = PAGE_SIZE


async def _id_of(model: type[Unit] | type[Station] | type[SuggestionCall], code: str) -> int:
    if "\x00" in code:  # no code of ours holds one (and PostgreSQL text cannot)
        raise BadFilter("编码中不能有空字符")
    found = await model.get_or_none(code=code.strip()[:32])
    if found is None:
        raise BadFilter(f"没有这个编码：{code[:32]}")
    return int(found.id)


async def filtered(user: StaffUser, filters: Filters, now: datetime) -> QuerySet[Suggestion]:
    query = visible_suggestions(user)
    status = filters.status
    if status not in STATUS_CHOICES:
        raise BadFilter("status 须为 screening、answering、adopted 或一个建议状态")
    if status == SCREENING:
        query = query.filter(status__in=list(OPEN_STATUSES))
    elif status == ANSWERING:
        owed = SuggestionAdoption.filter(status=AdoptionStatus.PENDING).values("suggestion_id")
        query = query.filter(id__in=Subquery(owed))
    elif status == ADOPTED:
        query = query.filter(status__in=list(ADOPTED_STATUSES))
    elif status:
        query = query.filter(status=status)
    if filters.overdue:
        late = overdue_adoptions(now).values("suggestion_id")
        query = query.filter(
            Q(status__in=list(OPEN_STATUSES), screen_due_at__lt=now) | Q(id__in=Subquery(late))
        )
    if filters.unit:
        unit_id = await _id_of(Unit, filters.unit)
        mine = SuggestionAdoption.filter(unit_id=unit_id).values("suggestion_id")
        query = query.filter(id__in=Subquery(mine))
    if filters.call:
        query = query.filter(call_id=await _id_of(SuggestionCall, filters.call))
    if filters.station:
        query = query.filter(station_id=await _id_of(Station, filters.station))
    words = filters.q.strip().replace("\x00", "")[:100]
    if words:
        found = Q(title__icontains=words) | Q(text__icontains=words)
        if len(words) <= 32:  # a number: the column holds no longer one (and checks so)
            found |= Q(number=words.upper())
        query = query.filter(found)
    return query


async def search(user: StaffUser, filters: Filters, now: datetime) -> Found:
    if not 1 <= filters.page <= MAX_PAGE:
        raise BadFilter(f"page 须为 1 到 {MAX_PAGE} 的整数")
    query = await filtered(user, filters, now)
    total = await query.count()
    order = ("screen_due_at", "id") if filters.status == SCREENING else ("-created_at", "-id")
    rows = await query.order_by(*order).offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return Found(list(rows), total, filters.page, pages)


def screening_overdue(suggestion: Suggestion, now: datetime) -> bool:
    return (
        suggestion.status in OPEN_STATUSES
        and suggestion.screen_due_at is not None
        and suggestion.screen_due_at < now
    )
