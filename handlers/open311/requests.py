"""A request as a client files it: the fields of POST requests, checked, and the case made of them.

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
- A blocked reporter's request is held for a dispatcher and answered with its token only.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from config import open311 as spec
from handlers.context import HandlerContext
from handlers.digits import DECIMAL_CHARS, decimal_number
from handlers.intake.detail import set_place
from handlers.intake.rate_limits import case_limit
from handlers.intake.report import report_case
from handlers.open311.common import CHANNEL, CONTROL, Open311Error
from handlers.open311.public import number_of, service_notice, w3c
from handlers.open311.services import path_for_code
from handlers.open311.suggestions import file_suggestion, suggestion_json, token_for
from handlers.residents.cases import keep_held
from handlers.residents.records import remember_phone
from handlers.suggestions.records import next_number
from models import (
    Case,
    CaseStatus,
    HeldReason,
    Open311Client,
    Open311Request,
    Resident,
    ResidentApp,
    Unit,
)
from nlu import find_phones

logger = logging.getLogger(__name__)

OPENID_PREFIX = "o311:"

_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{2,31}")
_ATTRIBUTE = re.compile(r"^attribute(\[.*)?$")


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
    def is_suggestion(self) -> bool:
        """A request to the suggestion service: a suggestion, not a case."""
        return self.service_code == spec.SUGGESTION_SERVICE_CODE

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
        if (_CONTROL_BUT_LINES if lines else CONTROL).search(value):
            self.problems.append(f"{name} contains control characters")
            return None
        return value

    def number(self, name: str, bound: float) -> float | None:
        """A plain ASCII decimal within ``bound``: ``float`` would also take "nan", "1e1",
        "3_1" and full-width digits (handlers.digits)."""
        raw = self.text(name, DECIMAL_CHARS)
        if raw is None:
            return None
        value = decimal_number(raw)
        if value is None or not -bound <= value <= bound:
            self.problems.append(
                f"{name} must be a number from -{bound:g} to {bound:g} (WGS84), "
                "in ASCII digits with an optional decimal point"
            )
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
    if code == spec.SUGGESTION_SERVICE_CODE:
        path = ""  # no category: the suggestion office reads it (handlers.open311.suggestions)
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
    case: Case | None  # None: held for a dispatcher (a blocked reporter), or a suggestion
    token: str
    service_notice: str | None
    account_id: str | None
    suggestion: str | None = None  # the suggestion's number, for the suggestion service


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
    limited = await case_limit(resident.id, ctx.now, ctx.settings, text=submission.description)
    if limited is not None:
        raise Open311Error(
            429,
            f"this reporter has filed {limited.limit} requests within the {limited.window}; "
            f"try again after {w3c(limited.until)}",
        )
    token = secrets.token_urlsafe(18)
    if resident.blocked:
        return await _hold(client, resident, submission, token, ctx)
    if submission.is_suggestion:
        return await _suggest(client, resident, submission, place, ctx)
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
    original = await number_of(case.duplicate_of_id)
    logger.info(
        "open311 request filed as case %s by client %s",
        case.number,
        client.name,
        extra={"case": case.number},
    )
    return Filed(case, token, service_notice(case, unit, original), submission.account_id)


async def _suggest(
    client: Open311Client,
    resident: Resident,
    submission: Submission,
    place: str | None,
    ctx: HandlerContext,
) -> Filed:
    suggestion = await file_suggestion(
        resident,
        submission.description,
        ctx,
        location=submission.location,
        place=place,
        media_url=submission.media_url,
    )
    token = token_for(suggestion.number)
    await Open311Request.create(
        token=token,
        client_id=client.id,
        case_id=None,
        service_code=submission.service_code,
        account_id=submission.account_id or "",
        device_id=submission.device_id or "",
        created_at=ctx.now,
    )
    logger.info("open311 request filed as suggestion %s by %s", suggestion.number, client.name)
    notice = suggestion_json(suggestion)["service_notice"]
    return Filed(None, token, notice, submission.account_id, suggestion=suggestion.number)


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
    (``handlers.intake.held_messages.release`` links the request). A request to the suggestion
    service keeps the suggestion number it will have, and its token starts with it.
    """
    reserved: dict[str, str] = {}
    if submission.is_suggestion:  # the number it will have; its token names it (tokens/{token})
        number = await next_number(ctx.now)
        token = token_for(number)
        reserved = {"service_code": spec.SUGGESTION_SERVICE_CODE, "number": number}
    await keep_held(
        resident,
        channel=CHANNEL,
        reason=HeldReason.BLOCKED,
        text=submission.description,
        payload={
            "kind": "open311",
            **reserved,
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


def filed_json(filed: Filed) -> dict[str, Any]:
    """POST requests' answer; the spec: service_notice and account_id "may not be returned"."""
    number = filed.case.number if filed.case is not None else filed.suggestion
    if number is None:
        body: dict[str, Any] = {"token": filed.token}
    else:
        body = {"service_request_id": number}
    if filed.service_notice:
        body["service_notice"] = filed.service_notice
    if filed.account_id:
        body["account_id"] = filed.account_id
    return body
