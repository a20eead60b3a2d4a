"""Reference data read for every message but rarely changed: loaded once, reloaded now and then."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class RefreshingCache(Generic[T]):
    """Holds the result of ``load`` and reloads it at most every ``max_age`` seconds."""

    def __init__(self, load: Callable[[], Awaitable[T]], max_age: float = 60.0) -> None:
        self._load = load
        self._max_age = max_age
        self._value: T | None = None
        self._loaded_at = 0.0
        self._generation = 0  # bumped by invalidate(): a load begun before it is stale at once
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._value is not None and time.monotonic() - self._loaded_at < self._max_age

    async def get(self) -> T:
        """The value, reloaded if it is too old.

        While another task reloads, a caller that already has a value gets the old one instead
        of waiting. Callers may be inside a transaction: on SQLite a transaction holds the only
        connection, so waiting here for a reload whose query waits for that connection would
        never end.
        """
        if not self._fresh():
            if self._value is not None and self._lock.locked():
                return self._value
            async with self._lock:
                if not self._fresh():
                    generation = self._generation
                    self._value = await self._load()
                    changed = generation != self._generation
                    self._loaded_at = 0.0 if changed else time.monotonic()
        assert self._value is not None
        return self._value

    def invalidate(self) -> None:
        """Reload on the next ``get``, also when a load already under way read older rows."""
        self._generation += 1
        self._loaded_at = 0.0
