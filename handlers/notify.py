"""Telling a resident something after the fact, through whichever channel is open to them.

WeChat allows customer-service messages for 48 hours after the resident's last message; after
that only a template message (the resident agreed to them and a template is configured) or a
subscription message (the resident accepted the configured subscription template). If none of
these is open, the message is recorded as not sent, with the reason, so nobody wonders where it
went. A ``dedup_key`` makes the notice idempotent whichever channel it took: asking again for
the same key returns the row written the first time.

Which app a resident's openid belongs to (``Resident.app``) decides the channels. Residents of
the official account get ``mp_*`` messages. Residents of the mini-program get its customer-service
messages (``mini_custom``: text, image, link or miniprogrampage only, no menus) for 48 hours after
their last message to its chat, else its subscription message (``mini_subscribe``, opening a
page of the mini-program) if they accepted the configured template; never the official
account's, whose openids are not theirs. Open311 reporters have no WeChat channel at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from config.settings import Settings
from handlers.clock import local
from handlers.outbox import enqueue, record_unsent
from models import OutboxMessage, Resident, ResidentApp

CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)

REASON_UNFOLLOWED = "居民已取消关注"
REASON_NO_CONSENT = "48小时客服消息窗口已关闭，且居民未授权模板或订阅消息"
REASON_NOTHING_CONFIGURED = "48小时客服消息窗口已关闭，且未配置模板或订阅消息"
REASON_MINI_NO_CONSENT = "小程序48小时客服消息窗口已关闭，且居民未授权小程序订阅消息"
REASON_MINI_NOTHING_CONFIGURED = "小程序48小时客服消息窗口已关闭，且未配置小程序订阅消息"
REASON_NO_WECHAT = "该居民通过Open311客户端反映诉求，没有微信渠道，可在客户端查看办理进度"

# Subscription message fields have small limits (thing: 20 characters, phrase: 5).
THING_LIMIT = 20
PHRASE_LIMIT = 5
CHARACTER_STRING_LIMIT = 32  # the mini-program's character_string: digits, letters, symbols

# What the mini-program's customer-service API sends (no msgmenu, no news).
MINI_CUSTOM_TYPES = frozenset({"text", "image", "link", "miniprogrampage"})
# The mini-program page a subscription message opens (a path in the app, not a URL).
MINI_CASE_PAGE = "pages/case/detail?number={number}"
UNSENT_CHANNEL_OPEN311 = "open311"  # recorded only: nothing is ever sent on it
_NOT_CHINESE = re.compile(r"[^\u4e00-\u9fff]")


@dataclass(frozen=True)
class CaseUpdate:
    """What a template or subscription message says about a case besides the free text."""

    number: str
    status: str  # the status label residents read, e.g. 已办结
    at: datetime


def text_payload(text: str) -> dict[str, object]:
    return {"msgtype": "text", "text": {"content": text}}


def in_service_window(resident: Resident, now: datetime) -> bool:
    last = resident.last_message_at
    return last is not None and now - last < CUSTOMER_SERVICE_WINDOW


def has_unfollowed(resident: Resident) -> bool:
    """We saw the resident unfollow (a resident we never saw follow may still be a follower)."""
    return not resident.subscribed and resident.unsubscribed_at is not None


def case_page_url(settings: Settings, number: str) -> str | None:
    base = settings.public_url.strip().rstrip("/")
    return f"{base}/cases/{number}" if base else None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def template_payload(
    template_id: str, text: str, update: CaseUpdate, settings: Settings
) -> dict[str, Any]:
    """The body of template/send without ``touser`` (the outbound client adds the recipient)."""
    payload: dict[str, Any] = {
        "template_id": template_id,
        "data": {
            "first": {"value": _clip(text, 200)},
            "keyword1": {"value": update.number},
            "keyword2": {"value": update.status},
            "keyword3": {"value": local(update.at).strftime("%Y-%m-%d %H:%M")},
            "remark": {"value": "回复编号可查看办理过程"},
        },
    }
    url = case_page_url(settings, update.number)
    if url:
        payload["url"] = url
    return payload


def subscribe_payload(
    template_id: str, text: str, update: CaseUpdate, settings: Settings
) -> dict[str, Any]:
    """The body of subscribe/bizsend without ``touser``."""
    payload: dict[str, Any] = {
        "template_id": template_id,
        "data": {
            "character_string1": {"value": update.number},
            "phrase2": {"value": update.status[:PHRASE_LIMIT]},
            "time3": {"value": local(update.at).strftime("%Y-%m-%d %H:%M")},
            "thing4": {"value": _clip(text, THING_LIMIT)},
        },
    }
    url = case_page_url(settings, update.number)
    if url:
        payload["page"] = url
    return payload


def accepted_template(resident: Resident, template_id: str) -> str | None:
    """``template_id`` (a configured subscription template) if the resident accepted it."""
    template_id = template_id.strip()
    if template_id and (resident.consent_subscribe or {}).get(template_id) == "accept":
        return template_id
    return None


def mini_time(at: datetime) -> str:
    """time.DATA as the mini-program's subscription messages document it: 2026年3月10日 09:30."""
    moment = local(at)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def mini_phrase(status: str) -> str:
    """phrase.DATA takes at most 5 Chinese characters and nothing else."""
    return _NOT_CHINESE.sub("", status)[:PHRASE_LIMIT] or "已更新"


def mini_subscribe_payload(template_id: str, text: str, update: CaseUpdate) -> dict[str, Any]:
    """The body of the mini-program's subscribe/send without ``touser``: the official
    account's fields, within the mini-program's limits, opening the case's page."""
    return {
        "template_id": template_id,
        "page": MINI_CASE_PAGE.format(number=update.number),
        "data": {
            "character_string1": {"value": update.number[:CHARACTER_STRING_LIMIT]},
            "phrase2": {"value": mini_phrase(update.status)},
            "time3": {"value": mini_time(update.at)},
            "thing4": {"value": _clip(text, THING_LIMIT)},
        },
    }


def mini_custom_payload(text: str, custom_payload: dict[str, Any] | None) -> dict[str, Any]:
    """A custom payload the mini-program can carry, else the plain text (a msgmenu, say)."""
    if custom_payload is not None and custom_payload.get("msgtype") in MINI_CUSTOM_TYPES:
        return custom_payload
    return text_payload(text)


async def _record_unsent(
    channel: str,
    resident: Resident,
    text: str,
    now: datetime,
    reason: str,
    *,
    purpose: str,
    case_id: int | None,
    dedup_key: str | None,
) -> OutboxMessage:
    row = await record_unsent(
        channel,
        resident.openid,
        text_payload(text),
        now,
        reason,
        purpose=purpose,
        case_id=case_id,
    )
    if dedup_key is not None:
        # Kept under the key too, so that a retry of the change finds it and adds no second row.
        await OutboxMessage.filter(id=row.id).update(dedup_key=dedup_key)
        row.dedup_key = dedup_key
    return row


async def _notify_mini(
    resident: Resident,
    text: str,
    now: datetime,
    common: dict[str, Any],
    settings: Settings | None,
    update: CaseUpdate | None,
    custom_payload: dict[str, Any] | None,
    session_open: bool,
) -> OutboxMessage:
    if session_open or in_service_window(resident, now):
        payload = mini_custom_payload(text, custom_payload)
        return await enqueue("mini_custom", resident.openid, payload, now, **common)
    configured = False
    if settings is not None and update is not None:
        configured = bool(settings.mini_subscribe_case_update.strip())
        subscription = accepted_template(resident, settings.mini_subscribe_case_update)
        if subscription is not None:
            payload = mini_subscribe_payload(subscription, text, update)
            return await enqueue("mini_subscribe", resident.openid, payload, now, **common)
    nothing = settings is not None and update is not None and not configured
    reason = REASON_MINI_NOTHING_CONFIGURED if nothing else REASON_MINI_NO_CONSENT
    return await _record_unsent(
        "mini_custom",
        resident,
        text,
        now,
        reason,
        purpose=common["purpose"],
        case_id=common["case_id"],
        dedup_key=common["dedup_key"],
    )


async def notify_resident(
    resident: Resident,
    text: str,
    now: datetime,
    *,
    purpose: str,
    case_id: int | None = None,
    dedup_key: str | None = None,
    settings: Settings | None = None,
    update: CaseUpdate | None = None,
    custom_payload: dict[str, Any] | None = None,
    session_open: bool = False,
) -> OutboxMessage:
    """Queue ``text`` for the resident on the best open channel, or record why it was not sent.

    Template and subscription messages need ``settings`` (the template ids) and ``update`` (the
    case the message is about); without them only the customer-service window is tried. Inside
    the window ``custom_payload`` (a menu, say) is sent instead of the plain text; for a
    mini-program resident only if the mini-program can carry it.

    ``session_open`` (mini-program residents only): the text answers what the resident just
    did in the chat, which opened a customer-service quota that ``last_message_at`` may not
    show (entering the chat allows 2 messages within a minute without any message).
    """
    if dedup_key is not None:
        earlier = await OutboxMessage.get_or_none(dedup_key=dedup_key)
        if earlier is not None:
            return earlier
    common: dict[str, Any] = {
        "purpose": purpose,
        "case_id": case_id,
        "dedup_key": dedup_key,
        "key_checked": True,
    }
    if resident.app == ResidentApp.OPEN311:
        return await _record_unsent(
            UNSENT_CHANNEL_OPEN311,
            resident,
            text,
            now,
            REASON_NO_WECHAT,
            purpose=purpose,
            case_id=case_id,
            dedup_key=dedup_key,
        )
    if resident.app == ResidentApp.MINIPROGRAM:
        return await _notify_mini(
            resident, text, now, common, settings, update, custom_payload, session_open
        )
    if in_service_window(resident, now):
        payload = custom_payload if custom_payload is not None else text_payload(text)
        return await enqueue("mp_custom", resident.openid, payload, now, **common)
    configured = False
    if settings is not None and update is not None and not has_unfollowed(resident):
        template_id = settings.mp_template_case_update.strip()
        configured = bool(template_id or settings.mp_subscribe_case_update.strip())
        if template_id and resident.consent_template:
            payload = template_payload(template_id, text, update, settings)
            return await enqueue("mp_template", resident.openid, payload, now, **common)
        subscription = accepted_template(resident, settings.mp_subscribe_case_update)
        if subscription is not None:
            payload = subscribe_payload(subscription, text, update, settings)
            return await enqueue("mp_subscribe", resident.openid, payload, now, **common)
    if has_unfollowed(resident) or (not resident.subscribed and settings is None):
        reason = REASON_UNFOLLOWED
    elif settings is not None and update is not None and not configured:
        reason = REASON_NOTHING_CONFIGURED
    else:
        reason = REASON_NO_CONSENT
    return await _record_unsent(
        "mp_custom",
        resident,
        text,
        now,
        reason,
        purpose=purpose,
        case_id=case_id,
        dedup_key=dedup_key,
    )
