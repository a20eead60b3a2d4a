"""Safe and compatible mode, including the sample from WeChat's own documentation."""

from __future__ import annotations

from wechatpy.crypto import WeChatCrypto

from bot.wechat.parsing import parse_xml_fields
from bot.wechat.signing import encrypted_request, message_xml, signature, signed_query
from models import Case, InboundMessage
from tests.bot.conftest import ClientFactory, Resident
from tests.conftest import TEST_AES_KEY, TEST_APPID

# The sample of WeChat's message encryption documentation (WXBizMsgCrypt): a text message
# "abcdteT" sent in compatible mode, with its signature.
DOC_TOKEN = "spamtest"
DOC_TIMESTAMP = "1409735669"
DOC_NONCE = "1320562132"
DOC_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
DOC_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA["
    "oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType>"
    "<![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728"
    "</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+"
    "LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41"
    "IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KW"
    "wMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+"
    "C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
    "]]></Encrypt></xml>"
)


async def test_documentation_sample_decrypts_and_is_answered(make_client: ClientFactory) -> None:
    client = await make_client(
        mp_token=DOC_TOKEN, mp_aes_key=TEST_AES_KEY, mp_appid=TEST_APPID, mp_timestamp_tolerance=0
    )
    query = {
        "timestamp": DOC_TIMESTAMP,
        "nonce": DOC_NONCE,
        "encrypt_type": "aes",
        "msg_signature": DOC_MSG_SIGNATURE,
        "signature": signature(DOC_TOKEN, DOC_TIMESTAMP, DOC_NONCE),
    }
    response = await client.post("/wechat/mp", params=query, data=DOC_BODY.encode())
    assert response.status == 200
    envelope = parse_xml_fields(await response.text())
    # The reply is encrypted, signed, and decrypts to a text reply to the sender.
    crypto = WeChatCrypto(DOC_TOKEN, TEST_AES_KEY, TEST_APPID)
    plain = crypto.decrypt_message(
        await response.text(), envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    reply = parse_xml_fields(plain)
    assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert reply["FromUserName"] == "gh_10f6c3c3ac5a"
    assert reply["MsgType"] == "text" and reply["Content"]
    stored = await InboundMessage.get(dedup_key="msg:6054768590064713728")
    assert "abcdteT" in stored.body and "<Encrypt>" not in stored.body


async def test_documentation_sample_with_a_tampered_signature(make_client: ClientFactory) -> None:
    client = await make_client(
        mp_token=DOC_TOKEN, mp_aes_key=TEST_AES_KEY, mp_appid=TEST_APPID, mp_timestamp_tolerance=0
    )
    query = {
        "timestamp": DOC_TIMESTAMP,
        "nonce": DOC_NONCE,
        "encrypt_type": "aes",
        "msg_signature": "0" * 40,
    }
    response = await client.post("/wechat/mp", params=query, data=DOC_BODY.encode())
    assert response.status == 403
    assert await InboundMessage.all().count() == 0


async def test_safe_mode_conversation(make_client: ClientFactory) -> None:
    client = await make_client(mp_aes_key=TEST_AES_KEY)
    resident = Resident(client, "o-safe-mode", aes_key=TEST_AES_KEY, appid=TEST_APPID)
    status, body = await resident.send(
        "text", {"Content": "国权路小区3号楼楼道灯坏了", "MsgId": 11}
    )
    assert status == 200
    fields = parse_xml_fields(body)
    assert "Encrypt" in fields and "Content" not in fields
    crypto = WeChatCrypto(resident.token, TEST_AES_KEY, TEST_APPID)
    reply = parse_xml_fields(
        crypto.decrypt_message(body, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
    )
    case = await Case.get()
    assert case.number in reply["Content"]


async def test_bad_ciphertext_is_refused(make_client: ClientFactory) -> None:
    client = await make_client(mp_aes_key=TEST_AES_KEY)
    query = signed_query("jiesutesttoken")
    garbage = "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
    query |= {
        "encrypt_type": "aes",
        "msg_signature": signature("jiesutesttoken", query["timestamp"], query["nonce"], garbage),
    }
    body = f"<xml><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>"
    response = await client.post("/wechat/mp", params=query, data=body.encode())
    assert response.status == 400
    assert "decrypt" in await response.text()
    assert await InboundMessage.all().count() == 0


async def test_message_encrypted_for_another_appid(make_client: ClientFactory) -> None:
    client = await make_client(mp_aes_key=TEST_AES_KEY)
    query, body = encrypted_request(
        "jiesutesttoken",
        TEST_AES_KEY,
        "wxanotherapp000000",
        message_xml("o-x", "text", {"Content": "hi", "MsgId": 3}),
    )
    response = await client.post("/wechat/mp", params=query, data=body.encode())
    assert response.status == 403
    assert await InboundMessage.all().count() == 0
