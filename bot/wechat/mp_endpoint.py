"""The official account's server URL (/wechat/mp): verification, messages, passive replies.

Modes, as configured in the account's 服务器配置:
- plaintext (no JIESU_MP_AES_KEY): ``signature`` covers token, timestamp and nonce only (not
  the body), so the timestamp must be recent (JIESU_MP_TIMESTAMP_TOLERANCE) and each signed
  URL carries one message (:mod:`bot.wechat.replay`);
- compatible and safe (JIESU_MP_AES_KEY set): ``encrypt_type=aes`` and ``msg_signature`` cover
  the encrypted body, which alone is read (compatible mode's plaintext copy is ignored); the
  reply is encrypted too. Plaintext deliveries are refused, unless JIESU_MP_COMPATIBLE_MODE
  allows them while the account is switched between modes.
The URL check (GET with ``echostr``) is signed by ``signature`` in every mode.
Every refusal is a 4xx with a one-line reason and changes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from aiohttp import web
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import random_string

from bot.wechat.parsing import (
    BadMessage,
    decode_body,
    dedup_key,
    parse_wechat_message,
    parse_xml_fields,
)
from bot.wechat.signed_endpoint import Refused, SignedEndpoint

logger = logging.getLogger(__name__)


@dataclass
class MpEndpoint(SignedEndpoint):
    channel = "mp"
    setting_prefix = "JIESU_MP"

    @property
    def token(self) -> str:
        return self.settings.mp_token

    @property
    def aes_key(self) -> str:
        return self.settings.mp_aes_key

    @property
    def appid(self) -> str:
        return self.settings.mp_appid

    @property
    def compatible_mode(self) -> bool:
        return self.settings.mp_compatible_mode

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
        encrypted = self.is_encrypted(request)
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
        await self.check_replay(encrypted, timestamp, nonce, text)
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
