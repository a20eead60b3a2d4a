"""One-time links that tie a worker or a staff member to their WeChat openid.

An admin asks for a link; the person scans its QR code (the scene comes back in a ``subscribe``
or ``SCAN`` event) or sends its short code in the chat. Only hashes of the scene and the code are
stored, so a copy of the table links nobody.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.people import Worker
    from models.staff import StaffUser


class LinkTarget(StrEnum):
    WORKER = "worker"
    STAFF = "staff"


class AccountLink(Model):
    """A single-use invitation to link one person's openid, valid until ``expires_at``."""

    worker_id: int | None
    staff_user_id: int | None

    id = fields.BigIntField(primary_key=True)
    target = fields.CharEnumField(LinkTarget, max_length=16)
    worker: fields.ForeignKeyNullableRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="account_links", null=True, on_delete=fields.CASCADE
    )
    staff_user: fields.ForeignKeyNullableRelation[StaffUser] = fields.ForeignKeyField(
        "models.StaffUser", related_name="account_links", null=True, on_delete=fields.CASCADE
    )
    scene_hash = fields.CharField(max_length=64, unique=True, description="SHA-256 of the scene")
    code_hash = fields.CharField(max_length=64, unique=True, description="SHA-256 of the code")
    created_by = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by_openid = fields.CharField(max_length=64, null=True)
    revoked_at = fields.DatetimeField(null=True, description="a newer link for the same person")

    class Meta:
        table = "account_links"
