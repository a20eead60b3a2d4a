"""One person's messages reach WeChat in the order they were written, whatever the network does;
different people's are sent at once."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from aiohttp import web

from bot.wechat.outbox_drainer import OutboxDrainer
from handlers.clock import ManualClock
from handlers.outbox import enqueue
from tests.bot.wechat.test_outbox_drainer import (  # noqa: F401 (fixtures)
    clock,
    drainer,
    fake,
    outbound_db,
    session,
    settings,
    text,
    wechat_base,
)
from tests.fake_wechat import FakeWeChat


async def test_one_residents_messages_arrive_in_order_others_at_once(
    drainer: OutboxDrainer,  # noqa: F811
    clock: ManualClock,  # noqa: F811
    fake: FakeWeChat,  # noqa: F811
) -> None:
    jitter = random.Random(20)
    answer = fake._injected

    async def slow_at_random(request: web.Request) -> Any:
        await asyncio.sleep(jitter.uniform(0, 0.05))  # each request held back a different time
        return await answer(request)

    fake._injected = slow_at_random  # type: ignore[method-assign]
    for n in range(6):
        for who in ("o-a", "o-b", "o-c"):
            await enqueue("mp_custom", who, text(f"{who} 第{n}条"), clock.now())

    assert await drainer.drain_once() == 18
    for who in ("o-a", "o-b", "o-c"):
        got = [m["text"]["content"] for m in fake.messages_to(who)]
        assert got == [f"{who} 第{n}条" for n in range(6)]
