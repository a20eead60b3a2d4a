"""回访: who is asked whether they are satisfied, when, and what each answer does to the case.

One :class:`models.Survey` row per round: a round is scheduled in the transaction of 办结
(:func:`schedule_survey`), and a case reopened by 不满意 gets its next round at its next 办结.
The sweep (:func:`sweep_due_surveys`) works on those rows, never on scheduler jobs, in three
steps, each a range scan on an (status, due time) index and a claim by conditional UPDATE:

- **ask** (scheduled, ``due_at`` passed): the resident gets one survey, a customer-service
  message with a menu inside the 48-hour window, else a template or subscription message they
  agreed to, else the round is recorded as unreachable with the reason. No survey, recorded as
  skipped with the reason, when the case is no longer 已办结 (reopened or withdrawn meanwhile),
  has no resident, the resident unfollowed us or said they want no surveys. Cases merged into
  another (已并案) never finish on their own, so they never get a round: the case they joined
  does.
- **remind** (sent, ``reminder_due_at`` passed): one reminder, if still unanswered.
- **close** (sent or reminded, ``closes_at`` passed): the round ends as 未评价 and the case moves
  to 已回访 with that note.

Times the resident would get a message at night are moved to the next morning.

Answers (:func:`answer_survey`) come from a reply (1/2/3, 满意/基本满意/不满意 and free words,
read by :mod:`nlu.satisfaction`), from the survey's menu, or from the mini-program:

- 满意 / 基本满意: the round is answered and the case 已回访.
- 不满意: the case reopens (重办) with the unit that owned it and a fresh completion deadline;
  its worker and the unit's supervisors are told. A second 不满意 on the same case also gives
  the unit's supervisors (else its head) a field-visit task (四不两直) and flags the case 督办.
- An answer after the round closed (within ``survey_late_answer_days``) is kept on the round
  (``late``) and on the timeline, and acknowledged; it changes nothing else.

Each claim is one short transaction with the messages it causes (outbox rows with a dedup key per
round and step), so several processes can sweep at once and a crash loses or doubles nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from config import surveys as texts
from config.settings import Settings
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.digits import whole_number
from handlers.followup.schedule import quiet_adjusted
from handlers.notify import CaseUpdate, has_unfollowed, notify_resident
from handlers.timeline import Actor, ConcurrentChange, annotate, apply_action
from handlers.workflow.actions import reopen_case
from handlers.workflow.tasks import notify_worker
from models import (
    Case,
    CaseAction,
    CaseStatus,
    OutboxStatus,
    Resident,
    ResidentApp,
    Survey,
    SurveyAnswer,
    SurveyStatus,
    Unit,
    Worker,
    WorkerRole,
)
from nlu.satisfaction import SatisfactionReading, read_satisfaction

logger = logging.getLogger(__name__)

OPEN_ROUND = (SurveyStatus.SENT, SurveyStatus.REMINDED)
ANSWERABLE = (*OPEN_ROUND, SurveyStatus.SCHEDULED, SurveyStatus.UNREACHABLE, SurveyStatus.SKIPPED)
TITLE_LIMIT = 20
RESULT_LIMIT = 60

SKIP_NOT_COMPLETED = "诉求已不在已办结状态（{status}）"
SKIP_NO_RESIDENT = "诉求没有关联居民"
SKIP_OPTED_OUT = "居民已选择不接受回访"
SKIP_UNFOLLOWED = "居民已取消关注"


# Asking


def _title(case: Case) -> str:
    title = " ".join((case.title or case.text or "").split())
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"


def _result(case: Case) -> str:
    result = " ".join((case.result or "").split())
    return result if len(result) <= RESULT_LIMIT else result[: RESULT_LIMIT - 1] + "…"


def menu_id(survey_id: int, answer: str) -> str:
    return f"{texts.MENU_ID_PREFIX}:{survey_id}:{answer}"


def parse_menu_id(value: str | None) -> tuple[int, str] | None:
    """(survey id, answer) from a tapped menu option's id, or None if it is not one of ours."""
    parts = (value or "").split(":")
    if len(parts) != 3 or parts[0] != texts.MENU_ID_PREFIX:
        return None
    survey_id = whole_number(parts[1])
    if survey_id is None or parts[2] not in texts.ANSWER_LABELS:
        return None
    return survey_id, parts[2]


def menu_payload(survey: Survey, case: Case) -> dict[str, Any]:
    """A customer-service message with the three answers as options (msgmenu)."""
    return {
        "msgtype": "msgmenu",
        "msgmenu": {
            "head_content": texts.MENU_HEAD.format(
                number=case.number, title=_title(case), result=_result(case)
            ),
            "list": [
                {"id": menu_id(survey.id, answer), "content": label}
                for answer, label in texts.MENU_OPTIONS
            ],
            "tail_content": texts.MENU_TAIL,
        },
    }


def survey_payload(survey: Survey, case: Case, resident: Resident) -> dict[str, Any] | None:
    """The customer-service form of the question: a menu on the official account. The
    mini-program's customer service carries text, image, link and miniprogrampage only, so
    its residents get the question as text (``None``) and answer 1, 2 or 3 as typed words."""
    if resident.app == ResidentApp.MINIPROGRAM:
        return None
    return menu_payload(survey, case)


def skip_reason(case: Case, resident: Resident | None) -> str | None:
    if case.status != CaseStatus.COMPLETED:
        return SKIP_NOT_COMPLETED.format(status=CaseStatus(case.status).label)
    if resident is None:
        return SKIP_NO_RESIDENT
    if resident.survey_opt_out:
        return SKIP_OPTED_OUT
    if has_unfollowed(resident):
        return SKIP_UNFOLLOWED
    return None


@dataclass
class FollowupResult:
    """What one sweep did. ``more``: a step stopped at its batch and work is still waiting."""

    asked: int = 0
    unreachable: int = 0
    skipped: int = 0  # rounds with no survey due (see skip_reason)
    reminded: int = 0
    closed: int = 0  # 未评价
    lost_races: int = 0  # rows another process claimed first
    failed: int = 0
    more: bool = False

    def add(self, other: FollowupResult) -> None:
        for name in (
            "asked",
            "unreachable",
            "skipped",
            "reminded",
            "closed",
            "lost_races",
            "failed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.more = self.more or other.more

    @property
    def steps(self) -> int:
        return self.asked + self.unreachable + self.skipped + self.reminded + self.closed


Step = Callable[[Survey, HandlerContext, "FollowupResult"], Awaitable[None]]


class _LostRace(Exception):
    """Another process claimed the row first (or the case moved): nothing to do here."""


async def _claim(
    survey: Survey, claimable: SurveyStatus | Sequence[SurveyStatus], **values: Any
) -> None:
    """Apply ``values`` to the row if it is still in a claimable status, else _LostRace."""
    statuses = [claimable] if isinstance(claimable, SurveyStatus) else list(claimable)
    claimed = await Survey.filter(id=survey.id, status__in=statuses).update(**values)
    if not claimed:
        raise _LostRace(f"survey {survey.id} was taken by another process")
    for name, value in values.items():
        setattr(survey, name, value)


async def _resident_of(survey: Survey) -> Resident | None:
    """The round's resident: read with the sweep's page (one join, not a query per round)."""
    if survey.resident_id is None:
        return None
    loaded = getattr(survey, "_resident", None)  # where Tortoise keeps a select_related row
    if isinstance(loaded, Resident):
        return loaded
    return await Resident.get_or_none(id=survey.resident_id)


async def _ask(survey: Survey, ctx: HandlerContext, result: FollowupResult) -> None:
    now = ctx.now
    settings = ctx.settings
    async with in_transaction():
        case = await Case.get(id=survey.case_id)
        resident = await _resident_of(survey)
        reason = skip_reason(case, resident)
        if reason is not None or resident is None:
            await _claim(
                survey, SurveyStatus.SCHEDULED, status=SurveyStatus.SKIPPED, skip_reason=reason
            )
            result.skipped += 1
            logger.info(
                "case %s: survey round %d skipped: %s",
                case.number,
                survey.round,
                reason,
                extra={"case": case.number},
            )
            return
        reminder = quiet_adjusted(now + timedelta(hours=settings.survey_reminder_hours), settings)
        closes = now + timedelta(hours=settings.survey_close_hours)
        await _claim(
            survey,
            SurveyStatus.SCHEDULED,
            status=SurveyStatus.SENT,
            sent_at=now,
            reminder_due_at=reminder if reminder < closes else None,
            closes_at=closes,
        )
        text = texts.QUESTION.format(number=case.number, title=_title(case), result=_result(case))
        row = await notify_resident(
            resident,
            text,
            now,
            purpose="survey",
            case_id=case.id,
            dedup_key=f"survey:{survey.id}:ask",
            settings=settings,
            update=CaseUpdate(number=case.number, status="待评价", at=now),
            custom_payload=survey_payload(survey, case, resident),
        )
        if row.status == OutboxStatus.SKIPPED:
            await Survey.filter(id=survey.id).update(
                status=SurveyStatus.UNREACHABLE, skip_reason=row.last_error[:64]
            )
            result.unreachable += 1
            note = f"满意度回访未能发送：{row.last_error}"
        else:
            result.asked += 1
            note = f"已发送第{survey.round}轮满意度回访"
        outcome = "unreachable" if row.status == OutboxStatus.SKIPPED else "sent"
        logger.info(
            "case %s: survey round %d %s",
            case.number,
            survey.round,
            outcome,
            extra={"case": case.number},
        )
        await annotate(
            case,
            Actor.system(),
            now,
            note,
            {
                "kind": "survey_sent",
                "survey": survey.id,
                "round": survey.round,
                "channel": row.channel,
                "sent": row.status != OutboxStatus.SKIPPED,
            },
        )


async def _remind(survey: Survey, ctx: HandlerContext, result: FollowupResult) -> None:
    now = ctx.now
    if survey.closes_at is not None and survey.closes_at <= now:
        return  # the round is over (after downtime): it closes in this sweep, unreminded
    async with in_transaction():
        await _claim(survey, SurveyStatus.SENT, status=SurveyStatus.REMINDED, reminded_at=now)
        case = await Case.get(id=survey.case_id)
        resident = await _resident_of(survey)
        if resident is None or resident.survey_opt_out or has_unfollowed(resident):
            return
        closes = format_local(survey.closes_at) if survey.closes_at else "近日"
        await notify_resident(
            resident,
            texts.REMINDER.format(number=case.number, title=_title(case), closes=closes),
            now,
            purpose="survey_reminder",
            case_id=case.id,
            dedup_key=f"survey:{survey.id}:remind",
            settings=ctx.settings,
            update=CaseUpdate(number=case.number, status="待评价", at=now),
            custom_payload=survey_payload(survey, case, resident),
        )
        result.reminded += 1
        logger.info("case %s: survey reminder sent", case.number, extra={"case": case.number})


async def _close(survey: Survey, ctx: HandlerContext, result: FollowupResult) -> None:
    now = ctx.now
    async with in_transaction():
        await _claim(survey, OPEN_ROUND, status=SurveyStatus.UNRATED)
        case = await Case.get(id=survey.case_id)
        note = f"第{survey.round}轮回访期内居民未评价（未评价）"
        data = {"kind": "survey_closed", "survey": survey.id, "round": survey.round}
        if case.status == CaseStatus.COMPLETED:
            await apply_action(case, CaseAction.VISIT, Actor.system(), now, note=note, data=data)
        else:
            await annotate(case, Actor.system(), now, note, data)
        result.closed += 1
        logger.info(
            "case %s: survey round %d closed unrated",
            case.number,
            survey.round,
            extra={"case": case.number},
        )


# One scan per (status, due column): each is a range on its composite index, ordered the way that
# index is, so the database never walks the history of closed rounds to find the few open ones
# (an IN over two statuses would make it do just that: 170 ms among a million rounds).
SCANS: tuple[tuple[str, SurveyStatus, str, Step], ...] = (
    ("ask", SurveyStatus.SCHEDULED, "due_at", _ask),
    ("remind", SurveyStatus.SENT, "reminder_due_at", _remind),
    ("close sent", SurveyStatus.SENT, "closes_at", _close),
    ("close reminded", SurveyStatus.REMINDED, "closes_at", _close),
)


def due_scans(now: datetime, batch: int) -> list[tuple[str, QuerySet[Survey], Step]]:
    """The sweep's queries, in the order it runs them (benchmarks/sweeps.py explains them)."""
    scans: list[tuple[str, QuerySet[Survey], Step]] = []
    for name, status, column, step in SCANS:
        due: dict[str, Any] = {"status": status, f"{column}__lte": now}
        query = (
            Survey.filter(**due)
            .select_related("resident")
            .order_by("status", column, "id")
            .limit(batch)
        )
        scans.append((name, query, step))
    return scans


async def sweep_due_surveys(ctx: HandlerContext, *, batch: int = 200) -> FollowupResult:
    """Ask, remind and close every round due at ``ctx.now``: at most ``batch`` rows per step.

    Safe in every process at once and after downtime (everything that fell due is found by its
    range scan): each row is claimed by a conditional UPDATE inside the transaction that also
    queues its message, so exactly one process does each step.
    """
    if batch <= 0:
        raise ValueError("batch must be positive")
    now = ctx.now
    result = FollowupResult()
    for _, query, step in due_scans(now, batch):
        rows = await query
        if len(rows) >= batch:
            result.more = True
        for survey in rows:
            try:
                await step(survey, ctx, result)
            except (_LostRace, ConcurrentChange, IntegrityError) as exc:
                logger.debug("survey %s: %s", survey.id, exc)
                result.lost_races += 1
            except Exception:
                logger.exception(
                    "survey %s: %s failed; the next sweep tries again", survey.id, step.__name__
                )
                result.failed += 1
    return result


# Answers


async def open_round_for(resident: Resident, now: datetime, settings: Settings) -> Survey | None:
    """The round a reply from ``resident`` would answer: the newest open one, else the newest
    round that closed unanswered recently (a late answer is kept)."""
    survey = (
        await Survey.filter(resident_id=resident.id, status__in=list(OPEN_ROUND))
        .order_by("-sent_at", "-id")
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
    """不满意: 重办, the unit told; a second 不满意 also sends a supervisor to look (四不两直)."""
    comment_text = comment or texts.NO_COMMENT
    unit = await _unit_name(case)
    await reopen_case(case, actor, f"居民评价不满意：{comment_text}", ctx)
    deadline = format_local(case.completion_due_at) if case.completion_due_at else "近期"
    handler = await Worker.get_or_none(id=case.worker_id) if case.worker_id else None
    supervisors = await _unit_people(case, [WorkerRole.SUPERVISOR])
    notice = texts.REOPEN_NOTICE.format(
        number=case.number, title=_title(case), comment=comment_text, deadline=deadline
    )
    people = ([handler] if handler is not None and handler.active else []) + supervisors
    if not people:
        people = await _unit_people(case, [WorkerRole.UNIT_STAFF, WorkerRole.UNIT_HEAD])
    await _tell_staff(case, people, notice, f"reopen:{case.id}:{survey.round}", ctx, "reopen")
    unsatisfied = await Survey.filter(case_id=case.id, answer=SurveyAnswer.UNSATISFIED).count()
    if unsatisfied < 2:
        return texts.REOPENED.format(number=case.number, unit=unit, deadline=deadline)
    inspectors = supervisors or await _unit_people(case, [WorkerRole.UNIT_HEAD])
    visit = texts.FIELD_VISIT_NOTICE.format(
        number=case.number, title=_title(case), times=unsatisfied, comment=comment_text, unit=unit
    )
    told = await _tell_staff(
        case, inspectors, visit, f"fieldvisit:{case.id}:{survey.round}", ctx, "field_visit"
    )
    data = {
        "kind": "field_visit",
        "survey": survey.id,
        "unsatisfied": unsatisfied,
        "to": [w.id for w in inspectors],
    }
    if not case.supervised:
        await apply_action(
            case,
            CaseAction.SUPERVISE,
            Actor.system(),
            ctx.now,
            note=f"第{unsatisfied}次评价不满意，列入督办并安排实地核查",
            data=data,
            changes={"supervised": True},
        )
    else:
        await annotate(
            case, Actor.system(), ctx.now, f"第{unsatisfied}次评价不满意，已安排实地核查", data
        )
    if not told:
        logger.warning(
            "case %s: field visit with nobody to send (unit %s)",
            case.number,
            case.unit_id,
            extra={"case": case.number},
        )
    return texts.FIELD_VISIT_PROMISED.format(number=case.number)


async def answer_survey(
    survey: Survey,
    answer: SurveyAnswer | str,
    comment: str,
    ctx: HandlerContext,
    *,
    source: str,
    actor: Actor | None = None,
) -> str:
    """Record an answer to ``survey`` and do what it means; the text to show the resident.

    Safe to repeat: a second answer to an answered round changes nothing.
    """
    answer = SurveyAnswer(answer)
    comment = " ".join((comment or "").split())[:500]
    label = texts.ANSWER_LABELS[answer.value]
    actor = actor or Actor("resident", str(survey.resident_id or ""))
    now = ctx.now
    async with in_transaction():
        case = await Case.get(id=survey.case_id)
        # A round not yet asked, or one we could not deliver, may still be answered (in the
        # mini-program, where the resident sees the case); closed rounds take late answers.
        claimed = await Survey.filter(id=survey.id, status__in=list(ANSWERABLE)).update(
            status=SurveyStatus.ANSWERED,
            answer=answer,
            comment=comment,
            answered_at=now,
            answer_source=source,
        )
        if claimed:
            data = {
                "kind": "survey_answer",
                "survey": survey.id,
                "round": survey.round,
                "answer": answer.value,
                "comment": comment,
                "source": source,
            }
            note = f"居民评价：{label}" + (f"（{comment}）" if comment else "")
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
                answer=answer, comment=comment, answered_at=now, answer_source=source, late=True
            )
            if late:
                await annotate(
                    case,
                    actor,
                    now,
                    f"回访结束后居民评价：{label}" + (f"（{comment}）" if comment else ""),
                    {
                        "kind": "survey_late_answer",
                        "survey": survey.id,
                        "answer": answer.value,
                        "comment": comment,
                        "source": source,
                    },
                )
                return texts.LATE_THANKS.format(answer=label, number=case.number)
            current = await Survey.get(id=survey.id)
        given = texts.ANSWER_LABELS.get(current.answer.value if current.answer else "", label)
        return texts.ALREADY_ANSWERED.format(number=case.number, answer=given)


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
    if reading is None:
        return None
    survey = await open_round_for(resident, ctx.now, ctx.settings)
    if survey is None:
        return None
    return await answer_survey(survey, reading.answer, reading.comment, ctx, source="reply")
