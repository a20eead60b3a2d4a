"""Putting messages in the outbox. Call inside the transaction of the change that causes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import OutboxMessage, OutboxStatus


async def enqueue(
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    purpose: str = "",
    case_id: int | None = None,
    dedup_key: str | None = None,
    key_checked: bool = False,
) -> OutboxMessage:
    """Queue one message. A ``dedup_key`` already queued returns the earlier row instead
    (``key_checked``: the caller has just looked it up in this transaction, do not again)."""
    if dedup_key is not None and not key_checked:
        existing = await OutboxMessage.get_or_none(dedup_key=dedup_key)
        if existing is not None:
            return existing
    return await _write(
        channel, recipient, payload, now, OutboxStatus.PENDING, "", purpose, case_id, dedup_key
    )


async def record_unsent(
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    now: datetime,
    reason: str,
    *,
    purpose: str = "",
    case_id: int | None = None,
    dedup_key: str | None = None,
) -> OutboxMessage:
    """Keep a message we could not send, with the reason, so nobody wonders where it went
    (``dedup_key``: the caller's key for it, which it has checked is not yet used)."""
    return await _write(
        channel, recipient, payload, now, OutboxStatus.SKIPPED, reason, purpose, case_id, dedup_key
    )


async def _write(
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    now: datetime,
    status: OutboxStatus,
    reason: str,
    purpose: str,
    case_id: int | None,
    dedup_key: str | None,
) -> OutboxMessage:
    return await OutboxMessage.create(
        channel=channel,
        recipient=recipient,
        payload=payload,
        purpose=purpose,
        case_id=case_id,
        dedup_key=dedup_key,
        status=status,
        next_attempt_at=now,
        last_error=reason,
    )
