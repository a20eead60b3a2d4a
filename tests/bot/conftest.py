"""Fixtures for talking to the app the way WeChat does."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.wechat.signing import encrypted_request, message_xml, signed_query
from config.settings import Settings
from handlers.district.setup import load_demo_district
from handlers.staff.sign_in import window_start
from tests.conftest import TEST_TOKEN, make_settings

MSG_IDS = itertools.count(7_000_000_000_000_000_000)


@dataclass
class Resident:
    """Plays one resident: builds signed WeChat XML and posts it to /wechat/mp."""

    client: TestClient
    openid: str
    token: str = TEST_TOKEN
    aes_key: str = ""
    appid: str = ""

    def msg_id(self) -> int:
        """MsgIds are unique per account, across residents, as WeChat's are."""
        return next(MSG_IDS)

    async def post_xml(self, xml: str, query: dict[str, str] | None = None) -> tuple[int, str]:
        if self.aes_key:
            query, body = encrypted_request(self.token, self.aes_key, self.appid, xml)
        else:
            query, body = query or signed_query(self.token), xml
        response = await self.client.post("/wechat/mp", params=query, data=body.encode("utf-8"))
        return response.status, await response.text()

    async def send(self, msg_type: str, fields: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post_xml(message_xml(self.openid, msg_type, fields, **kw))

    async def say(self, text: str, msg_id: int | None = None) -> str:
        status, body = await self.send("text", {"Content": text, "MsgId": msg_id or self.msg_id()})
        assert status == 200, body
        return reply_content(body)


def reply_content(body: str) -> str:
    from bot.wechat.parsing import parse_xml_fields

    if body == "success":
        return ""
    return str(parse_xml_fields(body).get("Content", ""))


ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_client(db_url: str, aiohttp_client: Any) -> ClientFactory:
    async def factory(demo: bool = True, **overrides: Any) -> TestClient:
        settings = make_settings(db_url, **overrides)
        client: TestClient = await aiohttp_client(create_app(settings))
        if demo:
            await load_demo_district()
        return client

    return factory


@pytest.fixture
async def client(make_client: ClientFactory) -> TestClient:
    return await make_client()


@pytest.fixture
def resident(client: TestClient) -> Resident:
    return Resident(client, "o-resident-1")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No JIESU_ settings from the environment, and a fresh working folder."""
    for name in list(os.environ):
        if name.startswith("JIESU_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def clear_of_sign_in_window_end(margin: float = 30.0) -> None:
    """Wait out the end of the sign-in counting window if it is near: counts start again in each
    window (``handlers.staff.sign_in.window_start``), so a test's attempts made across its end
    would not add up to a refusal."""
    window = timedelta(minutes=Settings().sign_in_window_minutes)
    now = datetime.now(UTC)
    left = (window_start(now, window) + window - now).total_seconds()
    if left < margin:
        await asyncio.sleep(left + 0.5)
