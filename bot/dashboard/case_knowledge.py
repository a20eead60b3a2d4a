"""The case page's 转为知识条目: a 咨询 case's answer becomes a draft entry, or the resident's words
another wording (问法) of an entry already there (``handlers.knowledge.from_cases``).

Shown on a 咨询 case that has an answer from its unit, to those who may
(``handlers.staff.permissions.may_turn_case_into_entry``: the centre, the case's own unit). The
form carries the session's CSRF token and the question and answer to edit first; done, it goes
to the entry's page with what happened; refused, back to the case page with the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, form_of, page, redirect, refuse
from bot.keys import CLOCK, KNOWLEDGE
from handlers.knowledge.editing import EntryConflict, NotAllowed
from handlers.knowledge.from_cases import (
    QUESTION_KIND,
    NotConvertible,
    made_before,
    resident_words,
    turn_into_entry,
    unit_answer,
)
from handlers.knowledge.records import KnowledgeProblem
from handlers.staff.permissions import can, may_turn_case_into_entry
from handlers.workflow.staff_actions import CaseHidden, visible_case
from models import Case, KnowledgeEntry, StaffUser

NOT_FOUND = "没有找到这条诉求：编号不存在，或不在您的账号可查看的范围内"
MAX_PICKED = 500  # entries offered in the picker; any other is typed by its code
ShowCase = Callable[[web.Request, StaffContext, str, int], Awaitable[web.StreamResponse]]


async def _pickable(user: StaffUser) -> list[dict[str, str]]:
    """The entries the account may add a wording to, for the picker."""
    entries = KnowledgeEntry.all()
    if not can(user, "knowledge.publish"):
        entries = entries.filter(unit_id=user.unit_id or 0)
    rows = await entries.order_by("code").limit(MAX_PICKED).values_list("code", "question")
    return [{"code": str(code), "question": str(question)} for code, question in rows]


async def knowledge_context(case: Case, user: StaffUser) -> dict[str, Any]:
    """What the case page shows of 转为知识条目: nothing unless it may be done here."""
    if case.kind != QUESTION_KIND or not may_turn_case_into_entry(user, case):
        return {"to_knowledge": None}
    answer = await unit_answer(case)
    if answer is None:
        return {"to_knowledge": None}
    return {
        "to_knowledge": {
            "question": resident_words(case),
            "answer": answer.text,
            "made": await made_before(case),
            "entries": await _pickable(user),
        }
    }


def _refusal(problem: Exception) -> tuple[str, int]:
    if isinstance(problem, EntryConflict):
        return "条目刚被别人修改，请刷新后重试", 409
    if isinstance(problem, NotConvertible):
        return str(problem), 409
    return str(problem), 403 if isinstance(problem, NotAllowed) else 400


def add_routes(app: web.Application, show_case: ShowCase) -> None:
    @page("knowledge.edit")
    async def to_knowledge(request: web.Request, staff: StaffContext) -> web.StreamResponse:
        try:
            case = await visible_case(staff.user, request.match_info["number"])
        except CaseHidden:
            return refuse(request, staff, 404, NOT_FOUND)
        form = await form_of(request)
        variant = form.get("mode") == "variant"
        if variant and not form.get("entry"):
            return await show_case(request, staff, "请填写或选择要加入问法的知识条目编号", 400)
        try:
            turned = await turn_into_entry(
                case,
                staff.user,
                staff.actor,
                request.app[CLOCK].now(),
                entry=form.get("entry", "") if variant else "",
                question=form.get("question", ""),
                answer="" if variant else form.get("answer", ""),
            )
        except (KnowledgeProblem, NotAllowed, NotConvertible, EntryConflict) as problem:
            return await show_case(request, staff, *_refusal(problem))
        if turned.changed:
            request.app[KNOWLEDGE].invalidate()
        done = "from_case" if turned.created else "from_case_variant"
        if not turned.changed:
            done = "unchanged"
        raise redirect(f"{PREFIX}/knowledge/{turned.entry.id}", saved=done)

    app.router.add_post(f"{PREFIX}/cases/{{number}}/knowledge", to_knowledge)
