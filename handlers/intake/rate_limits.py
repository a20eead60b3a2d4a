"""How much one resident may send: new cases per hour and per day, photos per hour, and API
calls per minute.

Case and photo limits are counted in the database (cases and suggestions (人民建议, which a
resident could otherwise send without end) by ``(resident_id, created_at)``, held
messages and media files by their owner and time), so they hold across every process behind the
load balancer. A held message counts like a case until a dispatcher releases it (then its case
counts) or discards it. The per-minute limit on API calls only guards one process against a
client in a loop, so it lives in memory: N processes allow N times as many calls.

A refusal says when the oldest counted submission leaves the window, which is exactly when the
resident may send again.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from config import replies
from config.settings import Settings
from handlers.clock import format_local
from models import Case, HeldStatus, MediaFile
from nlu.normalise import normalise
from nlu.urgency import urgency_reasons

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Limited:
    """A limit that is reached: which, and when the next submission is allowed."""

    window: str  # hour | day | minute
    limit: int
    until: datetime

    def retry_after(self, now: datetime) -> int:
        """Whole seconds to wait, at least one (the ``Retry-After`` header)."""
        return max(1, math.ceil((self.until - now).total_seconds()))

    def describe(self, template: str) -> str:
        """``template`` (``{window}``, ``{limit}``, ``{until}``) filled in for this limit."""
        return template.format(
            window=replies.RATE_LIMIT_WINDOWS.get(self.window, self.window),
            limit=self.limit,
            until=format_local(self.until),
        )

    @property
    def text(self) -> str:
        """What the resident reads in the chat."""
        return self.describe(replies.RATE_LIMITED)

    @property
    def held_text(self) -> str:
        """What the resident reads when the message over the limit is held for a dispatcher."""
        return self.describe(replies.RATE_LIMITED_HELD)


def _first_free(times: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """When a slot frees up if ``times`` (inside the window) fill ``limit``; None: not full."""
    if len(times) < limit:
        return None
    ordered = sorted(times)
    # With n >= limit counted, n - limit + 1 must leave before one more fits.
    return ordered[len(ordered) - limit] + window


async def _submission_times(resident_id: int, since: datetime) -> list[datetime]:
    """When the resident's cases, suggestions and counted held messages were made since
    ``since``: one statement over the three tables (each read by its (resident_id, created_at)
    index)."""
    conn = connections.get("default")
    pg = conn.capabilities.dialect == "postgres"
    mark = "$" if pg else "?"
    created = Case._meta.fields_map["created_at"]
    rows = await conn.execute_query_dict(
        f'SELECT "created_at" FROM "cases" WHERE "resident_id" = {mark}1 '
        f'AND "created_at" > {mark}2 '
        f'UNION ALL SELECT "created_at" FROM "held_messages" WHERE "resident_id" = {mark}1 '
        f'AND "created_at" > {mark}2 AND "status" IN ({mark}3, {mark}4) '
        f'UNION ALL SELECT "created_at" FROM "suggestions" WHERE "resident_id" = {mark}1 '
        f'AND "created_at" > {mark}2',
        [resident_id, since, HeldStatus.HELD.value, HeldStatus.DISCARDED.value],
    )
    found: list[Any] = [created.to_python_value(row["created_at"]) for row in rows]
    return [t for t in found if isinstance(t, datetime)]


async def case_limit(
    resident_id: int,
    now: datetime,
    settings: Settings,
    *,
    text: str = "",
    new_resident: bool = False,
) -> Limited | None:
    """The limit a new case by this resident would break now, or None if it may be made.

    ``text``: the words of the new case. Words that read as urgent (a gas smell, someone fallen)
    pass every limit: a missed emergency costs more than any abuse a limit prevents.
    """
    if text and urgency_reasons(normalise(text)):
        return None
    if new_resident:
        return None  # made by this very message: nothing of theirs is counted yet
    times = await _submission_times(resident_id, now - DAY)
    for window, span, limit in (
        ("hour", HOUR, settings.resident_cases_per_hour),
        ("day", DAY, settings.resident_cases_per_day),
    ):
        inside = [t for t in times if t > now - span]
        until = _first_free(inside, limit, span)
        if until is not None:
            return Limited(window, limit, until)
    return None


async def upload_limit(
    owner_type: str, owner_id: int, now: datetime, per_hour: int
) -> Limited | None:
    """The hourly photo limit, if this owner has reached it."""
    found: list[Any] = await MediaFile.filter(
        owner_type=owner_type, owner_id=owner_id, created_at__gt=now - HOUR
    ).values_list("created_at", flat=True)
    until = _first_free([t for t in found if isinstance(t, datetime)], per_hour, HOUR)
    return Limited("hour", per_hour, until) if until is not None else None


class RequestWindow:
    """Calls per key in a sliding window, in this process's memory.

    Keys whose calls have all left the window are dropped now and then, so a process that has
    seen many residents does not keep a deque for each of them.
    """

    PRUNE_EVERY = 1000

    def __init__(self, limit: int, window: timedelta = timedelta(minutes=1)) -> None:
        self.limit = limit
        self.window = window
        self._calls: dict[int, deque[datetime]] = {}
        self._since_prune = 0

    def hit(self, key: int, now: datetime) -> Limited | None:
        """Count a call; None if it is allowed, else the limit (the call is not counted)."""
        self._since_prune += 1
        if self._since_prune >= self.PRUNE_EVERY:
            self._prune(now)
        calls = self._calls.setdefault(key, deque())
        cutoff = now - self.window
        while calls and calls[0] <= cutoff:
            calls.popleft()
        if len(calls) >= self.limit:
            return Limited("minute", self.limit, calls[0] + self.window)
        calls.append(now)
        return None

    def _prune(self, now: datetime) -> None:
        self._since_prune = 0
        cutoff = now - self.window
        for key in [k for k, calls in self._calls.items() if not calls or calls[-1] <= cutoff]:
            del self._calls[key]
