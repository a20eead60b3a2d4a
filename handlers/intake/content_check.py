"""WeChat's content check (msgSecCheck v2) on what residents type in the mini-program.

With ``JIESU_CONTENT_CHECK`` on, a submission's words (its text, the address and contact name
that come with it, and words added later) are checked before anything is routed, and so is each
text a resident writes in the mini-program's customer-service chat (``bot.intake``; lookups
such as 我的诉求 are not checked). What the
answer means here:

- ``pass``: nothing to do, the submission goes on.
- ``risky`` and ``review`` both **hold** the submission (``models.HeldMessage``, reason
  ``content_check``, with the check's answer) for a dispatcher to release or discard. ``review``
  is WeChat saying "a person should look"; routing it would push the words to a grid worker's
  phone before anyone has, while a held message is in front of a dispatcher within minutes. The
  resident is told only that it arrived and is being looked at.
- **the check itself fails** (WeChat unreachable, an errcode such as 40003 for a resident who
  has not opened the mini-program lately, no mini-program configured): the submission **goes
  through**, and the failure is kept with it (:attr:`CheckOutcome.result`, an ``unchecked``
  note on the case's timeline). Holding instead would turn every WeChat outage into a queue of
  complaints nobody routes; the check protects staff screens, not public pages, so an unchecked
  complaint handled on time is the lesser harm. Either way nothing is lost.

The scene is 1 (资料, profile-like text a person writes about themselves), the closest of
WeChat's four to a complaint; the resident's openid is sent as WeChat requires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from config.settings import Settings

logger = logging.getLogger(__name__)

SCENE = 1
HOLD_SUGGESTIONS = frozenset({"risky", "review"})
MAX_CHECKED_CHARS = 2500  # msgSecCheck takes up to 2500 characters per call


class TextChecker(Protocol):
    """What the check needs of the mini-program client (``bot.wechat.client``)."""

    async def check_text(self, openid: str, content: str, scene: int = 1) -> dict[str, Any]: ...


class CheckUnavailable(Exception):
    """The check could not give an answer (network, errcode); the message says why."""


@dataclass(frozen=True)
class CheckOutcome:
    hold: bool
    checked: bool  # False: no answer from WeChat (off, not configured, or failed)
    result: dict[str, Any] = field(default_factory=dict)  # kept on the held message

    @property
    def suggest(self) -> str:
        return str(self.result.get("suggest", ""))


NOT_CHECKED = CheckOutcome(hold=False, checked=False)


def words_of(*parts: str | None) -> str:
    """The words of a submission as one text, as the check reads them."""
    return "\n".join(p.strip() for p in parts if p and p.strip())[:MAX_CHECKED_CHARS]


async def check_words(
    checker: TextChecker | None, settings: Settings, openid: str, text: str
) -> CheckOutcome:
    """Ask msgSecCheck about ``text`` if the setting is on; never raises (see module doc)."""
    if not settings.content_check or not text.strip():
        return NOT_CHECKED
    if checker is None:
        logger.warning("content check is on but no mini-program client is configured; passing")
        return CheckOutcome(False, False, {"unchecked": "no mini-program client configured"})
    try:
        answer = await checker.check_text(openid, text[:MAX_CHECKED_CHARS], SCENE)
    except CheckUnavailable as exc:
        logger.warning("content check failed (%s); the submission goes through unchecked", exc)
        return CheckOutcome(False, False, {"unchecked": str(exc)[:500]})
    result = answer.get("result") if isinstance(answer.get("result"), dict) else {}
    suggest = str((result or {}).get("suggest", "")).lower()
    kept = {
        "suggest": suggest,
        "label": (result or {}).get("label"),
        "trace_id": answer.get("trace_id", ""),
        "detail": answer.get("detail", []),
    }
    if suggest not in ("pass", *HOLD_SUGGESTIONS):
        logger.warning("content check answered %r; the submission goes through", suggest)
        return CheckOutcome(False, False, {**kept, "unchecked": f"unknown suggest {suggest!r}"})
    return CheckOutcome(hold=suggest in HOLD_SUGGESTIONS, checked=True, result=kept)
