"""How fast and how often the outbox sends: a token bucket per API account, so a burst stays
under the API's frequency limits, and the backoff between attempts of a failed send."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
MINI_CHANNELS = frozenset({"mini_custom", "mini_subscribe"})


class TokenBucket:
    """At most ``rate`` acquisitions a second on average, bursts of up to ``burst``.

    Waiters are served in order (one lock), so one busy account cannot starve anybody.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = max(1.0, burst if burst is not None else rate)
        self._tokens = self.capacity
        self._updated: float | None = None
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                if self._updated is not None:
                    elapsed = now - self._updated
                    self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)


def account_of(channel: str) -> str:
    """Which API account a channel spends: the WeCom app, the mini-program, or the official
    account."""
    if channel == "work_app":
        return "work"
    return "mini" if channel in MINI_CHANNELS else "mp"


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter, so a burst of failures does not retry in lockstep."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    factor = (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=ceiling * factor)
