"""The fake WeChat server keeps WeChat's rules, or the client tests would prove nothing."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fake_wechat import (
    CLASSIC_TOKEN,
    CUSTOM_SEND,
    MASS_SEND,
    STABLE_TOKEN,
    TEMPLATE_SEND,
    FakeWeChat,
)

CREDENTIALS = {"grant_type": "client_credential", "appid": "wxfake", "secret": "fakesecret"}


@pytest.fixture
def fake() -> FakeWeChat:
    return FakeWeChat()


@pytest.fixture
async def api(fake: FakeWeChat) -> AsyncIterator[FakeApi]:
    async with fake.running() as base, aiohttp.ClientSession(base) as http:
        yield FakeApi(http)


class FakeApi:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def post(self, path: str, body: Any, token: str | None = None) -> dict[str, Any]:
        params = {"access_token": token} if token is not None else {}
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        async with self.http.post(path, params=params, data=data) as response:
            assert response.status == 200
            return dict(await response.json(content_type=None))

    async def token(
        self, force: bool = False, overrides: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = {**CREDENTIALS, "force_refresh": force, **(overrides or {})}
        return await self.post(STABLE_TOKEN, body)

    async def get(self, path: str, **params: str) -> Any:
        async with self.http.get(path, params=params) as response:
            assert response.status == 200
            return await response.json(content_type=None)


@pytest.mark.parametrize(
    ("overrides", "errcode"), [({"appid": "wxother"}, 40013), ({"secret": "nope"}, 40125)]
)
async def test_token_needs_the_right_credentials(
    api: FakeApi, fake: FakeWeChat, overrides: dict[str, str], errcode: int
) -> None:
    answer = await api.token(overrides=overrides)
    assert answer["errcode"] == errcode and fake.token_requests == 0


async def test_stable_token_is_stable_unless_forced(api: FakeApi, fake: FakeWeChat) -> None:
    first = await api.token()
    assert first["expires_in"] == 7200
    assert (await api.token())["access_token"] == first["access_token"]
    forced = (await api.token(force=True))["access_token"]
    assert forced != first["access_token"]
    assert (await api.post(CUSTOM_SEND, {"touser": "o"}, first["access_token"]))["errcode"] == 40001
    classic = await api.get(CLASSIC_TOKEN, **CREDENTIALS)
    assert classic["access_token"] == forced
    assert fake.token_requests == 4


async def test_messages_check_token_and_body(api: FakeApi, fake: FakeWeChat) -> None:
    token = (await api.token())["access_token"]
    text = {"msgtype": "text", "text": {"content": "你好"}}

    assert (await api.post(CUSTOM_SEND, {"touser": "o", **text}))["errcode"] == 41001
    assert (await api.post(CUSTOM_SEND, {"touser": "o", **text}, "forged"))["errcode"] == 40001
    assert (await api.post(CUSTOM_SEND, {"touser": "", **text}, token))["errcode"] == 40003
    assert (await api.post(CUSTOM_SEND, b"{not json", token))["errcode"] == 47001
    assert (await api.post(TEMPLATE_SEND, {"touser": "o"}, token))["errcode"] == 40037
    assert await api.post(CUSTOM_SEND, {"touser": "o", **text}, token) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    assert "msgid" in await api.post(TEMPLATE_SEND, {"touser": "o", "template_id": "T"}, token)
    mass = await api.post(MASS_SEND, {"filter": {"is_to_all": True}, **text}, token)
    assert {"msg_id", "msg_data_id"} <= set(mass)

    assert fake.messages_to("o") == [{"touser": "o", **text}, {"touser": "o", "template_id": "T"}]
    assert [m.access_token for m in fake.sent] == [token] * 3
    fake.invalidate_tokens()
    assert (await api.post(CUSTOM_SEND, {"touser": "o", **text}, token))["errcode"] == 40001


async def test_escaped_chinese_is_kept_literally_like_wechat(
    api: FakeApi, fake: FakeWeChat
) -> None:
    token = (await api.token())["access_token"]
    escaped = json.dumps({"touser": "o", "msgtype": "text", "text": {"content": "你好"}}).encode()
    await api.post(CUSTOM_SEND, escaped, token)
    assert fake.sent[0].body["text"]["content"] == "\\u4f60\\u597d"


async def test_injected_failures_come_in_order(api: FakeApi, fake: FakeWeChat) -> None:
    token = (await api.token())["access_token"]
    fake.fail_next(CUSTOM_SEND, 45047, times=2)
    fake.fail_http_next(CUSTOM_SEND, 503)
    body = {"touser": "o", "msgtype": "text", "text": {"content": "x"}}

    async with api.http.post(CUSTOM_SEND, params={"access_token": token}, json=body) as response:
        assert response.status == 503
    assert (await api.post(CUSTOM_SEND, body, token))["errcode"] == 45047
    assert (await api.post(CUSTOM_SEND, body, token))["errcode"] == 45047
    assert (await api.post(CUSTOM_SEND, body, token))["errcode"] == 0
    assert len(fake.sent) == 1


async def test_delay_slows_every_answer(api: FakeApi, fake: FakeWeChat) -> None:
    fake.delay = 0.3
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await api.token()


async def test_introspection_endpoints(api: FakeApi, fake: FakeWeChat) -> None:
    token = (await api.token())["access_token"]
    for openid in ("o-1", "o-2", "o-1"):
        await api.post(CUSTOM_SEND, {"touser": openid, "text": {"content": "办结"}}, token)

    sent = await api.get("/_fake/sent", openid="o-1")
    assert [m["body"]["touser"] for m in sent["sent"]] == ["o-1", "o-1"]
    assert sent["sent"][0]["body"]["text"]["content"] == "办结"
    assert sent["sent"][0]["path"] == CUSTOM_SEND
    assert len((await api.get("/_fake/sent"))["sent"]) == 3
    assert await api.get("/_fake/stats") == {"token_requests": 1, "sent": 3}


async def test_runs_standalone_and_prints_its_url() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_wechat",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        url = line.decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http, http.get(f"{url}/_fake/stats") as response:
            assert await response.json() == {"token_requests": 0, "sent": 0}
    finally:
        process.terminate()
        await process.wait()
