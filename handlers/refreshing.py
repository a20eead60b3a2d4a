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
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._value is not None and time.monotonic() - self._loaded_at < self._max_age

    async def get(self) -> T:
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    self._value = await self._load()
                    self._loaded_at = time.monotonic()
        assert self._value is not None
        return self._value

    def invalidate(self) -> None:
        self._loaded_at = 0.0
