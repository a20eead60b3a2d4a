"""What a request looks like from outside: the public JSON of our cases, and GET requests.

Everything a GET answers is public: no phone, email or name of anybody. Phone numbers in the
words are masked; the words themselves are shown only for requests filed through Open311 (whose
clients publish them anyway): a resident who wrote in the chat wrote to us, not to the public,
and may have named themselves. Status notes come only from what is meant for the public (the
result, the unit's progress notes, our own texts), and so does ``media_url``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from config import open311 as spec
from config.taxonomy import category_for_path
from handlers.clock import format_local, local
from handlers.digits import finite_or_none
from handlers.open311.common import CHANNEL, Open311Error
from handlers.open311.services import path_for_code, service_code_for
from handlers.suggestions.records import is_suggestion_number
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    Grid,
    Open311Request,
    Suggestion,
    Unit,
)
from models.case_status import OPEN_STATUSES
from nlu import mask_phones_in_text

CHUNK = 500  # ids per IN (...) query
OPEN_VALUES = frozenset(status.value for status in OPEN_STATUSES)
DONE = frozenset({CaseStatus.COMPLETED, CaseStatus.VISITED, CaseStatus.ARCHIVED})

_W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$")
# What could be one of our case numbers or tokens at all; nothing else is looked up.
_NUMBER = re.compile(r"[0-9A-Za-z]{1,16}")
_TOKEN = re.compile(r"[0-9A-Za-z_-]{1,64}")
FIRST_YEAR, LAST_YEAR = 1970, 2100


# What a request looks like from outside


def w3c(when: datetime | None) -> str | None:
    """A stored time in W3C format, in the district's time (+08:00)."""
    return local(when).isoformat(timespec="seconds") if when is not None else None


def public_text(text: str | None, limit: int = spec.MAX_DESCRIPTION) -> str | None:
    if not text:
        return None
    return mask_phones_in_text(text)[:limit]


def service_notice(case: Case, unit: Unit | None, original: str | None) -> str | None:
    """What will happen: which unit handles it and by when, or which case it joined."""
    status = CaseStatus(case.status)
    if status is CaseStatus.MERGED:
        return spec.NOTICE_MERGED.format(original=original or "")
    if status not in OPEN_STATUSES or case.completion_due_at is None:
        return None
    deadline = format_local(case.completion_due_at, with_year=True)
    if unit is not None:
        return spec.NOTICE_ROUTED.format(unit=unit.name, deadline=deadline)
    return spec.NOTICE_QUEUED.format(deadline=deadline)


def status_notes(case: Case, original: str | None, progress: str | None) -> str:
    status = CaseStatus(case.status)
    if status is CaseStatus.MERGED:
        return spec.NOTE_MERGED.format(original=original or "")
    if status is CaseStatus.CANCELLED:
        return spec.NOTE_CANCELLED
    if status in DONE:
        return public_text(case.result) or status.label
    return public_text(progress) or status.label


def public_address(case: Case) -> str | None:
    named = [part for part in (case.street, case.compound, case.address) if part]
    if named:
        return "".join(dict.fromkeys(named))
    return case.place_text or None


def _updated(case: Case) -> datetime | None:
    """For a closed request the spec wants when it was closed; else the last change."""
    if CaseStatus(case.status) in OPEN_STATUSES:
        return case.updated_at
    return case.completed_at or case.closed_at or case.updated_at


def _media_url(case: Case) -> str | None:
    """Only what a client published with the request: residents' own photos stay inside."""
    if case.channel != CHANNEL:
        return None
    for item in case.attachments or []:
        url = item.get("url") if isinstance(item, dict) else None
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            return url
    return None


@dataclass(frozen=True)
class _Related:
    units: dict[int, Unit]
    grids: dict[int, Grid]
    originals: dict[int, str]
    progress: dict[int, str]


def request_json(case: Case, related: _Related) -> dict[str, Any]:
    status = CaseStatus(case.status)
    category = category_for_path(case.category)
    unit = related.units.get(case.unit_id) if case.unit_id is not None else None
    grid = related.grids.get(case.grid_id) if case.grid_id is not None else None
    original = related.originals.get(case.duplicate_of_id) if case.duplicate_of_id else None
    return {
        "service_request_id": case.number,
        "status": "open" if status in OPEN_STATUSES else "closed",
        "status_notes": status_notes(case, original, related.progress.get(case.id)),
        "service_name": category.name if category else case.category,
        "service_code": service_code_for(case.category),
        "description": public_text(case.text) if case.channel == CHANNEL else None,
        "agency_responsible": unit.name if unit else None,
        "service_notice": service_notice(case, unit, original),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(_updated(case)),
        "expected_datetime": w3c(case.completion_due_at),
        "address": public_address(case),
        "address_id": grid.code if grid else None,
        "zipcode": None,
        "lat": finite_or_none(case.lat),  # a row from before the checks may hold NaN
        "long": finite_or_none(case.lng),
        "media_url": _media_url(case),
    }


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


async def _related(cases: list[Case]) -> _Related:
    """What a page of requests names, a few queries for the whole page."""
    units: dict[int, Unit] = {}
    grids: dict[int, Grid] = {}
    originals: dict[int, str] = {}
    progress: dict[int, str] = {}
    for ids in _chunks(c.unit_id for c in cases if c.unit_id is not None):
        units.update({u.id: u for u in await Unit.filter(id__in=ids)})
    for ids in _chunks(c.grid_id for c in cases if c.grid_id is not None):
        grids.update({g.id: g for g in await Grid.filter(id__in=ids)})
    for ids in _chunks(c.duplicate_of_id for c in cases if c.duplicate_of_id is not None):
        for row in await Case.filter(id__in=ids).values("id", "number"):
            originals[int(row["id"])] = str(row["number"])
    open_ids = (c.id for c in cases if CaseStatus(c.status) in OPEN_STATUSES)
    for ids in _chunks(open_ids):
        rows = (
            await CaseEvent.filter(case_id__in=ids, action=CaseAction.PROGRESS.value)
            .order_by("-at", "-id")
            .values("case_id", "note")
        )
        for row in rows:
            progress.setdefault(int(row["case_id"]), str(row["note"] or ""))
    return _Related(units, grids, originals, progress)


async def requests_json(cases: list[Case]) -> list[dict[str, Any]]:
    related = await _related(cases)
    return [request_json(case, related) for case in cases]


async def number_of(case_id: int | None) -> str | None:
    """A case's number by its id: the case a repeat joined, the case a token stands for."""
    if case_id is None:
        return None
    found = await Case.filter(id=case_id).values_list("number", flat=True)
    return str(found[0]) if found else None


# Querying


@dataclass(frozen=True)
class RequestQuery:
    """GET requests: either some numbers, or a time range with optional filters."""

    numbers: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    statuses: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None
    cases: bool = True  # the service codes asked for name categories (or none was asked for)
    suggestions: bool = True  # ... name the suggestion service (or none was asked for)


def _listed(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """A parameter that may be comma delimited and may be declared several times."""
    values = [part.strip() for raw in params.get(name, ()) for part in raw.split(",")]
    return list(dict.fromkeys(value for value in values if value))


def _moment(params: Mapping[str, Sequence[str]], name: str) -> datetime | None:
    values = [v.strip() for v in params.get(name, ()) if v.strip()]
    if not values:
        return None
    if len(values) > 1:
        raise Open311Error(400, f"{name} was sent {len(values)} times; send it once")
    value = values[0]
    problem = f"{name} must be a W3C date-time with its time zone, e.g. 2010-01-01T00:00:00Z"
    if len(value) > 40 or not _W3C.fullmatch(value):
        raise Open311Error(400, problem)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if not FIRST_YEAR <= when.year <= LAST_YEAR:
            raise ValueError(value)
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Open311Error(400, problem + f", in the years {FIRST_YEAR} to {LAST_YEAR}") from None


def parse_query(params: Mapping[str, Sequence[str]], now: datetime) -> RequestQuery:
    """The spec's rules: ids override everything; else at most 90 days, the latest by default."""
    numbers = _listed(params, "service_request_id")
    if numbers:
        if len(numbers) > spec.QUERY_LIMIT:
            raise Open311Error(400, f"ask for at most {spec.QUERY_LIMIT} service_request_id")
        return RequestQuery(numbers=tuple(numbers))
    paths: list[str] = []
    codes = _listed(params, "service_code")
    for code in codes:
        if code == spec.SUGGESTION_SERVICE_CODE:
            continue
        path = path_for_code(code)
        if path is None:
            raise Open311Error(400, f"service_code {code[:64]!r} is unknown; see services.json")
        paths.append(path)
    statuses = _listed(params, "status")
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise Open311Error(400, f"status must be open or closed, not {wrong[0][:32]!r}")
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    span = spec.QUERY_SPAN
    if start is None and end is None:
        start, end = now - span, now
    elif end is None:
        assert start is not None
        end = start + span
    elif start is None:
        start = end - span
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > span:
        raise Open311Error(400, f"start_date and end_date may not span more than {span.days} days")
    return RequestQuery(
        paths=tuple(paths),
        statuses=frozenset(statuses),
        start=start,
        end=end,
        cases=bool(paths) or not codes,
        suggestions=spec.SUGGESTION_SERVICE_CODE in codes or not codes,
    )


async def find_requests(query: RequestQuery) -> list[dict[str, Any]]:
    """The matching requests, newest first, at most the spec's 1000."""
    if not query.numbers and not query.cases:
        return []
    if query.numbers:
        numbers = [number for number in query.numbers if _NUMBER.fullmatch(number)]
        found = Case.filter(number__in=numbers)
    else:
        found = Case.filter(created_at__gte=query.start, created_at__lte=query.end)
        if query.paths:
            found = found.filter(category__in=list(query.paths))
        if query.statuses == {"open"}:
            found = found.filter(status__in=sorted(OPEN_VALUES))
        elif query.statuses == {"closed"}:
            found = found.exclude(status__in=sorted(OPEN_VALUES))
    cases = await found.order_by("-created_at", "-id").limit(spec.QUERY_LIMIT)
    return await requests_json(list(cases))


async def one_request(number: str) -> list[dict[str, Any]]:
    """GET requests/{id}: the spec answers a list of one."""
    case = await Case.get_or_none(number=number) if _NUMBER.fullmatch(number) else None
    if case is None:
        raise Open311Error(404, f"service_request_id {number[:32]!r} not found")
    return await requests_json([case])


async def token_request(token: str) -> list[dict[str, Any]]:
    """GET tokens/{token}: the request the token stands for."""
    row = await Open311Request.get_or_none(token=token) if _TOKEN.fullmatch(token) else None
    if row is None:
        raise Open311Error(404, f"token {token[:32]!r} not found")
    number = await number_of(row.case_id)
    if number is None and row.service_code == spec.SUGGESTION_SERVICE_CODE:
        # A suggestion's token starts with its number (handlers.open311.suggestions); a held
        # request's names the number it will have once released, not a request yet.
        prefix = row.token.partition("-")[0]
        exists = is_suggestion_number(prefix) and await Suggestion.exists(number=prefix)
        number = prefix if exists else None
    if number is None:
        return [{"token": row.token}]
    return [{"service_request_id": number, "token": row.token}]
