"""消息送达: every message the service sent about a case, and how it went.

A resident who says "nobody told me" and a worker who says "I never got the task" are answered
here: each outbox row that names the case (replies, milestone notices, surveys, tasks, reminders),
newest first, with its recipient (the case's resident, a worker by name, or staff), channel,
what it was for, the first words it said (phones masked), its status, and for those that need a
person (未送达, 未发出, 结果不明) what to do. Openids and WeCom userids are never shown.
Shown on the case page (``bot.dashboard.cases``) and in ``GET /api/admin/cases/{number}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config import deliveries as words
from models import Case, OutboxMessage, Resident, Worker
from nlu import mask_phones_in_text

SHOWN = 50  # the newest; a case with more is a case to read in the outbox itself
PREVIEW_CHARS = 80


def purpose_label(purpose: str) -> str:
    front = purpose.split("-", 1)[0]
    return words.PURPOSE_LABELS.get(purpose) or words.PURPOSE_LABELS.get(front, words.OTHER_PURPOSE)


# Keys whose values are addresses, ids or looks, never words a person reads.
NOT_WORDS = frozenset(
    {
        "touser", "template_id", "url", "page", "pagepath", "appid", "miniprogram", "msgtype",
        "id", "key", "task_id", "card_type", "selected_id", "question_key", "agentid", "color",
        "type", "style", "media_id", "thumb_media_id", "clientmsgid", "lang", "miniprogram_state",
    }
)  # fmt: skip


def _texts(payload: Any) -> Iterable[str]:
    """The readable words of a message body in order, whatever its kind (text, menu, card,
    template): every string in it but addresses and ids."""
    if isinstance(payload, str):
        yield payload
    elif isinstance(payload, dict):
        for key, value in payload.items():
            if key not in NOT_WORDS:
                yield from _texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from _texts(item)


def preview(payload: Any) -> str:
    seen: list[str] = []
    for text in _texts(payload):
        text = " ".join(text.split())
        if text and text not in seen:
            seen.append(text)
    joined = mask_phones_in_text(" ".join(seen))  # before the cut, which could halve a number
    return joined[:PREVIEW_CHARS] + ("…" if len(joined) > PREVIEW_CHARS else "")


async def _recipients(case: Case, rows: list[OutboxMessage]) -> dict[str, str]:
    """Who each recipient address is, in words staff may read."""
    addresses = {row.recipient for row in rows}
    names: dict[str, str] = {}
    if case.resident_id is not None:
        resident = await Resident.get_or_none(id=case.resident_id)
        if resident is not None:
            names[resident.openid] = words.RESIDENT
    unknown = list(addresses - set(names))
    if unknown:
        for worker in await Worker.filter(wecom_userid__in=unknown):
            names[str(worker.wecom_userid)] = worker.name
        for worker in await Worker.filter(openid__in=unknown):
            names.setdefault(str(worker.openid), worker.name)
    return names


@dataclass(frozen=True)
class Delivery:
    at: datetime  # sent, or else queued
    to: str  # 居民, a worker's name, or 工作人员
    channel: str
    purpose: str
    preview: str
    status: str

    @property
    def channel_label(self) -> str:
        return words.CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def purpose_label(self) -> str:
        return purpose_label(self.purpose)

    @property
    def status_label(self) -> str:
        return words.STATUS_LABELS.get(self.status, self.status)

    @property
    def hint(self) -> str:
        return words.STATUS_HINTS.get(self.status, "")

    @property
    def needs_a_call(self) -> bool:
        return self.status in words.NEEDS_A_CALL


async def case_deliveries(case: Case, limit: int = SHOWN) -> tuple[list[Delivery], bool]:
    """The newest ``limit`` messages about ``case``, and whether there are more."""
    rows = list(await OutboxMessage.filter(case_id=case.id).order_by("-id").limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    names = await _recipients(case, rows)
    found = [
        Delivery(
            at=row.sent_at or row.created_at,
            to=names.get(row.recipient, words.STAFF),
            channel=row.channel,
            purpose=row.purpose,
            preview=preview(row.payload),
            status=str(row.status),
        )
        for row in rows
    ]
    return found, more
