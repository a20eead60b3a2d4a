"""回访: who is asked whether they are satisfied, and when; reminders, and rounds that close
unanswered. What each answer does to the case is in ``handlers.followup.answers``.

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
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.digits import whole_number
from handlers.followup.schedule import quiet_adjusted
from handlers.notify import CaseUpdate, has_unfollowed, notify_resident
from handlers.timeline import Actor, ConcurrentChange, annotate, apply_action
from models import (
    Case,
    CaseAction,
    CaseStatus,
    OutboxStatus,
    Resident,
    ResidentApp,
    Survey,
    SurveyStatus,
)

logger = logging.getLogger(__name__)

OPEN_ROUND = (SurveyStatus.SENT, SurveyStatus.REMINDED)
TITLE_LIMIT = 20
RESULT_LIMIT = 60

SKIP_NOT_COMPLETED = "诉求已不在已办结状态（{status}）"
SKIP_NO_RESIDENT = "诉求没有关联居民"
SKIP_OPTED_OUT = "居民已选择不接受回访"
SKIP_UNFOLLOWED = "居民已取消关注"


# Asking


def short_title(case: Case) -> str:
    """The case's title on one line, cut to fit a survey (and the staff told of an answer)."""
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
                number=case.number, title=short_title(case), result=_result(case)
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
    if case.review_state == "pending":  # 办结审核 first (handlers.workflow.review)
        return "result under review"
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
        text = texts.QUESTION.format(
            number=case.number, title=short_title(case), result=_result(case)
        )
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
            texts.REMINDER.format(number=case.number, title=short_title(case), closes=closes),
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
