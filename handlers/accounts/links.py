"""One-time links from a worker or staff member to the WeChat openid that uses them.

An admin makes a link (:func:`create_link`): a random QR scene and a short chat code, stored
only as SHA-256 hashes, valid for ``LINK_LIFETIME`` and once. A newer link for the same person
revokes the older ones. The person scans the QR code (WeChat sends ``subscribe`` with EventKey
``qrscene_<scene>`` or ``SCAN`` with ``<scene>``) or sends "绑定 <code>" in the chat, and
:func:`claim` links the sender's openid.

Claiming is a conditional UPDATE (``used_at IS NULL``): of two people racing for one link, one
wins and the other is told it is used; the winner sending it again is told they are linked
already. WeChat's retries of one event never reach here twice (the inbound row is unique). Wrong
codes are audited, and a sender with too many in an hour is refused without looking (the chat
code is short enough to be typed, so it must not be guessable by trying).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from config import account_links as texts
from handlers.staff.audit import StaffActor, audit
from models import AccountLink, AuditEvent, LinkTarget, StaffUser, Worker

logger = logging.getLogger(__name__)

FAILED_ACTION = "account.link_failed"
LINKED_ACTION = "account.linked"
CREATED_ACTION = "account.link_create"
_CODE_TEXT = re.compile(
    r"^\s*(?:" + "|".join(texts.CODE_WORDS) + r")[\s:：,，]*([A-Za-z0-9]{4,16})\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NewLink:
    """What the admin is shown once: the secrets themselves are not kept."""

    link: AccountLink
    scene: str
    code: str
    name: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def is_link_scene(scene: str | None) -> bool:
    return bool(scene) and str(scene).startswith(texts.SCENE_PREFIX)


def code_in(text: str) -> str | None:
    """The code of a "绑定 ABCD2345" message, upper-cased; None for any other words."""
    found = _CODE_TEXT.match(text or "")
    return found.group(1).upper() if found else None


def _new_code() -> str:
    return "".join(secrets.choice(texts.CODE_ALPHABET) for _ in range(texts.CODE_LENGTH))


async def create_link(person: Worker | StaffUser, actor: StaffActor, now: datetime) -> NewLink:
    """A fresh link for ``person``; their unused links are revoked in the same transaction."""
    is_worker = isinstance(person, Worker)
    target = LinkTarget.WORKER if is_worker else LinkTarget.STAFF
    scene = texts.SCENE_PREFIX + secrets.token_urlsafe(18)
    code = _new_code()
    owner = {"worker_id": person.id} if is_worker else {"staff_user_id": person.id}
    name = person.name if isinstance(person, Worker) else person.display_name or person.username
    model = Worker if is_worker else StaffUser
    async with in_transaction():
        # One link-making at a time per person (PostgreSQL: a row lock; SQLite writes one at a
        # time anyway): two made at once must not both stay usable.
        await model.filter(id=person.id).select_for_update().first()
        revoked = await AccountLink.filter(**owner, used_at=None, revoked_at=None).update(
            revoked_at=now
        )
        link = await AccountLink.create(
            target=target,
            scene_hash=digest(scene),
            code_hash=digest(code),
            created_by=actor.username,
            created_at=now,
            expires_at=now + texts.LINK_LIFETIME,
            **owner,
        )
        await audit(
            actor,
            CREATED_ACTION,
            now,
            target_type=target.value,
            target_id=person.id,
            detail={"link": link.id, "expires_at": link.expires_at.isoformat(), "revoked": revoked},
        )
    return NewLink(link, scene, code, name)


async def _person(link: AccountLink) -> Worker | StaffUser | None:
    if link.target == LinkTarget.WORKER:
        return await Worker.get_or_none(id=link.worker_id)
    return await StaffUser.get_or_none(id=link.staff_user_id)


def _described(person: Worker | StaffUser) -> tuple[str, str]:
    if isinstance(person, Worker):
        return texts.TARGET_WORDS["worker"], person.name
    return texts.TARGET_WORDS["staff"], person.display_name or person.username


async def _holder(person: Worker | StaffUser, openid: str) -> str | None:
    """Who else of the same kind holds ``openid`` already (one openid, one account)."""
    if isinstance(person, Worker):
        other_worker = await Worker.filter(openid=openid, active=True).exclude(id=person.id).first()
        return other_worker.name if other_worker else None
    other = await StaffUser.filter(openid=openid).exclude(id=person.id).first()
    return (other.display_name or other.username) if other else None


def _wechat_actor(openid: str) -> StaffActor:
    return StaffActor(None, f"wechat:{openid}"[:64], "", via="wechat")


async def _refuse(openid: str, reason: str, now: datetime, reply: str, link_id: int = 0) -> str:
    await audit(
        _wechat_actor(openid),
        FAILED_ACTION,
        now,
        target_type="openid",
        target_id=openid[:64],
        detail={"reason": reason, "link": link_id},
    )
    return reply


async def _too_many_tries(openid: str, now: datetime) -> bool:
    tries = await AuditEvent.filter(
        target_type="openid",
        target_id=openid[:64],
        action=FAILED_ACTION,
        at__gte=now - timedelta(hours=1),
    ).count()
    return tries >= texts.MAX_FAILED_TRIES_PER_HOUR


async def claim(openid: str, now: datetime, *, scene: str = "", code: str = "") -> str:
    """Link ``openid`` by a QR ``scene`` or a chat ``code``; the reply to show them.

    Call inside the transaction of the inbound message: what it changes commits with it.
    """
    if await _too_many_tries(openid, now):
        return texts.TOO_MANY_TRIES
    hashed = digest(scene) if scene else digest(code.upper())
    if scene:
        link = await AccountLink.get_or_none(scene_hash=hashed)
    else:
        link = await AccountLink.get_or_none(code_hash=hashed)
    if link is None:
        return await _refuse(openid, "unknown", now, texts.UNKNOWN)
    person = await _person(link)
    if link.used_at is not None:
        if link.used_by_openid == openid and person is not None:
            what, name = _described(person)
            return texts.ALREADY_LINKED.format(what=what, name=name)
        return await _refuse(openid, "used", now, texts.USED, link.id)
    if link.revoked_at is not None or link.expires_at <= now:
        return await _refuse(openid, "expired", now, texts.EXPIRED, link.id)
    if person is None or (isinstance(person, Worker | StaffUser) and not person.active):
        return await _refuse(openid, "inactive", now, texts.GONE, link.id)
    holder = await _holder(person, openid)
    if holder is not None:
        return await _refuse(openid, "taken", now, texts.TAKEN.format(name=holder), link.id)
    won = await AccountLink.filter(id=link.id, used_at=None, revoked_at=None).update(
        used_at=now, used_by_openid=openid
    )
    if not won:  # somebody else claimed it a moment ago
        return await _refuse(openid, "used", now, texts.USED, link.id)
    previous = person.openid
    await type(person).filter(id=person.id).update(openid=openid)
    what, name = _described(person)
    await audit(
        _wechat_actor(openid),
        LINKED_ACTION,
        now,
        target_type=link.target.value if isinstance(link.target, LinkTarget) else str(link.target),
        target_id=person.id,
        detail={
            "link": link.id,
            "openid": openid,
            "previous_openid": previous,
            "by": "scene" if scene else "code",
            "created_by": link.created_by,
        },
    )
    logger.info("%s %s linked to a WeChat openid (link %s)", link.target, person.id, link.id)
    after = texts.LINKED_AFTER_WORKER if isinstance(person, Worker) else texts.LINKED_AFTER_STAFF
    return texts.LINKED.format(what=what, name=name, after=after)
