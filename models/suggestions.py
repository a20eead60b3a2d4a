"""人民建议征集 (issue 18): residents' suggestions, evaluated by the suggestion office, adopted by
departments, carried out and published; the themed calls that gather them and the stations
(联系点) through which they come.

A suggestion is not a case: it has no handling unit's deadlines and counts in none of the case
figures. Its own life (``SuggestionStatus``) and each step of it (``SuggestionEvent``, told to
the proposer) are here; what each step means and who may take it is ``handlers/suggestions``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case
    from models.district import Unit
    from models.people import Resident


class SuggestionStatus(StrEnum):
    RECEIVED = "received"  # 已收到: waits for the office's screening
    MORE_INFO = "more_info"  # 待补充: the office asked the proposer for more
    DECLINED = "declined"  # 不予采纳, with the reason the proposer is told
    MERGED = "merged"  # 已合并 into a similar suggestion (``merged_into``)
    ADOPTED = "adopted"  # 已采纳: passed to one or more departments for their answer
    FORWARDED = "forwarded"  # 已报送: sent on to the city level (an export, recorded)
    ANSWERED = "answered"  # 已答复: every department it went to has answered
    IMPLEMENTED = "implemented"  # 已落地: the office recorded the result in practice
    CONVERTED = "converted"  # 已转为诉求: it was a complaint after all (``case``)

    @property
    def label(self) -> str:
        return SUGGESTION_STATUS_LABELS[self]


SUGGESTION_STATUS_LABELS: dict[SuggestionStatus, str] = {
    SuggestionStatus.RECEIVED: "已收到",
    SuggestionStatus.MORE_INFO: "待补充",
    SuggestionStatus.DECLINED: "不予采纳",
    SuggestionStatus.MERGED: "已合并",
    SuggestionStatus.ADOPTED: "已采纳",
    SuggestionStatus.FORWARDED: "已报送市级",
    SuggestionStatus.ANSWERED: "部门已答复",
    SuggestionStatus.IMPLEMENTED: "已落地",
    SuggestionStatus.CONVERTED: "已转为诉求",
}


class Station(Model):
    """A suggestion station or partner (人民建议征集联系点): the channel a suggestion came
    through, so the network's contribution is counted."""

    unit_id: int | None

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(
        max_length=16, default="station", description="center | street | station | partner"
    )
    street = fields.CharField(max_length=64, default="")
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="stations", null=True, on_delete=fields.SET_NULL
    )
    contact = fields.CharField(max_length=64, default="")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "suggestion_stations"


class CallStatus(StrEnum):
    DRAFT = "draft"  # written, not yet open
    OPEN = "open"  # gathering replies within its period
    CLOSED = "closed"  # its period is over (or closed early)


class SuggestionCall(Model):
    """A themed call (征集活动, 金点子): a question put to an audience for a period, replies
    within it are gathered under it."""

    notice_id: int | None

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    title = fields.CharField(max_length=100)
    question = fields.TextField()
    keyword = fields.CharField(
        max_length=32, default="", description="a chat message starting with it replies to the call"
    )
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    audience: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, description="as a broadcast notice's audience"
    )
    channels: fields.JSONField[list[str]] = fields.JSONField(
        default=list, description="chat | menu | mini"
    )
    status = fields.CharEnumField(CallStatus, max_length=16, default=CallStatus.DRAFT)
    notice: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Notice", related_name="suggestion_calls", null=True, on_delete=fields.SET_NULL
    )
    created_by = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "suggestion_calls"
        indexes = (Index(fields=("status", "ends_at")),)


class Suggestion(Model):
    """One resident's suggestion (人民建议) and where it stands.

    ``number`` is ``JY`` and a number from the case numbers' sequence (unique across both).
    ``screen_due_at`` is the office's screening deadline (SLA table, kind ``suggestion``),
    the departments' answer deadlines are on :class:`SuggestionAdoption`.
    """

    resident_id: int | None
    station_id: int | None
    call_id: int | None
    merged_into_id: int | None
    case_id: int | None
    from_case_id: int | None

    id = fields.BigIntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)
    resident: fields.ForeignKeyNullableRelation[Resident] = fields.ForeignKeyField(
        "models.Resident", related_name="suggestions", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharField(max_length=16, description="wechat | mp | open311 | staff | station")
    station: fields.ForeignKeyNullableRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="suggestions", null=True, on_delete=fields.SET_NULL
    )
    call: fields.ForeignKeyNullableRelation[SuggestionCall] = fields.ForeignKeyField(
        "models.SuggestionCall", related_name="suggestions", null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=64)
    text = fields.TextField()
    category = fields.CharField(max_length=128, default="")
    keywords: fields.JSONField[list[str]] = fields.JSONField(default=list)
    street = fields.CharField(max_length=64, default="")
    place_text = fields.CharField(max_length=128, default="")
    contact_phone = fields.CharField(max_length=32, null=True)
    attachments: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    status = fields.CharEnumField(
        SuggestionStatus, max_length=16, default=SuggestionStatus.RECEIVED
    )
    screen_due_at = fields.DatetimeField(null=True, description="the office's screening deadline")
    screened_at = fields.DatetimeField(null=True, description="first decision of the office")
    decision_reason = fields.TextField(default="", description="why declined, what was asked")
    merged_into: fields.ForeignKeyNullableRelation[Suggestion] = fields.ForeignKeyField(
        "models.Suggestion", related_name="merged", null=True, on_delete=fields.SET_NULL
    )
    adopted_at = fields.DatetimeField(null=True)
    forwarded_at = fields.DatetimeField(null=True, description="sent on to the city level")
    forward_reference = fields.CharField(max_length=64, default="")
    instructed_at = fields.DatetimeField(null=True, description="a leader's 批示 recorded")
    implemented_at = fields.DatetimeField(null=True, description="落地 recorded")
    result = fields.TextField(default="", description="the final result (落地) as published")
    consent_publish = fields.BooleanField(default=False, description="the proposer agreed")
    credit_name = fields.CharField(
        max_length=64, default="", description="how the proposer wishes to be named, empty: 匿名"
    )
    published_at = fields.DatetimeField(null=True)
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="suggestions_converted", null=True, on_delete=fields.SET_NULL
    )
    from_case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="suggestions_from", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "suggestions"
        indexes = (
            Index(fields=("status", "screen_due_at")),
            Index(fields=("created_at",)),
            Index(fields=("resident_id", "created_at")),
        )


class SuggestionEvent(Model):
    """One step of a suggestion's life: who, when, what, ``told`` when the proposer was told."""

    suggestion_id: int

    id = fields.BigIntField(primary_key=True)
    suggestion: fields.ForeignKeyRelation[Suggestion] = fields.ForeignKeyField(
        "models.Suggestion", related_name="events", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    action = fields.CharField(max_length=24)
    actor_type = fields.CharField(max_length=16, description="resident | staff | system | unit")
    actor_id = fields.CharField(max_length=64, default="")
    from_status = fields.CharField(max_length=16, null=True)
    to_status = fields.CharField(max_length=16, null=True)
    note = fields.TextField(default="")
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    told = fields.BooleanField(default=False, description="the proposer was sent this step")

    class Meta:
        table = "suggestion_events"
        indexes = (Index(fields=("suggestion_id", "at")),)


class AdoptionStatus(StrEnum):
    PENDING = "pending"  # the department owes its answer
    ANSWERED = "answered"  # answered: adopted into what, or why not now


class SuggestionAdoption(Model):
    """A suggestion adopted for one department (采纳, 交办): its answer and its deadline."""

    suggestion_id: int
    unit_id: int

    id = fields.BigIntField(primary_key=True)
    suggestion: fields.ForeignKeyRelation[Suggestion] = fields.ForeignKeyField(
        "models.Suggestion", related_name="adoptions", on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="suggestion_adoptions", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(AdoptionStatus, max_length=16, default=AdoptionStatus.PENDING)
    assigned_at = fields.DatetimeField()
    due_at = fields.DatetimeField(null=True)
    answer_kind = fields.CharField(
        max_length=16, default="", description="policy | project | fix | not_now"
    )
    answer = fields.TextField(default="")
    answer_date = fields.DateField(null=True, description="the date the measure takes effect")
    attachments: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    answered_at = fields.DatetimeField(null=True)
    answered_by = fields.CharField(max_length=64, default="")

    class Meta:
        table = "suggestion_adoptions"
        unique_together = (("suggestion", "unit"),)
        indexes = (Index(fields=("unit_id", "status")),)
