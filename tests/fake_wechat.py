"""A stand-in for api.weixin.qq.com, so tests and benchmarks exercise our real HTTP client.

It keeps WeChat's observable rules (token checks, errcodes, what the stable token API hands
back) and records every accepted message. Run it alone with
``python -m tests.fake_wechat --port 9999``; a benchmark in another process reads
``/_fake/stats`` and ``/_fake/sent``. :class:`FakeApiServer` is what it shares with the fake
WeCom server (tests/fake_wecom.py): failure injection, token bookkeeping, recording.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

CUSTOM_SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/bizsend"
MASS_SEND = "/cgi-bin/message/mass/sendall"
STABLE_TOKEN = "/cgi-bin/stable_token"
CLASSIC_TOKEN = "/cgi-bin/token"

# A JSON \u escape: an odd run of backslashes before "u" (an even run is escaped backslashes).
_UNICODE_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u")


@dataclass
class SentMessage:
    path: str
    body: dict[str, Any]
    access_token: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "body": self.body,
            "access_token": self.access_token,
            "time": self.time.isoformat(),
        }


def _error(errcode: int, errmsg: str, **extra: Any) -> web.Response:
    # WeChat answers errors with HTTP 200 and an errcode, and labels JSON as text/plain.
    return web.json_response(
        {"errcode": errcode, "errmsg": errmsg, **extra}, content_type="text/plain"
    )


def _ok(**extra: Any) -> web.Response:
    return web.json_response({"errcode": 0, "errmsg": "ok", **extra}, content_type="text/plain")


class FakeApiServer:
    """What the fakes of the WeChat family share: failure injection, tokens, a real socket.

    ``fail_next`` answers the next requests to a path with an errcode, ``fail_http_next`` with
    an HTTP status, and ``delay`` holds every answer back (beyond the client's timeout, say).
    """

    def __init__(self, token_ttl: int = 7200) -> None:
        self.token_ttl = token_ttl
        self.sent: list[SentMessage] = []
        self.token_requests = 0
        self.delay = 0.0
        self.requests: list[str] = []  # every path asked, in order, failures included
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._current: str | None = None
        self._errors: dict[str, deque[tuple[int, str]]] = defaultdict(deque)
        self._http_errors: dict[str, deque[int]] = defaultdict(deque)
        self.app = web.Application()
        self.app.router.add_get("/_fake/sent", self._list_sent)
        self.app.router.add_get("/_fake/stats", self._stats)

    # Controls for tests

    def fail_next(self, path: str, errcode: int, errmsg: str = "", times: int = 1) -> None:
        """The next ``times`` requests to ``path`` get this errcode instead of being handled."""
        for _ in range(times):
            self._errors[path].append((errcode, errmsg or f"injected error {errcode}"))

    def fail_http_next(self, path: str, status: int = 500, times: int = 1) -> None:
        for _ in range(times):
            self._http_errors[path].append(status)

    def invalidate_tokens(self) -> None:
        """As if someone else refreshed the token: every token issued so far is rejected."""
        self._tokens.clear()
        self._current = None

    def expire_tokens(self) -> None:
        """As if the tokens' time ran out (by the server's clock, whatever the client thinks)."""
        for token in self._tokens:
            self._tokens[token] = 0.0

    @asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on a real socket and yield the base URL to put in the API base setting."""
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound_port = runner.addresses[0][1]
            yield f"http://{host}:{bound_port}"
        finally:
            await runner.cleanup()

    # Tokens

    def _issue(self, force: bool) -> tuple[str, int]:
        now = time.monotonic()
        current = self._current
        if not force and current is not None and self._tokens.get(current, 0.0) > now:
            return current, int(self._tokens[current] - now)
        if force:
            self._tokens.clear()  # a forced refresh ends the previous token at once
        token = secrets.token_urlsafe(24)
        self._tokens[token] = now + self.token_ttl
        self._current = token
        return token, self.token_ttl

    def _token_state(self, token: str) -> str:
        """``valid``, ``expired`` (issued, its time ran out) or ``invalid`` (never or revoked)."""
        expiry = self._tokens.get(token)
        if expiry is None:
            return "invalid"
        return "valid" if expiry > time.monotonic() else "expired"

    # Requests

    async def _injected(self, request: web.Request) -> web.Response | None:
        self.requests.append(request.path)
        if self.delay:
            await asyncio.sleep(self.delay)
        statuses = self._http_errors.get(request.path)
        if statuses:
            status = statuses.popleft()
            return web.Response(status=status, text=f"fake server: injected HTTP {status}")
        errors = self._errors.get(request.path)
        if errors:
            return _error(*errors.popleft())
        return None

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any] | None:
        """Parse like WeChat: ``\\uXXXX`` escapes are not decoded, so people would see them.

        That is why our client must send raw UTF-8 (``ensure_ascii=False``).
        """
        raw = await request.read()
        raw = _UNICODE_ESCAPE.sub(rb"\1\\\\u", raw)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    def _recipient(message: SentMessage) -> str | None:
        value = message.body.get("touser")
        if value is None and message.body.get("userids"):
            value = message.body["userids"][0]
        return str(value) if value is not None else None

    # Introspection for other processes

    async def _list_sent(self, request: web.Request) -> web.Response:
        recipient = request.query.get("openid") or request.query.get("touser")
        messages = [
            message.as_json()
            for message in self.sent
            if recipient is None or self._recipient(message) == recipient
        ]
        return web.json_response({"sent": messages}, dumps=_dumps_utf8)

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"token_requests": self.token_requests, "sent": len(self.sent)})


class FakeWeChat(FakeApiServer):
    """One official account: its credentials, its live tokens, and what it was asked to send."""

    def __init__(self, appid: str = "wxfake", secret: str = "fakesecret", token_ttl: int = 7200):
        super().__init__(token_ttl)
        self.appid = appid
        self.secret = secret
        # Seconds to hold the answer to a message already accepted and recorded: a sender that
        # dies meanwhile never learns that WeChat delivered it (``delay`` holds requests before
        # they are handled, so a sender that dies then has sent nothing).
        self.answer_delay = 0.0
        self._next_msgid = 1000
        self.app.router.add_post(STABLE_TOKEN, self._stable_token)
        self.app.router.add_get(CLASSIC_TOKEN, self._classic_token)
        for path in (CUSTOM_SEND, TEMPLATE_SEND, SUBSCRIBE_SEND, MASS_SEND):
            self.app.router.add_post(path, self._message)

    def messages_to(self, openid: str) -> list[dict[str, Any]]:
        return [message.body for message in self.sent if message.body.get("touser") == openid]

    # Tokens

    def _grant(self, grant_type: Any, appid: Any, secret: Any, force: bool) -> web.Response:
        if grant_type != "client_credential":
            return _error(40002, "invalid grant_type")
        if appid != self.appid:
            return _error(40013, "invalid appid")
        if secret != self.secret:
            return _error(40125, "invalid appsecret")
        token, expires_in = self._issue(force)
        self.token_requests += 1
        return web.json_response({"access_token": token, "expires_in": expires_in})

    async def _stable_token(self, request: web.Request) -> web.Response:
        injected = await self._injected(request)
        if injected is not None:
            return injected
        body = await self._json_body(request)
        if body is None:
            return _error(47001, "data format error")
        return self._grant(
            body.get("grant_type"),
            body.get("appid"),
            body.get("secret"),
            bool(body.get("force_refresh", False)),
        )

    async def _classic_token(self, request: web.Request) -> web.Response:
        injected = await self._injected(request)
        if injected is not None:
            return injected
        query = request.query
        return self._grant(
            query.get("grant_type"), query.get("appid"), query.get("secret"), force=False
        )

    # Messages

    async def _message(self, request: web.Request) -> web.Response:
        injected = await self._injected(request)
        if injected is not None:
            return injected
        token = request.query.get("access_token", "")
        if not token:
            return _error(41001, "access_token missing")
        state = self._token_state(token)
        if state == "expired":
            return _error(42001, "access_token expired")
        if state != "valid":
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        body = await self._json_body(request)
        if body is None:
            return _error(47001, "data format error")
        path = request.path
        if path != MASS_SEND and not body.get("touser"):
            return _error(40003, "invalid openid")
        if path in (TEMPLATE_SEND, SUBSCRIBE_SEND) and not body.get("template_id"):
            return _error(40037, "invalid template_id")
        self.sent.append(SentMessage(path, body, token))
        self._next_msgid += 1
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        if path == TEMPLATE_SEND:
            return _ok(msgid=self._next_msgid)
        if path == MASS_SEND:
            return _ok(msg_id=self._next_msgid, msg_data_id=self._next_msgid * 10)
        return _ok()


def _dumps_utf8(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeWeChat(appid=args.appid, secret=args.secret, token_ttl=args.token_ttl)
    fake.delay = args.delay
    fake.answer_delay = args.answer_delay
    async with fake.running(args.host, args.port) as url:
        print(url, flush=True)  # the one line a benchmark script reads
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake WeChat API server for tests and benchmarks")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("--appid", default="wxfake")
    parser.add_argument("--secret", default="fakesecret")
    parser.add_argument("--token-ttl", type=int, default=7200)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait per request")
    parser.add_argument(
        "--answer-delay",
        type=float,
        default=0.0,
        help="seconds to hold the answer to a message after accepting and recording it",
    )
    args = parser.parse_args()
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
