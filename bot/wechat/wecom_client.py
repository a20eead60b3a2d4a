"""Outbound calls to the WeCom (企业微信) API for the workers' app, on aiohttp.

The app's access token lives in the same ``access_tokens`` table as the official account's, under
``wecom:<corp id>:<agent id>``, and is refreshed by one process at a time with the same lease
(:class:`bot.wechat.client.AccessTokenStore`). WeCom hands back the same token while it is valid,
so a rejected token (40014, 42001) is fetched again once and the call repeated once.

Errors say whether to try again: WeCom busy (-1) and frequency limits (45009, 45033) are
retried by the outbox with backoff; a wrong corp id, secret or agent id, a server IP that is not
trusted (60020), or a worker WeCom does not know (81013, 60111, 40003) end the delivery at once
with a hint for the operator.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from bot.wechat.client import AccessTokenStore, JsonApi, WeChatApiError, token_before_call
from config.settings import Settings

logger = logging.getLogger(__name__)

GETTOKEN = "/cgi-bin/gettoken"
MESSAGE_SEND = "/cgi-bin/message/send"
UPDATE_TEMPLATE_CARD = "/cgi-bin/message/update_template_card"
MEDIA_GET = "/cgi-bin/media/get"
DEPARTMENT_LIST = "/cgi-bin/department/simplelist"
USER_LIST = "/cgi-bin/user/list"

TOKEN_ERRCODES = frozenset({40014, 42001})

RETRYABLE_ERRCODES = frozenset(
    {
        -1,  # system busy
        45009,  # API frequency limit
        45033,  # too many concurrent calls
        6000,  # data version conflict
        *TOKEN_ERRCODES,
    }
)

ERRCODE_HINTS: dict[int, str] = {
    -1: "WeCom is busy; the message is retried later",
    40001: "JIESU_WORK_SECRET is wrong or was reset; copy the Secret of the self-built app "
    "(应用管理 > the app > Secret)",
    40003: "the userid is not valid; correct the worker's WeCom userid",
    40013: "JIESU_WORK_CORP_ID is wrong; copy 我的企业 > 企业信息 > 企业ID",
    40014: "the access token was rejected; another program may be fetching tokens for this app",
    40056: "JIESU_WORK_AGENT_ID is wrong; copy the app's AgentId",
    42001: "the access token expired",
    45009: "WeCom's API frequency limit was reached; the message is retried later",
    45033: "too many WeCom API calls at once; the message is retried later",
    60020: "this server's IP is not a trusted IP of the app; add it under the app's 企业可信IP",
    60111: "WeCom does not know this userid; correct the worker's WeCom userid",
    81013: "the worker is not in WeCom or outside the app's visible range (可见范围); "
    "correct their userid or widen the app's visible range",
}


class WeComApiError(WeChatApiError):
    """WeCom answered with a non-zero errcode (or named the recipient invalid)."""

    service = "WeCom"
    hints = ERRCODE_HINTS
    retryable_errcodes = RETRYABLE_ERRCODES


def agent_id(settings: Settings) -> int | str:
    """WeCom wants the agent id as a number; a value that is not one is passed on as written."""
    value = settings.work_agent_id.strip()
    return int(value) if value.isdigit() else value


class WeComClient:
    """The WeCom app calls the outbox needs. One instance per process and session."""

    def __init__(
        self, session: aiohttp.ClientSession, settings: Settings, tokens: AccessTokenStore
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._api = JsonApi(
            session,
            settings.work_api_base,
            settings.http_timeout_seconds,
            service="WeCom",
            base_setting="JIESU_WORK_API_BASE",
        )
        self._session = session
        self._base = settings.work_api_base.rstrip("/")
        self._agent_id = agent_id(settings)
        self.token_name = f"wecom:{settings.work_corp_id}:{settings.work_agent_id}"[:64]

    async def call(
        self, path: str, body: dict[str, Any], *, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST ``body`` to ``path`` (or, with ``query``, GET it); a rejected token is fetched
        once more and the call repeated."""
        token = await token_before_call(self._tokens.get(self.token_name, self._fetch_token))
        result = await self._send(path, body, query, token)
        if result.get("errcode") in TOKEN_ERRCODES:
            logger.info("WeCom rejected the access token on %s; fetching it again once", path)
            token = await token_before_call(
                self._tokens.get(self.token_name, self._fetch_token, invalid=token)
            )
            result = await self._send(path, body, query, token)
        errcode = int(result.get("errcode") or 0)
        if errcode:
            raise WeComApiError(errcode, str(result.get("errmsg", "")), path)
        return result

    async def send_message(self, userid: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An app message (text, template_card ...) to one worker.

        WeCom answers errcode 0 and lists unknown recipients in ``invaliduser``; for our single
        recipient that means the message went nowhere, so it is an error (81013) like the one
        WeCom gives when every recipient is invalid.
        """
        body = {"touser": userid, "agentid": self._agent_id, **payload}
        result = await self.call(MESSAGE_SEND, body)
        invalid = str(result.get("invaliduser") or "")
        if userid in invalid.split("|"):
            raise WeComApiError(81013, f"invaliduser {invalid}", MESSAGE_SEND)
        return result

    async def update_template_card(self, userid: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Change a card the worker pressed, with the ``response_code`` of that press."""
        body = {"userids": [userid], "agentid": self._agent_id, **payload}
        return await self.call(UPDATE_TEMPLATE_CARD, body)

    async def get_media(self, media_id: str, limit: int) -> bytes:
        """The bytes of a temporary media file (a photo a worker sent the app), at most ``limit``.

        WeCom answers the file itself, or JSON with an errcode; a rejected token is fetched again
        once. Raises :class:`WeComApiError` (errcode 40007: an unknown or expired media id) or
        ``WeChatUnavailable``; a file past ``limit`` is refused as errcode -2 before it is all read.
        """
        token = await token_before_call(self._tokens.get(self.token_name, self._fetch_token))
        data, error = await self._download(media_id, token, limit)
        if error is not None and int(error.get("errcode") or 0) in TOKEN_ERRCODES:
            token = await token_before_call(
                self._tokens.get(self.token_name, self._fetch_token, invalid=token)
            )
            data, error = await self._download(media_id, token, limit)
        if error is not None:
            raise WeComApiError(
                int(error.get("errcode") or -1), str(error.get("errmsg")), MEDIA_GET
            )
        return data

    async def _download(
        self, media_id: str, token: str, limit: int
    ) -> tuple[bytes, dict[str, Any] | None]:
        params = {"access_token": token, "media_id": media_id}
        try:
            async with self._session.get(
                f"{self._base}{MEDIA_GET}", params=params, timeout=self._api.timeout
            ) as response:
                if response.status >= 400:
                    raise self._api.unavailable(
                        MEDIA_GET, f"HTTP {response.status}", response.status
                    )
                if response.content_type in ("application/json", "text/plain"):
                    answer = json.loads(await response.text(encoding="utf-8", errors="replace"))
                    return b"", answer if isinstance(answer, dict) else {"errcode": -1}
                data = await response.content.read(limit + 1)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise self._api.unavailable(MEDIA_GET, f"{type(exc).__name__}: {exc}") from exc
        if len(data) > limit:
            return b"", {"errcode": -2, "errmsg": f"the file is larger than {limit} bytes"}
        return data, None

    async def members(self) -> list[dict[str, Any]]:
        """Every member of the departments the app can see (its 可见范围), once each.

        Apps made after June 2022 get no ``mobile`` here unless the address-book secret is
        used; matching then goes by name.
        """
        departments = await self.call(DEPARTMENT_LIST, {}, query={})
        found: dict[str, dict[str, Any]] = {}
        for department in departments.get("department_id") or []:
            listed = await self.call(USER_LIST, {}, query={"department_id": str(department["id"])})
            for member in listed.get("userlist") or []:
                if isinstance(member, dict) and member.get("userid"):
                    found.setdefault(str(member["userid"]), member)
        return list(found.values())

    async def _send(
        self, path: str, body: dict[str, Any], query: dict[str, str] | None, token: str
    ) -> dict[str, Any]:
        if query is None:
            return await self._post(path, body, token)
        params = {**query, "access_token": token}
        return await self._api.request("GET", path, params=params)

    async def _fetch_token(self) -> tuple[str, int]:
        params = {
            "corpid": self._settings.work_corp_id,
            "corpsecret": self._settings.work_secret,
        }
        result = await self._api.request("GET", GETTOKEN, params=params)
        errcode = int(result.get("errcode") or 0)
        if errcode or not result.get("access_token"):
            raise WeComApiError(
                errcode or -1, str(result.get("errmsg", "no access_token")), GETTOKEN
            )
        return str(result["access_token"]), int(result.get("expires_in", 7200))

    async def _post(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        return await self._api.request("POST", path, params={"access_token": token}, body=body)
