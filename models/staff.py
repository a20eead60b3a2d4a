"""Staff who sign in to the dashboard or call the admin API, their sessions and tokens, and the
audit trail of everything they do."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.district import Unit
    from models.people import Worker


class StaffRole(StrEnum):
    ADMIN = "admin"  # everything, including accounts, routing rules and SLA policy
    DISPATCHER = "dispatcher"  # 派单: every case, recategorise, reassign
    SUPERVISOR = "supervisor"  # 督办: cases of their unit (all units without one), extensions
    UNIT = "unit"  # 承办单位: the cases of their unit
    WORKER = "worker"  # 网格员/承办人: their own and their grid's cases
    SUGGESTIONS = "suggestions"  # 人民建议征集办公室: screens, adopts, forwards, publishes


class StaffUser(Model):
    """A person (or, for API tokens, a machine) acting for the district."""

    unit_id: int | None
    worker_id: int | None

    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64, default="")
    role = fields.CharEnumField(StaffRole, max_length=16)
    password_hash = fields.CharField(max_length=255, default="", description="argon2id")
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="staff", null=True, on_delete=fields.SET_NULL
    )
    worker: fields.ForeignKeyNullableRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="staff_accounts", null=True, on_delete=fields.SET_NULL
    )
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField(null=True)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True, description="after repeated failed logins")
    openid = fields.CharField(
        max_length=64, null=True, unique=True, description="their WeChat, for previews to self"
    )

    class Meta:
        table = "staff_users"


class StaffSession(Model):
    """A dashboard sign-in: a cookie holds the token, only its SHA-256 is stored."""

    user_id: int

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[StaffUser] = fields.ForeignKeyField(
        "models.StaffUser", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    last_seen_at = fields.DatetimeField()
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=255, default="")
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_sessions"


class ApiToken(Model):
    """A bearer token for machines calling the admin API, acting with its user's role."""

    user_id: int

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[StaffUser] = fields.ForeignKeyField(
        "models.StaffUser", related_name="api_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    label = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"


class AuditEvent(Model):
    """Who did what, when and from where: one row per staff action, never updated."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    user_id = fields.BigIntField(null=True, db_index=True)
    username = fields.CharField(max_length=64, default="")
    role = fields.CharField(max_length=16, default="")
    action = fields.CharField(max_length=64, description="e.g. case.recategorise, notice.approve")
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=64, default="")
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=255, default="")
    via = fields.CharField(max_length=16, default="", description="dashboard | api | cli")

    class Meta:
        table = "audit_events"
        indexes = (("target_type", "target_id"),)
