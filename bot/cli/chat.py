"""``jiesu chat``: be a resident in the terminal, talking to a running service like WeChat does.

Besides the passive reply to each message, the chat prints what the service pushes to this
resident on its own (replies sent later, first contact, 办结, surveys, broadcast notices) as it
goes out, when the service runs in sandbox mode (``jiesu serve --demo``): see
:mod:`bot.cli.pushed`.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
import time
from typing import TextIO

import aiohttp
from wechatpy.crypto import WeChatCrypto

from bot.cli.pushed import FeedUnavailable, PushedFeed, format_pushed
from bot.cli.sandbox_client import service_root
from bot.wechat.parsing import parse_xml_fields
from bot.wechat.signing import encrypted_request, message_xml, signed_query

PROMPT = "居民> "
POLL_SECONDS = 1.0

HELP = """Type what a resident would write. Commands:
  /photo [url]          send a photo
  /voice [words]        send a voice message (words = WeChat's recognition; none = unrecognised)
  /loc LNG LAT [label]  send a location (e.g. /loc 121.506 31.300 国权路)
  /follow  /unfollow    follow or unfollow the account
  /menu KEY             press a menu button (REPORT, MY_CASES, HELP)
  /tap N                tap option N of the last menu the service pushed (e.g. a survey)
  /quit                 leave
Messages the service pushes later (服务号（推送…）) appear as they are sent.
"""

Menu = list[dict[str, str]]

# A tappable option inside a passive text reply (补充到… / 作为新诉求).
_MENU_LINK = re.compile(
    r'<a href="weixin://bizmsgmenu\?msgmenucontent=([^&"]*)&msgmenuid=([^"]*)">([^<]*)</a>'
)


def passive_menu(answer: str) -> tuple[str, Menu]:
    """The reply with its tappable links shown as ``[N] words (/tap N)``, and the options."""
    options: Menu = []

    def shown(match: re.Match[str]) -> str:
        options.append({"id": match.group(2), "content": match.group(1)})
        number = len(options)
        return f"[{number}] {match.group(3)} (/tap {number})"

    return _MENU_LINK.sub(shown, answer), options


def build(
    openid: str, line: str, msg_ids: itertools.count[int], menu: Menu | None = None
) -> tuple[str, dict[str, str | int | float]] | None:
    now = int(time.time())
    if not line.startswith("/"):
        return "text", {"Content": line, "MsgId": next(msg_ids)}
    command, _, rest = line.partition(" ")
    rest = rest.strip()
    if command == "/tap":
        # What WeChat sends when a menu option is tapped: its words, and its id.
        index = int(rest) - 1 if rest.isascii() and rest.isdigit() else -1
        if not menu or not 0 <= index < len(menu):
            return None
        option = menu[index]
        return "text", {
            "Content": option["content"],
            "MsgId": next(msg_ids),
            "bizmsgmenuid": option["id"],
        }
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


async def follow_pushed(
    feed: PushedFeed,
    session: aiohttp.ClientSession,
    out: TextIO,
    stop: asyncio.Event,
    interval: float = POLL_SECONDS,
) -> None:
    """Print each pushed message once, as it goes out, until ``stop``.

    A service that is down for a moment is asked again quietly; one that has no sandbox (it
    talks to WeChat) or refuses the token is said once, and then left alone.
    """
    while not stop.is_set():
        try:
            for message in await feed.poll(session):
                out.write(f"\r{format_pushed(message)}\n\n{PROMPT}")
                out.flush()
        except FeedUnavailable as reason:
            out.write(f"\r[{reason}]\n{PROMPT}")
            out.flush()
            return
        except (aiohttp.ClientError, TimeoutError, ValueError):
            pass  # the service is restarting, or answered something odd: ask again later
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


async def run_chat(url: str, token: str, openid: str, *, aes_key: str = "", appid: str = "") -> int:
    out = sys.stdout
    out.write(f"jiesu chat — you are resident {openid}, talking to {url}\n{HELP}\n")
    msg_ids = itertools.count(int(time.time() * 1000))
    loop = asyncio.get_running_loop()
    feed = PushedFeed(service_root(url), token, openid)
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as session:
        follower = asyncio.create_task(follow_pushed(feed, session, out, stop))
        try:
            while True:
                out.write(PROMPT)
                out.flush()
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line:
                    return 0
                line = line.strip()
                if not line:
                    continue
                if line in ("/quit", "/exit"):
                    return 0
                built = build(openid, line, msg_ids, feed.last_menu)
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
                shown, options = passive_menu(answer)
                if options:
                    feed.last_menu = options
                out.write(f"服务号> {shown or '(no reply)'}\n\n")
        finally:
            stop.set()
            await follower
