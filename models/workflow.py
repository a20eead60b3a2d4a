"""The worker side of a case beside the case itself: extension requests and API tokens."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case
    from models.people import Worker


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class ExtensionRequest(Model):
    """A worker asks for more time to complete a case (延期申请) and a supervisor decides.

    A case has at most one pending request at a time. Approving moves the case's
    completion_due_at by the hours asked.
    """

    case_id: int
    worker_id: int
    decided_by_id: int | None

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="extension_requests", on_delete=fields.CASCADE
    )
    worker: fields.ForeignKeyRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="extension_requests", on_delete=fields.CASCADE
    )
    hours = fields.IntField(description="more time asked for completion")
    reason = fields.TextField(default="")
    status = fields.CharEnumField(ExtensionStatus, max_length=16, default=ExtensionStatus.PENDING)
    decided_by: fields.ForeignKeyNullableRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="extension_decisions", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="", description="the supervisor's note or reason to refuse")
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "extension_requests"
        indexes = (("status", "case_id"),)


class WorkerToken(Model):
    """A bearer token for the worker API. Only the SHA-256 of the token is kept, never the token."""

    worker_id: int

    id = fields.BigIntField(primary_key=True)
    worker: fields.ForeignKeyRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True, description="sha256 hex of the token")
    label = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "worker_tokens"
