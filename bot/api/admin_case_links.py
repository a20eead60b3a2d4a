"""The admin API's merge, split and review actions on a case, under ``/api/admin/cases``.

- ``POST cases/{number}/merge`` ``{"into": "2612010001", "reason": ""}``: 并案 by hand
  (``cases.merge``): the case joins the open case ``into``; refused for the case itself, a
  closed or merged target, or a case others are merged into (409).
- ``POST cases/{number}/split`` ``{"reason": ""}``: 拆分 a merged case (``cases.merge``).
- ``POST cases/{number}/review`` ``{"decision": "pass" | "send_back", "note": ""}``: 办结审核
  (``cases.review``) of a finished result waiting for review; ``send_back`` needs a note (the
  reason), the case returns to its unit in progress with its deadline unchanged.

Answers and errors are those of the other case actions (``bot.api.admin_cases``).
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from bot.api.admin_cases import ACTION_RESPONSES, PREFIX, case_action, read_payload
from bot.api.json_api import Payload
from bot.api.openapi import NUMBER_PARAM, STAFF_AUTH, Operation
from bot.api.staff_auth import StaffContext
from bot.keys import INTAKE
from handlers.workflow.actions import MAX_TEXT
from handlers.workflow.case_links import merge_by_hand, split_by_hand
from handlers.workflow.review import pass_result, send_back_result
from models import Case


class MergeIn(Payload):
    into: str = Field(min_length=1, max_length=16, description="the open case to join")
    reason: str = Field(default="", max_length=MAX_TEXT)


class SplitIn(Payload):
    reason: str = Field(default="", max_length=MAX_TEXT)


class ReviewIn(Payload):
    decision: Literal["pass", "send_back"]
    note: str = Field(default="", max_length=MAX_TEXT, description="required to send back")


async def _merge(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, MergeIn)
    ctx = await request.app[INTAKE].context()
    await merge_by_hand(case, body.into, staff.user, staff.actor, ctx, body.reason)


async def _split(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, SplitIn)
    ctx = await request.app[INTAKE].context()
    await split_by_hand(case, staff.user, staff.actor, ctx, body.reason)


async def _review(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, ReviewIn)
    ctx = await request.app[INTAKE].context()
    if body.decision == "pass":
        await pass_result(case, staff.user, staff.actor, ctx, body.note)
    else:
        await send_back_result(case, staff.user, staff.actor, ctx, body.note)


_TAG = "admin cases"


def _operation(path: str, summary: str, body: type[Payload], required: bool = True) -> Operation:
    return Operation(
        "POST",
        f"{PREFIX}/{{number}}/{path}",
        summary,
        _TAG,
        ACTION_RESPONSES,
        auth=STAFF_AUTH,
        params=(NUMBER_PARAM,),
        body=body,
        body_required=required,
    )


OPERATIONS: tuple[Operation, ...] = (
    _operation("merge", "并案: join this open case to another open case", MergeIn),
    _operation("split", "拆分: handle a merged case on its own again", SplitIn, required=False),
    _operation(
        "review", "办结审核: pass a finished result on to the survey, or send it back", ReviewIn
    ),
)


def add_admin_case_link_routes(app: web.Application) -> None:
    app.router.add_post(f"{PREFIX}/{{number}}/merge", case_action("cases.merge", _merge))
    app.router.add_post(f"{PREFIX}/{{number}}/split", case_action("cases.merge", _split))
    app.router.add_post(f"{PREFIX}/{{number}}/review", case_action("cases.review", _review))
