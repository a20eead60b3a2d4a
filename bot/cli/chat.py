"""``jiesu chat``: be a resident in the terminal, talking to a running service like WeChat does."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time

import aiohttp
from wechatpy.crypto import WeChatCrypto

from bot.wechat.parsing import parse_xml_fields
from bot.wechat.signing import encrypted_request, message_xml, signed_query

HELP = """Type what a resident would write. Commands:
  /photo [url]          send a photo
  /voice [words]        send a voice message (words = WeChat's recognition; none = unrecognised)
  /loc LNG LAT [label]  send a location (e.g. /loc 121.506 31.300 国权路)
  /follow  /unfollow    follow or unfollow the account
  /menu KEY             press a menu button (REPORT, MY_CASES, HELP)
  /quit                 leave
"""


def build(
    openid: str, line: str, msg_ids: itertools.count[int]
) -> tuple[str, dict[str, str | int | float]] | None:
    now = int(time.time())
    if not line.startswith("/"):
        return "text", {"Content": line, "MsgId": next(msg_ids)}
    command, _, rest = line.partition(" ")
    rest = rest.strip()
    if command == "/photo":
        return "image", {
            "PicUrl": rest or "https://example.invalid/photo.jpg",
            "MediaId": f"media{now}",
            "MsgId": next(msg_ids),
        }
    if command == "/voice":
        fields: dict[str, str | int | float] = {
            "MediaId": f"voice{now}",
            "Format": "amr",
            "MsgId": next(msg_ids),
        }
        if rest:
            fields["Recognition"] = rest
        return "voice", fields
    if command == "/loc":
        parts = rest.split()
        if len(parts) < 2:
            return None
        return "location", {
            "Location_X": float(parts[1]),
            "Location_Y": float(parts[0]),
            "Scale": 15,
            "Label": " ".join(parts[2:]) or "位置",
            "MsgId": next(msg_ids),
        }
    if command == "/follow":
        return "event", {"Event": "subscribe", "EventKey": ""}
    if command == "/unfollow":
        return "event", {"Event": "unsubscribe", "EventKey": ""}
    if command == "/menu":
        return "event", {"Event": "CLICK", "EventKey": rest or "HELP"}
    return None


async def send(
    session: aiohttp.ClientSession, url: str, token: str, xml: str, aes_key: str, appid: str
) -> str:
    if aes_key:
        query, body = encrypted_request(token, aes_key, appid, xml)
    else:
        query, body = signed_query(token), xml
    async with session.post(url, params=query, data=body.encode("utf-8")) as response:
        text = await response.text()
        if response.status != 200:
            return f"[HTTP {response.status}] {text.strip()}"
    if text == "success" or not text:
        return ""
    fields = parse_xml_fields(text)
    if "Encrypt" in fields and aes_key:
        crypto = WeChatCrypto(token, aes_key, appid)
        fields = parse_xml_fields(
            crypto.decrypt_message(
                text,
                fields.get("MsgSignature", ""),
                fields.get("TimeStamp", ""),
                fields.get("Nonce", ""),
            )
        )
    return str(fields.get("Content", ""))


async def run_chat(url: str, token: str, openid: str, *, aes_key: str = "", appid: str = "") -> int:
    out = sys.stdout
    out.write(f"jiesu chat — you are resident {openid}, talking to {url}\n{HELP}\n")
    msg_ids = itertools.count(int(time.time() * 1000))
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        while True:
            out.write("居民> ")
            out.flush()
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return 0
            line = line.strip()
            if not line:
                continue
            if line in ("/quit", "/exit"):
                return 0
            built = build(openid, line, msg_ids)
            if built is None:
                out.write(HELP)
                continue
            msg_type, fields = built
            try:
                answer = await send(
                    session, url, token, message_xml(openid, msg_type, fields), aes_key, appid
                )
            except aiohttp.ClientError as exc:
                out.write(f"[cannot reach {url}: {exc}; is `jiesu serve --demo` running?]\n")
                continue
            out.write(f"服务号> {answer or '(no reply)'}\n\n")
