"""Open311 GeoReport v2 on our case model: services, filing a request, querying requests.

Transport-free like every handler: the HTTP edge (``bot.api.open311``) hands over plain fields
and renders what comes back as JSON or XML. Refusals are :class:`Open311Error` with the HTTP
status the spec asks for (400 bad input, 403 key, 404 unknown resource).

- A service is a taxonomy path; ``config.open311`` gives each a stable code.
- A request is filed exactly like a chat message: the description goes through
  :func:`handlers.intake.report.report_case` (understanding, duplicates, routing, deadlines), except
  that the service the client chose is the category. A place given apart from the words
  (``address_string``, or ``address_id``, which is one of our grid codes) is the chat's "where?"
  answer (:func:`handlers.intake.detail.set_place`) when the words name no place themselves.
- The reporter is a :class:`Resident` of app ``open311`` whose openid we make from the client and
  the reporter's account, email, phone or device, so that repeats and figures count them as one
  person; with none of these each request has a reporter of its own. The email only makes that
  identity: we keep no copy. The phone is the reporter's and so the case's contact phone,
  unless the words give another number, which wins as it does in the chat.
- Everything a GET answers is public: no phone, email or name of anybody. Phone numbers in the
  words are masked; the words themselves are shown only for requests filed through Open311
  (whose clients publish them anyway): a resident who wrote in the chat wrote to us, not to the
  public, and may have named themselves. Status notes come only from what is meant for the
  public (the result, the unit's progress notes, our own texts), and so does ``media_url``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from config import open311 as spec
from config.settings import Settings
from config.taxonomy import FALLBACK_PATH, TAXONOMY, Category, category_for_path
from handlers.clock import format_local, local
from handlers.context import HandlerContext
from handlers.intake.detail import set_place
from handlers.intake.rate_limits import case_limit
from handlers.intake.report import report_case
from handlers.residents.cases import keep_held
from handlers.residents.records import remember_phone
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    Grid,
    HeldReason,
    Open311Client,
    Open311Request,
    Resident,
    ResidentApp,
    Unit,
)
from models.case_status import OPEN_STATUSES
from nlu import find_phones, mask_phones_in_text

logger = logging.getLogger(__name__)

CHANNEL = "open311"
OPENID_PREFIX = "o311:"
KEY_PREFIX = "o311_"
KEY_TOUCH_SECONDS = 60
CHUNK = 500  # ids per IN (...) query
OPEN_VALUES = frozenset(status.value for status in OPEN_STATUSES)
DONE = frozenset({CaseStatus.COMPLETED, CaseStatus.VISITED, CaseStatus.ARCHIVED})

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{2,31}")
_W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$")
_ATTRIBUTE = re.compile(r"^attribute(\[.*)?$")
# What could be one of our case numbers or tokens at all; nothing else is looked up.
_NUMBER = re.compile(r"[0-9A-Za-z]{1,16}")
_TOKEN = re.compile(r"[0-9A-Za-z_-]{1,64}")
FIRST_YEAR, LAST_YEAR = 1970, 2100


class Open311Error(Exception):
    """A refusal in GeoReport's terms: the HTTP status and what went wrong (one or several)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


# Services


def service_code_for(path: str) -> str:
    """The code of a taxonomy path; a path outside the taxonomy counts as the fallback's."""
    return spec.SERVICE_CODES.get(path) or spec.SERVICE_CODES[FALLBACK_PATH]


def path_for_code(code: str) -> str | None:
    return _paths_by_code().get(code)


def _paths_by_code() -> dict[str, str]:
    return {code: path for path, code in spec.SERVICE_CODES.items()}


def service_json(category: Category) -> dict[str, Any]:
    examples = "、".join(category.keywords[: spec.SERVICE_EXAMPLES])
    return {
        "service_code": service_code_for(category.path),
        "service_name": category.name,
        "description": spec.SERVICE_DESCRIPTION.format(
            group=category.parent, name=category.name, examples=examples
        ),
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(category.keywords[: spec.SERVICE_KEYWORDS]),
        "group": category.parent,
    }


def service_list() -> list[dict[str, Any]]:
    return [service_json(category) for category in TAXONOMY]


def service_definition(code: str) -> dict[str, Any]:
    """We ask for nothing beyond the common fields, so every definition lists no attributes."""
    if path_for_code(code) is None:
        raise Open311Error(404, f"service_code {code!r} not found; see services.json")
    return {"service_code": code, "attributes": []}


def check_jurisdiction(settings: Settings, given: str | None) -> None:
    """Optional while we serve one jurisdiction; when one is configured, another is a 404."""
    value = (given or "").strip()
    if value and settings.open311_jurisdiction and value != settings.open311_jurisdiction:
        raise Open311Error(
            404,
            f"jurisdiction_id {value[:64]!r} not found; this endpoint serves "
            f"{settings.open311_jurisdiction!r}",
        )


def discovery(base_url: str, settings: Settings) -> dict[str, Any]:
    return {
        "changeset": spec.CHANGESET,
        "contact": spec.DISCOVERY_CONTACT,
        "key_service": spec.DISCOVERY_KEY_SERVICE,
        "endpoints": [
            {
                "specification": spec.SPECIFICATION,
                "url": base_url.rstrip("/") + spec.PATH_PREFIX,
                "changeset": spec.CHANGESET,
                "type": "test" if settings.demo else "production",
                "formats": list(spec.FORMATS),
            }
        ],
    }


# Clients and their keys


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ClientError(ValueError):
    """A client name that cannot be used, or a client that is not there."""


def _client_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or _CONTROL.search(name):
        raise ClientError("a client name is 1 to 64 characters, without control characters")
    return name


async def create_client(name: str, now: datetime) -> tuple[Open311Client, str]:
    """A new client and its key. Only the key's hash is kept: show the key now, once."""
    name = _client_name(name)
    if await Open311Client.exists(name=name):
        raise ClientError(f"an Open311 client called {name!r} exists already")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = await Open311Client.create(name=name, key_hash=hash_key(key), created_at=now)
    logger.info("open311 client %s created (id %s)", name, client.id)
    return client, key


async def revoke_client(name: str) -> tuple[Open311Client, bool]:
    """Stop the client's key from working (its requests and cases stay); whether it worked."""
    client = await Open311Client.get_or_none(name=name.strip())
    if client is None:
        raise ClientError(f"no Open311 client called {name!r}; see `jiesu open311 list`")
    was_active = client.active
    if was_active:
        client.active = False
        await Open311Client.filter(id=client.id).update(active=False)
        logger.info("open311 client %s revoked", client.name)
    return client, was_active


async def client_for_key(key: str, now: datetime) -> Open311Client | None:
    """The active client whose key this is, or None (unknown or revoked)."""
    if not key:
        return None
    client = await Open311Client.get_or_none(key_hash=hash_key(key), active=True)
    if client is None:
        return None
    last = client.last_used_at
    if last is None or (now - last).total_seconds() >= KEY_TOUCH_SECONDS:
        await Open311Client.filter(id=client.id).update(last_used_at=now)
    return client


async def client_summaries() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for client in await Open311Client.all().order_by("id"):
        rows.append(
            {
                "name": client.name,
                "active": client.active,
                "created_at": client.created_at.isoformat(),
                "last_used_at": client.last_used_at.isoformat() if client.last_used_at else None,
                "requests": await Open311Request.filter(client_id=client.id).count(),
            }
        )
    return rows


# A request as a client sends it


@dataclass(frozen=True)
class Submission:
    """POST requests, checked: every text within its limit, the location complete."""

    service_code: str
    path: str
    description: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    media_url: str | None = None

    @property
    def location(self) -> tuple[float, float] | None:
        """``(lng, lat)`` as the understanding takes it."""
        if self.lat is None or self.long is None:
            return None
        return self.long, self.lat


class _Fields:
    """Reads one field at a time and collects every problem, to answer them all at once."""

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        self.fields = fields
        self.problems: list[str] = []

    def given(self, name: str) -> bool:
        """Sent and not empty (the spec: an empty parameter is no parameter)."""
        return any(value.strip() for value in self.fields.get(name, ()))

    def text(self, name: str, limit: int, *, lines: bool = False) -> str | None:
        values = self.fields.get(name, ())
        if len(values) > 1:
            self.problems.append(f"{name} was sent {len(values)} times; send it once")
            return None
        value = values[0].strip() if values else ""
        if not value:
            return None
        if len(value) > limit:
            self.problems.append(f"{name} is longer than {limit} characters")
            return None
        if (_CONTROL_BUT_LINES if lines else _CONTROL).search(value):
            self.problems.append(f"{name} contains control characters")
            return None
        return value

    def number(self, name: str, bound: float) -> float | None:
        raw = self.text(name, 32)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not -bound <= value <= bound:
            self.problems.append(f"{name} must be a number from -{bound:g} to {bound:g} (WGS84)")
            return None
        return value

    def matching(self, name: str, limit: int, pattern: re.Pattern[str], what: str) -> str | None:
        value = self.text(name, limit)
        if value is not None and not pattern.fullmatch(value):
            self.problems.append(f"{name} is not {what}")
            return None
        return value

    def url(self, name: str, limit: int) -> str | None:
        value = self.text(name, limit)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        except ValueError:  # e.g. an unclosed [IPv6 address
            usable = False
        if not usable or " " in value:
            self.problems.append(f"{name} must be an http:// or https:// URL")
            return None
        return value


def parse_submission(fields: Mapping[str, Sequence[str]]) -> Submission:
    """The fields of POST requests (api_key and jurisdiction_id are the edge's), checked."""
    form = _Fields(fields)
    code = form.text("service_code", spec.MAX_SHORT_FIELD)
    path = path_for_code(code) if code else None
    if code is not None and path is None:
        raise Open311Error(404, f"service_code {code[:64]!r} not found; see services.json")
    if not form.given("service_code"):
        form.problems.append("service_code is required; see services.json")
    attributes = sorted(name for name in fields if _ATTRIBUTE.match(name))
    if attributes:
        form.problems.append(
            f"this service takes no attributes (its definition lists none): {attributes[0][:64]}"
        )
    description = form.text("description", spec.MAX_DESCRIPTION, lines=True)
    if not form.given("description"):
        form.problems.append("description is required: say what the problem is")
    lat, long = form.number("lat", 90), form.number("long", 180)
    if form.given("lat") != form.given("long"):
        form.problems.append("lat and long go together: send both, or neither")
    if not any(form.given(name) for name in ("lat", "long", "address_string", "address_id")):
        form.problems.append("a location is required: lat and long, address_string or address_id")
    submission = Submission(
        service_code=code or "",
        path=path or "",
        description=description or "",
        lat=lat,
        long=long,
        address_string=form.text("address_string", spec.MAX_ADDRESS),
        address_id=form.text("address_id", spec.MAX_ADDRESS_ID),
        email=form.matching("email", spec.MAX_EMAIL, _EMAIL, "an email address"),
        first_name=form.text("first_name", spec.MAX_NAME),
        last_name=form.text("last_name", spec.MAX_NAME),
        phone=form.matching("phone", spec.MAX_PHONE, _PHONE, "a phone number"),
        device_id=form.text("device_id", spec.MAX_IDENTIFIER),
        account_id=form.text("account_id", spec.MAX_IDENTIFIER),
        media_url=form.url("media_url", spec.MAX_MEDIA_URL),
    )
    if form.problems:
        raise Open311Error(400, *form.problems)
    return submission


# Filing


@dataclass(frozen=True)
class Filed:
    case: Case | None  # None: held for a dispatcher (a blocked reporter)
    token: str
    service_notice: str | None
    account_id: str | None


def _identity(submission: Submission) -> tuple[str, str] | None:
    """What tells this reporter apart within one client, the most lasting first."""
    phone = submission.phone
    candidates = (
        ("account", submission.account_id),
        ("email", submission.email.lower() if submission.email else None),
        ("phone", re.sub(r"\D", "", phone) if phone else None),
        ("device", submission.device_id),
    )
    return next(((kind, value) for kind, value in candidates if value), None)


def reporter_openid(client: Open311Client, submission: Submission) -> str:
    identity = _identity(submission)
    if identity is None:
        return OPENID_PREFIX + secrets.token_hex(20)
    kind, value = identity
    digest = hashlib.sha256(f"{client.id}\x1f{kind}\x1f{value}".encode()).hexdigest()
    return OPENID_PREFIX + digest[:40]


def _phone(raw: str | None) -> str | None:
    if not raw:
        return None
    found = find_phones(raw)
    return found[0] if len(found) == 1 else raw


def _display_name(submission: Submission) -> str:
    first, last = submission.first_name or "", submission.last_name or ""
    if (first + last).isascii():
        return " ".join(part for part in (first, last) if part)[:64]
    return (last + first)[:64]  # 张 + 三


async def reporter_for(client: Open311Client, submission: Submission) -> Resident:
    """The resident behind this request: found again by their identity, or made now."""
    phone = _phone(submission.phone)
    resident, created = await Resident.get_or_create(
        openid=reporter_openid(client, submission),
        defaults={
            "app": ResidentApp.OPEN311,
            "nickname": _display_name(submission),
            "phone": phone,
        },
    )
    if not created:
        if phone:
            await remember_phone(resident, phone)
        name = _display_name(submission)
        if name and not resident.nickname:
            resident.nickname = name
            await Resident.filter(id=resident.id).update(nickname=name)
    return resident


def names_place(case: Case) -> bool:
    """Whether the case says in words where it is (coordinates alone do not)."""
    return bool(case.place_text or case.street or case.compound or case.address)


def place_words(submission: Submission, ctx: HandlerContext) -> str | None:
    """The place given apart from the description: the address, or the name of our grid."""
    if submission.address_string:
        return submission.address_string
    if submission.address_id:
        entry = ctx.gazetteer.by_code(submission.address_id)
        if entry is None:
            raise Open311Error(
                400,
                f"address_id {submission.address_id!r} is not one of our grid codes; "
                "send lat and long or address_string instead",
            )
        return entry.grid_name
    return None


async def file_request(client: Open311Client, submission: Submission, ctx: HandlerContext) -> Filed:
    """Make the case, route it and keep the request's token. Call inside a transaction."""
    place = place_words(submission, ctx)
    resident = await reporter_for(client, submission)
    # Limits and blocking, as for every resident (a refusal rolls the new reporter back too).
    limited = await case_limit(resident.id, ctx.now, ctx.settings)
    if limited is not None:
        raise Open311Error(
            429,
            f"this reporter has filed {limited.limit} requests within the {limited.window}; "
            f"try again after {w3c(limited.until)}",
        )
    token = secrets.token_urlsafe(18)
    if resident.blocked:
        return await _hold(client, resident, submission, token, ctx)
    attachments = [{"type": "image", "url": submission.media_url}] if submission.media_url else []
    report = await report_case(
        resident,
        submission.description,
        ctx,
        attachments=attachments,
        location=submission.location,
        channel=CHANNEL,
        category=submission.path,
    )
    case = report.case
    routable = CaseStatus(case.status) in (CaseStatus.ACCEPTED, CaseStatus.DISPATCHED)
    if place and routable and not names_place(case):
        await set_place(case, resident, ctx, text=place, location=submission.location)
    await Open311Request.create(
        token=token,
        client_id=client.id,
        case_id=case.id,
        service_code=submission.service_code,
        account_id=submission.account_id or "",
        device_id=submission.device_id or "",
        created_at=ctx.now,
    )
    unit = await Unit.get_or_none(id=case.unit_id) if case.unit_id else None
    original = await _number_of(case.duplicate_of_id)
    logger.info(
        "open311 request filed as case %s by client %s",
        case.number,
        client.name,
        extra={"case": case.number},
    )
    return Filed(case, token, service_notice(case, unit, original), submission.account_id)


async def _hold(
    client: Open311Client,
    resident: Resident,
    submission: Submission,
    token: str,
    ctx: HandlerContext,
) -> Filed:
    """A blocked reporter's request: kept for a dispatcher, answered with its token only.

    GeoReport lets a server answer a token instead of a service_request_id when the request is
    not (yet) a case; ``tokens/{token}`` names the case once a dispatcher releases it
    (``handlers.intake.held_messages.release`` links the request).
    """
    await keep_held(
        resident,
        channel=CHANNEL,
        reason=HeldReason.BLOCKED,
        text=submission.description,
        payload={
            "kind": "open311",
            "token": token,
            "submission": {
                "text": submission.description,
                "category": submission.path,
                "location": (
                    {"lng": submission.location[0], "lat": submission.location[1]}
                    if submission.location
                    else None
                ),
                "address": place_words(submission, ctx),
                "media_url": submission.media_url,
            },
        },
        ctx=ctx,
    )
    await Open311Request.create(
        token=token,
        client_id=client.id,
        case_id=None,
        service_code=submission.service_code,
        account_id=submission.account_id or "",
        device_id=submission.device_id or "",
        created_at=ctx.now,
    )
    logger.info("open311 request by a blocked reporter held (client %s)", client.name)
    return Filed(None, token, None, submission.account_id)


async def _number_of(case_id: int | None) -> str | None:
    if case_id is None:
        return None
    found = await Case.filter(id=case_id).values_list("number", flat=True)
    return str(found[0]) if found else None


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
        "lat": case.lat,
        "long": case.lng,
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


def filed_json(filed: Filed) -> dict[str, Any]:
    """POST requests' answer; the spec: service_notice and account_id "may not be returned"."""
    if filed.case is None:
        body: dict[str, Any] = {"token": filed.token}
    else:
        body = {"service_request_id": filed.case.number}
    if filed.service_notice:
        body["service_notice"] = filed.service_notice
    if filed.account_id:
        body["account_id"] = filed.account_id
    return body


# Querying


@dataclass(frozen=True)
class RequestQuery:
    """GET requests: either some numbers, or a time range with optional filters."""

    numbers: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    statuses: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None


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
    for code in _listed(params, "service_code"):
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
    return RequestQuery(paths=tuple(paths), statuses=frozenset(statuses), start=start, end=end)


async def find_requests(query: RequestQuery) -> list[dict[str, Any]]:
    """The matching requests, newest first, at most the spec's 1000."""
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
    number = await _number_of(row.case_id)
    if number is None:
        return [{"token": row.token}]
    return [{"service_request_id": number, "token": row.token}]
