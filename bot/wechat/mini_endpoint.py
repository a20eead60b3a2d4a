"""The mini-program's message push at ``/wechat/mini``: residents' customer-service messages.

The mini-program's console (开发 > 开发管理 > 消息推送) sets a Token, an EncodingAESKey, the
mode and the data format, JSON or XML; both formats are accepted whatever is configured, told by
the body's first character (the Content-Type only breaks a tie). The rules are the official
account's (:mod:`bot.wechat.mp_endpoint`), whose refusals and limits this module shares:

- GET verifies the URL: ``signature`` over token, timestamp and nonce, ``echostr`` echoed.
- POST plaintext (no JIESU_MINI_AES_KEY): the same ``signature``, which does not cover the body,
  so the timestamp must be recent (JIESU_MP_TIMESTAMP_TOLERANCE applies here too) and each
  signed URL carries one message (:mod:`bot.wechat.replay`). Safe and compatible mode
  (``encrypt_type=aes``): ``msg_signature`` covers the ciphertext of the ``Encrypt`` field,
  decrypted with wechatpy's WeChatCrypto exactly as for the official account. With a key set,
  plaintext is refused unless JIESU_MINI_COMPATIBLE_MODE allows it (the switch between modes).
- Every refusal is a 4xx with a one-line reason and stores nothing: 403 for a signature that
  does not match (or no JIESU_MINI_TOKEN), 413 for a body over JIESU_MAX_BODY_BYTES, 400 for a
  body that is not a message (malformed, hostile XML, JSON nested too deep or of wrong types).

A verified message is stored and worked on by the same intake as the official account's
(channel ``mini``, dedup keys ``mini:msg:<MsgId>`` and ``mini:evt:…``). The mini-program cannot
reply passively with content, so WeChat always hears "success" (within its 5 s) and the answer
follows as a customer-service message through the outbox, queued with the work it answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from bot.api.openapi import Operation, Param, Response
from bot.wechat.parsing import (
    BadMessage,
    decode_text,
    mini_dedup_key,
    parse_mini_fields,
    parse_mini_message,
)
from bot.wechat.signed_endpoint import Refused, SignedEndpoint

logger = logging.getLogger(__name__)

EXPECTED = "a WeChat mini-program message (JSON or XML)"
NOT_CONFIGURED = (
    "the mini-program's message push is not configured: set JIESU_MINI_TOKEN to the Token of "
    "开发 > 开发管理 > 消息推送"
)


@dataclass
class MiniEndpoint(SignedEndpoint):
    channel = "mini"
    setting_prefix = "JIESU_MINI"

    @property
    def token(self) -> str:
        return self.settings.mini_token

    @property
    def aes_key(self) -> str:
        return self.settings.mini_aes_key

    @property
    def appid(self) -> str:
        return self.settings.mini_appid

    @property
    def compatible_mode(self) -> bool:
        return self.settings.mini_compatible_mode

    def check_query(self, request: web.Request) -> tuple[str, str]:
        if not self.settings.mini_token:
            raise Refused(403, NOT_CONFIGURED)
        return super().check_query(request)

    def decrypt(self, request: web.Request, text: str, timestamp: str, nonce: str) -> str:
        """The plaintext inside a safe-mode envelope (``{"Encrypt": …}`` or ``<Encrypt>``)."""
        crypto = self.crypto
        if crypto is None:
            raise Refused(400, "encrypted message received but JIESU_MINI_AES_KEY is not set")
        given = request.query.get("msg_signature", "")
        if not given:
            raise Refused(403, "missing msg_signature")
        try:
            envelope = parse_mini_fields(text, request.content_type)
        except BadMessage as exc:
            raise Refused(400, f"envelope refused: {exc}") from None
        encrypt = envelope.get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise Refused(400, "missing Encrypt")
        try:
            plain = crypto.decrypt_message({"Encrypt": encrypt}, given, timestamp, nonce)
        except InvalidSignatureException:
            raise Refused(403, "msg_signature does not match the configured token") from None
        except InvalidAppIdException:
            raise Refused(403, "message was encrypted for another AppID") from None
        except Exception as exc:
            raise Refused(400, f"cannot decrypt: {type(exc).__name__}") from None
        try:
            return decode_text(plain.encode("utf-8") if isinstance(plain, str) else plain, EXPECTED)
        except BadMessage as exc:
            raise Refused(400, f"decrypted message refused: {exc}") from None

    async def receive(self, request: web.Request) -> web.Response:
        """POST: a message or event, checked and stored before any work; always "success"."""
        timestamp, nonce = self.check_query(request)
        encrypted = self.is_encrypted(request)
        if not encrypted:
            self.check_plain_signature(request, timestamp, nonce)
        body = await self.read_body(request)
        try:
            text = decode_text(body, EXPECTED)
            if encrypted:
                text = self.decrypt(request, text, timestamp, nonce)
            # The decrypted body names its own format (it is stored, and re-read, as it is).
            message = parse_mini_message(text, request.content_type if not encrypted else "")
        except BadMessage as exc:
            raise Refused(400, str(exc)) from None
        await self.check_replay(encrypted, timestamp, nonce, text)
        await self.intake.receive_pushed(message, mini_dedup_key(message), text)
        return web.Response(text="success")


# The contract (bot.api.openapi): one Operation carries one request content type, so the JSON form
# is described and the description says that XML with the same fields is accepted as well.

_TIMESTAMP = Param(
    "timestamp", "query", {"type": "string", "pattern": "^[0-9]{1,12}$"}, True, "Unix time"
)
_NONCE = Param("nonce", "query", {"type": "string", "minLength": 1}, True)
_SIGNATURE = Param(
    "signature",
    "query",
    {"type": "string"},
    False,
    "sha1 of the sorted JIESU_MINI_TOKEN, timestamp and nonce (plaintext mode and GET)",
)
_MSG_SIGNATURE = Param(
    "msg_signature",
    "query",
    {"type": "string"},
    False,
    "sha1 of the sorted token, timestamp, nonce and the Encrypt ciphertext (safe mode)",
)
_ENCRYPT_TYPE = Param(
    "encrypt_type", "query", {"type": "string", "enum": ["raw", "aes"]}, False, "aes: safe mode"
)
_ECHOSTR = Param("echostr", "query", {"type": "string", "minLength": 1}, True)

_STRING: dict[str, Any] = {"type": "string"}
_NUMBER_OR_DIGITS: dict[str, Any] = {"type": ["integer", "string"]}
_SUBSCRIPTION_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "TemplateId": _STRING,
        "SubscribeStatusString": _STRING,
        "PopupScene": _NUMBER_OR_DIGITS,
        "MsgID": _NUMBER_OR_DIGITS,
        "ErrorCode": _NUMBER_OR_DIGITS,
        "ErrorStatus": _STRING,
    },
}
MINI_MESSAGE_JSON: dict[str, Any] = {
    "type": "object",
    "description": "a message or event (plaintext), or {ToUserName, Encrypt} (safe mode)",
    "properties": {
        "ToUserName": _STRING,
        "FromUserName": _STRING,
        "CreateTime": _NUMBER_OR_DIGITS,
        "MsgType": {
            "type": "string",
            "description": "text, image, miniprogrampage or event (others are stored only)",
        },
        "MsgId": _NUMBER_OR_DIGITS,
        "Content": _STRING,
        "PicUrl": _STRING,
        "MediaId": _STRING,
        "Title": _STRING,
        "AppId": _STRING,
        "PagePath": _STRING,
        "ThumbUrl": _STRING,
        "ThumbMediaId": _STRING,
        "Event": {
            "type": "string",
            "description": "user_enter_tempsession, subscribe_msg_popup_event, "
            "subscribe_msg_change_event, subscribe_msg_sent_event, …",
        },
        "SessionFrom": _STRING,
        "List": {
            "description": "the templates of a subscription event: one object, or an array",
            "anyOf": [_SUBSCRIPTION_ITEM, {"type": "array", "items": _SUBSCRIPTION_ITEM}],
        },
        "Encrypt": {"type": "string", "description": "safe mode: the AES ciphertext"},
    },
}

_PLAIN = "text/plain"
_REFUSED = {
    400: Response(
        "missing or malformed timestamp, nonce or echostr; a body that is not a message "
        "(malformed, hostile XML, JSON nested too deep or of wrong types); nothing is stored",
        _STRING,
        _PLAIN,
    ),
    403: Response(
        "the signature does not match, the timestamp is too far from now, the message is for "
        "another AppID, a plaintext message while JIESU_MINI_AES_KEY is set, a signed URL "
        "already used for another message, or JIESU_MINI_TOKEN is not set; nothing is stored",
        _STRING,
        _PLAIN,
    ),
}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/wechat/mini",
        "The mini-program verifies its message push URL",
        "wechat",
        {200: Response("echostr, echoed", _STRING, _PLAIN), **_REFUSED},
        params=(_SIGNATURE, _TIMESTAMP, _NONCE, _ECHOSTR),
        description="WeChat's 消息推送 check: a GET signed with JIESU_MINI_TOKEN whose echostr "
        "we answer.",
    ),
    Operation(
        "POST",
        "/wechat/mini",
        "A resident's customer-service message or event from the mini-program",
        "wechat",
        {
            200: Response(
                '"success": stored (or recognised as a retry); any answer to the resident '
                "follows as a customer-service message",
                {"type": "string", "enum": ["success"]},
                _PLAIN,
            ),
            **_REFUSED,
            413: Response("the body is larger than JIESU_MAX_BODY_BYTES", _STRING, _PLAIN),
        },
        params=(_SIGNATURE, _TIMESTAMP, _NONCE, _ENCRYPT_TYPE, _MSG_SIGNATURE),
        body=MINI_MESSAGE_JSON,
        body_content_type="application/json",
        description="The data format is the console's choice: JSON as described here, or XML "
        "(text/xml) with the same fields in <xml> (subscription events: "
        "<SubscribeMsgPopupEvent><List>…</List></SubscribeMsgPopupEvent>). Plaintext mode is "
        "signed by `signature` and must be recent; safe mode (encrypt_type=aes) by "
        "`msg_signature` over the Encrypt ciphertext. Stored before any work and deduplicated "
        "(MsgId; events by sender, CreateTime and event), so a retry never acts twice.",
    ),
)
