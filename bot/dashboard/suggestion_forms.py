"""The dashboard's forms for suggestions: the office's steps (publication's are
``bot.dashboard.suggestion_publication``), a department's answer, and the case page's
转为人民建议. Each is a POST with the session's CSRF token (``bot.dashboard.web.page``); done,
back to the page with what was done; refused, the page again with the reason (and the status
that fits: 400, 403, 409), nothing changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard import suggestion_publication as publication
from bot.dashboard.web import PREFIX, form_of, page, redirect, refuse
from bot.keys import INTAKE
from config import suggestion_office as texts
from handlers.context import HandlerContext
from handlers.suggestions import office
from handlers.suggestions.access import (
    SuggestionHidden,
    SuggestionRefused,
    bad_input,
    visible_suggestion,
)
from handlers.suggestions.adoption import adopt
from handlers.suggestions.conversion import convert_to_case, from_case
from handlers.suggestions.departments import answer
from handlers.workflow.staff_actions import CaseHidden, visible_case
from models import Suggestion

Show = Callable[[web.Request, StaffContext, str, int], Awaitable[web.StreamResponse]]
Form = dict[str, str]
# A step: given the form, take it; answers where to go afterwards (None: the suggestion's page).
Step = Callable[
    [web.Request, StaffContext, Suggestion, Form, HandlerContext], Awaitable[str | None]
]
CASE_NOT_FOUND = "没有这个编号的诉求，或不在您的账号可查看的范围内"
DONE = {
    "ask": "已请居民补充，居民回复后建议回到待甄别",
    "merge": "已合并，已告知居民",
    "decline": "已不予采纳，已告知居民",
    "reconsider": "已重新进入甄别",
    "adopt": "已采纳并交部门研究，已告知居民和部门",
    "forward": "已报送市级",
    "instruction": "已记录批示",
    "implemented": "已记录落地情况，已告知居民",
    "answer": "已答复",
    "from_case": "已由诉求转为人民建议；诉求已关闭（不予受理：转为人民建议），已告知居民新编号",
    **publication.DONE,
}


def attachments_of(text: str) -> list[dict[str, Any]]:
    """One a line: ``标题|网址`` or just the address (a link, or /media/<key> of our store)."""
    items = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        title, _, url = line.rpartition("|")
        items.append({"title": title.strip(), "url": url.strip()})
    return items


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise bad_input("日期须为 YYYY-MM-DD") from None


async def _ask(r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext) -> None:
    await office.ask(x, f.get("question", ""), s.user, s.actor, c)


async def _merge(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> None:
    await office.merge(x, f.get("target", ""), f.get("note", ""), s.user, s.actor, c)


async def _decline(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> None:
    await office.decline(x, f.get("reason", ""), s.user, s.actor, c)


async def _reconsider(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> None:
    await office.reconsider(x, f.get("note", ""), s.user, s.actor, c)


async def _adopt(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> None:
    posted = await r.post()
    codes = [str(v) for v in posted.getall("units", []) if isinstance(v, str)]
    await adopt(x, codes, f.get("note", ""), s.user, s.actor, c)


async def _forward(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> None:
    await office.forward(x, f.get("reference", ""), f.get("note", ""), s.user, s.actor, c)


async def _instruct(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> None:
    await office.instruct(x, f.get("text", ""), s.user, s.actor, c)


async def _implemented(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> None:
    await office.implemented(x, f.get("result", ""), s.user, s.actor, c)


async def _convert(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> str:
    case = await convert_to_case(x, f.get("note", ""), s.user, s.actor, c)
    return f"{PREFIX}/cases/{case.number}?ok=from_suggestion"


async def _answer(
    r: web.Request, s: StaffContext, x: Suggestion, f: Form, c: HandlerContext
) -> str:
    unit = r.match_info["unit_code"]
    items = attachments_of(f.get("attachments", ""))
    given = _date(f.get("date", ""))
    await answer(x, unit, f.get("kind", ""), f.get("answer", ""), given, items, s.user, s.actor, c)
    back = f.get("back", "")
    if back == "department":
        return f"{PREFIX}/suggestions/department?unit={unit}&done=answer"
    return f"{PREFIX}/suggestions/{x.number}?done=answer"


STEPS: tuple[tuple[str, str, Step], ...] = (
    ("ask", "suggestions.screen", _ask),
    ("merge", "suggestions.screen", _merge),
    ("decline", "suggestions.screen", _decline),
    ("reconsider", "suggestions.screen", _reconsider),
    ("adopt", "suggestions.screen", _adopt),
    ("forward", "suggestions.screen", _forward),
    ("instruction", "suggestions.screen", _instruct),
    ("implemented", "suggestions.screen", _implemented),
    ("convert", "suggestions.convert", _convert),
    ("publish", publication.PUBLISH, publication.publish_step),
    ("unpublish", publication.PUBLISH, publication.unpublish_step),
)


def form_step(
    name: str, capability: str, step: Step, show: Show
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @page(capability)
    async def run(request: web.Request, staff: StaffContext) -> web.StreamResponse:
        try:
            suggestion = await visible_suggestion(staff.user, request.match_info["number"])
        except SuggestionHidden:
            return refuse(request, staff, 404, texts.NOT_FOUND)
        form = await form_of(request)
        ctx = await request.app[INTAKE].context()
        try:
            where = await step(request, staff, suggestion, form, ctx)
        except SuggestionHidden:
            return await show(request, staff, texts.NOT_ADOPTED_FOR, 404)
        except SuggestionRefused as refused:
            return await show(request, staff, refused.message, refused.status)
        if where is not None:
            raise redirect(where)
        raise redirect(f"{PREFIX}/suggestions/{suggestion.number}", done=name)

    run.__name__ = f"suggestion_{name}"
    return run


@page("suggestions.convert")
async def case_to_suggestion(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    try:
        case = await visible_case(staff.user, request.match_info["number"])
    except CaseHidden:
        return refuse(request, staff, 404, CASE_NOT_FOUND)
    form = await form_of(request)
    ctx = await request.app[INTAKE].context()
    try:
        made = await from_case(case, form.get("note", ""), staff.user, staff.actor, ctx)
    except CaseHidden:
        return refuse(request, staff, 404, CASE_NOT_FOUND)
    except SuggestionRefused as refused:
        return refuse(request, staff, refused.status, refused.message)
    raise redirect(f"{PREFIX}/suggestions/{made.number}", done="from_case")


def add_routes(app: web.Application, show: Show) -> None:
    for name, capability, step in STEPS:
        app.router.add_post(
            f"{PREFIX}/suggestions/{{number}}/{name}", form_step(name, capability, step, show)
        )
    app.router.add_post(
        f"{PREFIX}/suggestions/{{number}}/adoptions/{{unit_code}}/answer",
        form_step("answer", "suggestions.answer", _answer, show),
    )
    app.router.add_post(f"{PREFIX}/cases/{{number}}/to-suggestion", case_to_suggestion)
