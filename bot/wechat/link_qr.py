"""A link for a worker or staff member, with its parametric QR code from the official account.

``qrcode/create`` with a string scene (QR_STR_SCENE, temporary) gives a ticket; the image is
``showqrcode?ticket=`` on mp.weixin.qq.com (on the API base itself when that is not WeChat's, so
the fake server in tests serves it). The link is made first and stands without its QR code: in
sandbox mode, or when WeChat refuses, the person sends the chat code instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.wechat.client import WeChatApiError, WeChatClient
from config import account_links as texts
from config.settings import DEFAULT_WECHAT_API_BASE, Settings
from handlers.accounts.links import create_link
from handlers.clock import iso
from handlers.staff.audit import StaffActor
from models import StaffUser, Worker

logger = logging.getLogger(__name__)

QRCODE_CREATE = "/cgi-bin/qrcode/create"
SHOW_QRCODE = "/cgi-bin/showqrcode"
OFFICIAL_SHOW_BASE = "https://mp.weixin.qq.com"
MAX_QR_SECONDS = 30 * 24 * 3600  # WeChat's limit for a temporary QR code


@dataclass(frozen=True)
class LinkOffer:
    """What the admin hands on: shown once, never stored."""

    link_id: int
    target: str
    person_id: int
    name: str
    code: str
    expires_at: datetime
    qr_image_url: str | None
    qr_url: str | None
    note: str

    @property
    def how_to(self) -> str:
        return texts.HOW_TO.format(code=self.code)

    def as_json(self) -> dict[str, Any]:
        return {
            "link_id": self.link_id,
            "target": self.target,
            "person_id": self.person_id,
            "name": self.name,
            "code": self.code,
            "chat_text": f"{texts.CODE_WORDS[0]} {self.code}",
            "expires_at": iso(self.expires_at),
            "qr_image_url": self.qr_image_url,
            "qr_url": self.qr_url,
            "how_to": self.how_to,
            "note": self.note,
        }


def show_url(settings: Settings, ticket: str) -> str:
    base = settings.wechat_api_base.rstrip("/")
    if base == DEFAULT_WECHAT_API_BASE:
        base = OFFICIAL_SHOW_BASE
    return f"{base}{SHOW_QRCODE}?ticket={quote(ticket, safe='')}"


async def create_scene_qr(
    client: WeChatClient, scene: str, seconds: int
) -> tuple[str, dict[str, Any]]:
    """The ticket of a temporary QR code for ``scene``, and WeChat's whole answer."""
    body = {
        "expire_seconds": min(seconds, MAX_QR_SECONDS),
        "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": scene}},
    }
    result = await client.call(QRCODE_CREATE, body)
    ticket = str(result.get("ticket") or "")
    if not ticket:
        raise WeChatApiError(-1, "no ticket in the answer", QRCODE_CREATE)
    return ticket, result


async def offer_link(
    person: Worker | StaffUser,
    actor: StaffActor,
    now: datetime,
    client: WeChatClient | None,
    settings: Settings,
) -> LinkOffer:
    new = await create_link(person, actor, now)
    image = url = None
    note = texts.NO_QR_SANDBOX
    if client is not None:
        seconds = int((new.link.expires_at - now).total_seconds())
        try:
            ticket, answer = await create_scene_qr(client, new.scene, seconds)
        except WeChatApiError as problem:
            logger.warning("link %s: no QR code: %s", new.link.id, problem)
            note = texts.NO_QR_FAILED.format(error=problem.errmsg or problem.errcode)
        else:
            image, url, note = show_url(settings, ticket), str(answer.get("url") or ""), ""
    return LinkOffer(
        new.link.id,
        str(new.link.target),
        person.id,
        new.name,
        new.code,
        new.link.expires_at,
        image,
        url,
        note,
    )
