"""Cases (诉求工单) and their timelines."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.case_status import CaseStatus

if TYPE_CHECKING:
    from models.district import Grid, Unit
    from models.people import Resident, Worker


class Case(Model):
    """One resident request, from 受理 to 归档.

    Every deadline is an indexed column so that sweeps find due cases with one range scan.
    Times are stored in UTC.
    """

    resident_id: int | None
    grid_id: int | None
    unit_id: int | None
    worker_id: int | None
    duplicate_of_id: int | None

    id = fields.BigIntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True, description="what residents quote")
    resident: fields.ForeignKeyNullableRelation[Resident] = fields.ForeignKeyField(
        "models.Resident", related_name="cases", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharField(max_length=16, default="mp", description="mp | miniprogram | ...")
    # Where the case came from outside jiesu (a message board's message id), for re-imports.
    source_ref = fields.CharField(max_length=64, null=True, unique=True)
    # Public votes where the channel has them (a message board's 点赞 and 反对), else empty.
    votes_up = fields.IntField(null=True)
    votes_down = fields.IntField(null=True)
    status = fields.CharEnumField(CaseStatus, max_length=16, default=CaseStatus.ACCEPTED)

    # What it is (甄别)
    kind = fields.CharField(max_length=16, default="complaint")
    kind_confidence = fields.FloatField(default=0.0)
    category = fields.CharField(max_length=128, default="", db_index=True)
    category_confidence = fields.FloatField(default=0.0)
    urgency = fields.CharField(max_length=4, default="一般", description="急 | 一般")
    urgency_reasons: fields.JSONField[list[str]] = fields.JSONField(default=list)
    difficult = fields.BooleanField(default=False, description="难: needs several units")
    title = fields.CharField(max_length=64, default="")
    keywords: fields.JSONField[list[str]] = fields.JSONField(default=list)
    topic = fields.CharField(
        max_length=160, null=True, description="topic words for hot issues, space-separated"
    )

    # The resident's own words and what they sent with them
    text = fields.TextField(default="")
    attachments: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(
        default=list, description="[{type, media_id, url, ...}]"
    )
    contact_phone = fields.CharField(max_length=32, null=True)

    # Where
    place_text = fields.CharField(max_length=128, null=True)
    street = fields.CharField(max_length=64, null=True)
    compound = fields.CharField(max_length=64, null=True)
    address = fields.CharField(max_length=128, null=True, description="road and number, building")
    lng = fields.FloatField(null=True)
    lat = fields.FloatField(null=True)
    grid: fields.ForeignKeyNullableRelation[Grid] = fields.ForeignKeyField(
        "models.Grid", related_name="cases", null=True, on_delete=fields.SET_NULL
    )

    # Who
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="cases", null=True, on_delete=fields.SET_NULL
    )
    worker: fields.ForeignKeyNullableRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="cases", null=True, on_delete=fields.SET_NULL
    )
    duplicate_of: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="duplicates", null=True, on_delete=fields.SET_NULL
    )

    # Flags beside the status
    supervised = fields.BooleanField(default=False, description="督办")
    returned_count = fields.IntField(default=0, description="退单 so far")
    reopened_count = fields.IntField(default=0, description="重办 so far")
    escalation_level = fields.IntField(default=0, description="rungs of the ladder notified")

    # Deadlines (indexed: sweeps scan them)
    sign_due_at = fields.DatetimeField(null=True, db_index=True)
    first_contact_due_at = fields.DatetimeField(null=True, db_index=True)
    completion_due_at = fields.DatetimeField(null=True, db_index=True)
    survey_due_at = fields.DatetimeField(null=True, db_index=True)

    # When things happened
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    dispatched_at = fields.DatetimeField(null=True)
    signed_at = fields.DatetimeField(null=True)
    first_contact_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    result = fields.TextField(default="", description="办结 result text")
    result_attachments: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(
        default=list, description="photos of the result [{type, media_id, url}]"
    )
    version = fields.IntField(default=0, description="bumped on every transition")
    invalid_reason = fields.CharField(
        max_length=32, null=True, description="不予受理 reason code (config/invalid.py)"
    )
    anonymised_at = fields.DatetimeField(
        null=True, description="personal fields and media removed (erasure or retention)"
    )
    review_state = fields.CharField(
        max_length=16, null=True, description="办结审核: pending | passed | sent_back"
    )
    review_requested_at = fields.DatetimeField(null=True, description="办结, waiting for review")

    class Meta:
        table = "cases"
        indexes = (
            ("status", "completion_due_at"),
            ("resident_id", "created_at"),
            # Per-unit figures, digests and lists; the cases merged into one (并案).
            ("unit_id", "created_at"),
            ("duplicate_of_id", "status"),
            # The review queue (办结审核).
            ("review_state", "review_requested_at"),
        )


class CaseEvent(Model):
    """One entry of a case's timeline: who did what, when, and why."""

    case_id: int

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="events", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField(db_index=True)
    actor_type = fields.CharField(max_length=16, description="resident | worker | staff | system")
    actor_id = fields.CharField(max_length=64, default="")
    action = fields.CharField(max_length=16)
    from_status = fields.CharField(max_length=16, null=True)
    to_status = fields.CharField(max_length=16, null=True)
    note = fields.TextField(default="")
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "case_events"
        ordering = ("at", "id")
        # The as-of figures look up what a case's events did after an instant.
        indexes = (("case_id", "at"),)


class CaseCounter(Model):
    """Per-day sequence behind case numbers (YYMMDD + 4 digits), incremented atomically."""

    day = fields.CharField(max_length=8, primary_key=True)
    value = fields.IntField(default=0)

    class Meta:
        table = "case_counters"


class LinkKind(StrEnum):
    REPEAT = "repeat"  # 重复诉求: a report about a case closed within the window
    MERGE = "merge"  # 并案 by hand: a dispatcher joined one open case to another


class CaseLink(Model):
    """A later case (or message) tied to an earlier case: a repeat after close, or a hand merge.

    ``case`` is the earlier case (the original of a repeat, the target of a merge); ``other``
    the later one, empty when a repeat reopened the original instead of opening a case. ``unit``
    is the earlier case's unit when the link was made: repeats count against it.
    """

    case_id: int
    other_id: int | None
    unit_id: int | None

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(LinkKind, max_length=16)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="links_in", on_delete=fields.CASCADE
    )
    other: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="links_out", null=True, on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="case_links", null=True, on_delete=fields.SET_NULL
    )
    same_resident = fields.BooleanField(default=False)
    reopened = fields.BooleanField(default=False, description="the repeat reopened the original")
    actor = fields.CharField(max_length=80, default="", description="system, or staff:username")
    at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True, description="a merge undone (拆分)")

    class Meta:
        table = "case_links"
        indexes = (("kind", "unit_id", "at"), ("case_id", "kind"), ("other_id", "kind"))
