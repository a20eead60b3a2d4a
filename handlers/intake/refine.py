"""An LLM's reading of a new case, applied after the resident has been answered.

The case was created from the local understanding inside the intake transaction, and the
resident saw that in the passive reply. Later, in a transaction of its own, :func:`refine_case`
takes the LLM's answer (:class:`nlu.llm.LlmExtraction`) and applies it, but only if nobody has
touched the case since it was read before asking the LLM: still 已受理 or 已派单 (nobody has
signed for it), the same ``version``, and no event by staff or a worker (a dispatcher's
correction always beats the model). Whatever the LLM says:

- the category is a taxonomy path (the client checked it); kind, title and keywords replace ours;
- urgency may rise from 一般 to 急, never fall: a missed emergency costs more than a hurried
  general case; the reasons of both readings are kept;
- deadlines follow a changed kind or urgency, but never move later than the ones the resident
  was told in the reply;
- place words only fill a place column that is empty; the grid, found from the gazetteer or the
  resident's location, is never touched;
- a new category re-routes a case not yet signed for: dispatched to the unit it now routes to,
  or, if it waits in the dispatcher queue with a known place, dispatched if a unit is found.

If the process dies before the refinement runs, nothing is lost: the case stands on the local
understanding, exactly as it would without an LLM. That is also the fallback for every failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from config.lexicon import KIND_LABELS
from handlers.context import HandlerContext
from handlers.intake.report import route_again
from handlers.places import has_place
from handlers.timeline import Actor, ConcurrentChange, apply_action
from handlers.workflow.deadlines import deadlines_for
from handlers.workflow.sla_table import SlaTable
from handlers.workflow.spells import follow_case
from models import Case, CaseAction, CaseEvent, CaseStatus
from nlu.llm import LlmExtraction

logger = logging.getLogger(__name__)

REFINABLE = frozenset({CaseStatus.ACCEPTED, CaseStatus.DISPATCHED})
PEOPLE = ("staff", "worker")
DEADLINE_COLUMNS = ("sign_due_at", "first_contact_due_at", "completion_due_at")
PLACE_LIMITS = {"place_text": 128, "compound": 64, "address": 128}
NOTED_COLUMNS = {"kind": "类型", "category": "分类", "urgency": "紧急程度"}


LLM_ACTOR = Actor("system", "llm")


class RefineResult(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # the LLM agreed with us
    STALE = "stale"  # somebody touched the case first; theirs stands
    GONE = "gone"  # the case no longer exists


@dataclass(frozen=True)
class Refinement:
    result: RefineResult
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    routed_to: str | None = None  # code of the unit the case was (re)dispatched to


def is_refinable(case: Case, expected_version: int) -> bool:
    return CaseStatus(case.status) in REFINABLE and case.version == expected_version


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _merged(*groups: list[str]) -> list[str]:
    return list(dict.fromkeys(item for group in groups for item in group))


def proposed_changes(
    case: Case, extraction: LlmExtraction, now: datetime, sla: SlaTable | None = None
) -> dict[str, Any]:
    """Column updates the extraction calls for, each one differing from the case."""
    wanted: dict[str, Any] = {"kind": extraction.kind, "category": extraction.category}
    if extraction.urgency == "急":
        wanted["urgency"] = "急"
        wanted["urgency_reasons"] = _merged(case.urgency_reasons, extraction.urgency_reasons)
    if extraction.title:
        wanted["title"] = extraction.title
    if extraction.keywords:
        wanted["keywords"] = extraction.keywords
    found = {
        "place_text": extraction.place_text,
        "compound": extraction.compound,
        "address": extraction.road,
    }
    for column, value in found.items():
        if value and not getattr(case, column):
            wanted[column] = value[: PLACE_LIMITS[column]]
    changes = {column: value for column, value in wanted.items() if getattr(case, column) != value}
    if "kind" in changes or "urgency" in changes:
        fresh = deadlines_for(
            changes.get("kind", case.kind),
            changes.get("urgency", case.urgency),
            case.difficult,
            case.created_at or now,
            sla,
        )
        for column, new in zip(
            DEADLINE_COLUMNS, (fresh.sign, fresh.first_contact, fresh.completion), strict=True
        ):
            old: datetime | None = getattr(case, column)
            if old is None or new < old:
                changes[column] = new
    return changes


def _shown(column: str, value: Any) -> str:
    return KIND_LABELS.get(value, value) if column == "kind" else str(value or "无")


def _note(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The timeline line: what changed that a resident or dispatcher cares about."""
    parts = [
        f"{label}{_shown(column, before[column])}→{_shown(column, after[column])}"
        for column, label in NOTED_COLUMNS.items()
        if column in after
    ]
    return "智能复核：" + ("；".join(parts) if parts else "补充标题、关键词或地点")


async def refine_case(
    case_id: int,
    extraction: LlmExtraction,
    ctx: HandlerContext,
    *,
    expected_version: int,
    model: str = "",
) -> Refinement:
    """Apply the LLM's reading to a case nobody has touched. Call inside a transaction.

    ``expected_version`` is the case's version when its text was sent to the LLM.
    """
    case = await Case.get_or_none(id=case_id)
    if case is None:
        return Refinement(RefineResult.GONE)
    touched = await CaseEvent.filter(case_id=case.id, actor_type__in=PEOPLE).exists()
    if touched or not is_refinable(case, expected_version):
        logger.info("case %s changed before its LLM refinement; keeping it as it is", case.number)
        return Refinement(RefineResult.STALE)
    changes = proposed_changes(case, extraction, ctx.now, ctx.sla)
    if not changes:
        return Refinement(RefineResult.UNCHANGED)
    before = {column: getattr(case, column) for column in changes}
    after = dict(changes)
    for column in DEADLINE_COLUMNS:
        if column in changes:
            before[column], after[column] = _stamp(before[column]), _stamp(after[column])
    had_place = has_place(case)
    try:
        await apply_action(
            case,
            CaseAction.ANNOTATE,
            LLM_ACTOR,
            ctx.now,
            note=_note(before, after),
            data={"source": "llm", "model": model, "before": before, "after": after},
            changes=changes,
        )
    except ConcurrentChange:
        logger.info("case %s changed during its LLM refinement; keeping it", case.number)
        return Refinement(RefineResult.STALE)
    if any(column in changes for column in DEADLINE_COLUMNS):
        await follow_case(case)
    routed_to = None
    if "category" in changes or "kind" in changes:
        unit = await route_again(case, ctx, LLM_ACTOR, "按复核后的分类", had_place=had_place)
        routed_to = unit.code if unit else None
    logger.info(
        "case %s refined by the LLM: %s%s",
        case.number,
        ", ".join(sorted(changes)),
        f"; routed to {routed_to}" if routed_to else "",
    )
    return Refinement(RefineResult.APPLIED, before, after, routed_to)
