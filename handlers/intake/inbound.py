"""Bookkeeping of inbound messages: each is answered once, whatever retries or crashes happen.

A message is stored as PROCESSING before any work. The work's transaction ends with
:func:`finish`, which flips the row to ANSWERED only if it is still PROCESSING or DEFERRED (taken
up again by the recovery sweep). If
another process answered it first, :class:`AlreadyAnswered` rolls the whole transaction back,
so a message can never create two cases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.notify import notify_resident
from handlers.residents.records import resident_for
from models import InboundMessage, InboundStatus


class AlreadyAnswered(RuntimeError):
    """Another process finished this message first; roll back this attempt."""


async def finish(
    message: InboundMessage,
    reply: str | None,
    now: datetime,
    case_id: int | None,
    *,
    push: bool,
    session_open: bool = False,
) -> None:
    """Store the reply; with ``push`` (nobody is waiting for the passive reply) send it instead.

    ``session_open``: the message itself opened the resident's customer-service quota (the
    mini-program's chat, whose entry event opens it without a message; see notify_resident).
    """
    text = reply or ""
    answered = await InboundMessage.filter(
        id=message.id, status__in=[InboundStatus.PROCESSING, InboundStatus.DEFERRED]
    ).update(status=InboundStatus.ANSWERED, reply=text, processed_at=now, case_id=case_id, error="")
    if not answered:
        raise AlreadyAnswered(message.dedup_key)
    if push and text:
        resident = await resident_for(message.openid)
        await notify_resident(
            resident,
            text,
            now,
            purpose="reply",
            case_id=case_id,
            dedup_key=f"reply:{message.dedup_key}",
            session_open=session_open,
        )


async def fail(message: InboundMessage, error: str) -> None:
    await InboundMessage.filter(
        id=message.id, status__in=[InboundStatus.PROCESSING, InboundStatus.DEFERRED]
    ).update(status=InboundStatus.FAILED, error=error[:2000])


async def claim_stuck(
    now: datetime, older_than: timedelta, max_attempts: int, limit: int, channel: str = "mp"
) -> list[InboundMessage]:
    """Take up messages whose processing died or failed; their answers go out via the outbox.

    Only messages of ``channel``: each channel's messages are re-run by its own router.
    """
    cutoff = now - older_than
    candidates = (
        await InboundMessage.filter(
            channel=channel,
            status__in=[InboundStatus.PROCESSING, InboundStatus.DEFERRED, InboundStatus.FAILED],
            claimed_at__lt=cutoff,
            attempts__lt=max_attempts,
        )
        .order_by("received_at")
        .limit(limit)
    )
    claimed = []
    for message in candidates:
        won = await InboundMessage.filter(
            id=message.id, attempts=message.attempts, status=message.status
        ).update(status=InboundStatus.DEFERRED, attempts=message.attempts + 1, claimed_at=now)
        if won:
            message.status = InboundStatus.DEFERRED
            message.attempts += 1
            message.claimed_at = now
            claimed.append(message)
    return claimed
