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
import hashlib
import json
import re
import secrets
import time
from collections import Counter, defaultdict, deque
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
MASS_SEND_TO = "/cgi-bin/message/mass/send"  # to a list of openids
MASS_PREVIEW = "/cgi-bin/message/mass/preview"
MASS_PATHS = (MASS_SEND, MASS_SEND_TO, MASS_PREVIEW)
CLIENTMSGID_WINDOW = 24 * 3600.0  # WeChat checks a clientmsgid against the last 24 hours
QRCODE_CREATE = "/cgi-bin/qrcode/create"  # parametric QR codes (account links)
SHOW_QRCODE = "/cgi-bin/showqrcode"
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
        # How many messages each recipient got (a mass send counts once per openid reached).
        self.received: Counter[str] = Counter()
        self.app.router.add_get("/_fake/sent", self._list_sent)
        self.app.router.add_get("/_fake/stats", self._stats)
        self.app.router.add_get("/_fake/received", self._list_received)

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

    async def _list_received(self, request: web.Request) -> web.Response:
        """Per recipient, how many messages reached them (``?summary=1``: totals only)."""
        totals = {
            "recipients": len(self.received),
            "deliveries": sum(self.received.values()),
            "duplicate_mass_sends": getattr(self, "duplicate_mass_sends", 0),
        }
        if request.query.get("summary"):
            return web.json_response(totals)
        return web.json_response({**totals, "received": dict(self.received)}, dumps=_dumps_utf8)


@dataclass
class MassJob:
    """One accepted mass send and the counts its MASSSENDJOBFINISH event reports."""

    msg_id: int
    clientmsgid: str
    total: int = 0
    filtered: int = 0  # left after WeChat's filters (the monthly quota)
    sent: int = 0
    errors: int = 0


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
        # Mass sends: who follows (sendall to all) and each tag's members (sendall to a tag);
        # a follower receives at most ``mass_quota`` mass sends a month, further ones are
        # filtered out, as WeChat does for service accounts.
        self.followers: set[str] = set()
        self.tags: dict[int, set[str]] = {}
        self.mass_quota = 4
        self.jobs: dict[int, MassJob] = {}
        self.duplicate_mass_sends = 0  # refused with 45065: the clientmsgid was used already
        self._mass_this_month: Counter[tuple[str, str]] = Counter()
        self._clientmsgids: dict[str, tuple[int, float]] = {}
        self._next_msgid = 1000
        self.app.router.add_post(STABLE_TOKEN, self._stable_token)
        self.app.router.add_get(CLASSIC_TOKEN, self._classic_token)
        for path in (CUSTOM_SEND, TEMPLATE_SEND, SUBSCRIBE_SEND, *MASS_PATHS):
            self.app.router.add_post(path, self._message)
        # Parametric QR codes asked for, in order: {"ticket", "scene", "expire_seconds", ...}.
        self.qrcodes: list[dict[str, Any]] = []
        self.app.router.add_post(QRCODE_CREATE, self._qrcode_create)
        self.app.router.add_get(SHOW_QRCODE, self._show_qrcode)

    def scene_of(self, ticket: str) -> str:
        """The scene a QR code carries: what WeChat puts in the event when it is scanned."""
        return next(q["scene"] for q in self.qrcodes if q["ticket"] == ticket)

    def messages_to(self, openid: str) -> list[dict[str, Any]]:
        return [message.body for message in self.sent if message.body.get("touser") == openid]

    def _refusal(self, path: str, body: dict[str, Any]) -> web.Response | None:
        """What an app of its own (the mini-program) refuses beyond the shared checks."""
        return None

    def mass_sends(self) -> list[dict[str, Any]]:
        return [m.body for m in self.sent if m.path in (MASS_SEND, MASS_SEND_TO)]

    def mass_job_event(self, msg_id: int | str) -> dict[str, Any]:
        """The fields of the MASSSENDJOBFINISH WeChat posts when job ``msg_id`` is done."""
        job = self.jobs[int(msg_id)]
        return {
            "Event": "MASSSENDJOBFINISH",
            "MsgID": job.msg_id,
            "Status": "send success",
            "TotalCount": job.total,
            "FilterCount": job.filtered,
            "SentCount": job.sent,
            "ErrorCount": job.errors,
        }

    @staticmethod
    def template_job_event(msg_id: int | str, status: str = "success") -> dict[str, Any]:
        """The fields of the TEMPLATESENDJOBFINISH for one template message (from its openid)."""
        return {"Event": "TEMPLATESENDJOBFINISH", "MsgID": int(msg_id), "Status": status}

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

    # QR codes

    async def _qrcode_create(self, request: web.Request) -> web.Response:
        """Temporary QR codes with a string scene (QR_STR_SCENE), as WeChat checks them."""
        injected = await self._injected(request)
        if injected is not None:
            return injected
        state = self._token_state(request.query.get("access_token", ""))
        if state != "valid":
            return _error(42001 if state == "expired" else 40001, "invalid credential")
        body = await self._json_body(request)
        scene = ((body or {}).get("action_info") or {}).get("scene") or {}
        scene_str = scene.get("scene_str") if isinstance(scene, dict) else None
        seconds = (body or {}).get("expire_seconds", 60)
        if body is None or body.get("action_name") != "QR_STR_SCENE":
            return _error(40097, "invalid args: action_name")
        if not isinstance(scene_str, str) or not 1 <= len(scene_str) <= 64:
            return _error(40097, "invalid args: scene_str must be 1 to 64 characters")
        if not isinstance(seconds, int) or not 60 <= seconds <= 2_592_000:
            return _error(40097, "invalid args: expire_seconds")
        ticket = "gQ" + secrets.token_urlsafe(24)
        url = f"http://weixin.qq.com/q/{secrets.token_hex(8)}"
        self.qrcodes.append(
            {"ticket": ticket, "scene": scene_str, "expire_seconds": seconds, "url": url}
        )
        self.sent.append(SentMessage(request.path, body, request.query["access_token"]))
        return web.json_response({"ticket": ticket, "expire_seconds": seconds, "url": url})

    async def _show_qrcode(self, request: web.Request) -> web.Response:
        """The QR image by its ticket (the fake's is a tiny SVG with the scene's url)."""
        ticket = request.query.get("ticket", "")
        found = next((q for q in self.qrcodes if q["ticket"] == ticket), None)
        if found is None:
            return web.Response(status=404, text="no such ticket")
        svg = f'<svg xmlns="http://www.w3.org/2000/svg"><text>{found["url"]}</text></svg>'
        return web.Response(text=svg, content_type="image/svg+xml")

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
        if path in (MASS_SEND, MASS_SEND_TO):
            return await self._mass(path, body, token)
        if not body.get("touser") or not isinstance(body["touser"], str):
            return _error(40003, "invalid openid")
        if path in (TEMPLATE_SEND, SUBSCRIBE_SEND) and not body.get("template_id"):
            return _error(40037, "invalid template_id")
        refusal = self._refusal(path, body)
        if refusal is not None:
            return refusal
        self.sent.append(SentMessage(path, body, token))
        self.received[body["touser"]] += 1
        self._next_msgid += 1
        msgid = self._next_msgid
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        if path == TEMPLATE_SEND:
            return _ok(msgid=msgid)
        if path == MASS_PREVIEW:
            return _ok(msg_id=msgid)
        return _ok()

    async def _mass(self, path: str, body: dict[str, Any], token: str) -> web.Response:
        """sendall (all followers or a tag) and send (2 to 10000 openids), kept idempotent by
        ``clientmsgid`` as WeChat keeps them: a key used in the last 24 hours is refused with
        45065 and the earlier job's msg_id, and nobody gets the message again."""
        if path == MASS_SEND_TO:
            openids = body.get("touser")
            if not isinstance(openids, list) or not 2 <= len(openids) <= 10_000:
                return _error(40130, "invalid openid list size, at least two openid")
            recipients = [str(o) for o in openids]
        else:
            scope = body.get("filter")
            if not isinstance(scope, dict):
                return _error(47001, "data format error: filter missing")
            if scope.get("is_to_all"):
                recipients = sorted(self.followers)
            else:
                recipients = sorted(self.tags.get(int(scope.get("tag_id", -1)), set()))
        msgtype = body.get("msgtype")
        if not msgtype or msgtype not in body:
            return _error(40008, "invalid message type")
        clientmsgid = str(body.get("clientmsgid") or "")
        if len(clientmsgid.encode("utf-8")) > 64:
            return _error(45067, "clientmsgid size out of limit")
        if not clientmsgid:
            # WeChat's default: a digest of the scope and the content.
            scope_and_content = {k: v for k, v in body.items() if k != "clientmsgid"}
            clientmsgid = hashlib.sha256(_dumps_utf8(scope_and_content).encode()).hexdigest()
        earlier = self._clientmsgids.get(clientmsgid)
        now = time.monotonic()
        if earlier is not None and now - earlier[1] < CLIENTMSGID_WINDOW:
            self.duplicate_mass_sends += 1
            return _error(45065, "clientmsgid exist", msg_id=earlier[0])
        self.sent.append(SentMessage(path, body, token))
        self._next_msgid += 1
        job = MassJob(self._next_msgid, clientmsgid, total=len(recipients))
        self.jobs[job.msg_id] = job
        self._clientmsgids[clientmsgid] = (job.msg_id, now)
        month = datetime.now(UTC).strftime("%Y-%m")
        for openid in recipients:
            if self._mass_this_month[(openid, month)] >= self.mass_quota:
                continue
            self._mass_this_month[(openid, month)] += 1
            self.received[openid] += 1
            job.filtered += 1
            job.sent += 1
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return _ok(msg_id=job.msg_id, msg_data_id=job.msg_id * 10)


JSCODE2SESSION = "/sns/jscode2session"
MSG_SEC_CHECK = "/wxa/msg_sec_check"
MINI_SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/send"


@dataclass
class MiniLogin:
    openid: str
    session_key: str
    unionid: str | None = None
    used: bool = False


class FakeMiniProgram(FakeWeChat):
    """One mini-program: its tokens, ``wx.login`` codes, msgSecCheck v2 and its messages.

    ``login(code, openid)`` makes a code that jscode2session accepts once (WeChat: 40029 for an
    unknown code, 40163 for a used one). ``risky_words`` make msgSecCheck answer ``risky`` for
    text containing them and ``review_words`` ``review``; msgSecCheck also refuses an openid
    that never signed in (40003), as WeChat refuses users who have not visited lately.
    Customer-service messages of a type the mini-program cannot send (a msgmenu: 40008) and
    subscription messages with a URL for a page (41030) or a field beyond its type's limits
    (47003) are refused, as WeChat refuses them.
    """

    # Its customer service sends these only (no msgmenu, no news); its subscription messages
    # check each field against its type's limits, as WeChat does (47003 names the field).
    CUSTOM_TYPES = frozenset({"text", "image", "link", "miniprogrampage"})
    _CHINESE = re.compile(r"^[\u4e00-\u9fff]{1,5}$")
    _TIME = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日 )?\d{1,2}:\d{2}$")
    _CHARACTER_STRING = re.compile(r"^[\x21-\x7e]{1,32}$")

    def __init__(
        self, appid: str = "wxminifake", secret: str = "fakeminisecret", token_ttl: int = 7200
    ):
        super().__init__(appid=appid, secret=secret, token_ttl=token_ttl)
        self.logins: dict[str, MiniLogin] = {}
        self.risky_words: set[str] = {"违禁词"}
        self.review_words: set[str] = set()
        self.checked: list[dict[str, Any]] = []
        self.app.router.add_get(JSCODE2SESSION, self._jscode2session)
        self.app.router.add_post(MSG_SEC_CHECK, self._msg_sec_check)
        self.app.router.add_post(MINI_SUBSCRIBE_SEND, self._message)

    def custom_messages_to(self, openid: str) -> list[dict[str, Any]]:
        return [m.body for m in self.sent if m.path == CUSTOM_SEND and m.body["touser"] == openid]

    def subscribe_messages_to(self, openid: str) -> list[dict[str, Any]]:
        return [
            m.body
            for m in self.sent
            if m.path == MINI_SUBSCRIBE_SEND and m.body["touser"] == openid
        ]

    def _refusal(self, path: str, body: dict[str, Any]) -> web.Response | None:
        if path == CUSTOM_SEND:
            msgtype = body.get("msgtype")
            if msgtype not in self.CUSTOM_TYPES or not isinstance(body.get(msgtype), dict):
                return _error(40008, f"invalid message type {msgtype}")
            return None
        if path != MINI_SUBSCRIBE_SEND:
            return None
        if not body.get("template_id"):
            return _error(40037, "invalid template_id")
        page = body.get("page")
        if page is not None and (not isinstance(page, str) or "://" in page):
            return _error(41030, "invalid page")
        data = body.get("data")
        if not isinstance(data, dict) or not data:
            return _error(47003, "argument invalid! data is empty")
        for key, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str) or not value:
                return _error(47003, f"argument invalid! data.{key}.value is empty")
            if (
                (key.startswith("thing") and len(value) > 20)
                or (key.startswith("phrase") and not self._CHINESE.match(value))
                or (key.startswith("time") and not self._TIME.match(value))
                or (key.startswith("character_string") and not self._CHARACTER_STRING.match(value))
            ):
                return _error(47003, f"argument invalid! data.{key}.value invalid")
        return None

    def login(
        self,
        code: str,
        openid: str,
        session_key: str | None = None,
        unionid: str | None = None,
    ) -> MiniLogin:
        """A code as ``wx.login`` gives it to the mini-program; returns what it stands for."""
        import base64

        key = session_key or base64.b64encode(secrets.token_bytes(16)).decode()
        entry = MiniLogin(openid=openid, session_key=key, unionid=unionid)
        self.logins[code] = entry
        return entry

    async def _jscode2session(self, request: web.Request) -> web.Response:
        injected = await self._injected(request)
        if injected is not None:
            return injected
        query = request.query
        if query.get("grant_type") != "authorization_code":
            return _error(40002, "invalid grant_type")
        if query.get("appid") != self.appid:
            return _error(40013, "invalid appid")
        if query.get("secret") != self.secret:
            return _error(40125, "invalid appsecret")
        entry = self.logins.get(query.get("js_code", ""))
        if entry is None:
            return _error(40029, "invalid code")
        if entry.used:
            return _error(40163, "code been used")
        entry.used = True
        body: dict[str, Any] = {"openid": entry.openid, "session_key": entry.session_key}
        if entry.unionid:
            body["unionid"] = entry.unionid
        return web.json_response(body, content_type="text/plain")

    async def _msg_sec_check(self, request: web.Request) -> web.Response:
        injected = await self._injected(request)
        if injected is not None:
            return injected
        token = request.query.get("access_token", "")
        state = self._token_state(token) if token else "missing"
        if state == "missing":
            return _error(41001, "access_token missing")
        if state == "expired":
            return _error(42001, "access_token expired")
        if state != "valid":
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        body = await self._json_body(request)
        if body is None or not isinstance(body.get("content"), str):
            return _error(47001, "data format error")
        if body.get("version") != 2 or body.get("scene") not in (1, 2, 3, 4):
            return _error(40097, "invalid args")
        known = {entry.openid for entry in self.logins.values()}
        if body.get("openid") not in known:
            return _error(40003, "invalid openid")
        self.checked.append(body)
        content = body["content"]
        suggest, label = "pass", 100
        if any(word in content for word in self.risky_words):
            suggest, label = "risky", 20006
        elif any(word in content for word in self.review_words):
            suggest, label = "review", 21000
        trace = secrets.token_hex(8)
        return _ok(
            result={"suggest": suggest, "label": label},
            detail=[
                {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}
            ],
            trace_id=trace,
        )


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
