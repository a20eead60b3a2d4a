"""What the service pushed to the chat's resident: fetched after a cursor, each shown once.

The service lists settled messages after the cursor and never moves the cursor past one still
waiting to go, so a message that goes out late is listed again with later ones; the feed
remembers the ids it has shown (only those beyond the cursor) and prints nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from bot.api.sandbox_proof import MESSAGES_ACTION, MESSAGES_PATH
from bot.cli.sandbox_client import SandboxRefused, call_sandbox
from handlers.clock import local

KIND_LABELS = {
    "customer": "客服消息",
    "template": "模板消息",
    "subscribe": "订阅消息",
    "mass": "群发",
}
MAX_PAGES = 20  # per poll: a burst larger than this waits for the next poll


class FeedUnavailable(Exception):
    """Pushed messages cannot be followed here; the message says why."""


@dataclass
class PushedFeed:
    """Follows the messages pushed to ``openid`` by the service at ``root``."""

    root: str
    token: str
    openid: str
    cursor: int | None = None
    shown: set[int] = field(default_factory=set)
    last_menu: list[dict[str, str]] | None = None

    async def poll(self, session: aiohttp.ClientSession) -> list[dict[str, Any]]:
        """The messages not shown yet, oldest first. The first poll only sets the cursor: the
        chat shows what is pushed from its start on."""
        fresh: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            params = {"openid": self.openid}
            if self.cursor is not None:
                params["after"] = str(self.cursor)
            try:
                body = await call_sandbox(
                    session, self.root, self.token, "GET", MESSAGES_PATH, MESSAGES_ACTION, params
                )
            except SandboxRefused as refused:
                raise FeedUnavailable(str(refused)) from None
            if not isinstance(body, dict) or "cursor" not in body:
                raise ValueError(f"unexpected answer from {MESSAGES_PATH}: {body!r}"[:300])
            for message in body.get("messages") or []:
                if message["id"] not in self.shown:
                    self.shown.add(message["id"])
                    fresh.append(message)
                    if message.get("menu"):
                        self.last_menu = message["menu"]
            self.cursor = int(body["cursor"])
            self.shown = {i for i in self.shown if i > self.cursor}
            if not body.get("has_more"):
                break
        return fresh


def clock_time(at: str) -> str:
    try:
        return local(datetime.fromisoformat(at)).strftime("%H:%M")
    except ValueError:
        return at


def format_pushed(message: dict[str, Any]) -> str:
    """One pushed message as the chat prints it, e.g.
    ``服务号（推送·客服消息 09:12）> 您的诉求2612070001已办结…``; a menu's options numbered
    for ``/tap``; a message the service could not send says why."""
    kind = KIND_LABELS.get(str(message.get("kind")), str(message.get("kind")))
    when = clock_time(str(message.get("at", "")))
    if message.get("status") == "sent":
        head = f"服务号（推送·{kind} {when}）> "
    else:
        note = message.get("note") or message.get("status")
        head = f"服务号（未发出·{kind} {when}：{note}）> "
    lines = [head + str(message.get("text", ""))]
    for number, option in enumerate(message.get("menu") or [], start=1):
        lines.append(f"    [{number}] {option['content']}   (/tap {number})")
    return "\n".join(lines)
