"""After 办结: satisfaction surveys; for everyone at once: notices and their deliveries."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case
    from models.district import Unit
    from models.people import Resident, Worker


class SurveyStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    REMINDED = "reminded"
    ANSWERED = "answered"
    UNRATED = "unrated"  # 未评价: the round closed without an answer
    UNREACHABLE = "unreachable"  # no channel to the resident was open
    SKIPPED = "skipped"  # no survey is due (cancelled, duplicate, unsubscribed, opted out)


class SurveyAnswer(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY = "basically"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class Survey(Model):
    """One round of 回访 for a case. A reopened case gets a new round after its next 办结."""

    case_id: int
    resident_id: int | None

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="surveys", on_delete=fields.CASCADE
    )
    round = fields.IntField(default=1)
    resident: fields.ForeignKeyNullableRelation[Resident] = fields.ForeignKeyField(
        "models.Resident", related_name="surveys", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(SurveyStatus, max_length=16, default=SurveyStatus.SCHEDULED)
    due_at = fields.DatetimeField(db_index=True)
    sent_at = fields.DatetimeField(null=True)
    reminder_due_at = fields.DatetimeField(null=True, db_index=True)
    reminded_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True, db_index=True)
    answer = fields.CharEnumField(SurveyAnswer, max_length=16, null=True)
    comment = fields.TextField(default="")
    answered_at = fields.DatetimeField(null=True)
    answer_source = fields.CharField(
        max_length=16, default="", description="reply | menu | miniprogram | staff"
    )
    late = fields.BooleanField(default=False, description="answered after the round closed")
    # 回访 by every channel: how the answer was taken, and by whom when staff recorded it.
    channel = fields.CharField(
        max_length=16, default="", description="wechat | phone | visit | other"
    )
    recorded_by = fields.CharField(max_length=64, default="", description="staff username")
    # When the answer was written down (``answered_at`` is when it was given, which staff may
    # date back): a closed month counts only answers recorded by its end.
    recorded_at = fields.DatetimeField(null=True)
    skip_reason = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "surveys"
        unique_together = (("case", "round"),)
        # One range scan per sweep step: (status, the time that step falls due).
        indexes = (
            ("status", "due_at"),
            ("status", "reminder_due_at"),
            ("status", "closes_at"),
            ("resident_id", "status"),
        )


class SurveyChannel(StrEnum):
    WECHAT = "wechat"  # the resident answered in WeChat (reply, menu, mini-program)
    PHONE = "phone"  # staff called the resident
    VISIT = "visit"  # staff asked face to face
    OTHER = "other"


class FieldVisitStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class FieldVisitOutcome(StrEnum):
    RECTIFIED = "rectified"  # 已整改
    UNRECTIFIABLE = "unrectifiable"  # 无法整改


class FieldVisit(Model):
    """The field visit (四不两直) a 不满意 answer sends the centre or the unit's head on.

    The first 不满意 of a case creates it with a deadline (整改时限), a second one adds 督办
    (``supervised``). Staff record its outcome, which closes it.
    """

    case_id: int
    survey_id: int | None
    unit_id: int | None
    assignee_id: int | None

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="field_visits", on_delete=fields.CASCADE
    )
    survey: fields.ForeignKeyNullableRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="field_visits", null=True, on_delete=fields.SET_NULL
    )
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="field_visits", null=True, on_delete=fields.SET_NULL
    )
    assignee: fields.ForeignKeyNullableRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="field_visits", null=True, on_delete=fields.SET_NULL
    )
    assignee_label = fields.CharField(max_length=64, default="", description="who goes")
    status = fields.CharEnumField(FieldVisitStatus, max_length=16, default=FieldVisitStatus.OPEN)
    due_at = fields.DatetimeField(description="整改时限")
    supervised = fields.BooleanField(default=False, description="督办: a second 不满意")
    supervised_at = fields.DatetimeField(null=True)
    outcome = fields.CharField(max_length=16, default="", description="rectified | unrectifiable")
    outcome_text = fields.TextField(default="")
    photos: fields.JSONField[list[str]] = fields.JSONField(default=list, description="media keys")
    recorded_by = fields.CharField(max_length=64, default="", description="staff username")
    recorded_at = fields.DatetimeField(null=True)
    overdue_notified_at = fields.DatetimeField(
        null=True, description="when the people owing the outcome were told it is past due"
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "field_visits"
        indexes = (("status", "due_at"), ("case_id", "created_at"))


class NoticeStatus(StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"  # waiting for scheduled_at
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # the approver said no


class Notice(Model):
    """A broadcast notice (群发通知) to residents or workers."""

    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=128)
    kind = fields.CharField(max_length=16, default="text", description="text | news | template")
    content: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    audience: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, description="{all|tags|streets|grids|units: ...}"
    )
    channel = fields.CharField(max_length=16, default="mp_mass")
    status = fields.CharEnumField(NoticeStatus, max_length=24, default=NoticeStatus.DRAFT)
    created_by = fields.CharField(max_length=64, default="")
    approved_by = fields.CharField(max_length=64, null=True)
    scheduled_at = fields.DatetimeField(null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    # The way to sending: a preview to its author, a second admin's approval, the fan-out.
    preview_sent_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    approved_at = fields.DatetimeField(null=True)
    decision_note = fields.TextField(default="", description="the approver's note or refusal")
    started_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancelled_by = fields.CharField(max_length=64, null=True)
    recipients_total = fields.IntField(default=0, description="audience size when fanned out")
    fanned_out = fields.BooleanField(default=False, description="every delivery row is written")
    # Fan-out resumes after the last audience key written (a resident or worker id), and paces
    # per-recipient rows at the outbound rate: the next row falls due at paced_until.
    fanout_cursor = fields.BigIntField(default=0, description="last audience key written")
    paced_until = fields.DatetimeField(null=True, description="when the last queued row is due")
    quota_warning = fields.TextField(default="", description="what WeChat's quotas will cut")
    # WeChat mass sends: the idempotency key we gave, and what WeChat answered and reported.
    clientmsgid = fields.CharField(max_length=64, null=True, unique=True)
    wechat_msg_id = fields.CharField(max_length=64, null=True, db_index=True)
    wechat_result: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, description="MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH counts"
    )
    version = fields.IntField(default=0)

    class Meta:
        table = "notices"


class NoticeDelivery(Model):
    """One recipient of a notice, unique per notice, so a retried fan-out never sends twice."""

    notice_id: int

    id = fields.BigIntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="deliveries", on_delete=fields.CASCADE
    )
    recipient = fields.CharField(max_length=64)
    # pending | sending (a request may have reached WeChat) | sent | failed | skipped | cancelled
    # (the description stays as first written: altering a column rebuilds the SQLite table)
    status = fields.CharField(
        max_length=16, default="pending", description="pending|sent|failed|skipped"
    )
    reason = fields.CharField(max_length=255, default="")
    outbox_id = fields.BigIntField(null=True)
    channel = fields.CharField(max_length=16, default="", description="how it goes out")
    resident_id = fields.BigIntField(null=True, description="for residents: the monthly quota")
    sent_at = fields.DatetimeField(null=True)
    wechat_msg_id = fields.CharField(
        max_length=64, null=True, description="msgid of the send (or mass job)"
    )
    wechat_status = fields.CharField(
        max_length=64, default="", description="what TEMPLATESENDJOBFINISH reported"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notice_deliveries"
        unique_together = (("notice", "recipient"),)
        # outbox_id: the drainer finds a row's deliveries by it, before and after each send.
        # wechat_msg_id: WeChat's job reports name the send by it.
        indexes = (
            ("notice_id", "status"),
            ("resident_id", "sent_at"),
            ("outbox_id",),
            ("wechat_msg_id",),
        )
