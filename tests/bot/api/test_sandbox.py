"""The sandbox endpoints refuse whoever cannot prove the token, leak nobody else's messages, and
do not exist when the service talks to WeChat."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.api.sandbox_proof import (
    MESSAGES_ACTION,
    MESSAGES_PATH,
    WORKER_TOKEN_ACTION,
    WORKER_TOKEN_PATH,
    signed_params,
)
from bot.app import create_app
from bot.keys import DRAINER
from handlers.district.setup import load_demo_district
from models import OutboxMessage, OutboxStatus
from tests.bot.conftest import ClientFactory, Resident
from tests.conftest import TEST_TOKEN, make_settings


def app_of(client: TestClient) -> web.Application:
    app = client.app
    assert isinstance(app, web.Application)
    return app


async def demo_client(db_url: str, aiohttp_client: Any, **overrides: Any) -> TestClient:
    settings = make_settings(db_url, demo=True, **overrides)
    client: TestClient = await aiohttp_client(create_app(settings))
    await load_demo_district()
    return client


async def get_messages(
    client: TestClient, params: dict[str, str], token: str = TEST_TOKEN
) -> tuple[int, Any]:
    response = await client.get(MESSAGES_PATH, params=signed_params(token, MESSAGES_ACTION, params))
    return response.status, await response.json()


async def test_without_a_proof_it_is_401(client: TestClient) -> None:
    response = await client.get(MESSAGES_PATH, params={"openid": "o-resident-1", "after": "0"})
    assert response.status == 401
    assert "WWW-Authenticate" in response.headers
    assert (await response.json())["error"]["code"] == "unauthorized"
    response = await client.post(WORKER_TOKEN_PATH, params={"worker": "wangfang"})
    assert response.status == 401


async def test_a_wrong_or_stale_or_altered_proof_is_403(client: TestClient) -> None:
    status, _ = await get_messages(client, {"openid": "o-a", "after": "0"}, token="not-the-token")
    assert status == 403
    stale = signed_params(
        TEST_TOKEN, MESSAGES_ACTION, {"openid": "o-a", "after": "0"}, now=time.time() - 3600
    )
    assert (await client.get(MESSAGES_PATH, params=stale)).status == 403
    # Signed for one resident, sent for another: the openid is inside the signature.
    signed = signed_params(TEST_TOKEN, MESSAGES_ACTION, {"openid": "o-a", "after": "0"})
    assert (await client.get(MESSAGES_PATH, params={**signed, "openid": "o-b"})).status == 403
    assert (await client.get(MESSAGES_PATH, params={**signed, "after": "5"})).status == 403
    # A proof for the messages is no proof for a worker token.
    for_messages = signed_params(TEST_TOKEN, MESSAGES_ACTION, {"worker": "wangfang"})
    response = await client.post(WORKER_TOKEN_PATH, params=for_messages)
    assert response.status == 403


async def test_hostile_parameters_are_400(client: TestClient) -> None:
    bad: list[dict[str, str]] = [
        {"openid": "o-a", "after": "9" * 20},
        {"openid": "o-a", "after": "-1"},
        {"openid": "o-a", "after": "１"},
        {"openid": "o-a", "after": "²"},
        {"openid": "x" * 65, "after": "0"},
        {"openid": "o-a\x00", "after": "0"},
        {"openid": "居民", "after": "0"},
        {"openid": "", "after": "0"},
        {"openid": "o-a", "after": "0", "limit": "1000000"},
        {"openid": "o-a" + "a" * 300},
    ]
    for params in bad:
        status, body = await get_messages(client, params)
        assert status == 400, params
        assert body["error"]["code"] == "invalid_request"
    # A parameter given twice.
    signed = signed_params(TEST_TOKEN, MESSAGES_ACTION, {"openid": "o-a"})
    query = "&".join(f"{k}={v}" for k, v in signed.items()) + "&openid=o-b"
    assert (await client.get(f"{MESSAGES_PATH}?{query}")).status == 400
    # An over-long nonce or a signature of the wrong shape.
    long_nonce = signed_params(TEST_TOKEN, MESSAGES_ACTION, {"openid": "o-a"}, nonce="n" * 65)
    assert (await client.get(MESSAGES_PATH, params=long_nonce)).status == 400
    short = {**signed, "signature": "abc"}
    assert (await client.get(MESSAGES_PATH, params=short)).status == 400
    bad_time = {**signed, "timestamp": "soon"}
    assert (await client.get(MESSAGES_PATH, params=bad_time)).status == 400


async def test_not_there_when_talking_to_wechat(make_client: ClientFactory) -> None:
    client = await make_client(outbound_mode="wechat")
    params = signed_params(TEST_TOKEN, MESSAGES_ACTION, {"openid": "o-a", "after": "0"})
    assert (await client.get(MESSAGES_PATH, params=params)).status == 404
    params = signed_params(TEST_TOKEN, WORKER_TOKEN_ACTION, {"worker": "wangfang"})
    assert (await client.post(WORKER_TOKEN_PATH, params=params)).status == 404


async def test_only_the_residents_own_messages_are_listed(client: TestClient) -> None:
    first = Resident(client, "o-first")
    second = Resident(client, "o-second")
    await first.say("国权路小区5号楼楼下路灯坏了")
    await second.say("开鲁新村门口垃圾没人清运")
    status, start = await get_messages(client, {"openid": "o-first"})
    assert status == 200 and start["messages"] == []
    # Rows for both, one for a WeCom user whose id looks like the first resident's openid.
    for recipient, channel in (
        ("o-first", "mp_custom"),
        ("o-second", "mp_custom"),
        ("o-first", "work_app"),
    ):
        await OutboxMessage.create(
            channel=channel,
            recipient=recipient,
            payload={"msgtype": "text", "text": {"content": f"给{recipient}的消息"}},
            purpose="reply",
            status=OutboxStatus.PENDING,
            next_attempt_at=app_of(client)[DRAINER]._now(),
        )
    await app_of(client)[DRAINER].drain_once()
    status, body = await get_messages(client, {"openid": "o-first", "after": "0"})
    assert status == 200
    texts = [m["text"] for m in body["messages"]]
    assert texts and all("o-second" not in t for t in texts)
    assert [m["kind"] for m in body["messages"]] == ["customer"] * len(texts)
    assert "给o-first的消息" in texts
    assert sum("给o-first的消息" == t for t in texts) == 1  # not the WeCom row


async def test_a_pending_message_holds_the_cursor(client: TestClient) -> None:
    now = app_of(client)[DRAINER]._now()

    async def row(text: str, status: OutboxStatus) -> OutboxMessage:
        return await OutboxMessage.create(
            channel="mp_custom",
            recipient="o-held",
            payload={"msgtype": "text", "text": {"content": text}},
            status=status,
            next_attempt_at=now,
        )

    late = await row("late", OutboxStatus.PENDING)
    early = await row("sent", OutboxStatus.SENT)
    status, body = await get_messages(client, {"openid": "o-held", "after": "0"})
    assert status == 200
    assert [m["id"] for m in body["messages"]] == [early.id]
    assert body["cursor"] == late.id - 1  # not past the row still waiting
    await OutboxMessage.filter(id=late.id).update(status=OutboxStatus.SENT)
    status, body = await get_messages(client, {"openid": "o-held", "after": str(body["cursor"])})
    assert [m["id"] for m in body["messages"]] == [late.id, early.id]
    assert body["cursor"] == early.id
    status, start = await get_messages(client, {"openid": "o-held"})
    assert start == {"messages": [], "cursor": early.id, "has_more": False}


async def test_a_skipped_message_says_why(client: TestClient) -> None:
    await OutboxMessage.create(
        channel="mp_custom",
        recipient="o-skipped",
        payload={"msgtype": "text", "text": {"content": "您的诉求已办结"}},
        status=OutboxStatus.SKIPPED,
        last_error="48小时客服消息窗口已关闭",
        next_attempt_at=app_of(client)[DRAINER]._now(),
    )
    _, body = await get_messages(client, {"openid": "o-skipped", "after": "0"})
    (message,) = body["messages"]
    assert message["status"] == "skipped" and "48小时" in message["note"]


async def test_worker_tokens_only_in_demo_mode(db_url: str, aiohttp_client: Any) -> None:
    client = await demo_client(db_url, aiohttp_client)
    params = signed_params(TEST_TOKEN, WORKER_TOKEN_ACTION, {"worker": "wangfang"})
    response = await client.post(WORKER_TOKEN_PATH, params=params)
    assert response.status == 201
    body = await response.json()
    assert body["worker"]["name"] == "王芳"
    assert any(w["userid"] == "zhuting" for w in body["workers"])
    me = await client.get("/api/worker/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status == 200 and (await me.json())["name"] == "王芳"
    unknown = signed_params(TEST_TOKEN, WORKER_TOKEN_ACTION, {"worker": "nobody"})
    response = await client.post(WORKER_TOKEN_PATH, params=unknown)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "unknown_worker"


async def test_no_worker_tokens_without_the_demo(client: TestClient) -> None:
    params = signed_params(TEST_TOKEN, WORKER_TOKEN_ACTION, {"worker": "wangfang"})
    response = await client.post(WORKER_TOKEN_PATH, params=params)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"
