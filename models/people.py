"""Residents who write to us and the staff who act on their cases."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.district import Grid, Unit


class ResidentApp(StrEnum):
    """Where a resident's openid comes from: openids differ per app, unionids do not."""

    MP = "mp"  # the official account (公众号)
    MINIPROGRAM = "miniprogram"  # the mini-program (小程序)
    OPEN311 = "open311"  # a reporter through an Open311 client; "openid" is ours
    BOARD = "board"  # a writer on a public message board; "openid" is board:<their user id>


class Resident(Model):
    """A person known by their openid on the district's official account or mini-program."""

    id = fields.BigIntField(primary_key=True)
    openid = fields.CharField(max_length=64, unique=True)
    app = fields.CharEnumField(
        ResidentApp, max_length=16, default=ResidentApp.MP, description="whose openid it is"
    )
    unionid = fields.CharField(max_length=64, null=True, db_index=True)
    nickname = fields.CharField(max_length=64, default="")
    phone = fields.CharField(max_length=32, null=True, description="last phone the resident gave")
    subscribed = fields.BooleanField(default=False)
    subscribed_at = fields.DatetimeField(null=True)
    unsubscribed_at = fields.DatetimeField(null=True)
    subscribe_scene = fields.CharField(max_length=128, null=True, description="qrscene at follow")
    # Consent to messages outside the 48-hour customer-service window.
    consent_template = fields.BooleanField(default=False)
    consent_subscribe: fields.JSONField[dict[str, str]] = fields.JSONField(
        default=dict, description="subscription template id -> 'accept' | 'reject'"
    )
    survey_opt_out = fields.BooleanField(default=False)
    last_message_at = fields.DatetimeField(null=True, description="opens the 48 h window")
    # Blocked by an admin (abuse): what they send is kept, held and never routed.
    blocked = fields.BooleanField(default=False)
    blocked_at = fields.DatetimeField(null=True)
    blocked_reason = fields.CharField(max_length=255, default="")
    last_lng = fields.FloatField(null=True)
    last_lat = fields.FloatField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    erased_at = fields.DatetimeField(
        null=True, description="personal data erased on request, openid replaced by a token"
    )

    class Meta:
        table = "residents"


class WorkerRole(StrEnum):
    GRID_WORKER = "grid_worker"  # 网格员
    UNIT_STAFF = "unit_staff"  # 承办人
    SUPERVISOR = "supervisor"  # 督办/分管
    UNIT_HEAD = "unit_head"  # 单位负责人
    DISPATCHER = "dispatcher"  # 派单员


class Worker(Model):
    """Someone who handles cases: reached over WeCom (userid) or the official account (openid)."""

    unit_id: int | None
    grid_id: int | None

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64)
    role = fields.CharEnumField(WorkerRole, max_length=16, default=WorkerRole.UNIT_STAFF)
    phone = fields.CharField(max_length=32, default="")
    wecom_userid = fields.CharField(max_length=64, null=True, unique=True)
    openid = fields.CharField(max_length=64, null=True, db_index=True)
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="workers", null=True, on_delete=fields.SET_NULL
    )
    grid: fields.ForeignKeyNullableRelation[Grid] = fields.ForeignKeyField(
        "models.Grid", related_name="workers", null=True, on_delete=fields.SET_NULL
    )
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "workers"
