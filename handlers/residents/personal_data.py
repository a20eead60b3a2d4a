"""个人信息 on request (个人信息保护法): everything stored about one resident, and its erasure.

:func:`export_resident` gathers, by openid, the resident's record, their cases (with timelines),
the messages they sent and we sent them, the broadcast notices they were sent, their conversation,
survey answers, held messages, the questions they put to the knowledge base,
mini-program sessions (times only: a session's secret is never exported) and the keys of their
photos, as JSON-ready data.

:func:`erase_resident` removes it, in one transaction: the openid is replaced by a random token
(``erased:…``, irreversible: nothing maps it back), the nickname, phone, unionid, scene and last
location are cleared; each of their cases is anonymised (``handlers.residents.anonymise``) and
stays, with its figures; the messages they sent keep only their type and times; messages to them
keep only their purpose (the unsent ones are skipped); survey comments, held words and the words of
knowledge-base questions are cleared, answers and outcomes stay; sessions and the conversation
are deleted. A later message from the same openid finds no resident and starts a fresh identity.
Both are audited by the caller's actor (never with the openid in the trail: the resident's id is
the target). Erasing an openid nothing is stored about changes nothing (``found`` False), so a
repeated request is harmless.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from handlers.clock import iso
from handlers.residents.anonymise import anonymise_case
from handlers.residents.media_store import MediaStore
from handlers.staff.audit import StaffActor, audit
from models import (
    Case,
    CaseEvent,
    Conversation,
    HeldMessage,
    InboundMessage,
    KnowledgeAsk,
    MediaFile,
    NoticeDelivery,
    OutboxMessage,
    OutboxStatus,
    Resident,
    ResidentSession,
    Survey,
)

ERASED_PREFIX = "erased:"
OPENID_MAX = 64


class NoSuchResident(LookupError):
    """Nothing is stored about this openid."""


def _time(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (_time(v) if isinstance(v, datetime) else v) for k, v in row.items()}


async def _resident(openid: str) -> Resident:
    openid = (openid or "").strip()
    if not openid or len(openid) > OPENID_MAX or openid.startswith(ERASED_PREFIX):
        raise NoSuchResident(openid)
    resident = await Resident.get_or_none(openid=openid)
    if resident is None:
        raise NoSuchResident(openid)
    return resident


async def export_resident(openid: str, actor: StaffActor, now: datetime) -> dict[str, Any]:
    """Everything stored about the resident with ``openid`` (see the module); audited."""
    resident = await _resident(openid)
    cases = await Case.filter(resident_id=resident.id).order_by("id")
    case_ids = [case.id for case in cases]
    events = (
        await CaseEvent.filter(case_id__in=case_ids)
        .order_by("at", "id")
        .values("case_id", "at", "actor_type", "action", "to_status", "note")
    )
    numbers = {case.id: case.number for case in cases}
    case_fields = (
        "number", "channel", "status", "kind", "category", "urgency", "title", "text",
        "attachments", "contact_phone", "place_text", "street", "compound", "address", "lng",
        "lat", "created_at", "closed_at", "result", "result_attachments", "invalid_reason",
    )  # fmt: skip
    exported_cases = []
    for case in cases:
        row = _plain({name: getattr(case, name) for name in case_fields})
        row["status"] = str(case.status)
        row["timeline"] = [
            _plain({k: v for k, v in e.items() if k != "case_id"})
            for e in events
            if e["case_id"] == case.id
        ]
        exported_cases.append(row)
    resident_fields = (
        "openid", "app", "unionid", "nickname", "phone", "subscribed", "subscribed_at",
        "unsubscribed_at", "subscribe_scene", "consent_template", "consent_subscribe",
        "survey_opt_out", "last_message_at", "blocked", "blocked_at", "last_lng", "last_lat",
        "created_at",
    )  # fmt: skip
    surveys = await Survey.filter(resident_id=resident.id).order_by("id")
    received: list[dict[str, Any]] = [
        _plain(row)
        for row in await InboundMessage.filter(openid=resident.openid)
        .order_by("received_at", "id")
        .values("channel", "msg_type", "event", "received_at", "body", "reply", "case_id")
    ]
    sent: list[dict[str, Any]] = [
        _plain(row)
        for row in await OutboxMessage.filter(recipient=resident.openid)
        .order_by("id")
        .values("channel", "purpose", "payload", "status", "created_at", "sent_at", "case_id")
    ]
    for row in (*received, *sent):
        row["case"] = numbers.get(row.pop("case_id"), None)
    data = {
        "exported_at": iso(now),
        "resident": _plain({name: getattr(resident, name) for name in resident_fields}),
        "cases": exported_cases,
        "messages_received": received,
        "messages_sent": sent,
        "conversation": [
            _plain(row)
            for row in await Conversation.filter(resident_id=resident.id).values(
                "state", "case_id", "data", "expires_at"
            )
        ],
        "survey_answers": [
            {
                "case": numbers.get(s.case_id, ""),
                "round": s.round,
                "status": str(s.status),
                "answer": str(s.answer) if s.answer else None,
                "comment": s.comment,
                "answered_at": _time(s.answered_at),
            }
            for s in surveys
        ],
        "held_messages": [
            _plain(row)
            for row in await HeldMessage.filter(resident_id=resident.id)
            .order_by("id")
            .values("channel", "reason", "status", "text", "created_at")
        ],
        "knowledge_questions": [
            _plain(row)
            for row in await KnowledgeAsk.filter(resident_id=resident.id)
            .order_by("id")
            .values("channel", "at", "text", "outcome", "answered_at")
        ],
        "notices": [
            _plain(row)
            for row in await NoticeDelivery.filter(recipient=resident.openid)
            .order_by("id")
            .values("notice_id", "status", "channel", "sent_at")
        ],
        "sessions": [
            _plain(row)
            for row in await ResidentSession.filter(resident_id=resident.id)
            .order_by("id")
            .values("created_at", "last_seen_at", "expires_at", "revoked_at")
        ],
        "media": [
            _plain(row)
            for row in await MediaFile.filter(owner_type="resident", owner_id=resident.id)
            .order_by("id")
            .values("key", "content_type", "size", "case_id", "created_at")
        ],
    }
    await audit(
        actor,
        "resident.export",
        now,
        target_type="resident",
        target_id=resident.id,
        detail={"cases": len(cases)},
    )
    return data


@dataclass(frozen=True)
class Erasure:
    found: bool
    resident_id: int | None = None
    cases: int = 0
    photos: int = 0
    messages: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "resident_id": self.resident_id,
            "cases": self.cases,
            "photos": self.photos,
            "messages": self.messages,
        }


async def erase_resident(
    openid: str, reason: str, actor: StaffActor, now: datetime, store: MediaStore | None
) -> Erasure:
    """Erase what is stored about ``openid`` (see the module); audited with ``reason``."""
    try:
        resident = await _resident(openid)
    except NoSuchResident:
        return Erasure(False)
    old = resident.openid
    token = ERASED_PREFIX + secrets.token_hex(24)
    photos = 0
    async with in_transaction():
        claimed = await Resident.filter(id=resident.id, openid=old).update(
            openid=token,
            unionid=None,
            nickname="",
            phone=None,
            subscribe_scene=None,
            consent_subscribe={},
            subscribed=False,
            last_lng=None,
            last_lat=None,
            blocked_reason="",
            erased_at=now,
        )
        if not claimed:  # erased by a request running at the same time
            return Erasure(False)
        cases = await Case.filter(resident_id=resident.id)
        for case in cases:
            photos += await anonymise_case(case, store, now)
        await CaseEvent.filter(case_id__in=[c.id for c in cases], actor_id=old).update(
            actor_id=token
        )
        own = await MediaFile.filter(owner_type="resident", owner_id=resident.id)
        for media in own:
            if store is not None:
                try:
                    await store.delete(media.path)
                except (OSError, ValueError):
                    pass
        await MediaFile.filter(id__in=[m.id for m in own]).delete()
        photos += len(own)
        received = await InboundMessage.filter(openid=old).update(openid=token, body="", reply="")
        await OutboxMessage.filter(
            recipient=old, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
        ).update(status=OutboxStatus.SKIPPED, last_error="resident erased")
        await OutboxMessage.filter(recipient=old).update(recipient=token, payload={})
        await NoticeDelivery.filter(recipient=old).update(recipient=token)
        await Survey.filter(resident_id=resident.id).update(comment="")
        await HeldMessage.filter(resident_id=resident.id).update(text="", payload={})
        await KnowledgeAsk.filter(resident_id=resident.id).update(
            text="", gap_key="", resident_id=None
        )
        await ResidentSession.filter(resident_id=resident.id).delete()
        await Conversation.filter(resident_id=resident.id).delete()
        await audit(
            actor,
            "resident.erase",
            now,
            target_type="resident",
            target_id=resident.id,
            detail={"reason": reason, "cases": len(cases), "photos": photos},
        )
    return Erasure(True, resident.id, len(cases), photos, received)
