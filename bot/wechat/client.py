"""Outbound calls to the WeChat official-account API, on aiohttp, with a token shared by processes.

wechatpy's client is synchronous, so the calls we make are ours. The access token lives in the
``access_tokens`` table because WeChat allows only a few token refreshes a day and every refresh
by one process can invalidate the token another process holds: all processes must agree on one
token and exactly one of them may fetch a new one at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from config.settings import Settings
from handlers.clock import Clock
from handlers.intake.content_check import CheckUnavailable
from models import AccessToken

logger = logging.getLogger(__name__)

# The API rejected the token itself: refresh it (once, for every process) and try again.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})

# Worth trying again later: WeChat is busy, a quota resets, or an operator can fix the setup.
# Anything else (43004 unfollowed, 40003 wrong openid, 43101 no subscription consent, 45015 the
# 48 h window closed, 40037 unknown template ...) ends the delivery: repeating cannot help.
RETRYABLE_ERRCODES = frozenset(
    {
        -1,  # system busy
        41001,  # access token missing
        45009,  # daily API quota reached
        45011,  # API minute quota reached
        45047,  # too many customer-service messages to this resident before they write again
        45066,  # a mass send repeated with the same clientmsgid within a minute: wait a little
        40013,  # invalid appid (operator fixes the settings)
        40125,  # invalid appsecret (operator fixes the settings)
        40164,  # caller IP not in the whitelist (operator fixes the whitelist)
        61024,  # token API called from a third-party platform account
        *TOKEN_ERRCODES,
    }
)

# What an operator should do, shown with the error so the log line is actionable.
ERRCODE_HINTS: dict[int, str] = {
    -1: "WeChat is busy; the message is retried later",
    40001: "the access token was rejected; another program may be refreshing tokens for this "
    "AppID - let only jiesu fetch them",
    40003: "the openid does not belong to this official account",
    40013: "JIESU_MP_APPID is wrong; copy the AppID from 开发 > 基本配置",
    40037: "the template id does not exist in this account; check the template library",
    40125: "JIESU_MP_SECRET is wrong or was reset; copy the current AppSecret",
    40164: "add this server's public IP to the IP whitelist in 开发 > 基本配置",
    43004: "the resident has unfollowed the account",
    43101: "the resident has not accepted this subscription message",
    45009: "the daily API quota is used up; it resets at midnight (Beijing time)",
    45015: "the resident has not written in 48 h, so customer-service messages are closed; "
    "use a template or subscription message",
    45047: "too many customer-service messages since the resident last wrote; wait for them",
    40130: "a mass send to a list needs 2 to 10000 openids",
    45028: "the account's mass-send quota is used up; wait for it to renew",
    45065: "a mass send with this clientmsgid exists already: it was sent before",
    45066: "the same clientmsgid was sent again within a minute; retried later",
    45067: "the clientmsgid is longer than 64 bytes",
}

# The mass send was made earlier under the same clientmsgid; WeChat answers with that job's
# msg_id, so a resend after a crash is the same job, not a second one.
MASS_DUPLICATE = 45065
MASS_SENDALL = "/cgi-bin/message/mass/sendall"
MASS_SEND = "/cgi-bin/message/mass/send"
MASS_PREVIEW = "/cgi-bin/message/mass/preview"

# Connecting may take this long (at most half of JIESU_HTTP_TIMEOUT_SECONDS), sending the rest.
CONNECT_TIMEOUT_SECONDS = 5.0


class WeChatApiError(Exception):
    """WeChat answered with a non-zero errcode; ``retryable`` tells the outbox what to do next.

    Subclasses for other APIs of the family (WeCom) set their own name, hints and retry rules.
    """

    service = "WeChat"
    hints: dict[int, str] = ERRCODE_HINTS
    retryable_errcodes: frozenset[int] = RETRYABLE_ERRCODES

    def __init__(self, errcode: int, errmsg: str, path: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path
        hint = self.hints.get(errcode)
        text = f"{self.service} API {path} returned errcode {errcode}: {errmsg or 'no message'}"
        super().__init__(f"{text} ({hint})" if hint else text)

    @property
    def retryable(self) -> bool:
        return self.errcode in self.retryable_errcodes


class WeChatUnavailable(WeChatApiError):
    """No usable answer at all (timeout, connection error, HTTP error, not JSON).

    It carries errcode -1, WeChat's own "system busy", so callers handle both the same way.
    ``service`` names the API (WeChat or WeCom) in the message. ``maybe_delivered`` says whether
    the API may have acted on the request: False only when it surely never got it (no
    connection was made, the access token could not be had so the call never left, or an HTTP
    4xx refused it); True after the request left and no clear answer came (a timeout, a reset
    connection, an HTTP 5xx, an answer that is not JSON). The outbox repeats only the first
    kind blindly (``bot.wechat.outbox_drainer``).
    """

    def __init__(
        self,
        path: str,
        reason: str,
        status: int | None = None,
        service: str = "WeChat",
        *,
        maybe_delivered: bool = True,
    ) -> None:
        self.status = status
        self.maybe_delivered = maybe_delivered
        super().__init__(-1, reason, path)
        self.args = (f"{service} API {path} unavailable: {reason}",)

    @property
    def retryable(self) -> bool:
        return True


@dataclass(frozen=True)
class _CachedToken:
    token: str
    expires_at: datetime
    refreshed_at: datetime | None


class AccessTokenStore:
    """Access tokens shared through the ``access_tokens`` table, refreshed by one process at a time.

    A process that needs a new token takes a lease with a conditional UPDATE; the winner fetches,
    the others poll the row until the winner has stored the result. Each condition also names the
    token the caller saw, so N processes that all saw a token rejected cause one refresh, not N.
    """

    MIN_REFRESH_INTERVAL = timedelta(seconds=60)

    def __init__(
        self,
        clock: Clock,
        owner_id: str,
        lease_seconds: float = 15.0,
        margin_seconds: float = 300.0,
    ) -> None:
        self._clock = clock
        self._owner_id = owner_id[:64]
        self._lease = timedelta(seconds=lease_seconds)
        self._margin = timedelta(seconds=margin_seconds)
        self._cache: dict[str, _CachedToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _now(self) -> datetime:
        return self._clock.now().astimezone(UTC)

    def _fresh(
        self,
        token: str,
        expires_at: datetime | None,
        refreshed_at: datetime | None,
        invalid: str | None,
    ) -> bool:
        """Usable now. Just refreshed counts as usable even inside the margin: WeChat may hand
        back the same ageing token, and refreshing again every call would burn the daily quota."""
        if not token or token == invalid or expires_at is None:
            return False
        now = self._now()
        if expires_at - self._margin > now:
            return True
        return (
            refreshed_at is not None
            and expires_at > now
            and refreshed_at + self.MIN_REFRESH_INTERVAL > now
        )

    async def get(
        self,
        name: str,
        fetch: Callable[[], Awaitable[tuple[str, int]]],
        *,
        invalid: str | None = None,
    ) -> str:
        """Return a usable token. ``invalid`` is one the API just rejected: never return it."""
        cached = self._cached(name, invalid)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:  # tasks of this process queue here instead of all polling the table
            cached = self._cached(name, invalid)
            if cached is not None:
                return cached
            return await self._get_shared(name, fetch, invalid)

    def _cached(self, name: str, invalid: str | None) -> str | None:
        entry = self._cache.get(name)
        if entry and self._fresh(entry.token, entry.expires_at, entry.refreshed_at, invalid):
            return entry.token
        return None

    async def _get_shared(
        self, name: str, fetch: Callable[[], Awaitable[tuple[str, int]]], invalid: str | None
    ) -> str:
        loop = asyncio.get_running_loop()
        lease = self._lease.total_seconds()
        give_up_at = loop.time() + lease + min(lease, 1.0)  # the holder's lease, plus slack
        pause = 0.02
        while True:
            row = await self._load(name)
            if self._fresh(row.token, row.expires_at, row.refreshed_at, invalid):
                return self._remember(name, row.token, row.expires_at, row.refreshed_at)
            lease_until = await self._take_lease(row)
            if lease_until is not None:
                return await self._refresh(name, fetch, lease_until)
            if loop.time() >= give_up_at:
                raise WeChatUnavailable(
                    f"access token {name}",
                    f"another process ({row.lease_owner}) holds the refresh lease and did not "
                    "store a token in time; check that process's log for the token API error",
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)

    async def _load(self, name: str) -> AccessToken:
        row = await AccessToken.get_or_none(name=name)
        if row is not None:
            return row
        try:
            return await AccessToken.create(name=name, token="")
        except IntegrityError:  # another process created it first
            return await AccessToken.get(name=name)

    async def _take_lease(self, seen: AccessToken) -> datetime | None:
        """Take the lease if it is free and the row still holds what we judged stale."""
        now = self._now()
        until = now + self._lease
        refreshed = (
            Q(refreshed_at__isnull=True)
            if seen.refreshed_at is None
            else Q(refreshed_at=seen.refreshed_at)
        )
        won = (
            await AccessToken.filter(name=seen.name, token=seen.token)
            .filter(refreshed)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(lease_owner=self._owner_id, lease_until=until)
        )
        return until if won else None

    async def _refresh(
        self, name: str, fetch: Callable[[], Awaitable[tuple[str, int]]], lease_until: datetime
    ) -> str:
        mine = AccessToken.filter(name=name, lease_owner=self._owner_id, lease_until=lease_until)
        try:
            token, expires_in = await fetch()
        except BaseException:
            await mine.update(lease_owner=None, lease_until=None)
            raise
        now = self._now()
        expires_at = now + timedelta(seconds=expires_in)
        stored = await mine.update(
            token=token, expires_at=expires_at, refreshed_at=now, lease_owner=None, lease_until=None
        )
        if not stored:
            logger.warning(
                "access token %s: the refresh took longer than the %s s lease and another process "
                "took over; using our token without storing it",
                name,
                self._lease.total_seconds(),
            )
        logger.info("access token %s refreshed by %s, valid %s s", name, self._owner_id, expires_in)
        return self._remember(name, token, expires_at, now)

    def _remember(
        self, name: str, token: str, expires_at: datetime | None, refreshed_at: datetime | None
    ) -> str:
        if expires_at is not None:
            self._cache[name] = _CachedToken(token, expires_at, refreshed_at)
        return token


class JsonApi:
    """HTTP to one API of the WeChat family: JSON in and out, every failure a WeChatUnavailable.

    The access token goes in the query string; the URL is never logged, only the path. Making
    the connection has a timeout of its own, shorter than the whole call's, so a timeout before
    anything was sent is told apart from one after the request left (``maybe_delivered``).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        timeout_seconds: float,
        *,
        service: str = "WeChat",
        base_setting: str = "JIESU_WECHAT_API_BASE",
    ) -> None:
        self._session = session
        self._base = base.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(
            total=timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, timeout_seconds / 2)
        )
        self._service = service
        self._base_setting = base_setting

    def unavailable(
        self, path: str, reason: str, status: int | None = None, *, maybe_delivered: bool = True
    ) -> WeChatUnavailable:
        return WeChatUnavailable(
            path, reason, status, service=self._service, maybe_delivered=maybe_delivered
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data = None
        headers = None
        if body is not None:
            # Raw UTF-8: WeChat does not decode \u escapes, so people would read them.
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers = {"Content-Type": "application/json; charset=utf-8"}
        try:
            async with self._session.request(
                method,
                f"{self._base}{path}",
                params=params,
                data=data,
                headers=headers,
                timeout=self.timeout,
            ) as response:
                text = await response.text(encoding="utf-8", errors="replace")
                status = response.status
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Refused, unknown host, TLS handshake, no connection in time: nothing was sent.
            raise self.unavailable(
                path,
                f"{type(exc).__name__}: {exc}; check {self._base_setting} and the network",
                maybe_delivered=False,
            ) from exc
        except TimeoutError as exc:
            raise self.unavailable(
                path,
                f"request sent, no answer within {self.timeout.total} s "
                "(JIESU_HTTP_TIMEOUT_SECONDS)",
            ) from exc
        except aiohttp.ClientError as exc:
            # Connected, then reset or cut off mid-way: the request may have been read.
            raise self.unavailable(
                path,
                f"{type(exc).__name__}: {exc}; the connection broke after it was made",
            ) from exc
        if status >= 400:
            # A 4xx refused the request as it came; after a 5xx it may have been acted on.
            raise self.unavailable(
                path, f"HTTP {status}: {text[:200]}", status, maybe_delivered=status >= 500
            )
        try:
            result = json.loads(text)
        except ValueError as exc:
            raise self.unavailable(path, f"answer is not JSON: {text[:200]!r}", status) from exc
        if not isinstance(result, dict):
            raise self.unavailable(path, f"answer is not a JSON object: {text[:200]!r}", status)
        return result


async def token_before_call(getting: Awaitable[str]) -> str:
    """The access token for a call that has not been made yet: if it cannot be had, the call
    never left, whatever happened to the token request itself."""
    try:
        return await getting
    except WeChatUnavailable as exc:
        exc.maybe_delivered = False
        raise


class WeChatClient:
    """The official-account API calls the outbox needs. One instance per process and session."""

    def __init__(
        self, session: aiohttp.ClientSession, settings: Settings, tokens: AccessTokenStore
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._appid = settings.mp_appid
        self._secret = settings.mp_secret
        self._api = JsonApi(session, settings.wechat_api_base, settings.http_timeout_seconds)
        self._token_name = f"mp:{settings.mp_appid}"

    async def call(
        self, path: str, body: dict[str, Any], *, accept: frozenset[int] = frozenset()
    ) -> dict[str, Any]:
        """POST ``body`` to ``path``; a rejected token is refreshed once and the call repeated.

        An errcode in ``accept`` is an answer, not an error: the result is returned as it came.
        """
        token = await token_before_call(self._tokens.get(self._token_name, self._fetch_token))
        result = await self._post(path, body, token)
        if result.get("errcode") in TOKEN_ERRCODES:
            logger.info("WeChat rejected the access token on %s; refreshing it once", path)
            token = await token_before_call(
                self._tokens.get(self._token_name, self._fetch_token_forced, invalid=token)
            )
            result = await self._post(path, body, token)
        errcode = int(result.get("errcode") or 0)
        if errcode and errcode not in accept:
            raise WeChatApiError(errcode, str(result.get("errmsg", "")), path)
        return result

    async def send_custom_message(self, openid: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.call("/cgi-bin/message/custom/send", {"touser": openid, **payload})

    async def send_template_message(self, openid: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.call("/cgi-bin/message/template/send", {"touser": openid, **payload})

    async def send_subscribe_message(self, openid: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.call("/cgi-bin/message/subscribe/bizsend", {"touser": openid, **payload})

    async def mass_send(self, payload: dict[str, Any]) -> dict[str, Any]:
        """To all followers or one tag (``filter``). With a ``clientmsgid`` already used, WeChat
        refuses to send again and names the earlier job: that answer is a success here."""
        return await self.call(MASS_SENDALL, payload, accept=frozenset({MASS_DUPLICATE}))

    async def mass_send_to(self, payload: dict[str, Any]) -> dict[str, Any]:
        """To a list of 2 to 10000 openids (``touser``); ``clientmsgid`` as for mass_send."""
        return await self.call(MASS_SEND, payload, accept=frozenset({MASS_DUPLICATE}))

    async def mass_preview(self, openid: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A mass message shown to one follower as it will look; spends no mass-send quota."""
        return await self.call(MASS_PREVIEW, {"touser": openid, **payload})

    async def _fetch_token(self) -> tuple[str, int]:
        return await self._request_token(force_refresh=False)

    async def _fetch_token_forced(self) -> tuple[str, int]:
        """After a rejection the normal mode may hand back the very token WeChat just refused."""
        return await self._request_token(force_refresh=True)

    async def _request_token(self, *, force_refresh: bool) -> tuple[str, int]:
        path = "/cgi-bin/stable_token"
        body = {
            "grant_type": "client_credential",
            "appid": self._appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        result = await self._post(path, body, None)
        errcode = int(result.get("errcode") or 0)
        if errcode or not result.get("access_token"):
            raise WeChatApiError(errcode or -1, str(result.get("errmsg", "no access_token")), path)
        return str(result["access_token"]), int(result.get("expires_in", 7200))

    async def _post(self, path: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
        params = {"access_token": token} if token is not None else None
        return await self._api.request("POST", path, params=params, body=body)


# The mini-program's own API paths (its access token is its own, fetched with its appid).
JSCODE2SESSION = "/sns/jscode2session"
MSG_SEC_CHECK = "/wxa/msg_sec_check"
MINI_SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/send"


# The official account's hints name its settings and its followers; the mini-program's own.
MINI_ERRCODE_HINTS: dict[int, str] = {
    **ERRCODE_HINTS,
    40003: "the openid does not belong to this mini-program",
    40013: "JIESU_MINI_APPID is wrong; copy the AppID from 开发 > 开发管理 > 开发设置",
    40125: "JIESU_MINI_SECRET is wrong or was reset; copy the current AppSecret",
    40164: "add this server's public IP to the mini-program's IP whitelist (开发设置)",
    40037: "the subscription template id does not exist in this mini-program; check "
    "JIESU_MINI_SUBSCRIBE_CASE_UPDATE",
    41030: "the page of the subscription message does not exist in the released mini-program",
    43101: "the resident has not accepted this subscription message (or used up a one-time one)",
    45015: "the resident has not written to the mini-program's customer service in 48 h; "
    "use a subscription message",
    45047: "too many customer-service messages since the resident last wrote; wait for them",
    47003: "a field of the subscription message breaks its template's limits (errmsg names it)",
}


class MiniProgramApiError(WeChatApiError):
    """A non-zero errcode from the mini-program's API, with hints about its own settings."""

    service = "WeChat mini-program"
    hints = MINI_ERRCODE_HINTS


@dataclass(frozen=True)
class MiniSession:
    """What jscode2session answers. ``session_key`` must never leave the server."""

    openid: str
    session_key: str
    unionid: str | None


class MiniProgramClient(WeChatClient):
    """The mini-program's API calls: sign-in, content check and its messages to residents.

    Same token rules as the official account (shared through ``access_tokens`` under
    ``mini:<appid>``), its own appid, secret and base URL (``JIESU_MINI_API_BASE``, empty = the
    official account's).
    """

    def __init__(
        self, session: aiohttp.ClientSession, settings: Settings, tokens: AccessTokenStore
    ) -> None:
        super().__init__(session, settings, tokens)
        self._appid = settings.mini_appid
        self._secret = settings.mini_secret
        self._api = JsonApi(
            session,
            settings.mini_base,
            settings.http_timeout_seconds,
            base_setting="JIESU_MINI_API_BASE",
        )
        self._token_name = f"mini:{settings.mini_appid}"

    async def call(
        self, path: str, body: dict[str, Any], *, accept: frozenset[int] = frozenset()
    ) -> dict[str, Any]:
        """As for the official account; an errcode is told with the mini-program's hints."""
        try:
            return await super().call(path, body, accept=accept)
        except WeChatApiError as exc:
            if type(exc) is not WeChatApiError:
                raise  # WeChatUnavailable, or already ours
            raise MiniProgramApiError(exc.errcode, exc.errmsg, exc.path) from None

    async def code_to_session(self, code: str) -> MiniSession:
        """``wx.login``'s code for the resident's openid and session_key (jscode2session).

        Raises :class:`WeChatApiError` for a code WeChat refuses (40029 invalid, 40163 used).
        """
        params = {
            "appid": self._appid,
            "secret": self._secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        result = await self._api.request("GET", JSCODE2SESSION, params=params)
        errcode = int(result.get("errcode") or 0)
        if errcode or not result.get("openid") or not result.get("session_key"):
            raise WeChatApiError(
                errcode or -1, str(result.get("errmsg", "no openid")), JSCODE2SESSION
            )
        unionid = result.get("unionid")
        return MiniSession(
            openid=str(result["openid"]),
            session_key=str(result["session_key"]),
            unionid=str(unionid) if unionid else None,
        )

    async def check_text(self, openid: str, content: str, scene: int = 1) -> dict[str, Any]:
        """msgSecCheck v2: ``result.suggest`` is pass, review or risky (scene 1 = 资料)."""
        body = {"content": content, "version": 2, "scene": scene, "openid": openid}
        return await self.call(MSG_SEC_CHECK, body)

    async def send_subscribe_message(self, openid: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.call(MINI_SUBSCRIBE_SEND, {"touser": openid, **payload})


class MiniChecker:
    """The content check (``handlers.intake.content_check``) through the mini-program client: its
    failures become CheckUnavailable, which lets the message through unchecked."""

    def __init__(self, client: MiniProgramClient) -> None:
        self._client = client

    async def check_text(self, openid: str, content: str, scene: int = 1) -> dict[str, Any]:
        try:
            return await self._client.check_text(openid, content, scene)
        except WeChatApiError as exc:
            raise CheckUnavailable(str(exc)) from exc
