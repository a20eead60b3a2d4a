"""Safe mode cannot be downgraded: with an EncodingAESKey configured, only encrypted bodies.

The attack: take the query of a genuine safe-mode delivery (it carries the plain ``signature``
too), drop ``encrypt_type`` and ``msg_signature`` and post any plaintext XML or JSON as any
resident. The plain signature covers token, timestamp and nonce, never the body, so it must not
be enough once a key is set. JIESU_MP_COMPATIBLE_MODE / JIESU_MINI_COMPATIBLE_MODE let plaintext
deliveries in while the console is switched between modes; even then a URL already used by an
encrypted delivery is not accepted again with another body. URL verification (GET, plain
signature, ``echostr`` echoed) works in every mode, as WeChat does it in every mode. WeCom
always encrypts: no plaintext path exists at ``/wechat/work``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from aiohttp.test_utils import TestClient
from wechatpy.crypto import WeChatCrypto

from bot.wechat.parsing import parse_xml_fields
from bot.wechat.signing import encrypted_request, message_xml, signature, signed_query
from models import Case, InboundMessage, OutboxMessage, Resident
from tests.bot.conftest import ClientFactory
from tests.bot.wechat.test_mini_endpoint import MINI_TOKEN, mini_body
from tests.bot.wechat.test_mini_safe_mode import MINI_AES_KEY, MINI_APPID, encrypted_push
from tests.bot.wechat.test_wecom_endpoint import AES_KEY, CORP_ID, TOKEN, WORK_SETTINGS
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN
from tests.fake_wecom import callback_request, card_event_xml

Format = Literal["json", "xml"]
AES_ONLY = ("encrypt_type", "msg_signature")
MODES = ["plaintext", "safe", "compatible"]


async def assert_nothing_stored() -> None:
    assert await InboundMessage.all().count() == 0
    assert await Case.all().count() == 0
    assert await Resident.all().count() == 0


def downgraded(query: dict[str, str]) -> dict[str, str]:
    """A genuine safe-mode query with the parts that bind the body removed."""
    return {name: value for name, value in query.items() if name not in AES_ONLY}


# The official account (/wechat/mp)


def mp_settings(mode: str) -> dict[str, Any]:
    if mode == "plaintext":
        return {}
    return {"mp_aes_key": TEST_AES_KEY, "mp_compatible_mode": mode == "compatible"}


async def post_mp(client: TestClient, query: dict[str, str], body: str) -> tuple[int, str]:
    response = await client.post("/wechat/mp", params=query, data=body.encode())
    return response.status, await response.text()


async def test_mp_safe_mode_refuses_a_downgraded_delivery(make_client: ClientFactory) -> None:
    client = await make_client(mp_aes_key=TEST_AES_KEY)
    forged = message_xml("o-victim", "text", {"Content": "我要撤回我的诉求", "MsgId": 31})
    # Before the genuine delivery arrives, and after it.
    genuine = message_xml("o-genuine", "text", {"Content": "政通路路灯坏了", "MsgId": 32})
    query, body = encrypted_request(TEST_TOKEN, TEST_AES_KEY, TEST_APPID, genuine)
    status, text = await post_mp(client, downgraded(query), forged)
    assert status == 403 and "encrypt" in text.lower(), text
    await assert_nothing_stored()
    assert (await post_mp(client, query, body))[0] == 200
    status, text = await post_mp(client, downgraded(query), forged)
    assert status == 403, text
    assert not await InboundMessage.filter(openid="o-victim").exists()
    assert not await Resident.filter(openid="o-victim").exists()


@pytest.mark.parametrize("encrypt_type", ["raw", "", "none", "AES256"])
async def test_mp_safe_mode_refuses_any_other_encrypt_type(
    make_client: ClientFactory, encrypt_type: str
) -> None:
    client = await make_client(mp_aes_key=TEST_AES_KEY)
    query = signed_query(TEST_TOKEN) | {"encrypt_type": encrypt_type}
    xml = message_xml("o-victim", "text", {"Content": "路灯坏了", "MsgId": 33})
    status, text = await post_mp(client, query, xml)
    assert status == 403, text
    await assert_nothing_stored()


async def test_mp_compatible_mode_setting_accepts_plaintext_and_encrypted(
    make_client: ClientFactory,
) -> None:
    client = await make_client(mp_aes_key=TEST_AES_KEY, mp_compatible_mode=True)
    plain = message_xml("o-plain", "text", {"Content": "国权路小区3号楼楼道灯坏了", "MsgId": 34})
    status, text = await post_mp(client, signed_query(TEST_TOKEN), plain)
    assert status == 200 and "Content" in parse_xml_fields(text)  # a plaintext reply
    sealed = message_xml("o-sealed", "text", {"Content": "开鲁新村垃圾满了", "MsgId": 35})
    status, text = await post_mp(
        client, *encrypted_request(TEST_TOKEN, TEST_AES_KEY, TEST_APPID, sealed)
    )
    assert status == 200 and "Encrypt" in parse_xml_fields(text)  # an encrypted reply
    assert await InboundMessage.all().count() == 2


async def test_mp_compatible_mode_refuses_a_used_aes_query_with_another_body(
    make_client: ClientFactory,
) -> None:
    client = await make_client(mp_aes_key=TEST_AES_KEY, mp_compatible_mode=True)
    genuine = message_xml("o-genuine", "text", {"Content": "政通路路灯坏了", "MsgId": 36})
    query, body = encrypted_request(TEST_TOKEN, TEST_AES_KEY, TEST_APPID, genuine)
    assert (await post_mp(client, query, body))[0] == 200
    forged = message_xml("o-victim", "text", {"Content": "我要撤回我的诉求", "MsgId": 37})
    status, text = await post_mp(client, downgraded(query), forged)
    assert status == 403, text
    assert not await InboundMessage.filter(openid="o-victim").exists()
    # Not even the genuine message in plaintext: its passive reply would go out unencrypted.
    assert (await post_mp(client, downgraded(query), genuine))[0] == 403
    # WeChat's retry of the genuine delivery is still answered.
    assert (await post_mp(client, query, body))[0] == 200
    assert await InboundMessage.all().count() == 1


async def test_mp_compatible_mode_body_is_read_from_its_ciphertext_only(
    make_client: ClientFactory,
) -> None:
    """Compatible mode posts plaintext fields next to <Encrypt>: only the ciphertext counts."""
    client = await make_client(mp_aes_key=TEST_AES_KEY)
    genuine = message_xml("o-genuine", "text", {"Content": "政通路路灯坏了", "MsgId": 38})
    query, envelope = encrypted_request(TEST_TOKEN, TEST_AES_KEY, TEST_APPID, genuine)
    lies = "<FromUserName><![CDATA[o-victim]]></FromUserName><MsgId>39</MsgId>"
    assert (await post_mp(client, query, envelope.replace("<Encrypt>", lies + "<Encrypt>")))[
        0
    ] == 200
    (row,) = await InboundMessage.all()
    assert row.openid == "o-genuine" and row.msg_id == "38"


@pytest.mark.parametrize("mode", MODES)
async def test_mp_url_verification_in_every_mode(make_client: ClientFactory, mode: str) -> None:
    client = await make_client(**mp_settings(mode))
    query = signed_query(TEST_TOKEN) | {"echostr": "5837397520665436492"}
    response = await client.get("/wechat/mp", params=query)
    assert response.status == 200 and await response.text() == "5837397520665436492"
    wrong = signed_query("another-token") | {"echostr": "x"}
    assert (await client.get("/wechat/mp", params=wrong)).status == 403


# The mini-program (/wechat/mini)


def mini_settings(mode: str) -> dict[str, Any]:
    values: dict[str, Any] = {"mini_token": MINI_TOKEN, "mini_appid": MINI_APPID}
    if mode != "plaintext":
        values |= {"mini_aes_key": MINI_AES_KEY, "mini_compatible_mode": mode == "compatible"}
    return values


async def post_mini(
    client: TestClient, query: dict[str, str], body: str, fmt: Format
) -> tuple[int, str]:
    kind = "application/json" if fmt == "json" else "text/xml"
    response = await client.post(
        "/wechat/mini", params=query, data=body.encode(), headers={"Content-Type": kind}
    )
    return response.status, await response.text()


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_mini_safe_mode_refuses_a_downgraded_delivery(
    make_client: ClientFactory, fmt: Format
) -> None:
    client = await make_client(**mini_settings("safe"))
    genuine = mini_body(fmt, "o-genuine", "text", {"Content": "政通路路灯坏了", "MsgId": 41})
    forged = mini_body(fmt, "o-victim", "text", {"Content": "我要撤回我的诉求", "MsgId": 42})
    query, body = encrypted_push(genuine, fmt)
    status, text = await post_mini(client, downgraded(query), forged, fmt)
    assert status == 403 and "encrypt" in text.lower(), text
    await assert_nothing_stored()
    assert await post_mini(client, query, body, fmt) == (200, "success")
    status, text = await post_mini(client, downgraded(query), forged, fmt)
    assert status == 403, text
    assert not await InboundMessage.filter(openid="o-victim").exists()
    assert not await OutboxMessage.filter(recipient="o-victim").exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_mini_compatible_mode_setting_accepts_plaintext_but_not_a_used_query(
    make_client: ClientFactory, fmt: Format
) -> None:
    client = await make_client(**mini_settings("compatible"))
    plain = mini_body(fmt, "o-plain", "text", {"Content": "国权路3号楼楼道灯坏了", "MsgId": 43})
    assert await post_mini(client, signed_query(MINI_TOKEN), plain, fmt) == (200, "success")
    genuine = mini_body(fmt, "o-genuine", "text", {"Content": "政通路路灯坏了", "MsgId": 44})
    query, body = encrypted_push(genuine, fmt)
    assert await post_mini(client, query, body, fmt) == (200, "success")
    forged = mini_body(fmt, "o-victim", "text", {"Content": "我要撤回我的诉求", "MsgId": 45})
    status, text = await post_mini(client, downgraded(query), forged, fmt)
    assert status == 403, text
    assert not await InboundMessage.filter(openid="o-victim").exists()
    assert await InboundMessage.all().count() == 2


@pytest.mark.parametrize("mode", MODES)
async def test_mini_url_verification_in_every_mode(make_client: ClientFactory, mode: str) -> None:
    client = await make_client(**mini_settings(mode))
    query = signed_query(MINI_TOKEN) | {"echostr": "4375120948345356249"}
    response = await client.get("/wechat/mini", params=query)
    assert response.status == 200 and await response.text() == "4375120948345356249"
    wrong = signed_query("another-token") | {"echostr": "x"}
    assert (await client.get("/wechat/mini", params=wrong)).status == 403


# WeCom (/wechat/work): always encrypted


async def test_wecom_has_no_plaintext_path(make_client: ClientFactory) -> None:
    client = await make_client(demo=False, **WORK_SETTINGS)
    press = card_event_xml("wangfang", "sign:JS2026000001", corp_id=CORP_ID)
    # The official account's plaintext form: plain signature, plaintext body.
    response = await client.post("/wechat/work", params=signed_query(TOKEN), data=press.encode())
    assert response.status == 400
    # A genuine query's msg_signature with the plaintext body in place of the envelope.
    query, _ = callback_request(TOKEN, AES_KEY, CORP_ID, press)
    response = await client.post("/wechat/work", params=query, data=press.encode())
    assert response.status == 400 and "Encrypt" in await response.text()
    # msg_signature over the plaintext itself: it is not a ciphertext of ours.
    q = signed_query(TOKEN)
    q["msg_signature"] = signature(TOKEN, q["timestamp"], q["nonce"], press)
    envelope = f"<xml><Encrypt><![CDATA[{press}]]></Encrypt></xml>"
    response = await client.post("/wechat/work", params=q, data=envelope.encode())
    assert response.status in (400, 403)
    # A plaintext echostr on the URL check.
    echo = signed_query(TOKEN) | {"echostr": "1616140317555161061"}
    assert (await client.get("/wechat/work", params=echo)).status == 400
    echo["msg_signature"] = signature(TOKEN, echo["timestamp"], echo["nonce"], echo["echostr"])
    assert (await client.get("/wechat/work", params=echo)).status in (400, 403)
    assert await InboundMessage.all().count() == 0
    assert await OutboxMessage.all().count() == 0


async def test_wecom_reads_only_the_ciphertext(make_client: ClientFactory) -> None:
    """Plaintext fields beside <Encrypt> (as a compatible-mode body has) are never read."""
    client = await make_client(demo=False, **WORK_SETTINGS)
    other = (
        f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>wangfang</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>enter_agent</Event></xml>"
    )
    query, body = callback_request(TOKEN, AES_KEY, CORP_ID, other)
    press = card_event_xml("wangfang", "sign:JS2026000001", corp_id=CORP_ID)
    lies = "".join(f"<{name}>{value}</{name}>" for name, value in parse_xml_fields(press).items())
    mixed = body.replace("<Encrypt>", lies + "<Encrypt>")
    response = await client.post("/wechat/work", params=query, data=mixed.encode())
    assert response.status == 200
    assert await InboundMessage.all().count() == 0


def test_the_crypto_round_trip_used_here_is_wechats() -> None:
    """encrypted_push and encrypted_request seal what WeChatCrypto opens (a sanity check)."""
    plain = json.dumps({"ToUserName": "gh", "FromUserName": "o", "MsgType": "text"})
    query, body = encrypted_push(plain, "json")
    crypto = WeChatCrypto(MINI_TOKEN, MINI_AES_KEY, MINI_APPID)
    opened = crypto.decrypt_message(
        {"Encrypt": json.loads(body)["Encrypt"]},
        query["msg_signature"],
        query["timestamp"],
        query["nonce"],
    )
    assert json.loads(opened) == json.loads(plain)
