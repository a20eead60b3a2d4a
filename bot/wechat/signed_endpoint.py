"""What the three WeChat callbacks share (official account, mini-program, WeCom): the query's
timestamp and plain signature, the URL check, a body read within the size limit, and refusals
that change nothing. The official account and the mini-program also share their modes:

- no EncodingAESKey configured: plaintext, signed by ``signature`` (token, timestamp, nonce:
  not the body), so the timestamp must be recent and each URL carries one message
  (:mod:`bot.wechat.replay`);
- a key configured: encrypted bodies only (``encrypt_type=aes``, ``msg_signature`` over the
  ciphertext). A plaintext delivery is refused, since the plain ``signature`` of a genuine
  encrypted delivery would otherwise carry any body, unless compatible mode is allowed
  (JIESU_MP_COMPATIBLE_MODE, JIESU_MINI_COMPATIBLE_MODE) while the console is switched between
  modes; the URLs of encrypted deliveries are then remembered too.
"""

from __future__ import annotations

import hmac
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

from aiohttp import web
from wechatpy.crypto import WeChatCrypto

from bot.intake import IntakeService
from bot.wechat.replay import MAX_NONCE_CHARS, ReplayCache
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


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to be longer than ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        raise too_large(limit)
    return body


def Refused(status: int, reason: str) -> web.HTTPClientError:
    """A 4xx with a plain-text reason, raised before anything is stored."""
    logger.info("refused request: %s %s", status, reason)
    return _REFUSALS[status](text=reason + "\n", content_type="text/plain")


@dataclass
class SignedEndpoint(ABC):
    """What the WeChat callbacks share: the timestamp and plain signature, the URL check (GET
    with ``echostr``), the mode, a body read within the size limit and the replay cache.
    Subclasses name their token, key, AppID and settings."""

    settings: Settings
    intake: IntakeService

    def __post_init__(self) -> None:
        self.crypto: WeChatCrypto | None = None
        if self.aes_key:
            self.crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
        self.replay = ReplayCache(self.channel, self.settings)

    @property
    @abstractmethod
    def token(self) -> str:
        """The Token the platform signs this callback with."""

    @property
    @abstractmethod
    def aes_key(self) -> str:
        """The EncodingAESKey; empty for plaintext mode."""

    @property
    @abstractmethod
    def appid(self) -> str:
        """The AppID encrypted messages are sealed for."""

    @property
    @abstractmethod
    def compatible_mode(self) -> bool:
        """Whether plaintext deliveries are accepted although a key is configured."""

    @property
    @abstractmethod
    def channel(self) -> str:
        """The replay cache's name for this callback (``mp``, ``mini``)."""

    @property
    @abstractmethod
    def setting_prefix(self) -> str:
        """``JIESU_MP`` or ``JIESU_MINI``: how refusals name the settings."""

    def check_query(self, request: web.Request) -> tuple[str, str]:
        timestamp = request.query.get("timestamp", "")
        nonce = request.query.get("nonce", "")
        if not timestamp or not nonce:
            raise Refused(400, "missing timestamp or nonce")
        if len(nonce) > MAX_NONCE_CHARS:
            raise Refused(400, f"nonce is longer than {MAX_NONCE_CHARS} characters")
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

    def is_encrypted(self, request: web.Request) -> bool:
        """True for a safe-mode delivery (``encrypt_type=aes``). A plaintext one is refused
        while a key is configured, unless compatible mode is allowed."""
        if request.query.get("encrypt_type", "").lower() == "aes":
            return True
        if self.crypto is not None and not self.compatible_mode:
            prefix = self.setting_prefix
            raise Refused(
                403,
                f"{prefix}_AES_KEY is set: only encrypted messages (encrypt_type=aes, "
                f"msg_signature) are accepted; {prefix}_COMPATIBLE_MODE=true also accepts "
                "plaintext ones",
            )
        return False

    async def check_replay(self, encrypted: bool, timestamp: str, nonce: str, message: str) -> None:
        """A URL carries one message (``message``: the plaintext, decrypted if need be, so a
        retry is recognised however it was sealed). Encrypted deliveries are bound to their
        body by ``msg_signature``: they are remembered only where plaintext ones are accepted
        too, so that their URLs cannot be reused for plaintext."""
        if encrypted and not self.compatible_mode:
            return
        taken = await self.replay.use(
            int(timestamp), nonce, message.encode("utf-8"), sealed=encrypted
        )
        if not taken:
            raise Refused(
                403, "this signed URL (timestamp and nonce) was already used for another message"
            )

    async def verify(self, request: web.Request) -> web.Response:
        """GET: WeChat checks the server URL by asking us to echo ``echostr``."""
        timestamp, nonce = self.check_query(request)
        self.check_plain_signature(request, timestamp, nonce)
        echostr = request.query.get("echostr", "")
        if not echostr:
            raise Refused(400, "missing echostr")
        return web.Response(text=echostr)

    async def read_body(self, request: web.Request) -> bytes:
        return await read_limited(request, self.settings.max_body_bytes)
