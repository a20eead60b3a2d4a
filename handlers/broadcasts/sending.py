"""What happens around each send of a notice's outbox row, and what WeChat reports about it
afterwards: the outbox drainer's checks and WeChat's job-finish reports on notice deliveries.

The sweep (``handlers.broadcasts.delivery``) writes a notice's outbox rows; this module names
them (:func:`outbox_key`, read back by :func:`notice_id_of`) and is what the drainer and the
WeChat callback call about them.

**Around each send** (called by the outbox drainer for rows of purpose ``notice``):
:func:`before_send` moves the row's deliveries pending → sending in a transaction that holds
the notice's row (so a cancel either happened before, and nothing is sent, or after, and the
send goes ahead); :func:`after_send` / :func:`after_failure` record the outcome on them.
Deliveries still *sending* when a row comes up again mean an earlier attempt may have reached
WeChat (the process died, or the answer timed out). For mass sends (same ``clientmsgid``: WeChat
answers 45065 with the first job's msg_id) and WeCom (duplicate check) resending is harmless, so
it is resent. Template messages have no such key, but WeChat reports every one it took
(TEMPLATESENDJOBFINISH): the delivery becomes *unknown* and waits for that report; a report
makes it sent, and without one within ``broadcast_report_wait_seconds`` it never arrived and is
queued once more (``handlers.broadcasts.delivery.resend_unreported``). Subscription messages,
and a template message cut off a second time, are recorded as "outcome unknown" and not sent
again: a notice reaches nobody twice (unless WeChat took a template message and its report was
lost as well).

**Afterwards.** MASSSENDJOBFINISH (matched by MsgID: the notice's ``wechat_msg_id``, or a
batch's on its deliveries) adds the job's counts to ``Notice.wechat_result``;
TEMPLATESENDJOBFINISH (matched by msgid and openid) marks a delivery the resident blocked as
failed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from config import broadcasts as texts
from handlers.digits import whole_number
from models import Notice, NoticeDelivery, NoticeStatus, OutboxMessage

logger = logging.getLogger(__name__)

NOTICE_PURPOSE = "notice"
# Resending these after an ambiguous attempt reaches nobody twice (clientmsgid, WeCom's check).
IDEMPOTENT_CHANNELS = frozenset({"mp_mass", "work_app"})
# Template messages are reported one by one (TEMPLATESENDJOBFINISH): an attempt cut off mid-send
# waits for that report, and without one is sent once more under this outbox key suffix.
REPORTED_CHANNELS = frozenset({"mp_template"})
RESEND_SUFFIX = ":again"
UNKNOWN_LOOKBACK = timedelta(days=2)


def outbox_key(notice_id: int, part: str) -> str:
    """The dedup key of one of a notice's outbox rows (``part``: a recipient, or a batch)."""
    return f"notice:{notice_id}:{part}"


def notice_id_of(row: OutboxMessage) -> int | None:
    """The notice an outbox row delivers, from its dedup key (``notice:<id>:...``)."""
    parts = (row.dedup_key or "").split(":", 2)
    if row.purpose != NOTICE_PURPOSE or len(parts) < 3 or parts[0] != "notice":
        return None
    return whole_number(parts[1])


# Around each send (the outbox drainer)


class SendPlan(StrEnum):
    SEND = "send"
    SKIP = "skip"  # cancelled, or already settled: record the row as skipped
    UNKNOWN = "unknown"  # an earlier attempt may have arrived; not idempotent: do not resend


async def before_send(row: OutboxMessage, now: datetime) -> tuple[SendPlan, str]:
    notice_id = notice_id_of(row)
    if notice_id is None:
        return SendPlan.SEND, ""
    mine = NoticeDelivery.filter(outbox_id=row.id)
    if row.channel != "mp_mass":
        # One delivery per row: one conditional UPDATE, which a cancel that got there first
        # (its notice cancelled, or the delivery no longer pending) makes a no-op.
        live = Notice.filter(id=notice_id).exclude(status=NoticeStatus.CANCELLED).values("id")
        if await mine.filter(status="pending", notice_id__in=Subquery(live)).update(
            status="sending"
        ):
            return SendPlan.SEND, ""
    async with in_transaction():
        # Holding the notice's row orders this against a cancel, which changes the many rows of
        # a mass batch in another order (and against the fan-out).
        notice = await Notice.filter(id=notice_id).select_for_update(no_key=True).first()
        if notice is None or notice.status == NoticeStatus.CANCELLED:
            await mine.filter(status="pending").update(status="cancelled", reason=texts.CANCELLED)
            # An earlier attempt that may have arrived is not repeated for a cancelled notice.
            await mine.filter(status="sending").update(
                status="failed", reason=texts.UNKNOWN_OUTCOME
            )
            return SendPlan.SKIP, texts.CANCELLED
        if await mine.filter(status="pending").update(status="sending"):
            return SendPlan.SEND, ""
        if not await mine.filter(status="sending").exists():
            return SendPlan.SKIP, "deliveries already settled"
        if row.channel in IDEMPOTENT_CHANNELS:
            logger.info(
                "notice %s: outbox %s sent again after an unclear attempt", notice_id, row.id
            )
            return SendPlan.SEND, ""
        again = (row.dedup_key or "").endswith(RESEND_SUFFIX)
        if row.channel in REPORTED_CHANNELS and not again:
            # WeChat reports every template message it took: wait for that report.
            await mine.filter(status="sending").update(
                status="unknown", reason=texts.AWAITING_REPORT, updated_at=now
            )
            logger.warning(
                "notice %s: outbox %s to %s may have arrived; waiting for WeChat's report",
                notice_id,
                row.id,
                row.recipient,
            )
            return SendPlan.UNKNOWN, texts.AWAITING_REPORT
        await mine.filter(status="sending").update(status="failed", reason=texts.UNKNOWN_OUTCOME)
        logger.warning(
            "notice %s: outbox %s to %s may or may not have arrived; not sent again",
            notice_id,
            row.id,
            row.recipient,
        )
        return SendPlan.UNKNOWN, texts.UNKNOWN_OUTCOME


def _msg_id(response: dict[str, Any]) -> str | None:
    value = response.get("msg_id", response.get("msgid"))
    return str(value) if value not in (None, "") else None


async def after_send(row: OutboxMessage, response: dict[str, Any], now: datetime) -> None:
    """Call in the transaction that records the row as sent."""
    notice_id = notice_id_of(row)
    if notice_id is None:
        return
    msg_id = _msg_id(response)
    changes: dict[str, Any] = {"status": "sent", "sent_at": now, "reason": ""}
    if msg_id:
        changes["wechat_msg_id"] = msg_id
    await NoticeDelivery.filter(outbox_id=row.id, status="sending").update(**changes)
    if msg_id and not row.recipient.startswith("batch:") and row.channel == "mp_mass":
        await Notice.filter(id=notice_id, wechat_msg_id__isnull=True).update(wechat_msg_id=msg_id)


async def after_failure(
    row: OutboxMessage, error: str, *, final: bool, maybe_delivered: bool
) -> None:
    """Call in the transaction that records the failure. A retry that surely did not arrive
    puts the deliveries back to pending; one that may have arrived leaves them sending."""
    if notice_id_of(row) is None:
        return
    sending = NoticeDelivery.filter(outbox_id=row.id, status="sending")
    if final:
        await sending.update(status="failed", reason=error[:255])
    elif not maybe_delivered:
        await sending.update(status="pending")


# What WeChat reports afterwards


def _count(report: dict[str, str], name: str) -> int:
    value = report.get(name, "")
    return whole_number(value) or 0


async def record_mass_job_finish(
    msg_id: str, report: dict[str, str], now: datetime
) -> Notice | None:
    """MASSSENDJOBFINISH: WeChat's counts for one mass send, kept on the notice."""
    notice = await Notice.get_or_none(wechat_msg_id=msg_id)
    if notice is None:
        delivery = await NoticeDelivery.filter(wechat_msg_id=msg_id).first()
        notice = await Notice.get_or_none(id=delivery.notice_id) if delivery else None
    if notice is None:
        logger.info("MASSSENDJOBFINISH for msg_id %s matches no notice (sent elsewhere?)", msg_id)
        return None
    job = {
        "status": report.get("Status", ""),
        "total": _count(report, "TotalCount"),
        "filtered": _count(report, "FilterCount"),
        "sent": _count(report, "SentCount"),
        "errors": _count(report, "ErrorCount"),
        "at": now.isoformat(),
    }
    async with in_transaction():
        current = await Notice.filter(id=notice.id).select_for_update(no_key=True).first()
        if current is None:
            return None
        result = dict(current.wechat_result or {})
        jobs = dict(result.get("jobs") or {})
        jobs[msg_id] = job
        result["jobs"] = jobs
        for name in ("total", "filtered", "sent", "errors"):
            result[name] = sum(int(j.get(name, 0)) for j in jobs.values())
        result["status"] = (
            job["status"]
            if len(jobs) == 1
            else "、".join(sorted({str(j["status"]) for j in jobs.values()}))
        )
        await Notice.filter(id=notice.id).update(wechat_result=result)
        current.wechat_result = result
    logger.info(
        "notice %s: WeChat reports mass send %s %s: %s of %s sent",
        notice.id,
        msg_id,
        job["status"],
        job["sent"],
        job["total"],
    )
    return current


async def record_template_job_finish(
    openid: str, msg_id: str, status: str, now: datetime
) -> NoticeDelivery | None:
    """TEMPLATESENDJOBFINISH: whether one template message reached its resident."""
    delivery = await NoticeDelivery.filter(wechat_msg_id=msg_id, recipient=openid).first()
    if delivery is None:
        # An attempt whose answer we never read: WeChat's report settles it.
        recent = Notice.filter(
            channel="mp_template", started_at__gte=now - UNKNOWN_LOOKBACK
        ).values("id")
        delivery = (
            await NoticeDelivery.filter(
                Q(status="unknown") | Q(status="failed", reason=texts.UNKNOWN_OUTCOME),
                notice_id__in=Subquery(recent),
                recipient=openid,
            )
            .order_by("-id")
            .first()
        )
    if delivery is None:
        return None  # a template message about a case, not a notice
    changes: dict[str, Any] = {"wechat_status": status[:64], "wechat_msg_id": msg_id}
    if status == "success":
        if delivery.status != "sent":
            changes.update(status="sent", sent_at=now, reason="")
    else:
        reason = texts.TEMPLATE_REPORTS.get(status) or texts.TEMPLATE_REPORT_OTHER.format(
            status=status
        )
        changes.update(status="failed", reason=reason[:255])
    await NoticeDelivery.filter(id=delivery.id).update(**changes)
    for name, value in changes.items():
        setattr(delivery, name, value)
    return delivery
