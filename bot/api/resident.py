"""The mini-program's resident API: JSON over HTTP under ``/api/resident/``, photos at ``/media``.

Sign-in: ``POST session {"code"}`` with ``wx.login``'s code answers our own token (jscode2session
runs server-side; WeChat's session_key stays with us, ``handlers.residents.sessions``). Every
other call sends ``Authorization: Bearer <token>``; a session lasts
``JIESU_RESIDENT_SESSION_DAYS`` after its last use, ``DELETE session`` ends it. Without a
configured mini-program (``JIESU_MINI_APPID`` and ``JIESU_MINI_SECRET``) sign-in answers 503,
except under ``jiesu serve --demo``: there the code ``demo-<name>`` (letters, digits, ``-``,
``_``) signs in the demo resident of that name, so the API can be tried without WeChat (the
phone number, which WeChat encrypts, cannot be verified that way).

Endpoints: ``GET me``; ``POST phone`` (wx.getPhoneNumber's encrypted data); ``POST uploads``
(multipart, one field ``file``: a JPEG, PNG or WebP photo, the type read from its bytes);
``POST cases`` (a new case, idempotent by ``request_id``: see ``handlers.residents.cases``;
``ask`` names the question the knowledge base did not answer); ``POST questions`` and
``POST questions/{ask}/feedback`` (the knowledge base: ``bot.api.resident_questions``);
``GET cases?status=&page=`` (20 a page, newest first); ``GET cases/{number}`` (with its timeline
as residents may see it); ``POST cases/{number}/info`` (more words, photos, or the place when
the answer said ``needs_place``); ``POST cases/{number}/cancel`` (before 签收 only);
``POST cases/{number}/survey`` (满意度评价); ``POST subscriptions`` (what
wx.requestSubscribeMessage answered). ``GET /media/{key}`` (``bot.api.media``) serves a photo
with the resident's token to the resident who uploaded it, and the result photos of their own
case (``result_photos`` of the case detail).

Errors are ``{"error": {"code", "message"}}``: 400 ``invalid_json`` / ``invalid_payload`` /
``invalid_request`` / ``invalid_upload``, 401 ``unauthorized`` / ``invalid_code``, 404
``not_found`` (a case of another resident answers exactly like a number nobody has), 409
``conflict`` / ``illegal_transition`` / ``concurrent_change`` / ``in_progress`` / ``no_survey``,
413 ``too_large``, 415 ``unsupported_type``, 429 ``rate_limited`` (with ``Retry-After``), 500
``failed`` (the submission is kept; retry with the same request_id), 503
``mini_not_configured`` / ``wechat_unavailable``.

A held submission (blocked sender, content check) answers 202 with ``held: true`` and a neutral
text; residents never read why. Phones are masked; no worker's name or phone, no staff note
reaches a resident.

Here: the payloads (their module names the OpenAPI components, ``bot.api.resident_contract``),
the endpoints and :func:`add_resident_routes`. The token check and the wrapper every endpoint runs
in are ``bot.api.resident_auth``; uploads are ``bot.api.resident_photos``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import Field, field_validator, model_validator
from tortoise.transactions import in_transaction

from bot.api.json_api import NO_NUL, ApiError, Payload, error_response, page_of, read_payload
from bot.api.resident_auth import Signed, endpoint, now_of, refusal
from bot.api.resident_photos import upload
from bot.keys import INTAKE, MINI_CLIENT, REQUEST_WINDOW, SETTINGS
from bot.wechat.client import MiniChecker, WeChatApiError, WeChatUnavailable
from config import replies
from config import resident_api as texts
from config.taxonomy import categories_by_path, is_valid_path
from handlers.case_pages import BadView, CaseView
from handlers.clock import iso
from handlers.context import HandlerContext
from handlers.followup.answers import answer_survey
from handlers.intake.content_check import TextChecker
from handlers.intake.rate_limits import RequestWindow
from handlers.knowledge.asks import link_case
from handlers.residents import additions, follow
from handlers.residents import cases as resident_cases
from handlers.residents.cancel import cancel_case
from handlers.residents.media_store import KEY_PATTERN
from handlers.residents.photos import PhotoProblem
from handlers.residents.sessions import UserDataError, demo_login, sign_in, sign_out, verify_phone
from handlers.residents.view import case_detail, me_json, summaries
from models import Case, CaseStatus, IllegalTransition, Resident, Survey
from models.case_status import OPEN_STATUSES, RESIDENT_CANCELLABLE
from nlu import mask_phone

logger = logging.getLogger(__name__)

PREFIX = "/api/resident"
# jscode2session's answers for a code that is not (or no longer) good.
BAD_CODE_ERRCODES = frozenset({40029, 40163, 40226})


# Payloads

Words = Annotated[str, Field(max_length=texts.MAX_TEXT, pattern=NO_NUL)]
MediaKey = Annotated[str, Field(pattern=KEY_PATTERN.pattern)]
TemplateId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


CATEGORY_ENUM: dict[str, Any] = {"enum": sorted(categories_by_path())}
MAX_ID = 10**18 - 1  # ids are BIGINT


class SessionIn(Payload):
    code: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")


class PhoneIn(Payload):
    encrypted_data: str = Field(min_length=4, max_length=8192, pattern=r"^[A-Za-z0-9+/=\s]+$")
    iv: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9+/=]+$")


class LocationIn(Payload):
    # Finite, on the globe (json.loads reads NaN and Infinity; NaN is no JSON to answer with).
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    address: str | None = Field(default=None, max_length=128, pattern=NO_NUL)


class ContactIn(Payload):
    name: str | None = Field(default=None, max_length=32, pattern=NO_NUL)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 -]{4,30}$")


class CaseIn(Payload):
    request_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{8,64}$", description="a UUID the client made for this submission"
    )
    text: Words = Field(min_length=1)
    category: str | None = Field(
        default=None,
        description="a taxonomy path the resident picked",
        json_schema_extra=CATEGORY_ENUM,
    )
    location: LocationIn | None = None
    photos: list[MediaKey] = Field(default_factory=list, max_length=texts.MAX_PHOTOS)
    contact: ContactIn | None = None
    anonymous: bool = False
    ask: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="the question POST questions did not answer, which this case takes up",
    )

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_path(value):
            raise ValueError("not a category of the taxonomy")
        return value


class QuestionIn(Payload):
    text: Words = Field(min_length=1)


class FeedbackIn(Payload):
    solved: bool = Field(description="true: 解决了; false: 没解决, make a case of the question")


class SuggestionIn(Payload):
    """The suggestion form (我有建议): ``bot.api.resident_suggestions``."""

    request_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{8,64}$", description="a UUID the client made for this submission"
    )
    text: Words = Field(min_length=1)
    photos: list[MediaKey] = Field(default_factory=list, max_length=texts.MAX_PHOTOS)
    call: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{2,32}$", description="a themed call's code"
    )
    consent_publish: bool = Field(default=False, description="may be published if adopted")
    credit_name: str = Field(
        default="", max_length=32, pattern=NO_NUL, description="how to be credited; empty: 匿名"
    )


class InfoIn(Payload):
    text: Words = ""
    photos: list[MediaKey] = Field(default_factory=list, max_length=texts.MAX_PHOTOS)
    location: LocationIn | None = Field(default=None, description="the place, if it was missing")

    @model_validator(mode="after")
    def _something(self) -> InfoIn:
        if not self.text and not self.photos and self.location is None:
            raise ValueError(texts.NOTHING_TO_ADD)
        return self


class SurveyIn(Payload):
    answer: Literal["satisfied", "basic", "basically", "unsatisfied"]
    comment: str = Field(default="", max_length=500, pattern=NO_NUL)


class SubscriptionsIn(Payload):
    choices: dict[TemplateId, Literal["accept", "reject", "ban", "filter"]] = Field(
        max_length=20,
        description="wx.requestSubscribeMessage's answer: template id -> accept | reject "
        "(ban and filter are not consent; errMsg is ignored)",
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_err_msg(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("choices"), dict):
            data = {**data, "choices": {k: v for k, v in data["choices"].items() if k != "errMsg"}}
        return data


class EmptyIn(Payload):
    pass


Worded = TypeVar("Worded", CaseIn, InfoIn, QuestionIn, SuggestionIn)


async def read_words(request: web.Request, model: type[Worded]) -> Worded:
    """The payload, with words over JIESU_MESSAGE_MAX_CHARS (at most MAX_TEXT) refused plainly."""
    limit = min(texts.MAX_TEXT, request.app[SETTINGS].message_max_chars)
    refused = texts.TEXT_TOO_LONG.format(limit=limit)
    try:
        body = await read_payload(request, model)
    except ApiError as error:
        problems = error.extra.get("problems", [])
        if any(p["field"] == "text" and "at most" in p["problem"] for p in problems):
            raise ApiError(400, error.code, refused, **error.extra) from None
        raise
    if len(body.text) > limit:
        problem = {"field": "text", "problem": f"String should have at most {limit} characters"}
        raise ApiError(400, "invalid_payload", refused, problems=[problem])
    return body


# What every endpoint may ask of its request (signing in and the wrapper: bot.api.resident_auth)


async def context(request: web.Request) -> HandlerContext:
    return await request.app[INTAKE].context()


def checker_of(request: web.Request) -> TextChecker | None:
    client = request.app.get(MINI_CLIENT)
    return MiniChecker(client) if client is not None else None


# What residents read: handlers.residents.view

ANSWER_OF_RESIDENT = {"basic": "basically"}  # the API's short word for the survey's answer


def may_exist(number: str) -> bool:
    return 0 < len(number) <= 16 and "\x00" not in number


async def own_case(request: web.Request, resident: Resident) -> Case:
    """The resident's case by number; another's answers exactly like one that does not exist."""
    number = request.match_info["number"]
    case = (
        await Case.get_or_none(number=number, resident_id=resident.id)
        if may_exist(number)
        else None
    )
    if case is None:
        raise ApiError(404, "not_found", texts.NOT_FOUND)
    return case


def _statuses(request: web.Request) -> list[str] | None:
    """``status``: empty or ``all`` (every case), ``open``, ``closed``, or a comma list."""
    raw = request.query.get("status", "").strip()
    if raw in ("", "all"):
        return None
    chosen: set[str] = set()
    for part in raw.split(","):
        part = part.strip()
        if part == "open":
            chosen.update(s.value for s in OPEN_STATUSES)
        elif part == "closed":
            chosen.update(s.value for s in CaseStatus if s not in OPEN_STATUSES)
        elif part in {s.value for s in CaseStatus}:
            chosen.add(part)
        else:
            known = ", ".join(s.value for s in CaseStatus)
            raise ApiError(400, "invalid_request", f"未知的状态；可用：all, open, closed, {known}")
    return sorted(chosen)


# Endpoints: signing in


async def open_session(request: web.Request) -> web.Response:
    try:
        body = await read_payload(request, SessionIn)
        settings = request.app[SETTINGS]
        client = request.app.get(MINI_CLIENT)
        if client is not None:
            try:
                login: Any = await client.code_to_session(body.code)
            except WeChatUnavailable as exc:
                logger.warning("jscode2session unavailable: %s", exc)
                raise ApiError(503, "wechat_unavailable", texts.WECHAT_UNAVAILABLE) from None
            except WeChatApiError as exc:
                if exc.errcode in BAD_CODE_ERRCODES:
                    raise ApiError(401, "invalid_code", texts.INVALID_CODE) from None
                logger.error("jscode2session refused: %s", exc)
                raise ApiError(503, "wechat_unavailable", texts.WECHAT_UNAVAILABLE) from None
        elif settings.demo:
            login = demo_login(body.code)
            if login is None:
                raise ApiError(401, "invalid_code", texts.DEMO_CODE_HINT)
        else:
            raise ApiError(503, "mini_not_configured", texts.MINI_NOT_CONFIGURED)
        new = await sign_in(login, now_of(request), settings)
    except ApiError as error:
        return refusal(error)
    return web.json_response(
        {
            "token": new.token,
            "expires_at": iso(new.session.expires_at),
            "resident": me_json(new.resident),
        },
        status=201,
    )


async def close_session(request: web.Request, signed: Signed) -> web.Response:
    await sign_out(signed.session, now_of(request))
    return web.json_response({"signed_out": True, "message": texts.SIGNED_OUT})


async def me(request: web.Request, signed: Signed) -> web.Response:
    return web.json_response(me_json(signed.resident))


async def phone(request: web.Request, signed: Signed) -> web.Response:
    body = await read_payload(request, PhoneIn)
    appid = request.app[SETTINGS].mini_appid
    try:
        number = await verify_phone(
            signed.session, signed.resident, body.encrypted_data, body.iv, appid
        )
    except UserDataError as exc:
        logger.info("resident %s: phone data refused (%s)", signed.resident.id, exc)
        raise ApiError(400, "invalid_request", texts.PHONE_UNREADABLE) from None
    return web.json_response({"phone": mask_phone(number)})


async def subscriptions(request: web.Request, signed: Signed) -> web.Response:
    body = await read_payload(request, SubscriptionsIn)
    choices: dict[str, str] = {k: v for k, v in body.choices.items() if v in ("accept", "reject")}
    if choices:
        await follow.record_subscribe_consent(signed.resident, choices)
    return web.json_response({"consents": dict(signed.resident.consent_subscribe or {})})


# Endpoints: cases


async def submit(request: web.Request, signed: Signed) -> web.Response:
    body = await read_words(request, CaseIn)
    data = body.model_dump(exclude_none=True, exclude={"request_id", "ask"})
    return await take_submission(request, signed, body.request_id, data, ask=body.ask)


async def take_submission(
    request: web.Request,
    signed: Signed,
    request_id: str,
    data: dict[str, Any],
    kind: str = resident_cases.CASE,
    ask: int | None = None,
) -> web.Response:
    """A case's (or the suggestion form's) submission, exactly once, as its JSON answer;
    ``ask``: the resident's question the knowledge base did not answer, linked to the case."""
    intake = request.app[INTAKE]
    ctx = await intake.context()
    try:
        answer = await resident_cases.submit(
            signed.resident,
            request_id,
            data,
            ctx,
            checker_of(request),
            held_reply=replies.HELD_RECEIVED,
            kind=kind,
        )
    except resident_cases.SubmissionBusy:
        raise ApiError(409, "in_progress", texts.BUSY) from None
    except (PhotoProblem, resident_cases.RateLimited):
        raise
    except Exception:
        # Logged and kept by the handler: the same request_id runs it again.
        return error_response(500, "failed", texts.FAILED)
    if answer.created_case and answer.case_id is not None:
        intake.start_refinement(answer.case_id)  # committed; the answer does not wait for it
    # The question the knowledge base did not answer goes on to this case (the resident's own).
    await link_case(ask, answer.case_id, resident_id=signed.resident.id)
    return web.json_response(answer.body, status=answer.status)


async def my_cases(request: web.Request, signed: Signed) -> web.Response:
    page = page_of(request, texts.MAX_PAGE)
    statuses = _statuses(request)
    query = Case.filter(resident_id=signed.resident.id)
    if statuses is not None:
        query = query.filter(status__in=statuses)
    total = await query.count()
    size = texts.PAGE_SIZE
    cases = await query.order_by("-created_at", "-id").offset((page - 1) * size).limit(size)
    return web.json_response(
        {
            "cases": await summaries(cases),
            "page": page,
            "page_size": size,
            "total": total,
            "has_more": page * size < total,
        }
    )


async def one_case(request: web.Request, signed: Signed) -> web.Response:
    try:
        view = CaseView.of(request.query)
    except BadView as problem:
        raise ApiError(400, "invalid_request", str(problem)) from None
    case = await own_case(request, signed.resident)
    return web.json_response(await case_detail(case, view))


async def add_info(request: web.Request, signed: Signed) -> web.Response:
    body = await read_words(request, InfoIn)
    case = await own_case(request, signed.resident)
    addition = additions.Addition(
        text=body.text,
        photos=tuple(dict.fromkeys(body.photos)),
        lng=body.location.lng if body.location else None,
        lat=body.location.lat if body.location else None,
        address=body.location.address if body.location else None,
    )
    try:
        reply, held = await additions.add_to_case(
            case,
            signed.resident,
            addition,
            await context(request),
            checker_of(request),
            held_reply=replies.HELD_RECEIVED,
        )
    except additions.CaseClosed:
        status = CaseStatus(case.status)
        raise ApiError(
            409, "conflict", texts.CASE_CLOSED.format(number=case.number, status=status.label)
        ) from None
    except additions.CaseFull as full:
        raise ApiError(409, "conflict", str(full)) from None
    await case.refresh_from_db()
    return web.json_response(
        {"reply": reply, "held": held, "case": await case_detail(case)}, status=202 if held else 200
    )


async def cancel(request: web.Request, signed: Signed) -> web.Response:
    await read_payload(request, EmptyIn)
    case = await own_case(request, signed.resident)
    status = CaseStatus(case.status)
    if status is not CaseStatus.CANCELLED and status not in RESIDENT_CANCELLABLE:
        raise ApiError(
            409,
            "illegal_transition",
            replies.CANNOT_CANCEL.format(number=case.number, status=status.label),
        )
    try:
        async with in_transaction():
            reply = await cancel_case(signed.resident, case.number, now_of(request))
    except IllegalTransition:  # signed meanwhile
        await case.refresh_from_db()
        status = CaseStatus(case.status)
        raise ApiError(
            409,
            "illegal_transition",
            replies.CANNOT_CANCEL.format(number=case.number, status=status.label),
        ) from None
    await case.refresh_from_db()
    return web.json_response({"reply": reply, "case": await case_detail(case)})


async def survey(request: web.Request, signed: Signed) -> web.Response:
    body = await read_payload(request, SurveyIn)
    case = await own_case(request, signed.resident)
    round_ = await Survey.filter(case_id=case.id).order_by("-round").first()
    if round_ is None:
        raise ApiError(409, "no_survey", texts.NO_SURVEY.format(number=case.number))
    answer = ANSWER_OF_RESIDENT.get(body.answer, body.answer)
    reply = await answer_survey(
        round_, answer, body.comment, await context(request), source="miniprogram"
    )
    await case.refresh_from_db()
    return web.json_response({"reply": reply, "case": await case_detail(case)})


def add_resident_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[REQUEST_WINDOW] = RequestWindow(settings.resident_requests_per_minute)
    router = app.router
    router.add_post(f"{PREFIX}/session", open_session)
    router.add_delete(f"{PREFIX}/session", endpoint(close_session))
    router.add_get(f"{PREFIX}/me", endpoint(me))
    router.add_post(f"{PREFIX}/phone", endpoint(phone))
    router.add_post(f"{PREFIX}/subscriptions", endpoint(subscriptions))
    router.add_post(f"{PREFIX}/uploads", endpoint(upload))
    router.add_post(f"{PREFIX}/cases", endpoint(submit))
    router.add_get(f"{PREFIX}/cases", endpoint(my_cases))
    router.add_get(f"{PREFIX}/cases/{{number}}", endpoint(one_case))
    router.add_post(f"{PREFIX}/cases/{{number}}/info", endpoint(add_info))
    router.add_post(f"{PREFIX}/cases/{{number}}/cancel", endpoint(cancel))
    router.add_post(f"{PREFIX}/cases/{{number}}/survey", endpoint(survey))
