"""The suggestion office's and the departments' steps as JSON (``bot.api.admin_suggestions``).

Each route checks the account (401, 403), finds a suggestion it may see (404 otherwise, the same
as no such number), reads the body strictly (400 with the problems, nothing changed), takes the
step through ``handlers.suggestions`` and answers the suggestion as ``GET`` shows it. A step
not allowed from where the suggestion stands, or taken by somebody else in the same moment, is
409 (``illegal_transition``, ``concurrent_change``, ``conflict``, ``unchanged``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field

from bot.api.json_api import NO_NUL, ApiError, Payload, error_response, read_payload
from bot.api.staff_auth import StaffContext, require_staff
from bot.keys import INTAKE
from config import suggestion_office as texts
from handlers.context import HandlerContext
from handlers.suggestions import office
from handlers.suggestions.access import (
    SuggestionHidden,
    SuggestionRefused,
    visible_suggestion,
)
from handlers.suggestions.adoption import adopt
from handlers.suggestions.conversion import convert_to_case, from_case
from handlers.suggestions.departments import answer
from handlers.workflow.staff_actions import CaseHidden, visible_case
from models import Case, Suggestion

CASE_NOT_FOUND = "没有这个编号的诉求，或不在您的账号可查看的范围内"


class AskIn(Payload):
    question: str = Field(min_length=1, max_length=texts.MAX_REASON, pattern=NO_NUL)


class MergeIn(Payload):
    target: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z]{2}[0-9]{1,30}$")
    note: str = Field(default="", max_length=texts.MAX_REASON, pattern=NO_NUL)


class DeclineIn(Payload):
    reason: str = Field(min_length=1, max_length=texts.MAX_REASON, pattern=NO_NUL)


class NoteIn(Payload):
    note: str = Field(default="", max_length=texts.MAX_REASON, pattern=NO_NUL)


class AdoptIn(Payload):
    units: list[Annotated[str, Field(min_length=1, max_length=32, pattern=NO_NUL)]] = Field(
        min_length=1, max_length=texts.MAX_UNITS
    )
    note: str = Field(default="", max_length=texts.MAX_REASON, pattern=NO_NUL)


class ForwardIn(Payload):
    reference: str = Field(default="", max_length=texts.MAX_REFERENCE, pattern=NO_NUL)
    note: str = Field(default="", max_length=texts.MAX_REASON, pattern=NO_NUL)


class InstructionIn(Payload):
    text: str = Field(min_length=1, max_length=texts.MAX_ANSWER, pattern=NO_NUL)


class ImplementedIn(Payload):
    result: str = Field(min_length=1, max_length=texts.MAX_ANSWER, pattern=NO_NUL)


class AttachmentIn(Payload):
    url: str = Field(default="", max_length=500, pattern=NO_NUL)
    media_key: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_-]*$")
    title: str = Field(default="", max_length=64, pattern=NO_NUL)


class AnswerIn(Payload):
    kind: Literal["policy", "project", "fix", "not_now"]
    answer: str = Field(min_length=1, max_length=texts.MAX_ANSWER, pattern=NO_NUL)
    date: dt.date | None = Field(default=None, strict=False)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=texts.MAX_ATTACHMENTS)


Shown = Callable[[web.Request, Suggestion], Awaitable[dict[str, Any]]]
Step = Callable[[web.Request, StaffContext, Suggestion, HandlerContext], Awaitable[Any]]


def refused(error: SuggestionRefused) -> web.Response:
    return error_response(error.status, error.code, error.message)


def not_found() -> web.Response:
    return error_response(404, "not_found", texts.NOT_FOUND)


def suggestion_step(
    capability: str, step: Step, shown: Shown
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Check the account, find the suggestion, take the step, answer the suggestion."""

    async def run(request: web.Request) -> web.Response:
        staff = await require_staff(request, capability)
        try:
            suggestion = await visible_suggestion(staff.user, request.match_info["number"])
            ctx = await request.app[INTAKE].context()
            extra = await step(request, staff, suggestion, ctx)
        except SuggestionHidden:
            return not_found()
        except SuggestionRefused as error:
            return refused(error)
        except ApiError as error:
            return error_response(error.status, error.code, error.message, **error.extra)
        await suggestion.refresh_from_db()
        body = {"suggestion": await shown(request, suggestion)}
        if isinstance(extra, dict):
            body.update(extra)
        return web.json_response(body)

    return run


async def _ask(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, AskIn)
    await office.ask(x, body.question, s.user, s.actor, ctx)


async def _merge(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, MergeIn)
    await office.merge(x, body.target, body.note, s.user, s.actor, ctx)


async def _decline(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, DeclineIn)
    await office.decline(x, body.reason, s.user, s.actor, ctx)


async def _reconsider(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, NoteIn)
    await office.reconsider(x, body.note, s.user, s.actor, ctx)


async def _adopt(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, AdoptIn)
    await adopt(x, body.units, body.note, s.user, s.actor, ctx)


async def _forward(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, ForwardIn)
    await office.forward(x, body.reference, body.note, s.user, s.actor, ctx)


async def _instruct(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, InstructionIn)
    await office.instruct(x, body.text, s.user, s.actor, ctx)


async def _implemented(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, ImplementedIn)
    await office.implemented(x, body.result, s.user, s.actor, ctx)


async def _convert(
    r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext
) -> dict[str, Any]:
    body = await read_payload(r, NoteIn)
    case = await convert_to_case(x, body.note, s.user, s.actor, ctx)
    return {"case": case.number}


async def _answer(r: web.Request, s: StaffContext, x: Suggestion, ctx: HandlerContext) -> None:
    body = await read_payload(r, AnswerIn)
    items = [
        {k: v for k, v in a.model_dump().items() if v != "" or k == "title"}
        for a in body.attachments
    ]
    unit = r.match_info["unit_code"]
    try:
        await answer(x, unit, body.kind, body.answer, body.date, items, s.user, s.actor, ctx)
    except SuggestionHidden:
        raise ApiError(404, "not_found", texts.NOT_ADOPTED_FOR) from None


def to_suggestion(shown: Shown) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``POST /api/admin/cases/{number}/to-suggestion``: staff turn a case into a suggestion."""

    async def run(request: web.Request) -> web.Response:
        staff = await require_staff(request, "suggestions.convert")
        try:
            number = request.match_info["number"]
            if "\x00" in number:
                raise CaseHidden(number)
            case: Case = await visible_case(staff.user, number)
            body = await read_payload(request, NoteIn)
            ctx = await request.app[INTAKE].context()
            made = await from_case(case, body.note, staff.user, staff.actor, ctx)
        except CaseHidden:
            return error_response(404, "not_found", CASE_NOT_FOUND)
        except SuggestionRefused as error:
            return refused(error)
        except ApiError as error:
            return error_response(error.status, error.code, error.message, **error.extra)
        return web.json_response({"suggestion": await shown(request, made)}, status=201)

    return run


# (path, capability, step, what it does) for the contract and the routes.
STEPS: tuple[tuple[str, str, Step, type[Payload], str], ...] = (
    ("ask", "suggestions.screen", _ask, AskIn, "请补充: ask the proposer for more (told)"),
    ("merge", "suggestions.screen", _merge, MergeIn, "合并 into a similar suggestion (told)"),
    ("decline", "suggestions.screen", _decline, DeclineIn, "不予采纳 with a reason (told)"),
    ("reconsider", "suggestions.screen", _reconsider, NoteIn, "重新研究 a declined one"),
    ("adopt", "suggestions.screen", _adopt, AdoptIn, "采纳 for departments, by unit code"),
    ("forward", "suggestions.screen", _forward, ForwardIn, "报送市级 (after adoption: a flag)"),
    ("instruction", "suggestions.screen", _instruct, InstructionIn, "批示 recorded"),
    ("implemented", "suggestions.screen", _implemented, ImplementedIn, "落地 recorded (told)"),
    ("convert", "suggestions.convert", _convert, NoteIn, "转为诉求: make a case of it (told)"),
)
ANSWER_PATH = "adoptions/{unit_code}/answer"
ANSWER_STEP: Step = _answer
