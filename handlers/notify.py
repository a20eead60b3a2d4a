"""Telling a resident something after the fact, through whichever channel is open to them.

WeChat allows customer-service messages for 48 hours after the resident's last message; after
that only template or subscription messages the resident agreed to. If neither is open, the
message is recorded as not sent, with the reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.outbox import enqueue, record_unsent
from models import OutboxMessage, Resident

CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)


def text_payload(text: str) -> dict[str, object]:
    return {"msgtype": "text", "text": {"content": text}}


def in_service_window(resident: Resident, now: datetime) -> bool:
    last = resident.last_message_at
    return last is not None and now - last < CUSTOMER_SERVICE_WINDOW


async def notify_resident(
    resident: Resident,
    text: str,
    now: datetime,
    *,
    purpose: str,
    case_id: int | None = None,
    dedup_key: str | None = None,
) -> OutboxMessage:
    if in_service_window(resident, now):
        return await enqueue(
            "mp_custom",
            resident.openid,
            text_payload(text),
            now,
            purpose=purpose,
            case_id=case_id,
            dedup_key=dedup_key,
        )
    reason = "48小时客服消息窗口已关闭，且居民未授权模板或订阅消息"
    if not resident.subscribed:
        reason = "居民已取消关注"
    return await record_unsent(
        "mp_custom",
        resident.openid,
        text_payload(text),
        now,
        reason,
        purpose=purpose,
        case_id=case_id,
    )
