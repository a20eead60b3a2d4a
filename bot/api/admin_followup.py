"""The admin API for 回访 by every channel and the field visits (四不两直) on 不满意.

- ``GET /api/admin/cases/{number}/followup``: the case's survey rounds (answer, channel, who
  recorded it) and its field-visit tasks.
- ``POST /api/admin/cases/{number}/survey-answers``
  ``{"answer": "satisfied|basically|unsatisfied", "channel": "phone|visit|other|wechat",
  "note": "", "answered_at": "2026-03-02T10:00:00+08:00"}``: an answer staff took by phone or
  face to face (``surveys.record``). It answers the case's open round, or makes one; an answered
  round is never overwritten (409 ``conflict``). ``answered_at`` defaults to now, may not be in
  the future nor before 办结.
- ``POST /api/admin/cases/{number}/field-visits/{visit_id}/outcome``
  ``{"outcome": "rectified|unrectifiable", "text": "...", "photos": ["<media key>"]}``: the
  field visit's outcome (``field_visits.record``); once only (409 ``conflict``).
- ``GET /api/admin/field-visits?status=open|done&page=``: the tasks of the cases the account
  may see, earliest deadline first, 50 a page.

Errors as the other admin APIs (``bot.api.admin_cases``); a case the account may not see is 404.
Every action is audited in its transaction (``survey.record``, ``field_visit.record``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import Field

from bot.api.admin_cases import NOT_FOUND, Action, case_action, read_payload, visible_case
from bot.api.json_api import Payload
from bot.api.openapi import (
    BOOLEAN,
    DATETIME,
    INTEGER,
    NUMBER_PARAM,
    STAFF_AUTH,
    STRING,
    Component,
    Operation,
    Param,
    Response,
    array,
    error,
    nullable,
    obj,
    one_of_values,
    too_large,
)
from bot.api.staff_auth import StaffContext, error_json, require_staff
from bot.keys import CLOCK, INTAKE
from handlers.followup.field_visits import MAX_PHOTOS, OUTCOME_LABELS, record_field_visit
from handlers.followup.followup_views import case_followup, visible_field_visits
from handlers.followup.staff_answers import MAX_NOTE, record_staff_answer
from handlers.workflow.actions import MAX_TEXT
from handlers.workflow.staff_actions import CaseHidden
from models import Case, FieldVisitStatus, SurveyStatus

PREFIX = "/api/admin/cases"
VISITS = "/api/admin/field-visits"
PAGE_SIZE = 50
MAX_PAGE = 10_000


class SurveyAnswerIn(Payload):
    answer: str = Field(
        min_length=1, max_length=16, description="satisfied, basically, unsatisfied"
    )
    channel: str = Field(min_length=1, max_length=16, description="phone, visit, other or wechat")
    note: str = Field(default="", max_length=MAX_NOTE)
    answered_at: str = Field(
        default="", max_length=40, description="ISO 8601 with offset; empty: now"
    )


class OutcomeIn(Payload):
    outcome: str = Field(min_length=1, max_length=16, description="rectified or unrectifiable")
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    photos: list[Annotated[str, Field(max_length=80)]] = Field(
        default_factory=list, max_length=MAX_PHOTOS, description="/media keys of photos"
    )


def _when(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise error_json(
            web.HTTPBadRequest, "invalid_request", "answered_at 须为带时区的 ISO 8601 时间"
        ) from None
    if when.tzinfo is None:
        raise error_json(web.HTTPBadRequest, "invalid_request", "answered_at 须带时区")
    return when


def followup_action(
    capability: str, action: Action
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Check the account, find the case, run the action, answer the case's 回访 and visits."""
    return case_action(capability, action, answer=case_followup)


async def _answer(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, SurveyAnswerIn)
    when = _when(body.answered_at)
    ctx = await request.app[INTAKE].context()
    await record_staff_answer(
        case, body.answer, body.channel, body.note, when, staff.user, staff.actor, ctx
    )


async def _outcome(request: web.Request, staff: StaffContext, case: Case) -> None:
    raw_id = request.match_info["visit_id"]
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18):
        raise error_json(web.HTTPNotFound, "not_found", "没有这项实地核查")
    body = await read_payload(request, OutcomeIn)
    ctx = await request.app[INTAKE].context()
    await record_field_visit(
        case, int(raw_id), body.outcome, body.text, body.photos, staff.user, staff.actor, ctx
    )


async def get_followup(request: web.Request) -> web.Response:
    staff = await require_staff(request, "cases.read")
    try:
        case = await visible_case(staff.user, request.match_info["number"])
    except CaseHidden:
        raise error_json(web.HTTPNotFound, "not_found", NOT_FOUND) from None
    return web.json_response(await case_followup(case, request.app[CLOCK].now()))


async def list_field_visits(request: web.Request) -> web.Response:
    staff = await require_staff(request, "cases.read")
    status = request.query.get("status", "")
    if status not in ("", *(s.value for s in FieldVisitStatus)):
        raise error_json(web.HTTPBadRequest, "invalid_request", "status 只能是 open 或 done")
    raw_page = request.query.get("page", "1")
    if not (raw_page.isascii() and raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE):
        raise error_json(web.HTTPBadRequest, "invalid_request", "page 须为 1 到 10000 的整数")
    now = request.app[CLOCK].now()
    found = await visible_field_visits(staff.user, status, int(raw_page), PAGE_SIZE, now)
    return web.json_response(found)


# The contract (bot.api.openapi)

FIELD_VISIT = Component(
    "FieldVisit",
    obj(
        {
            "id": INTEGER,
            "case": STRING,
            "task": STRING,
            "status": one_of_values(s.value for s in FieldVisitStatus),
            "assignee": STRING,
            "assignee_worker_id": nullable(INTEGER),
            "due_at": DATETIME,
            "overdue": BOOLEAN,
            "supervised": BOOLEAN,
            "outcome": {"type": "string", "enum": ["", *OUTCOME_LABELS]},
            "outcome_label": STRING,
            "outcome_text": STRING,
            "photos": array(STRING),
            "recorded_by": STRING,
            "recorded_at": nullable(DATETIME),
            "created_at": DATETIME,
        }
    ),
)
SURVEY_ROUND = obj(
    {
        "id": INTEGER,
        "round": INTEGER,
        "status": one_of_values(s.value for s in SurveyStatus),
        "answer": nullable(STRING),
        "answer_label": STRING,
        "comment": STRING,
        "channel": STRING,
        "channel_label": STRING,
        "source": STRING,
        "recorded_by": STRING,
        "answered_at": nullable(DATETIME),
        "late": BOOLEAN,
    }
)
FOLLOWUP = Response(
    "the case's survey rounds and field visits",
    obj(
        {
            "case": STRING,
            "status": STRING,
            "supervised": BOOLEAN,
            "surveys": array(SURVEY_ROUND),
            "field_visits": array(FIELD_VISIT),
        }
    ),
)
_TAG = "admin 回访"
_401 = error("unauthorized: not signed in, and no valid API token")
_404 = error("not_found: no such case (or task), or one the account may not see")
_ACTION_RESPONSES = {
    200: FOLLOWUP,
    400: error("invalid_json, invalid_payload or invalid_request (the message says which)"),
    401: _401,
    403: error("forbidden: the role may not do this; csrf: a session without X-CSRF-Token"),
    404: _404,
    409: error("conflict (already answered / reported) or illegal_transition (not 办结)"),
    413: too_large(),
}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        f"{PREFIX}/{{number}}/followup",
        "A case's survey rounds (with the channel of each answer) and field visits",
        _TAG,
        {200: FOLLOWUP, 401: _401, 404: _404},
        auth=STAFF_AUTH,
        params=(NUMBER_PARAM,),
    ),
    Operation(
        "POST",
        f"{PREFIX}/{{number}}/survey-answers",
        "回访: record an answer taken by phone or face to face; never overwrites an answer",
        _TAG,
        _ACTION_RESPONSES,
        auth=STAFF_AUTH,
        params=(NUMBER_PARAM,),
        body=SurveyAnswerIn,
    ),
    Operation(
        "POST",
        f"{PREFIX}/{{number}}/field-visits/{{visit_id}}/outcome",
        "四不两直: record a field visit's outcome (已整改 / 无法整改), once",
        _TAG,
        _ACTION_RESPONSES,
        auth=STAFF_AUTH,
        params=(NUMBER_PARAM, Param("visit_id", "path", {"type": "integer", "minimum": 1})),
        body=OutcomeIn,
    ),
    Operation(
        "GET",
        VISITS,
        "Field visits of the cases the account may see, earliest deadline first, 50 a page",
        _TAG,
        {
            200: Response(
                "one page",
                obj(
                    {
                        "field_visits": array(FIELD_VISIT),
                        "total": INTEGER,
                        "page": INTEGER,
                        "pages": INTEGER,
                    }
                ),
            ),
            400: error("invalid_request: status or page cannot be used"),
            401: _401,
        },
        auth=STAFF_AUTH,
        params=(
            Param("status", "query", {"type": "string", "enum": ["", "open", "done"]}),
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        ),
    ),
)


def add_followup_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/{{number}}/followup", get_followup)
    app.router.add_post(
        f"{PREFIX}/{{number}}/survey-answers", followup_action("surveys.record", _answer)
    )
    app.router.add_post(
        f"{PREFIX}/{{number}}/field-visits/{{visit_id}}/outcome",
        followup_action("field_visits.record", _outcome),
    )
    app.router.add_get(VISITS, list_field_visits)
