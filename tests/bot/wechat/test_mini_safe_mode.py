"""Safe mode on /wechat/mini: the ``Encrypt`` field of a JSON or XML envelope, msg_signature.

The decryption is wechatpy's WeChatCrypto, as for the official account, and it is held to the
same official test vector (WeChat's WXBizMsgCrypt sample) in both envelope formats.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from aiohttp.test_utils import TestClient
from wechatpy.crypto import WeChatCrypto

from bot.wechat.parsing import parse_xml_fields
from bot.wechat.signing import message_xml, signature, signed_query
from models import Case, InboundMessage, OutboxMessage, Resident, ResidentApp
from tests.bot.conftest import ClientFactory
from tests.bot.wechat.test_mini_endpoint import HOSTILE_JSON, MINI_TOKEN, mini_body
from tests.bot.wechat.test_mp_safe_mode import (
    DOC_BODY,
    DOC_MSG_SIGNATURE,
    DOC_NONCE,
    DOC_TIMESTAMP,
    DOC_TOKEN,
)
from tests.bot.wechat.test_mp_security import HOSTILE as HOSTILE_XML
from tests.conftest import TEST_AES_KEY, TEST_APPID

Format = Literal["json", "xml"]
MINI_APPID = "wxminisafe0000001"
MINI_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


def envelope(fmt: Format, encrypt: str, account: str = "gh_mini0000001") -> str:
    """The body safe mode posts: only the addressee and the ciphertext."""
    if fmt == "json":
        return json.dumps({"ToUserName": account, "Encrypt": encrypt})
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    )


def encrypted_push(
    plain: str, fmt: Format, *, aes_key: str = MINI_AES_KEY, appid: str = MINI_APPID
) -> tuple[dict[str, str], str]:
    """What WeChat posts in safe mode for ``plain`` (the message in the configured format)."""
    crypto = WeChatCrypto(MINI_TOKEN, aes_key, appid)
    query = signed_query(MINI_TOKEN)
    sealed = crypto.encrypt_message(plain, query["nonce"], query["timestamp"])
    encrypt = parse_xml_fields(sealed)["Encrypt"]
    query.update(
        encrypt_type="aes",
        msg_signature=signature(MINI_TOKEN, query["timestamp"], query["nonce"], encrypt),
    )
    return query, envelope(fmt, encrypt)


async def post(
    client: TestClient, query: dict[str, str], body: str, fmt: Format
) -> tuple[int, str]:
    kind = "application/json" if fmt == "json" else "text/xml"
    response = await client.post(
        "/wechat/mini", params=query, data=body.encode(), headers={"Content-Type": kind}
    )
    return response.status, await response.text()


async def safe_client(make_client: ClientFactory, **overrides: Any) -> TestClient:
    values: dict[str, Any] = {
        "mini_token": MINI_TOKEN,
        "mini_appid": MINI_APPID,
        "mini_aes_key": MINI_AES_KEY,
    }
    return await make_client(**(values | overrides))


async def assert_nothing_stored() -> None:
    assert await InboundMessage.all().count() == 0
    assert await Case.all().count() == 0
    assert await Resident.all().count() == 0


# The official test vector, in both envelopes


def doc_query(msg_signature: str = DOC_MSG_SIGNATURE) -> dict[str, str]:
    return {
        "timestamp": DOC_TIMESTAMP,
        "nonce": DOC_NONCE,
        "encrypt_type": "aes",
        "msg_signature": msg_signature,
        "signature": signature(DOC_TOKEN, DOC_TIMESTAMP, DOC_NONCE),
    }


def doc_body(fmt: Format) -> str:
    if fmt == "xml":
        return DOC_BODY  # compatible mode: plaintext fields and <Encrypt> together
    encrypt = parse_xml_fields(DOC_BODY)["Encrypt"]
    return json.dumps({"ToUserName": "gh_10f6c3c3ac5a", "Encrypt": encrypt})


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_documentation_sample_decrypts(make_client: ClientFactory, fmt: Format) -> None:
    client = await make_client(
        mini_token=DOC_TOKEN,
        mini_aes_key=TEST_AES_KEY,
        mini_appid=TEST_APPID,
        mp_timestamp_tolerance=0,
    )
    assert await post(client, doc_query(), doc_body(fmt), fmt) == (200, "success")
    stored = await InboundMessage.get(dedup_key="mini:msg:6054768590064713728")
    assert stored.channel == "mini" and stored.openid == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert "abcdteT" in stored.body and "Encrypt" not in stored.body  # the plaintext is kept
    resident = await Resident.get(openid="oyORnuP8q7ou2gfYjqLzSIWZf0rs")
    assert resident.app == ResidentApp.MINIPROGRAM


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_documentation_sample_with_a_tampered_signature(
    make_client: ClientFactory, fmt: Format
) -> None:
    client = await make_client(
        mini_token=DOC_TOKEN,
        mini_aes_key=TEST_AES_KEY,
        mini_appid=TEST_APPID,
        mp_timestamp_tolerance=0,
    )
    status, body = await post(client, doc_query("0" * 40), doc_body(fmt), fmt)
    assert status == 403 and "msg_signature" in body
    await assert_nothing_stored()


# Round trips: what the mini-program's servers encrypt, we decrypt and handle


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_safe_mode_message_becomes_a_case(make_client: ClientFactory, fmt: Format) -> None:
    client = await safe_client(make_client)
    plain = mini_body(
        fmt, "o-mini-safe", "text", {"Content": "国权路小区3号楼楼道灯坏了", "MsgId": 91}
    )
    query, body = encrypted_push(plain, fmt)
    assert await post(client, query, body, fmt) == (200, "success")
    assert await post(client, *encrypted_push(plain, fmt), fmt) == (200, "success")  # a retry
    case = await Case.get()
    stored = await InboundMessage.get()
    assert stored.body == plain and stored.dedup_key == "mini:msg:91"
    (reply,) = await OutboxMessage.filter(recipient="o-mini-safe")
    assert reply.channel == "mini_custom" and case.number in reply.payload["text"]["content"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_the_envelope_format_need_not_match_the_content_type(
    make_client: ClientFactory, fmt: Format
) -> None:
    """The first character decides: a JSON body labelled text/xml is still read as JSON."""
    client = await safe_client(make_client)
    plain = mini_body(fmt, "o-mini-label", "text", {"Content": "开鲁新村垃圾满了", "MsgId": 92})
    query, body = encrypted_push(plain, fmt)
    other: Format = "xml" if fmt == "json" else "json"
    assert await post(client, query, body, other) == (200, "success")
    assert await Case.all().count() == 1


# Refusals


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_encrypted_push_without_an_aes_key_configured(
    make_client: ClientFactory, fmt: Format
) -> None:
    client = await make_client(mini_token=MINI_TOKEN)
    query, body = encrypted_push(mini_body(fmt, "o-x", "text", {"Content": "hi", "MsgId": 3}), fmt)
    status, text = await post(client, query, body, fmt)
    assert status == 400 and "JIESU_MINI_AES_KEY" in text
    await assert_nothing_stored()


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_bad_ciphertext_is_refused(make_client: ClientFactory, fmt: Format) -> None:
    client = await safe_client(make_client)
    garbage = "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
    query = signed_query(MINI_TOKEN)
    query |= {
        "encrypt_type": "aes",
        "msg_signature": signature(MINI_TOKEN, query["timestamp"], query["nonce"], garbage),
    }
    status, text = await post(client, query, envelope(fmt, garbage), fmt)
    assert status == 400 and "decrypt" in text
    await assert_nothing_stored()


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_message_encrypted_for_another_appid(
    make_client: ClientFactory, fmt: Format
) -> None:
    client = await safe_client(make_client)
    plain = mini_body(fmt, "o-x", "text", {"Content": "hi", "MsgId": 4})
    query, body = encrypted_push(plain, fmt, appid="wxanotherapp000000")
    status, text = await post(client, query, body, fmt)
    assert status == 403 and "AppID" in text
    await assert_nothing_stored()


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_missing_msg_signature_or_encrypt(make_client: ClientFactory, fmt: Format) -> None:
    client = await safe_client(make_client)
    query, body = encrypted_push(mini_body(fmt, "o-x", "text", {"Content": "hi", "MsgId": 5}), fmt)
    unsigned = {k: v for k, v in query.items() if k != "msg_signature"}
    assert (await post(client, unsigned, body, fmt))[0] == 403
    empty = '{"ToUserName": "gh"}' if fmt == "json" else "<xml><ToUserName>gh</ToUserName></xml>"
    status, text = await post(client, query, empty, fmt)
    assert status == 400 and "Encrypt" in text
    await assert_nothing_stored()


HOSTILE_INSIDE = {
    **{f"json-{name}": text for name, text in HOSTILE_JSON.items() if len(text) < 30_000},
    **{f"xml-{name}": text for name, text in HOSTILE_XML.items() if text},
}


@pytest.mark.parametrize("name", sorted(HOSTILE_INSIDE))
async def test_hostile_content_inside_the_encryption(make_client: ClientFactory, name: str) -> None:
    """A valid signature proves who encrypted, not that the content is harmless."""
    client = await safe_client(make_client)
    fmt: Format = "json" if name.startswith("json") else "xml"
    query, body = encrypted_push(HOSTILE_INSIDE[name], fmt)
    status, text = await post(client, query, body, fmt)
    assert status == 400, text
    await assert_nothing_stored()


@pytest.mark.parametrize(
    "body",
    [
        '{"Encrypt": ' + "[" * 50 + "]" * 50 + "}",
        '{"Encrypt": {"x": "y"}}',
        '<!DOCTYPE xml [<!ENTITY e "x">]><xml><Encrypt>&e;</Encrypt></xml>',
        '{"Encrypt": "a", "Encrypt": "b"}',
    ],
    ids=["nested", "not-a-string", "entity", "duplicate"],
)
async def test_hostile_envelopes(make_client: ClientFactory, body: str) -> None:
    client = await safe_client(make_client)
    query = signed_query(MINI_TOKEN) | {"encrypt_type": "aes", "msg_signature": "0" * 40}
    status, text = await post(client, query, body, "json")
    assert status == 400, text
    await assert_nothing_stored()


async def test_xml_from_the_official_account_helpers_also_reads(make_client: ClientFactory) -> None:
    """message_xml (the official account's shape) is what the mini-program's XML looks like."""
    client = await safe_client(make_client)
    plain = message_xml("o-mini-xml", "text", {"Content": "政通路路灯坏了", "MsgId": 93})
    assert await post(client, *encrypted_push(plain, "xml"), "xml") == (200, "success")
    assert await Case.all().count() == 1
