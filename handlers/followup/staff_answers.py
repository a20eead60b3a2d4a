"""回访 by every channel: staff record an answer a resident gave by phone or face to face.

For residents without WeChat, Open311 reporters, or anyone who prefers a call: the answer goes
through :func:`handlers.followup.answers.answer_survey` with its channel (phone, visit, other,
or wechat when staff copy one in), who recorded it and when it was given, so it does just what
the resident's own answer would (满意 closes the 回访, 不满意 reopens the case and sends the field
visit). It answers the case's newest round; when none was scheduled (a case finished before
rounds existed, or one whose round was never made), it makes one. An answered round is never
overwritten: a second answer, the resident's or staff's, or two at once, is refused with 409
(:class:`handlers.followup.answers.AlreadyAnswered`). Capability ``surveys.record``; audited in
the answer's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from config import surveys as texts
from handlers.context import HandlerContext
from handlers.followup.answers import AlreadyAnswered, answer_survey
from handlers.followup.field_visits import require_capability
from handlers.staff.audit import StaffActor, audit
from handlers.workflow.staff_actions import StaffRefused, staff_actor
from models import Case, CaseStatus, StaffUser, Survey, SurveyAnswer, SurveyStatus

MAX_NOTE = 500
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock a little ahead is no answer from the future
ANSWERED_STATUSES = (CaseStatus.COMPLETED, CaseStatus.VISITED)


def _checked(answer: str, channel: str, note: str) -> tuple[SurveyAnswer, str, str]:
    if answer not in texts.ANSWER_LABELS:
        raise StaffRefused("请选择评价：满意、基本满意或不满意", 400, "invalid_request")
    if channel not in texts.STAFF_CHANNELS:
        raise StaffRefused("请选择回访方式：电话、上门、微信或其他", 400, "invalid_request")
    words = " ".join((note or "").split())
    if "\x00" in words:  # PostgreSQL text holds no NUL
        raise StaffRefused("回访记录含有无效字符", 400, "invalid_request")
    if len(words) > MAX_NOTE:
        raise StaffRefused(f"回访记录不能超过{MAX_NOTE}字", 400, "invalid_request")
    return SurveyAnswer(answer), channel, words


async def _round_of(case: Case) -> Survey:
    """The round this answer is for: the case's newest, or a new one if it has none yet."""
    current = case.reopened_count + 1
    survey = await Survey.filter(case_id=case.id).order_by("-round", "-id").first()
    if survey is not None and survey.round >= current:
        return survey
    try:
        return await Survey.create(
            case_id=case.id,
            round=current,
            resident_id=case.resident_id,
            status=SurveyStatus.SKIPPED,
            skip_reason="staff",
            due_at=case.completed_at or case.updated_at,
        )
    except IntegrityError:  # made meanwhile by another request: answer that one
        return await Survey.get(case_id=case.id, round=current)


async def record_staff_answer(
    case: Case,
    answer: str,
    channel: str,
    note: str,
    when: datetime | None,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
) -> Survey:
    """Record a survey answer taken by staff; the round as stored afterwards."""
    require_capability(user, "surveys.record", case)
    checked, channel, words = _checked(answer, channel, note)
    now = ctx.now
    when = when or now
    if when.tzinfo is None:
        raise StaffRefused("回访时间须带时区", 400, "invalid_request")
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        raise StaffRefused("回访时间超出范围", 400, "invalid_request") from None
    if when > now + CLOCK_SKEW:
        raise StaffRefused("回访时间不能晚于现在", 400, "invalid_request")
    if case.completed_at is not None and when < case.completed_at:
        raise StaffRefused("回访时间不能早于办结时间", 400, "invalid_request")
    if CaseStatus(case.status) not in ANSWERED_STATUSES:
        label = CaseStatus(case.status).label
        raise StaffRefused(f"诉求当前为{label}，办结后才能回访", 409, "illegal_transition")
    async with in_transaction():
        survey = await _round_of(case)
        if survey.answer is not None:
            raise AlreadyAnswered(
                f"第{survey.round}轮回访已有评价（{texts.ANSWER_LABELS[survey.answer.value]}），"
                "不能覆盖"
            )
        await answer_survey(
            survey,
            checked,
            words,
            ctx,
            source="staff",
            actor=staff_actor(actor),
            channel=channel,
            recorded_by=actor.username,
            answered_at=when,
            strict=True,
        )
        await audit(
            actor,
            "survey.record",
            now,
            target_type="case",
            target_id=case.number,
            detail={
                "survey": survey.id,
                "round": survey.round,
                "answer": checked.value,
                "channel": channel,
                "answered_at": when.isoformat(),
            },
        )
    await case.refresh_from_db()
    return await Survey.get(id=survey.id)


__all__ = ["AlreadyAnswered", "record_staff_answer"]
