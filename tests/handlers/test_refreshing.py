"""The reference-data cache: reloads when old or invalidated, never makes a reader wait on a
reload when it has a value (a reader inside a SQLite transaction would wait forever)."""

from __future__ import annotations

import asyncio

from handlers.refreshing import RefreshingCache


async def test_readers_get_the_old_value_while_a_reload_runs() -> None:
    release = asyncio.Event()
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        if loads > 1:
            await release.wait()
        return loads

    cache = RefreshingCache(load)
    assert await cache.get() == 1
    cache.invalidate()
    slow = asyncio.create_task(cache.get())
    await asyncio.sleep(0)
    assert await asyncio.wait_for(cache.get(), 1) == 1  # no waiting for the slow reload
    release.set()
    assert await slow == 2 and await cache.get() == 2


async def test_an_invalidation_during_a_reload_is_not_lost() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    rows = ["old"]

    async def load() -> str:
        seen = rows[0]
        started.set()
        await release.wait()
        return seen

    cache = RefreshingCache(load)
    reading = asyncio.create_task(cache.get())
    await started.wait()
    rows[0] = "new"  # an admin saves a rule while the old rows are being read
    cache.invalidate()
    release.set()
    assert await reading == "old"
    assert await cache.get() == "new"  # reloaded, not kept fresh for a minute
