"""Finding cases for staff: filters, words, numbers and phones, limited to what the account sees.

One query builder for the dashboard's case list and ``GET /api/admin/cases``, so both answer
the same filters the same way. The scope mirrors ``handlers.staff.permissions.may_see_case``: a unit
account never gets another unit's case out of a search, whatever it asks for.

Search (``q``): each word must match somewhere (number, title, the resident's words, the
contact phone), so ``路灯 政通路`` narrows and a case number or a phone's digits find their
case. Overdue means open with a deadline it has not met yet already passed (the sign-for
deadline counts only until it is signed, first contact only until it is made).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from handlers.digits import whole_number
from handlers.places import place_summary
from handlers.staff.permissions import sees_every_case
from models import Case, CaseStatus, Grid, StaffRole, StaffUser, Unit, Worker
from models.case_status import OPEN_STATUSES
from nlu import mask_phones_in_text

PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_QUERY_WORDS = 6
URGENCY_CHOICES = ("急", "一般", "难")
UNSIGNED = (CaseStatus.ACCEPTED.value, CaseStatus.DISPATCHED.value)


class BadFilter(ValueError):
    """A filter value that cannot be used; the message says which and why (in Chinese)."""


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""  # a status value, "open", or "" for every status
    unit: str = ""  # unit code
    grid: str = ""  # grid code
    category: str = ""  # a category path prefix ("城乡建设" or "城乡建设/物业管理")
    kind: str = ""
    urgency: str = ""  # 急 | 一般 | 难 (difficult)
    overdue: bool = False
    supervised: bool = False  # 督办
    review: bool = False  # 待审核: results waiting for 办结审核
    q: str = ""
    page: int = 1

    def query_items(self, **changes: Any) -> list[tuple[str, str]]:
        """The filters as query-string pairs (for links to other pages), defaults left out."""
        chosen = replace(self, **changes)
        items: list[tuple[str, str]] = []
        for item in fields(chosen):
            value = getattr(chosen, item.name)
            if isinstance(value, bool):
                if value:
                    items.append((item.name, "1"))
            elif item.name == "page":
                if value != 1:
                    items.append(("page", str(value)))
            elif value:
                items.append((item.name, str(value)))
        return items

    @property
    def any(self) -> bool:
        return bool(self.query_items(page=1))


def _flag(value: str, name: str) -> bool:
    value = value.strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise BadFilter(f"{name} 只能是 1 或 0")


def filters_from_query(query: Mapping[str, str]) -> CaseFilters:
    """Filters from a query string (the dashboard's form and the API share the names)."""
    status = query.get("status", "").strip()
    if status and status != "open" and status not in {s.value for s in CaseStatus}:
        raise BadFilter(f"没有这个状态：{status}")
    urgency = query.get("urgency", "").strip()
    if urgency and urgency not in URGENCY_CHOICES:
        raise BadFilter("紧急程度只能是 急、一般 或 难")
    raw_page = query.get("page", "").strip() or "1"
    page = whole_number(raw_page, 6)
    if page is None or not 1 <= page <= MAX_PAGE:
        raise BadFilter(f"页码须为 1 到 {MAX_PAGE}")
    return CaseFilters(
        status=status,
        unit=query.get("unit", "").strip()[:32],
        grid=query.get("grid", "").strip()[:32],
        category=query.get("category", "").strip()[:128],
        kind=query.get("kind", "").strip()[:16],
        urgency=urgency,
        overdue=_flag(query.get("overdue", ""), "overdue"),
        supervised=_flag(query.get("supervised", ""), "supervised"),
        review=_flag(query.get("review", ""), "review"),
        q=" ".join(query.get("q", "").split())[:100],
        page=page,
    )


def scope_of(user: StaffUser) -> Q | None:
    """The cases ``user`` may see as a query; None: every case. Mirrors ``may_see_case``."""
    if sees_every_case(user):
        return None
    role = StaffRole(user.role)
    if role in (StaffRole.SUPERVISOR, StaffRole.UNIT):
        return Q(unit_id=user.unit_id) if user.unit_id is not None else Q(id=-1)
    return Q(worker_id=user.worker_id) if user.worker_id is not None else Q(id=-1)


def overdue_q(now: datetime) -> Q:
    """Open cases with a deadline they have not met yet already passed."""
    open_values = [s.value for s in OPEN_STATUSES]
    return (
        Q(status__in=list(UNSIGNED), sign_due_at__lt=now)
        | Q(status__in=open_values, first_contact_at__isnull=True, first_contact_due_at__lt=now)
        | Q(status__in=open_values, completion_due_at__lt=now)
    )


def review_pending_q() -> Q:
    """Results waiting for 办结审核 (``handlers.workflow.review``)."""
    return Q(status=CaseStatus.COMPLETED.value, review_state="pending")


def is_overdue(case: Case, now: datetime) -> bool:
    """The same test for one case already read."""
    status = CaseStatus(case.status)
    if status not in OPEN_STATUSES:
        return False
    pending: list[datetime | None] = [case.completion_due_at]
    if status.value in UNSIGNED:
        pending.append(case.sign_due_at)
    if case.first_contact_at is None:
        pending.append(case.first_contact_due_at)
    return any(due is not None and due < now for due in pending)


def _word_q(word: str) -> Q:
    matches = Q(title__icontains=word) | Q(text__icontains=word)
    digits = re.sub(r"\D", "", word)
    if digits and len(digits) >= 3 and len(digits) * 2 >= len(word):
        matches |= Q(number__startswith=digits) | Q(contact_phone__contains=digits)
    return matches


async def _filtered(user: StaffUser, filters: CaseFilters, now: datetime) -> QuerySet[Case]:
    query = Case.all()
    scope = scope_of(user)
    if scope is not None:
        query = query.filter(scope)
    if filters.status == "open":
        query = query.filter(status__in=[s.value for s in OPEN_STATUSES])
    elif filters.status:
        query = query.filter(status=filters.status)
    if filters.unit:
        unit = await Unit.get_or_none(code=filters.unit)
        query = query.filter(unit_id=unit.id if unit else -1)
    if filters.grid:
        grid = await Grid.get_or_none(code=filters.grid)
        query = query.filter(grid_id=grid.id if grid else -1)
    if filters.category:
        prefix = filters.category.rstrip("/")
        query = query.filter(Q(category=prefix) | Q(category__startswith=prefix + "/"))
    if filters.kind:
        query = query.filter(kind=filters.kind)
    if filters.urgency == "难":
        query = query.filter(difficult=True)
    elif filters.urgency:
        query = query.filter(urgency=filters.urgency)
    if filters.overdue:
        query = query.filter(overdue_q(now))
    if filters.supervised:
        query = query.filter(supervised=True)
    if filters.review:
        query = query.filter(review_pending_q())
    for word in filters.q.split()[:MAX_QUERY_WORDS]:
        query = query.filter(_word_q(word))
    return query


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


async def search_cases(
    user: StaffUser, filters: CaseFilters, now: datetime, page_size: int = PAGE_SIZE
) -> CasePage:
    """One page of the cases ``user`` may see that match ``filters``, newest first."""
    query = await _filtered(user, filters, now)
    total = await query.count()
    offset = (filters.page - 1) * page_size
    cases = await query.order_by("-created_at", "-id").offset(offset).limit(page_size)
    return CasePage(cases=list(cases), total=total, page=filters.page, page_size=page_size)


CaseNames = tuple[dict[int, Unit], dict[int, Grid], dict[int, Worker]]


async def related_names(cases: list[Case]) -> CaseNames:
    """The units, grids and workers a page of cases names, in three queries, by id."""
    unit_ids = {c.unit_id for c in cases if c.unit_id is not None}
    grid_ids = {c.grid_id for c in cases if c.grid_id is not None}
    worker_ids = {c.worker_id for c in cases if c.worker_id is not None}
    units = {u.id: u for u in await Unit.filter(id__in=unit_ids)} if unit_ids else {}
    grids = {g.id: g for g in await Grid.filter(id__in=grid_ids)} if grid_ids else {}
    workers = {w.id: w for w in await Worker.filter(id__in=worker_ids)} if worker_ids else {}
    return units, grids, workers


def case_basics(
    case: Case, units: dict[int, Unit], grids: dict[int, Grid], workers: dict[int, Worker]
) -> dict[str, Any]:
    """What every API shows of a case in a list: what, where, who, status; phones masked."""
    status = CaseStatus(case.status)
    unit = units.get(case.unit_id) if case.unit_id is not None else None
    grid = grids.get(case.grid_id) if case.grid_id is not None else None
    worker = workers.get(case.worker_id) if case.worker_id is not None else None
    return {
        "number": case.number,
        "title": mask_phones_in_text(case.title),
        "kind": case.kind,
        "category": case.category,
        "urgency": case.urgency,
        "difficult": case.difficult,
        "status": status.value,
        "status_label": status.label,
        "place": place_summary(case),
        "unit": {"code": unit.code, "name": unit.name} if unit else None,
        "grid": {"code": grid.code, "name": grid.name} if grid else None,
        "worker": {"id": worker.id, "name": worker.name} if worker else None,
        "supervised": case.supervised,
    }
