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
    # Signed, well-formed, but values no column or JSON document can hold (inbound_messages:
    # openid 64, msg_id 32, msg_type 32, event 64; coordinates are finite and on the globe).
    "long-openid": message_xml("o" * 65, "text", {"Content": "路灯坏了", "MsgId": 11}),
    "long-msgid": message_xml("o-x", "text", {"Content": "路灯坏了", "MsgId": "1" * 33}),
    "long-msgtype": message_xml("o-x", "t" * 33, {"Content": "路灯坏了", "MsgId": 12}),
    "long-event": message_xml("o-x", "event", {"Event": "E" * 65}),
    "nan-location": message_xml(
        "o-x",
        "location",
        {"Location_X": "nan", "Location_Y": 121.5, "Scale": 15, "Label": "国权路", "MsgId": 13},
    ),
    "inf-location": message_xml(
        "o-x",
        "location",
        {"Location_X": 31.3, "Location_Y": "inf", "Scale": 15, "Label": "国权路", "MsgId": 14},
    ),
    "off-the-globe-location": message_xml(
        "o-x",
        "location",
        {"Location_X": 1e300, "Location_Y": 121.5, "Scale": 15, "Label": "国权路", "MsgId": 15},
    ),
    "full-width-location": message_xml(
        "o-x",
        "location",
        {"Location_X": "３１.３", "Location_Y": "121_5", "Scale": 15, "Label": "路", "MsgId": 16},
    ),
    "nan-location-event": message_xml(
        "o-x",
        "event",
        {"Event": "LOCATION", "Latitude": "NaN", "Longitude": 121.5, "Precision": 30.0},
    ),
    "inf-location-event": message_xml(
        "o-x",
        "event",
        {"Event": "LOCATION", "Latitude": 31.3, "Longitude": "-Infinity", "Precision": 30.0},
    ),
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


async def test_the_longest_values_that_fit_are_stored(client: TestClient) -> None:
    """At the limits (openid 64, Event 64, MsgID 32, an 18-digit CreateTime) an event's dedup
    key would pass its 160 characters: it is shortened to a digest, not refused or a 500."""
    xml = message_xml(
        "o" * 64,
        "event",
        {"Event": "E" * 64, "MsgID": "9" * 32, "Status": "send success"},
        create_time=10**17,
    )
    status, body = await post(client, xml)
    assert status == 200, body
    row = await InboundMessage.get()
    assert row.openid == "o" * 64 and row.msg_id == "9" * 32 and len(row.dedup_key) <= 160
    assert (await post(client, xml))[0] == 200  # a retry finds the same row
    assert await InboundMessage.all().count() == 1


async def test_finite_coordinates_on_the_globe_are_kept(client: TestClient) -> None:
    xml = message_xml(
        "o-edge",
        "location",
        {"Location_X": -90.0, "Location_Y": 180.0, "Scale": 15, "Label": "极点", "MsgId": 16},
    )
    status, body = await post(client, xml)
    assert status == 200, body
