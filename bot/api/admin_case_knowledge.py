"""``POST /api/admin/cases/{number}/knowledge``: a unit's answer to a 咨询 case becomes knowledge
(``handlers.knowledge.from_cases``).

Body ``{"entry": null, "question": "", "answer": ""}``, every field optional:

- without ``entry``: a new draft entry of the case's unit, its question the resident's words and
  its answer the unit's (``question`` and ``answer`` replace them);
- with ``entry`` (a code such as ``K00012``, or an id): the resident's words (or ``question``)
  become another wording of that entry, a new version of it (``answer`` is refused here).

Answers 201 with the entry and its versions as ``GET /api/admin/knowledge/{id}`` does, or 200
with the same when it was already so (the case made that entry before, the wording is there).
Errors: 400 ``invalid_json`` / ``invalid_payload`` / ``rejected`` (an unknown entry, a question
too long ...), 401, 403 ``forbidden`` (the role may not, or another unit's entry) / ``csrf``,
404 ``not_found`` (no such case, or one the account may not see: the two are not told apart),
409 ``conflict`` (not a 咨询, no answer from the unit yet, or the entry changed meanwhile).
Nothing is written on an error. Who may: ``knowledge.edit``, and for the case
``handlers.staff.permissions.may_turn_case_into_entry``.
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field

from bot.api.admin_cases import NOT_FOUND, visible_case
from bot.api.admin_knowledge import entry_response
from bot.api.admin_knowledge_contract import WITH_VERSIONS
from bot.api.json_api import NO_NUL, ApiError, Payload, error_response, read_payload
from bot.api.openapi import (
    NUMBER_PARAM,
    STAFF_AUTH,
    Operation,
    Response,
    error,
    too_large,
    unauthorized,
)
from bot.api.staff_auth import require_staff
from bot.keys import CLOCK, KNOWLEDGE
from handlers.knowledge.editing import EntryConflict, NotAllowed
from handlers.knowledge.from_cases import NotConvertible, turn_into_entry
from handlers.knowledge.records import MAX_ANSWER, MAX_QUESTION, KnowledgeProblem
from handlers.workflow.staff_actions import CaseHidden

PATH = "/api/admin/cases/{number}/knowledge"
MAX_ID = 10**18 - 1


class CaseKnowledgeIn(Payload):
    entry: (
        Annotated[int, Field(ge=1, le=MAX_ID)]
        | Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9_.-]*$")]
        | None
    ) = Field(default=None, description="an entry's code or id: add the words as its wording")
    question: str = Field(
        default="", max_length=MAX_QUESTION, pattern=NO_NUL, description="default: the case's"
    )
    answer: str = Field(
        default="", max_length=MAX_ANSWER, pattern=NO_NUL, description="default: the unit's"
    )


def _refused(problem: Exception) -> ApiError:
    if isinstance(problem, KnowledgeProblem):
        problems = [{"field": "", "problem": p} for p in problem.problems]
        return ApiError(400, "rejected", str(problem), problems=problems)
    if isinstance(problem, NotAllowed):
        return ApiError(403, "forbidden", str(problem))
    if isinstance(problem, EntryConflict):
        return ApiError(409, "conflict", "条目刚被别人修改，请刷新后重试")
    return ApiError(409, "conflict", str(problem))


async def case_to_knowledge(request: web.Request) -> web.Response:
    staff = await require_staff(request, "knowledge.edit")
    try:
        try:
            case = await visible_case(staff.user, request.match_info["number"])
        except CaseHidden:
            raise ApiError(404, "not_found", NOT_FOUND) from None
        body = await read_payload(request, CaseKnowledgeIn)
        try:
            turned = await turn_into_entry(
                case,
                staff.user,
                staff.actor,
                request.app[CLOCK].now(),
                entry="" if body.entry is None else str(body.entry),
                question=body.question,
                answer=body.answer,
            )
        except (KnowledgeProblem, NotAllowed, NotConvertible, EntryConflict) as problem:
            raise _refused(problem) from None
        if turned.changed:
            request.app[KNOWLEDGE].invalidate()
        return await entry_response(request, turned.entry.id, 201 if turned.changed else 200)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        PATH,
        "转为知识条目: a 咨询 case's answer as a draft entry, or its words as an entry's wording",
        "knowledge",
        {
            201: Response("the entry made or changed, with its versions", WITH_VERSIONS),
            200: Response("already so (nothing written): the entry", WITH_VERSIONS),
            400: error("invalid_json, invalid_payload or rejected (problems); nothing changed"),
            401: unauthorized("nobody signed in, or an unknown or revoked token"),
            403: error("forbidden: the role or unit may not, or another unit's entry; csrf"),
            404: error("not_found: no such case, or one the account may not see (not told apart)"),
            409: error("conflict: not a 咨询, no answer from the unit yet, or the entry changed"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        params=(NUMBER_PARAM,),
        body=CaseKnowledgeIn,
        body_required=False,
    ),
)


def add_admin_case_knowledge_routes(app: web.Application) -> None:
    app.router.add_post(PATH, case_to_knowledge)
