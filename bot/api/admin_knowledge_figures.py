"""The knowledge base's figures and gaps in the staff API (``knowledge.read``).

- ``GET /api/admin/knowledge/figures?from=YYYY-MM-DD&to=YYYY-MM-DD``: the counts and shares of
  the period (district-wide and by channel), each with its definition, the entries used and
  the stale entries (``handlers.knowledge.figures``).
- ``GET /api/admin/knowledge/gaps?from=&to=&limit=``: the questions no entry answered, grouped
  and most asked first, and the entries whose answers were said 没解决
  (``handlers.knowledge.gaps``). Only the case numbers the reader may open are listed.

The period is ``[from, to)`` in Shanghai days, by default the last 30 days up to today, as in
``GET /api/admin/figures``. A date that is not one, an empty or too long period, or a limit out
of range is 400 and reads nothing. The answers' contract is
``bot.api.admin_knowledge_figures_contract``.
"""

from __future__ import annotations

from aiohttp import web

from bot.api.admin_knowledge_figures_contract import (
    KnowledgeAskGroup,
    KnowledgeDefinition,
    KnowledgeEntryRef,
    KnowledgeEntryUse,
    KnowledgeFiguresOut,
    KnowledgeGapsOut,
    KnowledgePeriod,
    KnowledgeStaleEntry,
    KnowledgeUnsolvedEntry,
    summary_out,
)
from bot.api.json_api import ApiError, error_response
from bot.api.query_days import query_day
from bot.api.staff_auth import require_staff
from bot.keys import CLOCK
from config import knowledge as tuning
from handlers.clock import LOCAL_TZ
from handlers.digits import whole_number
from handlers.figures.filters import FigureFilterError, FigureFilters, default_period
from handlers.knowledge.figures import KnowledgeFigures, knowledge_figures
from handlers.knowledge.gaps import AskGroup, gaps, unsolved_by_entry
from handlers.knowledge.usage import EntryRef
from handlers.workflow.search import scope_of


def period_of(request: web.Request) -> FigureFilters:
    """The Shanghai days asked for; without them the last 30 days, today included."""
    first, end = query_day(request, "from"), query_day(request, "to")
    default_first, default_end = default_period(request.app[CLOCK].now())
    span = default_end - default_first
    if end is None:
        end = default_end if first is None or first < default_end else first + span
    if first is None:
        first = end - span
    try:
        return FigureFilters(first, end)
    except FigureFilterError as problem:
        raise ApiError(400, "invalid_period", str(problem)) from None


def limit_of(request: web.Request) -> int:
    value = request.query.get("limit", "").strip()
    if not value:
        return tuning.GAPS_SHOWN
    number = whole_number(value, 9)
    if number is None or not 1 <= number <= tuning.GAPS_MAX:
        raise ApiError(
            400, "invalid_parameter", f"参数 limit 须为 1 到 {tuning.GAPS_MAX} 之间的整数"
        )
    return number


def period_out(period: FigureFilters) -> KnowledgePeriod:
    return KnowledgePeriod.model_validate(
        {"from": period.first_day, "to": period.end_day, "timezone": str(LOCAL_TZ)}
    )


def entry_out(entry: EntryRef) -> KnowledgeEntryRef:
    return KnowledgeEntryRef(**entry.as_dict())


def figures_out(figures: KnowledgeFigures, period: FigureFilters) -> KnowledgeFiguresOut:
    summary = summary_out(figures)
    return KnowledgeFiguresOut(
        **dict(summary),
        period=period_out(period),
        computed_at=figures.computed_at,
        top_entries=[
            KnowledgeEntryUse(
                entry=entry_out(use.entry),
                answered=use.answered,
                solved=use.solved,
                unsolved=use.unsolved,
                no_feedback=use.no_feedback,
            )
            for use in figures.top_entries
        ],
        stale=[
            KnowledgeStaleEntry(
                entry=entry_out(stale.entry),
                valid_until=stale.valid_until,
                updated_at=stale.updated_at,
                reasons=list(stale.reasons),
            )
            for stale in figures.stale
        ],
        definitions=[
            KnowledgeDefinition(key=d.key, label=d.label, text=d.text) for d in figures.definitions
        ],
    )


def group_out(group: AskGroup) -> KnowledgeAskGroup:
    return KnowledgeAskGroup(
        key=group.key,
        questions=group.questions,
        residents=group.residents,
        cases=group.cases,
        first_at=group.first_at,
        last_at=group.last_at,
        samples=list(group.samples),
        case_numbers=list(group.case_numbers),
    )


def _json(model: KnowledgeFiguresOut | KnowledgeGapsOut) -> web.Response:
    return web.json_response(model.model_dump(mode="json", by_alias=True))


async def figures_json(request: web.Request) -> web.Response:
    await require_staff(request, "knowledge.read")
    try:
        period = period_of(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    now = request.app[CLOCK].now()
    figures = await knowledge_figures(period.since, period.until, now)
    return _json(figures_out(figures, period))


async def gaps_json(request: web.Request) -> web.Response:
    staff = await require_staff(request, "knowledge.read")
    try:
        period = period_of(request)
        limit = limit_of(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    visible = scope_of(staff.user)
    found = await gaps(period.since, period.until, limit=limit, case_scope=visible)
    unsolved = await unsolved_by_entry(period.since, period.until, limit=limit, case_scope=visible)
    body = KnowledgeGapsOut(
        period=period_out(period),
        gaps=[group_out(g) for g in found],
        unsolved=[
            KnowledgeUnsolvedEntry(**dict(group_out(g)), entry=entry_out(g.entry))
            for g in unsolved
            if g.entry is not None
        ],
    )
    return _json(body)


def add_knowledge_figures_routes(app: web.Application) -> None:
    """Before ``/api/admin/knowledge/{id}``, which would take ``figures`` for an id."""
    app.router.add_get("/api/admin/knowledge/figures", figures_json)
    app.router.add_get("/api/admin/knowledge/gaps", gaps_json)
