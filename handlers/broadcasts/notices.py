"""Broadcast notices (群发通知): what staff do with one, from the draft to the last delivery.

The way to sending, each step a conditional UPDATE on the notice's status and version (so two
people acting at once cannot both win) with its audit event in the same transaction:

    draft ──preview to oneself──submit──▶ awaiting approval ──approve (a second admin)──▶
    approved ──scheduled_at──▶ sending ──every delivery settled──▶ done
                                   └─reject (with the reason)─▶ rejected ──edit──▶ draft

Anything not done yet can be cancelled; a notice that is sending stops what has not gone out.

- Only the author edits, previews for the record and submits their notice; a preview goes to
  the author's own WeChat openid or WeCom userid (the worker their account is linked to), not
  to an address typed in, so a notice cannot reach anyone before it is approved.
- The approver is an admin other than the author. Submitting and approving both judge the
  audience as the fan-out will (``handlers.broadcasts.audience``), and keep on the notice what
  WeChat's monthly mass-send quota will cut (``quota_warning``), so the admin knows before
  sending who will be skipped.
- Sending and its crash safety are in ``handlers.broadcasts.delivery``; the checks around each
  send and WeChat's reports afterwards in ``handlers.broadcasts.sending``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from config import broadcasts as texts
from config.settings import Settings
from handlers.broadcasts.audience import AudiencePreview, preview_audience
from handlers.broadcasts.delivery import PREVIEW_PURPOSE, cancel_deliveries
from handlers.broadcasts.rules import (
    InvalidNotice,
    NoticeForbidden,
    NoticeNotFound,
    NoticeStateError,
    check_channel,
    check_notice,
    parse_audience,
    preview_body,
)
from handlers.outbox import enqueue
from handlers.staff.audit import StaffActor, audit
from models import Notice, NoticeDelivery, NoticeStatus, OutboxMessage, StaffUser, Worker

logger = logging.getLogger(__name__)

N = NoticeStatus
EDITABLE = (N.DRAFT, N.REJECTED)
PREVIEWABLE = (N.DRAFT, N.REJECTED, N.AWAITING_APPROVAL)
CANCELLABLE = (N.DRAFT, N.AWAITING_APPROVAL, N.APPROVED, N.REJECTED, N.SENDING)
SCHEDULE_SLACK = timedelta(minutes=1)
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "skipped", "cancelled")
REASONS_SHOWN = 10


async def get_notice(notice_id: int) -> Notice:
    notice = await Notice.get_or_none(id=notice_id)
    if notice is None:
        raise NoticeNotFound(texts.NOT_FOUND)
    return notice


def _refuse(notice: Notice, action: str) -> NoticeStateError:
    label = texts.STATUS_LABELS.get(str(notice.status), str(notice.status))
    return NoticeStateError(texts.STATE_REFUSED.format(status=label, action=action))


async def _transition(
    notice: Notice, allowed: Sequence[NoticeStatus], action: str, **changes: Any
) -> None:
    """Apply ``changes`` if the notice is still as we read it and in an allowed status."""
    if notice.status not in allowed:
        raise _refuse(notice, action)
    won = await Notice.filter(
        id=notice.id, status__in=list(allowed), version=notice.version
    ).update(version=notice.version + 1, **changes)
    if not won:
        current = await get_notice(notice.id)
        if current.status not in allowed:
            raise _refuse(current, action)
        raise NoticeStateError("通知刚被他人修改，请刷新后重试")
    notice.version += 1
    for name, value in changes.items():
        setattr(notice, name, value)


def _check_schedule(scheduled_at: datetime | None, now: datetime) -> datetime | None:
    if scheduled_at is None:
        return None
    if scheduled_at.tzinfo is None:
        raise InvalidNotice("定时发送时间需要带时区，例如 2026-03-10T09:00:00+08:00")
    if scheduled_at < now - SCHEDULE_SLACK:
        raise InvalidNotice(texts.SCHEDULE_PASSED)
    return scheduled_at


def _only_author(notice: Notice, actor: StaffActor) -> None:
    if notice.created_by != actor.username:
        raise NoticeForbidden(texts.ONLY_AUTHOR)


def _summary(notice: Notice) -> dict[str, Any]:
    return {
        "title": notice.title,
        "kind": notice.kind,
        "channel": notice.channel,
        "audience": notice.audience,
        "scheduled_at": notice.scheduled_at.isoformat() if notice.scheduled_at else None,
    }


async def create_notice(
    actor: StaffActor,
    now: datetime,
    *,
    title: str,
    kind: str,
    channel: str,
    audience: dict[str, Any],
    content: dict[str, Any],
    scheduled_at: datetime | None = None,
) -> Notice:
    """A new draft. Its ``clientmsgid`` is fixed now, so every resend of it is recognised."""
    spec = check_notice(title, kind, channel, audience, content)
    when = _check_schedule(scheduled_at, now)
    async with in_transaction():
        notice = await Notice.create(
            title=spec.title,
            kind=spec.kind,
            channel=spec.channel,
            audience=spec.audience.as_json(),
            content=spec.content,
            status=N.DRAFT,
            created_by=actor.username,
            scheduled_at=when,
            clientmsgid=f"jiesu-{secrets.token_hex(8)}",
        )
        await audit(
            actor,
            "notice.create",
            now,
            target_type="notice",
            target_id=notice.id,
            detail=_summary(notice),
        )
    return notice


async def update_notice(
    notice_id: int,
    actor: StaffActor,
    now: datetime,
    *,
    title: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    audience: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    scheduled_at: datetime | None = None,
    clear_schedule: bool = False,
) -> Notice:
    """Change a draft (or a rejected notice, which becomes a draft again). The author's preview
    no longer shows what would go out, so another preview is needed before submitting."""
    notice = await get_notice(notice_id)
    _only_author(notice, actor)
    if notice.status not in EDITABLE:
        raise _refuse(notice, "修改")
    spec = check_notice(
        title if title is not None else notice.title,
        kind if kind is not None else notice.kind,
        channel if channel is not None else notice.channel,
        audience if audience is not None else notice.audience,
        content if content is not None else notice.content,
    )
    when = None if clear_schedule else _check_schedule(scheduled_at, now)
    if not clear_schedule and scheduled_at is None:
        when = notice.scheduled_at
    async with in_transaction():
        await _transition(
            notice,
            EDITABLE,
            "修改",
            title=spec.title,
            kind=spec.kind,
            channel=spec.channel,
            audience=spec.audience.as_json(),
            content=spec.content,
            scheduled_at=when,
            status=N.DRAFT,
            preview_sent_at=None,
            submitted_at=None,
            quota_warning="",
        )
        await audit(
            actor,
            "notice.update",
            now,
            target_type="notice",
            target_id=notice.id,
            detail=_summary(notice),
        )
    return notice


async def preview_address(user_id: int | None, channel: str) -> str:
    """Where the staff member's previews go: their own linked openid (``handlers.accounts``),
    else their linked worker's WeCom userid or openid."""
    user = await StaffUser.get_or_none(id=user_id) if user_id is not None else None
    if user is not None and user.openid and channel != "work_app":
        return user.openid
    worker = (
        await Worker.get_or_none(id=user.worker_id)
        if user is not None and user.worker_id is not None
        else None
    )
    address = None
    if worker is not None:
        address = worker.wecom_userid if channel == "work_app" else worker.openid
    if not address:
        what = "企业微信 userid" if channel == "work_app" else "微信 openid（关注本公众号）"
        raise InvalidNotice(texts.NO_PREVIEW_ADDRESS.format(what=what))
    return address


async def preview_notice(notice_id: int, actor: StaffActor, now: datetime) -> OutboxMessage:
    """Send the notice to the staff member themselves. The author's preview is what submitting
    needs; an approver may preview too, without changing the notice."""
    notice = await get_notice(notice_id)
    if notice.status not in PREVIEWABLE:
        raise _refuse(notice, "预览")
    address = await preview_address(actor.user_id, notice.channel)
    outbox_channel, body = preview_body(notice.kind, notice.channel, notice.content)
    async with in_transaction():
        if notice.created_by == actor.username and notice.status in EDITABLE:
            await _transition(notice, EDITABLE, "预览", preview_sent_at=now)
        row = await enqueue(outbox_channel, address, body, now, purpose=PREVIEW_PURPOSE)
        await audit(
            actor,
            "notice.preview",
            now,
            target_type="notice",
            target_id=notice.id,
            detail={"channel": outbox_channel, "outbox": row.id},
        )
    return row


async def audience_preview(
    audience: dict[str, Any],
    channel: str,
    kind: str,
    content: dict[str, Any],
    at: datetime,
    settings: Settings,
    *,
    notice_id: int | None = None,
) -> AudiencePreview:
    """Who would get it and who not, with the counts and the quota warning, at time ``at``.

    The content may still be incomplete; only a subscription message's template id matters."""
    parsed = parse_audience(audience)
    check_channel(parsed, channel, kind)
    return await preview_audience(
        parsed,
        channel,
        content if isinstance(content, dict) else {},
        at,
        settings,
        notice_id=notice_id,
    )


async def notice_audience_preview(
    notice: Notice, now: datetime, settings: Settings
) -> AudiencePreview:
    at = notice.scheduled_at if notice.scheduled_at and notice.scheduled_at > now else now
    return await preview_audience(
        parse_audience(notice.audience),
        notice.channel,
        notice.content,
        at,
        settings,
        notice_id=notice.id,
    )


async def submit_notice(
    notice_id: int, actor: StaffActor, now: datetime, settings: Settings
) -> tuple[Notice, AudiencePreview]:
    notice = await get_notice(notice_id)
    _only_author(notice, actor)
    if notice.status not in EDITABLE:
        raise _refuse(notice, "提交审批")
    if notice.preview_sent_at is None:
        raise InvalidNotice(texts.NEEDS_PREVIEW)
    _check_schedule(notice.scheduled_at, now)
    preview = await notice_audience_preview(notice, now, settings)
    async with in_transaction():
        await _transition(
            notice,
            EDITABLE,
            "提交审批",
            status=N.AWAITING_APPROVAL,
            submitted_at=now,
            quota_warning=preview.quota_warning,
            decision_note="",
        )
        await audit(
            actor,
            "notice.submit",
            now,
            target_type="notice",
            target_id=notice.id,
            detail={"to_send": preview.to_send, "skipped": sum(preview.skipped.values())},
        )
    return notice, preview


def _not_own(notice: Notice, actor: StaffActor) -> None:
    if notice.created_by == actor.username:
        raise NoticeForbidden(texts.OWN_APPROVAL)


async def approve_notice(
    notice_id: int, actor: StaffActor, now: datetime, settings: Settings, *, note: str = ""
) -> tuple[Notice, AudiencePreview]:
    """A second admin says yes. It goes at ``scheduled_at``, or with the next sweep."""
    notice = await get_notice(notice_id)
    _not_own(notice, actor)
    if notice.status != N.AWAITING_APPROVAL:
        raise _refuse(notice, "审批")
    preview = await notice_audience_preview(notice, now, settings)
    async with in_transaction():
        await _transition(
            notice,
            (N.AWAITING_APPROVAL,),
            "审批",
            status=N.APPROVED,
            approved_by=actor.username,
            approved_at=now,
            decision_note=note.strip()[: texts.NOTE_LIMIT],
            quota_warning=preview.quota_warning,
        )
        await audit(
            actor,
            "notice.approve",
            now,
            target_type="notice",
            target_id=notice.id,
            detail={"note": notice.decision_note, "to_send": preview.to_send},
        )
    return notice, preview


async def reject_notice(notice_id: int, actor: StaffActor, now: datetime, reason: str) -> Notice:
    notice = await get_notice(notice_id)
    _not_own(notice, actor)
    reason = reason.strip()[: texts.NOTE_LIMIT]
    if not reason:
        raise InvalidNotice(texts.REASON_REQUIRED)
    async with in_transaction():
        await _transition(
            notice, (N.AWAITING_APPROVAL,), "驳回", status=N.REJECTED, decision_note=reason
        )
        await audit(
            actor,
            "notice.reject",
            now,
            target_type="notice",
            target_id=notice.id,
            detail={"reason": reason},
        )
    return notice


async def cancel_notice(notice_id: int, actor: StaffActor, now: datetime) -> Notice:
    """Stop the notice. While sending, whatever has not gone out stays unsent (cancelled)."""
    notice = await get_notice(notice_id)
    was = NoticeStatus(notice.status)
    async with in_transaction():
        await _transition(
            notice,
            CANCELLABLE,
            "取消",
            status=N.CANCELLED,
            cancelled_at=now,
            cancelled_by=actor.username,
        )
        stopped = await cancel_deliveries(notice.id) if was == N.SENDING else 0
        await audit(
            actor,
            "notice.cancel",
            now,
            target_type="notice",
            target_id=notice.id,
            detail={"was": was.value, "stopped": stopped},
        )
    logger.info(
        "notice %s cancelled by %s (%d deliveries stopped)", notice.id, actor.username, stopped
    )
    return notice


async def list_notices(
    statuses: Sequence[NoticeStatus] = (), *, limit: int = 50, offset: int = 0
) -> list[Notice]:
    query = Notice.all()
    if statuses:
        query = query.filter(status__in=list(statuses))
    return await query.order_by("-id").offset(offset).limit(limit)


# Progress


@dataclass
class NoticeProgress:
    """Live counts from the delivery rows, and WeChat's own report where it sent one."""

    status: str
    recipients_total: int
    fanned_out: bool
    counts: dict[str, int] = field(default_factory=dict)
    failed: list[dict[str, Any]] = field(default_factory=list)  # reasons, most frequent first
    skipped: list[dict[str, Any]] = field(default_factory=list)
    cancelled: int = 0
    reports: dict[str, int] = field(default_factory=dict)  # TEMPLATESENDJOBFINISH statuses
    wechat_result: dict[str, Any] = field(default_factory=dict)

    @property
    def settled(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("sent", "failed", "skipped", "cancelled"))

    def as_json(self) -> dict[str, Any]:
        total = sum(self.counts.values())
        return {
            "status": self.status,
            "recipients_total": self.recipients_total,
            "fanned_out": self.fanned_out,
            "deliveries": total,
            "counts": self.counts,
            "settled": self.settled,
            "percent": round(100.0 * self.settled / total, 1) if total else 0.0,
            "failed_reasons": self.failed,
            "skipped_reasons": self.skipped,
            "reports": self.reports,
            "wechat_result": self.wechat_result,
        }


async def _reasons(notice_id: int, status: str) -> list[dict[str, Any]]:
    rows = (
        await NoticeDelivery.filter(notice_id=notice_id, status=status)
        .group_by("reason")
        .annotate(n=Count("id"))
        .values("reason", "n")
    )
    ranked = sorted(rows, key=lambda r: (-int(r["n"]), str(r["reason"])))
    return [{"reason": r["reason"], "count": int(r["n"])} for r in ranked[:REASONS_SHOWN]]


async def notice_progress(notice: Notice) -> NoticeProgress:
    rows = (
        await NoticeDelivery.filter(notice_id=notice.id)
        .group_by("status")
        .annotate(n=Count("id"))
        .values("status", "n")
    )
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    for row in rows:
        counts[str(row["status"])] = int(row["n"])
    reports = (
        await NoticeDelivery.filter(notice_id=notice.id)
        .exclude(wechat_status="")
        .group_by("wechat_status")
        .annotate(n=Count("id"))
        .values("wechat_status", "n")
    )
    return NoticeProgress(
        status=str(notice.status),
        recipients_total=notice.recipients_total,
        fanned_out=notice.fanned_out,
        counts=counts,
        failed=await _reasons(notice.id, "failed") if counts["failed"] else [],
        skipped=await _reasons(notice.id, "skipped") if counts["skipped"] else [],
        cancelled=counts["cancelled"],
        reports={str(r["wechat_status"]): int(r["n"]) for r in reports},
        wechat_result=dict(notice.wechat_result or {}),
    )
