"""Building requests the way WeChat's servers do: for the chat simulator, tests and benchmarks."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.wechat.parsing import parse_xml_fields


def signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def message_xml(
    openid: str,
    msg_type: str,
    fields: dict[str, str | int | float],
    *,
    account: str = "gh_jiesu",
    create_time: int | None = None,
) -> str:
    """A message as WeChat posts it (CDATA for strings, numbers bare)."""
    lines = [
        f"<ToUserName><![CDATA[{account}]]></ToUserName>",
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
        f"<CreateTime>{create_time if create_time is not None else int(time.time())}</CreateTime>",
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
    ]
    for name, value in fields.items():
        if isinstance(value, int | float):
            lines.append(f"<{name}>{value}</{name}>")
        else:
            lines.append(f"<{name}><![CDATA[{value.replace(']]>', ']]]]><![CDATA[>')}]]></{name}>")
    return "<xml>" + "".join(lines) + "</xml>"


def signed_query(
    token: str, *, timestamp: int | None = None, nonce: str | None = None
) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or secrets.token_hex(5)
    return {
        "signature": signature(token, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "openid": "x",
    }


def encrypted_request(token: str, aes_key: str, appid: str, xml: str) -> tuple[dict[str, str], str]:
    """Safe mode: the body is <xml><Encrypt>…</Encrypt></xml> and msg_signature covers it."""
    crypto = WeChatCrypto(token, aes_key, appid)
    query = signed_query(token)
    envelope = crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
    encrypt = parse_xml_fields(envelope)["Encrypt"]
    query.update(
        encrypt_type="aes",
        msg_signature=signature(token, query["timestamp"], query["nonce"], encrypt),
    )
    return (
        query,
        f"<xml><ToUserName><![CDATA[{escape(appid)}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>",
    )


def url_with(base: str, query: dict[str, str]) -> str:
    return f"{base}?{urlencode(query)}"
