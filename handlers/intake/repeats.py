"""重复诉求 (repeat requests): a report about a problem whose case was closed not long ago.

The 重复率 units are judged by is about problems that come back after 办结, not about many
residents reporting one open problem (集中诉求, merged with ``duplicate_of`` by
:mod:`handlers.intake.duplicates` and counted apart). So when a new report finds no open case
to join, it is compared with the cases closed within ``repeat_window_days`` (setting, default
30; 0 turns it off):

- closed means 已办结 (and no result waiting for review, ``handlers.workflow.review``), 已回访 or
  已归档, with its 办结 (``completed_at``) at most the window ago (exactly the window still
  counts); merged cases are never originals (their own original is);
- the same resident, or the same place and problem from another resident, judged as duplicates
  are (:func:`handlers.intake.duplicates.judge`: place, things named, word similarity);
- when the words say the problem is still there (``config.surveys.PERSISTS_WORDS``: 还是, 没解决
  ...) and the original can reopen (已办结 or 已回访, not from Open311), it reopens (重办) and no
  case is made; otherwise a new case is made and linked to the original.

Either way a :class:`models.CaseLink` of kind ``repeat`` records it, with the original's unit
at that moment: the repeat counts against that unit (:func:`repeats_per_unit`), on the day it
came (``CaseLink.at``), so a closed period's count never changes afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count

from config import replies
from config import surveys as survey_texts
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.intake.candidates import probe_values, read_candidates
from handlers.intake.duplicates import Match, Probe, judge, original_among
from handlers.timeline import Actor, record_event
from handlers.workflow.actions import reopen_case
from handlers.workflow.tasks import notify_worker
from models import (
    Case,
    CaseAction,
    CaseLink,
    CaseStatus,
    LinkKind,
    Survey,
    SurveyStatus,
    Unit,
    Worker,
    WorkerRole,
)

logger = logging.getLogger(__name__)

CLOSED = (CaseStatus.COMPLETED, CaseStatus.VISITED, CaseStatus.ARCHIVED)
REOPENABLE = frozenset({CaseStatus.COMPLETED, CaseStatus.VISITED})
# Rounds that would still ask about a result that a repeat has just reopened.
_WAITING_ROUNDS = (SurveyStatus.SCHEDULED, SurveyStatus.SENT, SurveyStatus.REMINDED)


@dataclass(frozen=True)
class Repeat:
    original: Case
    similarity: float
    same_resident: bool


def says_not_solved(text: str) -> bool:
    """The words say the problem is still there (路灯还是不亮, 没解决)."""
    return any(word in text for word in survey_texts.PERSISTS_WORDS)


async def find_repeat(probe: Probe, now: datetime, window_days: int) -> Repeat | None:
    """The closed case ``probe`` repeats within the window, or None; the most similar wins."""
    if window_days <= 0 or not probe.category or not probe.text.strip():
        return None
    _, closed = await read_candidates(probe, now, open_cases=False, repeat_days=window_days)
    return await repeat_among(probe, closed)


async def find_original_or_repeat(
    probe: Probe, now: datetime, window_days: int, *, repeats: bool = True
) -> tuple[Match | None, Repeat | None]:
    """The open case ``probe`` duplicates, else (with ``repeats``) the closed one it repeats:
    both candidate sets read in one statement (:func:`find_original`, :func:`find_repeat`)."""
    if not probe.category or not probe.text.strip():
        return None, None
    days = window_days if repeats else 0
    opened, closed = await read_candidates(probe, now, repeat_days=days)
    match = await original_among(probe, opened)
    if match is not None or not closed:
        return match, None
    return None, await repeat_among(probe, closed)


async def repeat_among(probe: Probe, rows: list[dict[str, Any]]) -> Repeat | None:
    best: tuple[int, float, bool] | None = None
    for row in rows:
        same, score, same_resident = judge(probe, Probe(**probe_values(row)))
        if same and (best is None or score > best[1]):
            best = (row["id"], score, same_resident)
    if best is None:
        return None
    return Repeat(await Case.get(id=best[0]), best[1], best[2])


# Channels whose messages come from another system (Open311 clients, a message board): each
# message is a case of its own there, so a repeat opens a linked case rather than reopening.
LINKED_ONLY_CHANNELS = ("open311", "board")


def may_reopen(repeat: Repeat, text: str, channel: str) -> bool:
    """Whether the repeat reopens its original rather than opening a linked case."""
    status = CaseStatus(repeat.original.status)
    return channel not in LINKED_ONLY_CHANNELS and status in REOPENABLE and says_not_solved(text)


async def _unit_name(unit_id: int | None) -> str:
    unit = await Unit.get_or_none(id=unit_id) if unit_id is not None else None
    return unit.name if unit is not None else replies.DISPATCH_QUEUE


async def reopen_as_repeat(
    repeat: Repeat, text: str, actor: Actor, ctx: HandlerContext
) -> tuple[Case, str]:
    """The problem is back: the original reopens (重办) and its unit is told. Call inside the
    transaction of intake. Returns the case and the resident's reply."""
    original = repeat.original
    closed = format_local(original.completed_at) if original.completed_at else "此前"
    words = " ".join(text.split())[:200]
    await reopen_case(original, actor, f"居民再次反映问题仍未解决：{words}", ctx)
    await Survey.filter(case_id=original.id, status__in=list(_WAITING_ROUNDS)).update(
        status=SurveyStatus.SKIPPED, skip_reason="reopened by a repeat"
    )
    await _link(original, None, repeat, actor, ctx, reopened=True)
    deadline = format_local(original.completion_due_at) if original.completion_due_at else "近期"
    notice = replies.REPEAT_REOPEN_NOTICE.format(
        number=original.number, title=original.title, text=words, deadline=deadline
    )
    people = await Worker.filter(
        unit_id=original.unit_id, role=WorkerRole.SUPERVISOR, active=True
    ).order_by("id")
    handler = (
        await Worker.get_or_none(id=original.worker_id, active=True)
        if original.worker_id is not None
        else None
    )
    for worker in ([handler] if handler else []) + [p for p in people if p != handler]:
        key = f"repeat-reopen:{original.id}:{original.reopened_count}:{worker.id}"
        await notify_worker(
            worker, notice, ctx, purpose="reopen", case_id=original.id, dedup_key=key
        )
    reply = replies.REPEAT_REOPENED.format(
        number=original.number,
        title=original.title,
        closed=closed,
        unit=await _unit_name(original.unit_id),
        deadline=deadline,
    )
    return original, reply


async def link_repeat(case: Case, repeat: Repeat, actor: Actor, ctx: HandlerContext) -> str:
    """A new case about a problem closed within the window: linked to it, both timelines say so.
    Returns what the resident's reply adds."""
    await _link(repeat.original, case, repeat, actor, ctx, reopened=False)
    return replies.REPEAT_LINKED.format(original=repeat.original.number)


async def _link(
    original: Case,
    case: Case | None,
    repeat: Repeat,
    actor: Actor,
    ctx: HandlerContext,
    *,
    reopened: bool,
) -> CaseLink:
    link = await CaseLink.create(
        kind=LinkKind.REPEAT,
        case_id=original.id,
        other_id=case.id if case is not None else None,
        unit_id=original.unit_id,
        same_resident=repeat.same_resident,
        reopened=reopened,
        actor=actor.type,
        at=ctx.now,
    )
    data = {
        "kind": "repeat",
        "link": link.id,
        "original": original.number,
        "case": case.number if case is not None else None,
        "same_resident": repeat.same_resident,
        "reopened": reopened,
        "similarity": round(repeat.similarity, 3),
    }
    who = "该居民" if repeat.same_resident else "其他居民"
    if case is None:
        note = f"重复诉求：{who}在办结后再次反映，问题仍未解决，重新办理"
    else:
        note = f"重复诉求：{who}在办结后再次反映（诉求 {case.number}）"
        await record_event(
            case,
            CaseAction.ANNOTATE,
            Actor.system(),
            ctx.now,
            from_status=None,
            to_status=None,
            note=f"重复诉求：与已办结的诉求 {original.number} 为同一问题",
            data=data,
        )
    await record_event(
        original,
        CaseAction.ANNOTATE,
        Actor.system(),
        ctx.now,
        from_status=None,
        to_status=None,
        note=note,
        data=data,
    )
    logger.info("case %s repeated (reopened=%s)", original.number, reopened)
    return link


async def repeats_per_unit(since: datetime, until: datetime) -> dict[int | None, int]:
    """重复诉求 that came in ``[since, until)``, by the unit of the case they repeat (the unit
    it had when the repeat came; None: the case had no unit). Each repeat counts once, whether
    it reopened the original or opened a linked case. Event-dated, so a closed period's count
    does not change later. The rate's denominator (the unit's cases) is the figures' own."""
    rows = (
        await CaseLink.filter(kind=LinkKind.REPEAT, at__gte=since, at__lt=until)
        .annotate(n=Count("id"))
        .group_by("unit_id")
        .values("unit_id", "n")
    )
    return {row["unit_id"]: int(row["n"]) for row in rows}


async def links_of(case: Case) -> list[CaseLink]:
    """Every link the case is in, either end, oldest first."""
    earlier = await CaseLink.filter(other_id=case.id).order_by("at", "id")
    later = await CaseLink.filter(case_id=case.id).order_by("at", "id")
    return sorted([*earlier, *later], key=lambda link: (link.at, link.id))


async def describe_links(case: Case) -> list[dict[str, object]]:
    """The case's links as the admin API shows them: ``role`` says which end the case is
    (``earlier``: the original or merge target; ``later``: the repeat or merged case) and
    ``case`` the number at the other end (None: a repeat that reopened this case)."""
    links = await links_of(case)
    ids = {x for link in links for x in (link.case_id, link.other_id) if x is not None}
    numbers = dict(await Case.filter(id__in=list(ids)).values_list("id", "number"))
    found: list[dict[str, object]] = []
    for link in links:
        earlier = link.case_id == case.id
        other = link.other_id if earlier else link.case_id
        found.append(
            {
                "kind": str(link.kind),
                "role": "earlier" if earlier else "later",
                "case": numbers.get(other) if other is not None else None,
                "same_resident": link.same_resident,
                "reopened": link.reopened,
                "at": link.at.isoformat(),
                "ended_at": link.ended_at.isoformat() if link.ended_at else None,
            }
        )
    return found
