"""The official account's server URL (/wechat/mp): verification, messages, passive replies.

Modes, as configured in the account's 服务器配置:
- plaintext: ``signature`` covers token, timestamp and nonce only (not the body), so the
  timestamp must be recent (JIESU_MP_TIMESTAMP_TOLERANCE) or a captured URL would stay valid;
- compatible and safe: ``encrypt_type=aes`` and ``msg_signature`` cover the encrypted body; the
  reply is encrypted too.
Every refusal is a 4xx with a one-line reason and changes nothing.
"""

from __future__ import annotations

import hmac
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import random_string

from bot.intake import IntakeService
from bot.wechat.parsing import (
    BadMessage,
    decode_body,
    dedup_key,
    parse_wechat_message,
    parse_xml_fields,
)
from bot.wechat.signing import signature
from config.settings import Settings
from handlers.digits import whole_number

logger = logging.getLogger(__name__)


_REFUSALS: dict[int, type[web.HTTPClientError]] = {
    400: web.HTTPBadRequest,
    403: web.HTTPForbidden,
}


def too_large(limit: int) -> web.HTTPClientError:
    return web.HTTPRequestEntityTooLarge(
        max_size=limit, text=f"body larger than {limit} bytes\n", content_type="text/plain"
    )


def Refused(status: int, reason: str) -> web.HTTPClientError:
    """A 4xx with a plain-text reason, raised before anything is stored."""
    logger.info("refused request: %s %s", status, reason)
    return _REFUSALS[status](text=reason + "\n", content_type="text/plain")


@dataclass
class SignedEndpoint(ABC):
    """What the WeChat callbacks share: the timestamp and plain signature, the URL check (GET
    with ``echostr``) and a body read within the size limit. Subclasses name their token."""

    settings: Settings
    intake: IntakeService

    @property
    @abstractmethod
    def token(self) -> str:
        """The Token the platform signs this callback with."""

    def check_query(self, request: web.Request) -> tuple[str, str]:
        timestamp = request.query.get("timestamp", "")
        nonce = request.query.get("nonce", "")
        if not timestamp or not nonce:
            raise Refused(400, "missing timestamp or nonce")
        if whole_number(timestamp, 12) is None:
            raise Refused(400, "timestamp must be a Unix timestamp")
        tolerance = self.settings.mp_timestamp_tolerance
        if tolerance and abs(time.time() - int(timestamp)) > tolerance:
            raise Refused(403, f"timestamp is more than {tolerance} s away from now")
        return timestamp, nonce

    def check_plain_signature(self, request: web.Request, timestamp: str, nonce: str) -> None:
        given = request.query.get("signature", "")
        expected = signature(self.token, timestamp, nonce)
        if not given or not hmac.compare_digest(given, expected):
            raise Refused(403, "signature does not match the configured token")

    async def verify(self, request: web.Request) -> web.Response:
        """GET: WeChat checks the server URL by asking us to echo ``echostr``."""
        timestamp, nonce = self.check_query(request)
        self.check_plain_signature(request, timestamp, nonce)
        echostr = request.query.get("echostr", "")
        if not echostr:
            raise Refused(400, "missing echostr")
        return web.Response(text=echostr)

    async def read_body(self, request: web.Request) -> bytes:
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise too_large(limit)
        body = await request.content.read(limit + 1)
        if len(body) > limit:
            raise too_large(limit)
        return body


@dataclass
class MpEndpoint(SignedEndpoint):
    def __post_init__(self) -> None:
        self.crypto: WeChatCrypto | None = None
        if self.settings.mp_aes_key:
            self.crypto = WeChatCrypto(
                self.settings.mp_token, self.settings.mp_aes_key, self.settings.mp_appid
            )

    @property
    def token(self) -> str:
        return self.settings.mp_token

    def decrypt(self, request: web.Request, text: str, timestamp: str, nonce: str) -> str:
        crypto = self.crypto
        if crypto is None:
            raise Refused(400, "encrypted message received but JIESU_MP_AES_KEY is not set")
        signature = request.query.get("msg_signature", "")
        if not signature:
            raise Refused(403, "missing msg_signature")
        fields = parse_xml_fields(text)
        if not isinstance(fields.get("Encrypt"), str):
            raise Refused(400, "missing <Encrypt>")
        try:
            plain = crypto.decrypt_message(
                {"Encrypt": fields["Encrypt"]}, signature, timestamp, nonce
            )
        except InvalidSignatureException:
            raise Refused(403, "msg_signature does not match the configured token") from None
        except InvalidAppIdException:
            raise Refused(403, "message was encrypted for another AppID") from None
        except Exception as exc:
            raise Refused(400, f"cannot decrypt: {type(exc).__name__}") from None
        try:
            return decode_body(plain.encode("utf-8") if isinstance(plain, str) else plain)
        except BadMessage as exc:
            raise Refused(400, f"decrypted message refused: {exc}") from None

    async def receive(self, request: web.Request) -> web.Response:
        """POST: a message or event. Checked and stored before any work is done."""
        timestamp, nonce = self.check_query(request)
        encrypted = request.query.get("encrypt_type", "raw").lower() == "aes"
        if not encrypted:
            self.check_plain_signature(request, timestamp, nonce)
        body = await self.read_body(request)
        try:
            text = decode_body(body)
            if encrypted:
                text = self.decrypt(request, text, timestamp, nonce)
            message, wechat_message = parse_wechat_message(text)
        except BadMessage as exc:
            raise Refused(400, str(exc)) from None
        reply_text = await self.intake.answer(message, dedup_key(message), text)
        if not reply_text:
            return web.Response(text="success")
        reply = TextReply(
            source=wechat_message.target,
            target=message.openid,
            content=reply_text,
            time=int(time.time()),
        ).render()
        if encrypted and self.crypto is not None:
            reply = self.crypto.encrypt_message(reply, random_string(16), str(int(time.time())))
        return web.Response(text=reply, content_type="application/xml")
