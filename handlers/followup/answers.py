"""回访 answers: what a resident's answer to a survey round does to the case, and which of their
messages are answers. Who is asked, and when, is in ``handlers.followup.surveys``.

Answers (:func:`answer_survey`) come from a reply (1/2/3, 满意/基本满意/不满意 and free words,
read by :mod:`nlu.satisfaction`), from the survey's menu, or from the mini-program:

- 满意 / 基本满意: the round is answered and the case 已回访.
- 不满意: the case reopens (重办) with the unit that owned it and a fresh completion deadline;
  its worker and the unit's supervisors are told. The first 不满意 also creates a field-visit
  task (四不两直, ``handlers.followup.field_visits``) with a deadline (整改时限); a second one
  flags that task and the case 督办.
- Staff may record an answer taken by phone or face to face (``handlers.followup.staff_answers``):
  the same rules, with the channel kept on the round; it never replaces an answer.
- An answer after the round closed (within ``survey_late_answer_days``) is kept on the round
  (``late``) and on the timeline, and acknowledged; it changes nothing else.

Each answer is one transaction, claimed by a conditional UPDATE: a second answer to an answered
round changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from config import surveys as texts
from config.settings import Settings
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.followup.field_visits import order_field_visit
from handlers.followup.surveys import OPEN_ROUND, parse_menu_id, short_title
from handlers.residents.records import first_contact
from handlers.timeline import Actor, annotate, apply_action
from handlers.workflow.actions import WorkflowConflict, reopen_case
from handlers.workflow.tasks import notify_worker
from models import (
    Case,
    CaseAction,
    CaseStatus,
    Resident,
    Survey,
    SurveyAnswer,
    SurveyStatus,
    Unit,
    Worker,
    WorkerRole,
)
from nlu.sameness import compare
from nlu.satisfaction import SatisfactionReading, read_satisfaction

logger = logging.getLogger(__name__)

ANSWERABLE = (*OPEN_ROUND, SurveyStatus.SCHEDULED, SurveyStatus.UNREACHABLE, SurveyStatus.SKIPPED)


async def open_round_for(resident: Resident, now: datetime, settings: Settings) -> Survey | None:
    """The round a reply from ``resident`` would answer: the newest open one, else the newest
    one scheduled but not yet asked (the resident answered the 办结 notice at once: the round is
    then never sent), else the newest round that closed unanswered recently (a late answer is
    kept). A resident this message created has none."""
    if first_contact(resident):
        return None
    survey = (
        await Survey.filter(resident_id=resident.id, status__in=list(OPEN_ROUND))
        .order_by("-sent_at", "-id")
        .first()
    )
    if survey is not None:
        return survey
    survey = (
        await Survey.filter(resident_id=resident.id, status=SurveyStatus.SCHEDULED)
        .order_by("-id")
        .first()
    )
    if survey is not None:
        return survey
    since = (
        now
        - timedelta(hours=settings.survey_close_hours)
        - timedelta(days=settings.survey_late_answer_days)
    )
    return (
        await Survey.filter(
            resident_id=resident.id,
            status=SurveyStatus.UNRATED,
            answer__isnull=True,
            sent_at__gte=since,
        )
        .order_by("-sent_at", "-id")
        .first()
    )


async def _unit_name(case: Case) -> str:
    unit = await Unit.get_or_none(id=case.unit_id) if case.unit_id is not None else None
    return unit.name if unit is not None else "承办单位"


async def _unit_people(case: Case, roles: Sequence[WorkerRole]) -> list[Worker]:
    if case.unit_id is None:
        return []
    return await Worker.filter(unit_id=case.unit_id, role__in=list(roles), active=True).order_by(
        "id"
    )


async def _tell_staff(
    case: Case, people: Sequence[Worker], text: str, key: str, ctx: HandlerContext, purpose: str
) -> int:
    told = 0
    seen: set[int] = set()
    for worker in people:
        if worker.id in seen:
            continue
        seen.add(worker.id)
        await notify_worker(
            worker, text, ctx, purpose=purpose, case_id=case.id, dedup_key=f"{key}:{worker.id}"
        )
        told += 1
    return told


async def _reopen(
    survey: Survey, case: Case, comment: str, actor: Actor, ctx: HandlerContext
) -> str:
    """不满意: 重办, the unit told, and a field visit (四不两直); a second one adds 督办."""
    comment_text = comment or texts.NO_COMMENT
    unit = await _unit_name(case)
    await reopen_case(case, actor, f"居民评价不满意：{comment_text}", ctx)
    deadline = format_local(case.completion_due_at) if case.completion_due_at else "近期"
    handler = await Worker.get_or_none(id=case.worker_id) if case.worker_id else None
    supervisors = await _unit_people(case, [WorkerRole.SUPERVISOR])
    notice = texts.REOPEN_NOTICE.format(
        number=case.number, title=short_title(case), comment=comment_text, deadline=deadline
    )
    people = ([handler] if handler is not None and handler.active else []) + supervisors
    if not people:
        people = await _unit_people(case, [WorkerRole.UNIT_STAFF, WorkerRole.UNIT_HEAD])
    await _tell_staff(case, people, notice, f"reopen:{case.id}:{survey.round}", ctx, "reopen")
    unsatisfied = await Survey.filter(case_id=case.id, answer=SurveyAnswer.UNSATISFIED).count()
    ordered = await order_field_visit(case, survey, unsatisfied, comment_text, ctx)
    if not ordered.told:
        logger.warning(
            "case %s: field visit with nobody to tell (unit %s)",
            case.number,
            case.unit_id,
            extra={"case": case.number},
        )
    if not ordered.supervised:
        return texts.REOPENED.format(number=case.number, unit=unit, deadline=deadline)
    if not case.supervised:
        await apply_action(
            case,
            CaseAction.SUPERVISE,
            Actor.system(),
            ctx.now,
            note=f"第{unsatisfied}次评价不满意，列入督办并安排实地核查",
            data={"kind": "field_visit_supervised", "visit": ordered.visit.id},
            changes={"supervised": True},
        )
    return texts.FIELD_VISIT_PROMISED.format(number=case.number)


class AlreadyAnswered(WorkflowConflict):
    """The round has its answer (the resident's or staff's): a staff answer never replaces it."""


async def answer_survey(
    survey: Survey,
    answer: SurveyAnswer | str,
    comment: str,
    ctx: HandlerContext,
    *,
    source: str,
    actor: Actor | None = None,
    channel: str = "wechat",
    recorded_by: str = "",
    answered_at: datetime | None = None,
    strict: bool = False,
) -> str:
    """Record an answer to ``survey`` and do what it means; the text to show the resident.

    Safe to repeat: a second answer to an answered round changes nothing (``strict``: it raises
    :class:`AlreadyAnswered`, for staff recording a phone or face-to-face answer). ``channel``
    says how the answer was taken, ``answered_at`` when (default now).
    """
    answer = SurveyAnswer(answer)
    comment = " ".join((comment or "").split())[:500]
    label = texts.ANSWER_LABELS[answer.value]
    actor = actor or Actor("resident", str(survey.resident_id or ""))
    now = ctx.now
    when = answered_at or now
    taken = {"channel": channel, "recorded_by": recorded_by}
    async with in_transaction():
        case = await Case.get(id=survey.case_id)
        # A round not yet asked, or one we could not deliver, may still be answered (in the
        # mini-program, where the resident sees the case); closed rounds take late answers.
        claimed = await Survey.filter(id=survey.id, status__in=list(ANSWERABLE)).update(
            status=SurveyStatus.ANSWERED,
            answer=answer,
            comment=comment,
            answered_at=when,
            recorded_at=now,
            answer_source=source,
            **taken,
        )
        if claimed:
            data = {
                "kind": "survey_answer",
                "survey": survey.id,
                "round": survey.round,
                "answer": answer.value,
                "comment": comment,
                "source": source,
                **taken,
            }
            note = f"{_who(channel)}：{label}" + (f"（{comment}）" if comment else "")
            unsatisfied = answer is SurveyAnswer.UNSATISFIED
            if not unsatisfied and case.status == CaseStatus.COMPLETED:
                await apply_action(case, CaseAction.VISIT, actor, now, note=note, data=data)
            else:
                await annotate(case, actor, now, note, data)
            if unsatisfied and case.status in (CaseStatus.COMPLETED, CaseStatus.VISITED):
                return await _reopen(survey, case, comment, actor, ctx)
            return texts.THANKS.format(answer=label, number=case.number)
        current = await Survey.get(id=survey.id)
        if current.status == SurveyStatus.UNRATED and current.answer is None:
            late = await Survey.filter(id=survey.id, answer__isnull=True).update(
                answer=answer,
                comment=comment,
                answered_at=when,
                recorded_at=now,
                answer_source=source,
                late=True,
                **taken,
            )
            if late:
                await annotate(
                    case,
                    actor,
                    now,
                    f"回访结束后{_who(channel)}：{label}" + (f"（{comment}）" if comment else ""),
                    {
                        "kind": "survey_late_answer",
                        "survey": survey.id,
                        "answer": answer.value,
                        "comment": comment,
                        "source": source,
                        **taken,
                    },
                )
                return texts.LATE_THANKS.format(answer=label, number=case.number)
            current = await Survey.get(id=survey.id)
        if strict:
            raise AlreadyAnswered(f"第{current.round}轮回访已有评价（{_given(current)}），不能覆盖")
        given = texts.ANSWER_LABELS.get(current.answer.value if current.answer else "", label)
        return texts.ALREADY_ANSWERED.format(number=case.number, answer=given)


def _who(channel: str) -> str:
    """Whose answer the timeline records: the resident's own, or one staff took by phone..."""
    if channel in ("", "wechat"):
        return "居民评价"
    return f"居民评价（{texts.CHANNEL_LABELS.get(channel, channel)}）"


def _given(survey: Survey) -> str:
    return texts.ANSWER_LABELS.get(survey.answer.value if survey.answer else "", "已评价")


async def reply_as_answer(
    resident: Resident, text: str, ctx: HandlerContext, *, menu: str | None = None
) -> str | None:
    """The answer to a resident's message when it answers a survey (a tapped menu option, or
    words that read as an answer while a round is open); None to let intake take it."""
    picked = parse_menu_id(menu)
    if picked is not None:
        survey_id, answer = picked
        survey = await Survey.get_or_none(id=survey_id, resident_id=resident.id)
        if survey is not None:
            return await answer_survey(survey, answer, "", ctx, source="menu")
    command = "".join(text.split())
    if command in texts.OPT_OUT_WORDS:
        await Resident.filter(id=resident.id).update(survey_opt_out=True)
        resident.survey_opt_out = True
        return texts.OPTED_OUT
    if command in texts.OPT_IN_WORDS:
        await Resident.filter(id=resident.id).update(survey_opt_out=False)
        resident.survey_opt_out = False
        return texts.OPTED_IN
    reading: SatisfactionReading | None = read_satisfaction(text)
    survey = await open_round_for(resident, ctx.now, ctx.settings)
    if survey is None:
        return None
    if reading is None:
        if not await _says_it_persists(survey, text, ctx):
            return None
        reading = SatisfactionReading("unsatisfied", " ".join(text.split())[:500])
    return await answer_survey(survey, reading.answer, reading.comment, ctx, source="reply")


async def _says_it_persists(survey: Survey, text: str, ctx: HandlerContext) -> bool:
    """Whether the finished case's problem is still there ("群租还在"): same matter, persisting."""
    if survey.status not in ANSWERABLE or len(text) > texts.MAX_PERSISTS_ANSWER:
        return False
    if not any(word in text for word in texts.PERSISTS_WORDS):
        return False
    case = await Case.get_or_none(id=survey.case_id)
    if case is None or case.status != CaseStatus.COMPLETED:
        return False
    found = compare(case.text or case.title, text, gazetteer=ctx.gazetteer, model=ctx.model)
    return found.verdict == "same"
