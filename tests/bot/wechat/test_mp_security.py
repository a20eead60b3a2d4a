"""/wechat/mp refuses what WeChat would never send, with a 4xx and no rows written."""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient

from bot.wechat.signing import message_xml, signed_query
from models import Case, InboundMessage, Resident
from tests.bot.conftest import ClientFactory
from tests.conftest import TEST_TOKEN

TEXT = message_xml("o-attacker", "text", {"Content": "路灯坏了", "MsgId": 1})


async def assert_nothing_stored() -> None:
    assert await InboundMessage.all().count() == 0
    assert await Case.all().count() == 0
    assert await Resident.all().count() == 0


async def test_get_verification_echoes(client: TestClient) -> None:
    query = signed_query(TEST_TOKEN) | {"echostr": "4917412345"}
    response = await client.get("/wechat/mp", params=query)
    assert response.status == 200
    assert await response.text() == "4917412345"


async def test_get_verification_with_wrong_signature(client: TestClient) -> None:
    query = signed_query("another") | {"echostr": "x"}
    response = await client.get("/wechat/mp", params=query)
    assert response.status == 403
    assert "signature" in await response.text()


async def post(
    client: TestClient, body: bytes | str, query: dict[str, str] | None = None
) -> tuple[int, str]:
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = await client.post("/wechat/mp", params=query or signed_query(TEST_TOKEN), data=data)
    return response.status, await response.text()


async def test_wrong_signature(client: TestClient) -> None:
    status, body = await post(client, TEXT, signed_query("not-the-token"))
    assert status == 403 and "signature" in body
    await assert_nothing_stored()


async def test_missing_signature_parameters(client: TestClient) -> None:
    status, body = await post(client, TEXT, {"signature": "x"})
    assert status == 400 and "timestamp" in body
    await assert_nothing_stored()


async def test_stale_timestamp_is_refused(client: TestClient) -> None:
    """In plaintext mode the signature does not cover the body: old URLs must expire."""
    status, body = await post(
        client, TEXT, signed_query(TEST_TOKEN, timestamp=int(time.time()) - 3600)
    )
    assert status == 403 and "timestamp" in body
    await assert_nothing_stored()


async def test_timestamp_check_can_be_turned_off(make_client: ClientFactory) -> None:
    client = await make_client(mp_timestamp_tolerance=0)
    status, _ = await post(client, TEXT, signed_query(TEST_TOKEN, timestamp=1_000_000_000))
    assert status == 200


HOSTILE = {
    "malformed": "<xml><ToUserName>a</ToUserName><FromUserName>",
    "not-xml": "hello, world",
    "empty": "",
    "wrong-root": "<message><MsgType>text</MsgType></message>",
    "missing-fields": "<xml><MsgType><![CDATA[text]]></MsgType></xml>",
    "xxe": (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<xml><ToUserName>a</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>5</MsgId></xml>"
    ),
    "billion-laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        "<xml><ToUserName>a</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>6</MsgId></xml>"
    ),
    "internal-entity-lowercase": '<!doctype xml [<!entity a "b">]><xml></xml>',
    "processing-instruction": '<?xml-stylesheet href="x"?>' + TEXT,
    "bad-create-time": TEXT.replace("<CreateTime>", "<CreateTime>abc"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_or_malformed_xml(client: TestClient, name: str) -> None:
    status, body = await post(client, HOSTILE[name])
    assert status == 400, body
    assert body.strip()
    await assert_nothing_stored()


async def test_invalid_utf8(client: TestClient) -> None:
    status, body = await post(
        client, TEXT.encode("utf-8").replace(b"\xe8\xb7\xaf", b"\xff\xfe\xfd")
    )
    assert status == 400 and "UTF-8" in body
    await assert_nothing_stored()


async def test_oversized_body(client: TestClient) -> None:
    huge = message_xml("o-x", "text", {"Content": "很" * 40_000, "MsgId": 9})
    status, body = await post(client, huge)
    assert status == 413 and "larger" in body
    await assert_nothing_stored()


async def test_encrypted_request_without_aes_key_configured(client: TestClient) -> None:
    query = signed_query(TEST_TOKEN) | {"encrypt_type": "aes", "msg_signature": "abc"}
    status, body = await post(client, "<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>", query)
    assert status == 400 and "JIESU_MP_AES_KEY" in body
    await assert_nothing_stored()
