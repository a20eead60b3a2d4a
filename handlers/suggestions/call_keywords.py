"""The themed calls a chat keyword may name, kept in memory per app (no read per message).

Every chat message that could start with a call's keyword (``call_replies.keyword_call``) used
to read the recent calls from the database: a round trip on most messages of intake's hot path
(issue 17). :class:`KeywordCalls` keeps them for at most ``max_age`` seconds, and at once forgets
them when this process changes a call (:func:`calls_changed`, called by ``calls`` after each
change and by the model's save signal), so another process sees a call opened or closed within
``max_age``. The calls' periods are checked against the message's own time when used.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from tortoise.signals import post_delete, post_save

from config import suggestion_calls as texts
from models import CallStatus, SuggestionCall

_generation = 0


def calls_changed() -> None:
    """A call was created, edited, opened or closed here: every cache reloads."""
    global _generation
    _generation += 1


@post_save(SuggestionCall)
async def _saved(*_: Any, **__: Any) -> None:
    calls_changed()


@post_delete(SuggestionCall)
async def _deleted(*_: Any, **__: Any) -> None:
    calls_changed()


async def load_recent(now: datetime) -> list[SuggestionCall]:
    """Calls taking replies or recently closed, with a keyword, open to the chat."""
    since = now - timedelta(days=texts.RECENT_DAYS)
    calls = await SuggestionCall.filter(
        status__in=[CallStatus.OPEN, CallStatus.CLOSED], ends_at__gt=since
    ).exclude(keyword="")
    return [c for c in calls if "chat" in c.channels]


class KeywordCalls:
    """One per app (``bot.intake.IntakeService``): see the module."""

    def __init__(self, max_age: float = 5.0) -> None:
        self.max_age = max_age
        self._calls: list[SuggestionCall] | None = None
        self._loaded_at = 0.0
        self._generation = -1
        self._since: datetime | None = None

    def _fresh(self, now: datetime) -> bool:
        return (
            self._calls is not None
            and self._generation == _generation
            and time.monotonic() - self._loaded_at < self.max_age
            and self._since is not None
            and self._since <= now  # a clock moved back (tests) reads again
        )

    async def recent(self, now: datetime) -> list[SuggestionCall]:
        if not self._fresh(now):
            generation = _generation
            self._calls = await load_recent(now)
            self._loaded_at, self._generation, self._since = time.monotonic(), generation, now
        since = now - timedelta(days=texts.RECENT_DAYS)
        return [c for c in self._calls or [] if c.ends_at > since]
