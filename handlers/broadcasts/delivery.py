"""Sending an approved notice: the sweep that starts it, fans it out into delivery rows and
outbox rows, resends what WeChat never reported, marks it done, and the cancel of what has not
gone out. Safe in any number of processes, and after a crash.

**Fan-out.** A due notice (approved, ``scheduled_at`` passed) is claimed by a conditional
UPDATE (approved → sending). Its audience is then written as :class:`models.NoticeDelivery`
rows, one per recipient (unique per notice), in batches: each batch is one transaction that
advances the notice's ``fanout_cursor`` with a conditional UPDATE on its ``version`` and writes
the batch's delivery rows and outbox rows. A process that dies mid-fan-out loses only the batch
it had not committed; the next sweep continues after the cursor, and two processes racing for
the same batch cannot both commit it (the second one's version no longer matches).

- Mass send to all followers or to a tag: one delivery row and one outbox row, one API call
  (message/mass/sendall) with the notice's ``clientmsgid``.
- Mass send to residents of chosen places: batches of up to ``mass_send_batch_size`` openids,
  one outbox row (message/mass/send) per batch, each with its own ``clientmsgid``.
- Template, subscription and WeCom messages: one outbox row per recipient, due at the outbound
  rate (``paced_until``), and written at most ``broadcast_queue_ahead_seconds`` ahead, so that a
  resident's reply queued meanwhile goes out between them rather than after all of them.

What the outbox drainer checks around each send, and what WeChat reports afterwards, is in
``handlers.broadcasts.sending``. A template message whose send was cut off waits for WeChat's
report there; without one within ``broadcast_report_wait_seconds`` the sweep queues it once
more (:func:`resend_unreported`). A sending notice whose every delivery is settled is done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from config import broadcasts as texts
from handlers.broadcasts.audience import Candidate, audience_chunk, preview_audience
from handlers.broadcasts.rules import (
    Audience,
    batch_clientmsgid,
    delivery_body,
    mass_list_body,
    parse_audience,
    sendall_body,
)
from handlers.broadcasts.sending import (
    NOTICE_PURPOSE,
    REPORTED_CHANNELS,
    RESEND_SUFFIX,
    outbox_key,
)
from handlers.context import HandlerContext
from models import Notice, NoticeDelivery, NoticeStatus, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

PREVIEW_PURPOSE = "notice_preview"
OPEN = ("pending", "sending", "unknown")
MAX_STEPS_PER_SWEEP = 200


class _LostRace(Exception):
    """Another process moved the notice first (or it was cancelled): nothing to do here."""


@dataclass
class BroadcastSweepResult:
    started: int = 0
    resent: int = 0  # template messages WeChat never reported, queued once more
    batches: int = 0
    rows: int = 0  # delivery rows written
    completed: int = 0
    lost_races: int = 0
    failed: int = 0
    more: bool = False  # a fan-out stopped at the step limit with work waiting

    def add(self, other: BroadcastSweepResult) -> None:
        for name in ("started", "resent", "batches", "rows", "completed", "lost_races", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.more = self.more or other.more

    @property
    def steps(self) -> int:
        return self.started + self.resent + self.batches + self.completed


# Starting


async def start_due_notices(now: datetime) -> int:
    """approved → sending for every notice whose time has come; each claimed by one process."""
    due = await Notice.filter(
        Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=now), status=NoticeStatus.APPROVED
    ).order_by("id")
    started = 0
    for notice in due:
        won = await Notice.filter(
            id=notice.id, status=NoticeStatus.APPROVED, version=notice.version
        ).update(status=NoticeStatus.SENDING, started_at=now, version=notice.version + 1)
        if won:
            started += 1
            late = (now - notice.scheduled_at).total_seconds() if notice.scheduled_at else 0.0
            logger.info(
                "notice %s (%s) starts sending%s",
                notice.id,
                notice.title,
                f", {late:.0f} s after its time" if late > 60 else "",
            )
    return started


# Fan-out


@dataclass(frozen=True)
class _Batch:
    candidates: list[Candidate]  # in key order, the skipped ones included
    done: bool  # the audience ends with this batch


async def _claim_step(notice: Notice, **changes: Any) -> None:
    """Advance the notice's fan-out if nobody else did meanwhile (its version still matches)."""
    won = await Notice.filter(
        id=notice.id, status=NoticeStatus.SENDING, version=notice.version, fanned_out=False
    ).update(version=notice.version + 1, **changes)
    if not won:
        raise _LostRace(f"notice {notice.id} moved on in another process")
    notice.version += 1
    for name, value in changes.items():
        setattr(notice, name, value)


async def _next_candidates(
    notice: Notice, audience: Audience, ctx: HandlerContext, limit: int
) -> list[Candidate]:
    return await audience_chunk(
        audience,
        notice.channel,
        notice.content,
        notice.fanout_cursor,
        limit,
        ctx.now,
        ctx.settings,
        notice_id=notice.id,
    )


async def _mass_batch(notice: Notice, audience: Audience, ctx: HandlerContext) -> _Batch:
    """Up to ``mass_send_batch_size`` sendable residents, never leaving exactly one for the
    next batch (WeChat's list send needs at least two openids): read two beyond the batch."""
    size = ctx.settings.mass_send_batch_size
    want = size + 2
    read: list[Candidate] = []
    sendable = 0
    exhausted = False
    after = notice.fanout_cursor
    while sendable < want:
        part = await audience_chunk(
            audience,
            notice.channel,
            notice.content,
            after,
            want,
            ctx.now,
            ctx.settings,
            notice_id=notice.id,
        )
        read.extend(part)
        sendable += sum(1 for c in part if c.sendable)
        if len(part) < want:
            exhausted = True
            break
        after = part[-1].key
    positions = [i for i, c in enumerate(read) if c.sendable]
    if exhausted and len(positions) <= size:
        return _Batch(read, done=True)
    take = size - 1 if exhausted and len(positions) == size + 1 else size
    return _Batch(read[: positions[take - 1] + 1], done=False)


def _delivery(notice: Notice, c: Candidate, outbox_id: int | None, reason: str = "") -> Any:
    why = reason or c.reason
    return NoticeDelivery(
        notice_id=notice.id,
        recipient=c.recipient,
        status="skipped" if why else "pending",
        reason=why,
        outbox_id=None if why else outbox_id,
        channel=notice.channel,
        resident_id=c.resident_id,
    )


async def _write_mass_batch(notice: Notice, batch: _Batch, now: datetime) -> int:
    sendable = [c for c in batch.candidates if c.sendable]
    lone = len(sendable) == 1
    outbox_id = None
    if sendable and not lone:
        first = sendable[0].key
        body = mass_list_body(
            delivery_body(notice.kind, notice.channel, notice.content),
            [c.recipient for c in sendable],
            batch_clientmsgid(notice.clientmsgid or f"notice{notice.id}", first),
        )
        row = await OutboxMessage.create(
            channel="mp_mass",
            recipient=f"batch:{first}",
            payload=body,
            purpose=NOTICE_PURPOSE,
            dedup_key=outbox_key(notice.id, f"batch:{first}"),
            status=OutboxStatus.PENDING,
            next_attempt_at=now,
        )
        outbox_id = row.id
    rows = [
        _delivery(notice, c, outbox_id, texts.SKIP_LONE_MASS if lone and c.sendable else "")
        for c in batch.candidates
    ]
    await NoticeDelivery.bulk_create(rows, batch_size=1000)
    return len(rows)


async def _write_per_recipient(
    notice: Notice, candidates: list[Candidate], base: datetime, rate: float
) -> int:
    if not candidates:
        return 0
    body = delivery_body(notice.kind, notice.channel, notice.content)
    sendable = [c for c in candidates if c.sendable]
    keys = {outbox_key(notice.id, c.recipient): c for c in sendable}
    await OutboxMessage.bulk_create(
        [
            OutboxMessage(
                channel=notice.channel,
                recipient=c.recipient,
                payload=body,
                purpose=NOTICE_PURPOSE,
                dedup_key=key,
                status=OutboxStatus.PENDING,
                next_attempt_at=base + timedelta(seconds=i / rate),
            )
            for i, (key, c) in enumerate(keys.items())
        ],
        batch_size=500,
    )
    ids: dict[str, int] = {}
    for i in range(0, len(keys), 500):
        chunk = list(keys)[i : i + 500]
        for row_id, key in await OutboxMessage.filter(dedup_key__in=chunk).values_list(
            "id", "dedup_key"
        ):
            ids[str(key)] = int(row_id)
    by_recipient = {c.recipient: ids[key] for key, c in keys.items()}
    rows = [_delivery(notice, c, by_recipient.get(c.recipient)) for c in candidates]
    await NoticeDelivery.bulk_create(rows, batch_size=1000)
    return len(rows)


async def _fan_out_broadcast(notice: Notice, audience: Audience, ctx: HandlerContext) -> int:
    """All followers or one tag: WeChat knows the recipients, we send one request."""
    estimate = 0
    if audience.kind == "all":
        preview = await preview_audience(
            audience, notice.channel, notice.content, ctx.now, ctx.settings
        )
        estimate = preview.total or 0
    recipient = "all" if audience.kind == "all" else f"tag:{audience.tag_id}"
    async with in_transaction():
        await _claim_step(notice, fanned_out=True, recipients_total=estimate)
        body = sendall_body(
            delivery_body(notice.kind, notice.channel, notice.content),
            audience,
            notice.clientmsgid or f"notice{notice.id}",
        )
        row = await OutboxMessage.create(
            channel="mp_mass",
            recipient=recipient,
            payload=body,
            purpose=NOTICE_PURPOSE,
            dedup_key=outbox_key(notice.id, recipient),
            status=OutboxStatus.PENDING,
            next_attempt_at=ctx.now,
        )
        await NoticeDelivery.create(
            notice_id=notice.id,
            recipient=recipient,
            outbox_id=row.id,
            channel="mp_mass",
        )
    return 1


async def fan_out_step(notice: Notice, ctx: HandlerContext) -> int:
    """Write the next batch of ``notice``'s deliveries; how many rows (0: nothing to do now).

    Raises _LostRace if another process wrote this batch (or cancelled the notice) first.
    """
    audience = parse_audience(notice.audience)
    if not audience.per_recipient:
        return await _fan_out_broadcast(notice, audience, ctx)
    now, settings = ctx.now, ctx.settings
    if notice.channel == "mp_mass":
        batch = await _mass_batch(notice, audience, ctx)
        cursor = batch.candidates[-1].key if batch.candidates else notice.fanout_cursor
        async with in_transaction():
            await _claim_step(
                notice,
                fanout_cursor=cursor,
                fanned_out=batch.done,
                recipients_total=notice.recipients_total + len(batch.candidates),
            )
            return await _write_mass_batch(notice, batch, now)
    rate = settings.outbound_rate_per_second
    base = max(now, notice.paced_until or now)
    if base > now + timedelta(seconds=settings.broadcast_queue_ahead_seconds):
        return 0  # enough is queued; the next sweep writes more
    size = settings.broadcast_batch_size
    candidates = await _next_candidates(notice, audience, ctx, size)
    sendable = sum(1 for c in candidates if c.sendable)
    async with in_transaction():
        await _claim_step(
            notice,
            fanout_cursor=candidates[-1].key if candidates else notice.fanout_cursor,
            fanned_out=len(candidates) < size,
            recipients_total=notice.recipients_total + len(candidates),
            paced_until=base + timedelta(seconds=sendable / rate),
        )
        return await _write_per_recipient(notice, candidates, base, rate)


async def fan_out(notice: Notice, ctx: HandlerContext, result: BroadcastSweepResult) -> None:
    for _ in range(MAX_STEPS_PER_SWEEP):
        if notice.fanned_out:
            return
        written = await fan_out_step(notice, ctx)
        if not written and not notice.fanned_out:
            return  # paced: enough is queued ahead
        result.batches += 1
        result.rows += written
    result.more = not notice.fanned_out


# Completing


async def complete_finished(now: datetime) -> int:
    completed = 0
    for notice in await Notice.filter(status=NoticeStatus.SENDING, fanned_out=True):
        if await NoticeDelivery.filter(notice_id=notice.id, status__in=OPEN).exists():
            continue
        won = await Notice.filter(
            id=notice.id, status=NoticeStatus.SENDING, version=notice.version
        ).update(status=NoticeStatus.DONE, finished_at=now, version=notice.version + 1)
        if won:
            completed += 1
            logger.info("notice %s (%s) is sent", notice.id, notice.title)
    return completed


async def resend_unreported(ctx: HandlerContext, *, batch: int = 500) -> int:
    """Template messages cut off mid-send that WeChat has not reported within
    ``broadcast_report_wait_seconds`` never reached it: each is queued once more (a key of its
    own, so never twice), and the delivery is pending again."""
    wait = timedelta(seconds=ctx.settings.broadcast_report_wait_seconds)
    sending = Notice.filter(status=NoticeStatus.SENDING, channel__in=list(REPORTED_CHANNELS))
    queued = 0
    for notice in await sending:
        stale = await NoticeDelivery.filter(
            notice_id=notice.id, status="unknown", updated_at__lte=ctx.now - wait
        ).limit(batch)
        body = delivery_body(notice.kind, notice.channel, notice.content)
        for item in stale:
            try:
                async with in_transaction():
                    row = await OutboxMessage.create(
                        channel=notice.channel,
                        recipient=item.recipient,
                        payload=body,
                        purpose=NOTICE_PURPOSE,
                        dedup_key=outbox_key(notice.id, item.recipient) + RESEND_SUFFIX,
                        status=OutboxStatus.PENDING,
                        next_attempt_at=ctx.now,
                    )
                    won = await NoticeDelivery.filter(id=item.id, status="unknown").update(
                        status="pending", reason="", outbox_id=row.id
                    )
                    if not won:
                        raise _LostRace(f"delivery {item.id} was settled meanwhile")
            except (_LostRace, IntegrityError):
                continue
            queued += 1
            logger.info(
                "notice %s: no report for %s within %s s; sent once more",
                notice.id,
                item.recipient,
                wait.total_seconds(),
            )
    return queued


async def sweep_broadcasts(ctx: HandlerContext) -> BroadcastSweepResult:
    """Start due notices, fan out those sending, resend what WeChat never reported, and mark
    done those whose deliveries are settled."""
    result = BroadcastSweepResult()
    result.started = await start_due_notices(ctx.now)
    result.resent = await resend_unreported(ctx)
    for notice in await Notice.filter(status=NoticeStatus.SENDING, fanned_out=False).order_by("id"):
        try:
            await fan_out(notice, ctx, result)
        except (_LostRace, IntegrityError) as exc:
            logger.debug("notice %s: %s", notice.id, exc)
            result.lost_races += 1
        except Exception:
            logger.exception("notice %s: fan-out failed; the next sweep goes on", notice.id)
            result.failed += 1
    result.completed = await complete_finished(ctx.now)
    return result


# Cancelling what has not gone out


async def cancel_deliveries(notice_id: int) -> int:
    """Call in the transaction that marked the notice cancelled: queued rows are skipped, their
    deliveries cancelled. Rows a drainer has claimed meanwhile see the cancel in before_send."""
    queued = NoticeDelivery.filter(
        notice_id=notice_id, status="pending", outbox_id__isnull=False
    ).values("outbox_id")
    await OutboxMessage.filter(id__in=Subquery(queued), status=OutboxStatus.PENDING).update(
        status=OutboxStatus.SKIPPED, last_error=texts.CANCELLED, claimed_until=None
    )
    # Cut off mid-send and not reported yet: not resent now, WeChat's report may still come.
    await NoticeDelivery.filter(notice_id=notice_id, status="unknown").update(
        status="failed", reason=texts.UNKNOWN_OUTCOME
    )
    return await NoticeDelivery.filter(notice_id=notice_id, status="pending").update(
        status="cancelled", reason=texts.CANCELLED
    )
