"""How residents reach us outside the chat: mini-program sessions, uploaded photos, messages
held back from routing, and Open311 clients with the requests they filed."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case
    from models.people import Resident


class ResidentSession(Model):
    """A mini-program sign-in (jscode2session): the resident holds a token, we its SHA-256.

    The session_key WeChat gave stays here: it decrypts the resident's phone number and is never
    sent to anyone.
    """

    resident_id: int

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    resident: fields.ForeignKeyRelation[Resident] = fields.ForeignKeyField(
        "models.Resident", related_name="sessions", on_delete=fields.CASCADE
    )
    session_key = fields.CharField(max_length=64, description="WeChat's session_key, base64")
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "resident_sessions"


class MediaFile(Model):
    """A photo someone uploaded, stored where the settings say (a local folder by default)."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True, description="random, used in URLs")
    owner_type = fields.CharField(max_length=16, description="resident | worker | staff")
    owner_id = fields.BigIntField()
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    storage = fields.CharField(max_length=16, default="local")
    path = fields.CharField(max_length=255, description="where the bytes are, storage-relative")
    case_id = fields.BigIntField(null=True, db_index=True, description="attached to this case")
    created_at = fields.DatetimeField()
    thumbnail_path = fields.CharField(
        max_length=255, default="", description="its thumbnail, storage-relative, once made"
    )

    class Meta:
        table = "media_files"
        indexes = (("owner_type", "owner_id", "created_at"),)


class HeldReason(StrEnum):
    CONTENT_CHECK = "content_check"  # msgSecCheck judged the words risky
    BLOCKED = "blocked"  # the sender is blocked by an admin
    RATE_LIMITED = "rate_limited"  # the resident had reached a limit on new cases


class HeldStatus(StrEnum):
    HELD = "held"  # waiting for a dispatcher
    RELEASED = "released"  # a dispatcher let it through: it became a case
    DISCARDED = "discarded"  # a dispatcher decided it is no case; kept for the record


class HeldMessage(Model):
    """Something a resident sent that is kept but not routed until a dispatcher decides."""

    resident_id: int
    case_id: int | None

    id = fields.BigIntField(primary_key=True)
    resident: fields.ForeignKeyRelation[Resident] = fields.ForeignKeyField(
        "models.Resident", related_name="held_messages", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=16, description="mp | miniprogram | open311")
    reason = fields.CharEnumField(HeldReason, max_length=16)
    status = fields.CharEnumField(HeldStatus, max_length=16, default=HeldStatus.HELD)
    text = fields.TextField(default="")
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, description="the submission as sent (place, photos, contact ...)"
    )
    check_result: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, description="what the content check answered"
    )
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="held_messages", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    decided_by = fields.CharField(max_length=64, default="", description="staff username")
    note = fields.TextField(default="")

    class Meta:
        table = "held_messages"
        indexes = (("status", "created_at"),)


class Open311Client(Model):
    """A system allowed to file requests through Open311 with its api_key (SHA-256 stored)."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "open311_clients"


class Open311Request(Model):
    """A request filed through Open311: its token and the case it became."""

    client_id: int
    case_id: int | None

    id = fields.BigIntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True)
    client: fields.ForeignKeyRelation[Open311Client] = fields.ForeignKeyField(
        "models.Open311Client", related_name="requests", on_delete=fields.CASCADE
    )
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="open311_requests", null=True, on_delete=fields.SET_NULL
    )
    service_code = fields.CharField(max_length=64)
    account_id = fields.CharField(max_length=64, default="")
    device_id = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "open311_requests"
