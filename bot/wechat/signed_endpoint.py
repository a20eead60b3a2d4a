"""What the three WeChat callbacks share (official account, mini-program, WeCom): the query's
timestamp and plain signature, the URL check, a body read within the size limit, and refusals
that change nothing."""

from __future__ import annotations

import hmac
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

from aiohttp import web

from bot.intake import IntakeService
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
