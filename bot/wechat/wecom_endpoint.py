"""The WeCom app's callback URL (/wechat/work): URL verification and card button presses.

WeCom always encrypts (AES, as in the official account's safe mode, with the corp id in place
of the AppID) and signs: ``msg_signature`` = sha1 of the sorted token, timestamp, nonce and the
ciphertext. The GET that verifies the URL carries an encrypted ``echostr`` whose plaintext is
the answer; every POST carries ``<Encrypt>``. There is no timestamp check: the signature covers
the ciphertext, a replayed echostr reveals nothing, and a replayed press is a duplicate that
the inbound log answers without acting (WeCom itself retries a callback it had no answer to).

An image message from a worker is a photo of the case they are handling, fetched and attached
when WeCom is called (``bot.wechat.wecom_photos``). A button press (``template_card_event``) is
stored in ``inbound_messages`` (channel ``work``, unique by sender, CreateTime and key) in the
same transaction as the transition and the card update it causes, so a retry by WeCom is
recognised and never acts twice, and a failure leaves nothing behind for WeCom's retry to trip
over. Other messages and events are acknowledged and
dropped. Every refusal is a 4xx with a one-line reason and writes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction
from wechatpy.work.crypto import PrpCrypto
from wechatpy.work.exceptions import InvalidCorpIdException

from bot.intake import IntakeService
from bot.wechat.parsing import MAX_FIELD_CHARS, BadMessage, decode_body, parse_xml_fields
from bot.wechat.signed_endpoint import Refused, read_limited
from bot.wechat.signing import signature
from bot.wechat.wecom_photos import WecomPhotos
from config.settings import Settings
from handlers.digits import whole_number
from handlers.workflow.request_buttons import press_any
from handlers.workflow.tasks import ButtonPress
from models import InboundMessage, InboundStatus

logger = logging.getLogger(__name__)

CARD_EVENT = "template_card_event"
# Card presses that did what was asked (anything else is kept as the inbound row's error).
DONE = frozenset({"signed", "return_requested", "approved", "refused_request"})
NOT_CONFIGURED = (
    "the WeCom callback is not configured: set JIESU_WORK_CORP_ID, JIESU_WORK_TOKEN and "
    "JIESU_WORK_AES_KEY (the app's 接收消息 > API接收 settings)"
)


class _Duplicate(Exception):
    """The press is already in the inbound log: roll back and answer as before."""


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)[:MAX_FIELD_CHARS]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def selected_items(fields: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """``<SelectedItems><SelectedItem><QuestionKey/><OptionIds><OptionId/>…`` as a dict."""
    items = fields.get("SelectedItems")
    if not isinstance(items, dict):
        return {}
    chosen: dict[str, tuple[str, ...]] = {}
    for item in _as_list(items.get("SelectedItem")):
        if not isinstance(item, dict):
            continue
        question = _text(item, "QuestionKey")
        options = item.get("OptionIds")
        ids = _as_list(options.get("OptionId")) if isinstance(options, dict) else []
        if question:
            chosen[question] = tuple(str(i) for i in ids if isinstance(i, str))
    return chosen


@dataclass(frozen=True)
class CardEvent:
    userid: str
    create_time: int
    event_key: str
    task_id: str
    response_code: str
    selected: dict[str, tuple[str, ...]]

    @property
    def dedup_key(self) -> str:
        """WeCom's rule for events: sender and CreateTime; the key tells two presses apart."""
        key = f"work:{self.userid}:{self.create_time}:{self.event_key}"
        if len(key) <= 160:
            return key
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
        return f"work:{self.userid[:64]}:{self.create_time}:{digest}"


def parse_card_event(fields: dict[str, Any]) -> CardEvent | None:
    """The press in a decrypted callback, or None for any other message or event."""
    if _text(fields, "MsgType").lower() != "event" or _text(fields, "Event") != CARD_EVENT:
        return None
    userid = _text(fields, "FromUserName")
    if not userid:
        raise BadMessage("missing <FromUserName>")
    create_time = _text(fields, "CreateTime") or "0"
    if whole_number(create_time) is None:
        raise BadMessage("CreateTime must be a Unix timestamp")
    return CardEvent(
        userid=userid[:64],
        create_time=int(create_time),
        event_key=_text(fields, "EventKey"),
        task_id=_text(fields, "TaskId"),
        response_code=_text(fields, "ResponseCode"),
        selected=selected_items(fields),
    )


def aes_key(encoding_aes_key: str) -> bytes:
    """The AES key: the 43-character EncodingAESKey plus "=", base64-decoded to 32 bytes."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError(
            "JIESU_WORK_AES_KEY must be the 43-character EncodingAESKey of the WeCom app's "
            "callback settings (接收消息 > API接收)"
        )
    return key


@dataclass
class WecomEndpoint:
    settings: Settings
    intake: IntakeService

    def __post_init__(self) -> None:
        settings = self.settings
        self.configured = bool(
            settings.work_token and settings.work_aes_key and settings.work_corp_id
        )
        self._crypto: PrpCrypto | None = None
        if self.configured:
            self._crypto = PrpCrypto(aes_key(settings.work_aes_key))
        # Set when WeCom is called (bot.app): photos workers send are then fetched and attached.
        self.photos: WecomPhotos | None = None

    # Checks shared by GET and POST

    def _params(self, request: web.Request) -> tuple[str, str, str]:
        if not self.configured:
            raise web.HTTPNotFound(text=NOT_CONFIGURED + "\n", content_type="text/plain")
        given = request.query.get("msg_signature", "")
        timestamp = request.query.get("timestamp", "")
        nonce = request.query.get("nonce", "")
        if not given or not timestamp or not nonce:
            raise Refused(400, "missing msg_signature, timestamp or nonce")
        return given, timestamp, nonce

    def _decrypt(self, given: str, timestamp: str, nonce: str, ciphertext: str) -> str:
        expected = signature(self.settings.work_token, timestamp, nonce, ciphertext)
        if not hmac.compare_digest(given.lower(), expected):
            raise Refused(403, "msg_signature does not match the configured token")
        assert self._crypto is not None
        try:
            plain = self._crypto.decrypt(ciphertext, self.settings.work_corp_id)
        except InvalidCorpIdException:
            raise Refused(403, "message was encrypted for another corp id") from None
        except Exception as exc:
            raise Refused(400, f"cannot decrypt: {type(exc).__name__}") from None
        return str(plain)

    # GET: URL verification

    async def verify(self, request: web.Request) -> web.Response:
        """WeCom checks the URL: decrypt ``echostr`` and answer its plaintext."""
        given, timestamp, nonce = self._params(request)
        # Base64 has no spaces: a "+" sent unencoded and decoded as a space is put back.
        echostr = request.query.get("echostr", "").replace(" ", "+")
        if not echostr:
            raise Refused(400, "missing echostr")
        plain = self._decrypt(given, timestamp, nonce, echostr)
        logger.info("WeCom callback URL verified")
        return web.Response(text=plain)

    # POST: messages and events

    async def read_body(self, request: web.Request) -> bytes:
        return await read_limited(request, self.settings.max_body_bytes)

    async def receive(self, request: web.Request) -> web.Response:
        given, timestamp, nonce = self._params(request)
        body = await self.read_body(request)
        try:
            envelope = parse_xml_fields(decode_body(body))
            ciphertext = envelope.get("Encrypt")
            if not isinstance(ciphertext, str) or not ciphertext:
                raise BadMessage("missing <Encrypt>")
            plain = self._decrypt(given, timestamp, nonce, ciphertext)
            text = decode_body(plain.encode("utf-8"))
            fields = parse_xml_fields(text)
            event = parse_card_event(fields)
        except BadMessage as exc:
            raise Refused(400, str(exc)) from None
        if event is None and self.photos is not None and _text(fields, "MsgType") == "image":
            return await self._photo(fields, text)
        if event is None:
            logger.info(
                "WeCom %s %s from %s acknowledged, not handled",
                _text(fields, "MsgType") or "message",
                _text(fields, "Event"),
                _text(fields, "FromUserName"),
            )
            return web.Response(text="")
        try:
            await self.handle(event, text)
        except Exception:
            logger.exception("WeCom card event %s failed; WeCom will retry", event.dedup_key)
            raise web.HTTPServiceUnavailable(
                text="card event failed; try again\n", content_type="text/plain"
            ) from None
        return web.Response(text="")

    async def _photo(self, fields: dict[str, Any], text: str) -> web.Response:
        assert self.photos is not None
        try:
            await self.photos.receive(fields, text)
        except BadMessage as exc:
            raise Refused(400, str(exc)) from None
        except Exception:
            logger.exception("WeCom image message failed; WeCom will retry")
            raise web.HTTPServiceUnavailable(
                text="image message failed; try again\n", content_type="text/plain"
            ) from None
        return web.Response(text="")

    async def handle(self, event: CardEvent, body: str) -> str:
        """Store the press and act on it in one transaction; returns what happened."""
        key = event.dedup_key
        if await InboundMessage.exists(dedup_key=key):
            logger.info("WeCom retried card event %s; already handled", key)
            return "duplicate"
        press = ButtonPress(event.userid, event.event_key, event.response_code, event.selected)
        try:
            async with in_transaction():
                ctx = await self.intake.context()
                try:
                    row = await InboundMessage.create(
                        dedup_key=key,
                        channel="work",
                        openid=event.userid,
                        msg_type="event",
                        event=CARD_EVENT,
                        create_time=event.create_time,
                        body=body,
                        status=InboundStatus.ANSWERED,
                        received_at=ctx.now,
                        claimed_at=ctx.now,
                        processed_at=ctx.now,
                    )
                except IntegrityError:
                    raise _Duplicate from None
                outcome = await press_any(press, ctx)
                await InboundMessage.filter(id=row.id).update(
                    case_id=outcome.case_id,
                    reply=outcome.card_text,
                    error="" if outcome.result in DONE else outcome.result,
                )
        except _Duplicate:
            logger.info("card event %s arrived twice at once; the other delivery handles it", key)
            return "duplicate"
        logger.info(
            "WeCom card event %s from %s: %s", event.event_key, event.userid, outcome.result
        )
        return outcome.result
