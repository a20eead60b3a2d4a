"""Messages in and out, dialogue state, and the shared access-token store."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case
    from models.people import Resident


class InboundStatus(StrEnum):
    PROCESSING = "processing"  # stored, a process is working on it
    ANSWERED = "answered"  # the passive reply is stored in reply
    DEFERRED = "deferred"  # took too long: the answer goes out through the outbox
    FAILED = "failed"  # processing raised; the recovery sweep retries


class InboundMessage(Model):
    """Every message and event WeChat delivers, stored before anything else happens.

    dedup_key is unique: msg:<MsgId> for messages, evt:<FromUserName>:<CreateTime>:<Event>
    for events. A retry by WeChat hits the constraint and is answered from reply.
    """

    id = fields.BigIntField(primary_key=True)
    dedup_key = fields.CharField(max_length=160, unique=True)
    channel = fields.CharField(max_length=16, default="mp")
    openid = fields.CharField(max_length=64, db_index=True)
    msg_type = fields.CharField(max_length=32)
    event = fields.CharField(max_length=64, null=True)
    msg_id = fields.CharField(max_length=32, null=True)
    create_time = fields.BigIntField(default=0)
    body = fields.TextField(description="the decrypted XML as received")
    status = fields.CharEnumField(InboundStatus, max_length=16, default=InboundStatus.PROCESSING)
    reply = fields.TextField(
        null=True, description="plain XML of the passive reply, empty = no reply"
    )
    attempts = fields.IntField(default=1)
    error = fields.TextField(default="")
    case_id = fields.BigIntField(null=True, description="the case it created or added to")
    reserved_number = fields.CharField(
        max_length=16,
        null=True,
        description="acknowledged at once under load: the case number told, used by its case",
    )
    received_at = fields.DatetimeField(db_index=True)
    claimed_at = fields.DatetimeField(description="when a process last took it up")
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbound_messages"
        indexes = (("status", "received_at"),)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a drainer until claimed_until
    SENT = "sent"
    FAILED = "failed"  # gave up after max attempts, or a permanent error
    SKIPPED = "skipped"  # could not be sent at all (no channel open); last_error says why
    # Handed to WeChat, but no answer came (a timeout after the request left): it may or may not
    # have arrived, so it is not sent again blindly (bot.wechat.outbox_drainer decides by purpose).
    UNKNOWN = "unknown"


class OutboxMessage(Model):
    """A message we owe someone, written in the same transaction as the change that caused it."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(
        max_length=16, description="mp_custom | mp_template | mp_subscribe | work_app | mp_mass"
    )
    recipient = fields.CharField(max_length=64, description="openid, WeCom userid or tag")
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField(
        description="the API body without the recipient"
    )
    purpose = fields.CharField(max_length=32, default="", description="reply | task | survey ...")
    dedup_key = fields.CharField(max_length=160, null=True, unique=True)
    case_id = fields.BigIntField(null=True, db_index=True)
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    response: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox"
        indexes = (("status", "next_attempt_at"),)


class Conversation(Model):
    """A resident's dialogue state, in the database so that any process can continue it."""

    resident_id: int
    case_id: int | None

    id = fields.BigIntField(primary_key=True)
    resident: fields.OneToOneRelation[Resident] = fields.OneToOneField(
        "models.Resident", related_name="conversation", on_delete=fields.CASCADE
    )
    state = fields.CharField(max_length=32, default="idle")
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="conversations", null=True, on_delete=fields.SET_NULL
    )
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, description="held attachments, pending location ..."
    )
    expires_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "conversations"


class AccessToken(Model):
    """An API access token shared by every process, and lease_until lets exactly one refresh it."""

    name = fields.CharField(max_length=64, primary_key=True, description="e.g. mp:<appid>")
    token = fields.TextField(default="")
    expires_at = fields.DatetimeField(null=True)
    lease_owner = fields.CharField(max_length=64, null=True)
    lease_until = fields.DatetimeField(null=True)
    refreshed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "access_tokens"
