"""The loads of ``intake.py``'s cost runs: signed text messages, each from a new resident, in one
of two shapes, sent closed-loop (N senders, each sending again as soon as it is answered) or
open-loop (a fixed arrival rate, whatever the answers take).

Shapes:

- ``fresh``: every message is a problem of its own, at a building of its own (four compounds of
  the demo district, building numbers counting up), so each one makes a new case;
- ``merge``: many residents report the same lamp at the same address, so after the first each
  message is merged into that open case as a duplicate (并案).

``Window`` hooks run when the measured window opens and closes (after the warm-up), so CPU and
round trips are read over exactly the measured messages.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from benchmarks.chat_load import CASE_NUMBER, TOKEN, WARMUP_SECONDS
from benchmarks.figures import Sample, Throughput
from bot.wechat.signing import message_xml, signed_query

FRESH = (
    "国权路小区{n}号楼楼道灯坏了，晚上上下楼看不见",
    "开鲁新村{n}号门口垃圾没人清运，已经堆了三天",
    "凤城新村{n}号楼下水道堵了，污水漫到路上",
    "长白二村{n}号楼前有人违章搭建，占了消防通道",
)
MERGE = "国权路小区5号楼楼道灯坏了，晚上上下楼看不见"
SHAPES = ("fresh", "merge")

Hook = Callable[[], Awaitable[None]]


@dataclass
class CostLoad(Throughput):
    shape: str = "fresh"
    in_window: int = 0  # messages answered 200 that were sent inside the window
    without_number: int = 0
    numbers: dict[str, str] = field(default_factory=dict, repr=False)


def text_of(shape: str, i: int) -> str:
    if shape == "merge":
        return MERGE
    return FRESH[i % len(FRESH)].format(n=i // len(FRESH) + 100)


class Sender:
    def __init__(self, url: str, shape: str, tag: str) -> None:
        self.url, self.shape, self.tag = url, shape, tag
        self.serial = itertools.count()
        self.msg_base = int(time.time() * 1000) * 1000
        self.result = CostLoad(shape=shape)

    async def send(self, session: aiohttp.ClientSession) -> Sample:
        i = next(self.serial)
        openid = f"o-cost-{self.tag}-{self.shape}-{i}"
        body = message_xml(
            openid, "text", {"Content": text_of(self.shape, i), "MsgId": self.msg_base + i}
        )
        ok, reply, begin = False, "", time.perf_counter()
        try:
            headers = {"Content-Type": "text/xml"}
            async with session.post(
                self.url, params=signed_query(TOKEN), data=body.encode(), headers=headers
            ) as r:
                reply = await r.text()
                ok = r.status == 200
        except (aiohttp.ClientError, TimeoutError):
            pass
        if ok and (match := CASE_NUMBER.search(reply)):
            self.result.numbers[openid] = match.group(1)
        elif ok and reply != "success":
            self.result.without_number += 1
        return begin, time.perf_counter() - begin, ok


async def closed_loop(
    url: str,
    seconds: float,
    concurrency: int,
    shape: str,
    tag: str,
    on_start: Hook | None = None,
    on_end: Hook | None = None,
    count: int | None = None,
) -> CostLoad:
    """``concurrency`` senders for ``seconds`` after a warm-up (or ``count`` messages in the
    window); the hooks run when the window opens and when every message of it is answered."""
    sender = Sender(url, shape, tag)
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        samples.append(await sender.send(session))  # the original of a merge load, lazy state
        warm_until = time.perf_counter() + WARMUP_SECONDS

        async def warm() -> None:
            while time.perf_counter() < warm_until:
                samples.append(await sender.send(session))

        await asyncio.gather(*(warm() for _ in range(concurrency)))
        if on_start:
            await on_start()
        measure_from = time.perf_counter()
        stop = measure_from + seconds
        left = itertools.count()

        async def worker() -> None:
            while (count is None and time.perf_counter() < stop) or (
                count is not None and next(left) < count
            ):
                samples.append(await sender.send(session))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - measure_from
        if on_end:
            await on_end()
    result = sender.result
    result.count(samples, measure_from, elapsed)
    result.in_window = sum(1 for begin, _, ok in samples if begin >= measure_from and ok)
    return result


async def open_loop(
    url: str,
    rate: float,
    seconds: float,
    shape: str,
    tag: str,
    on_start: Hook | None = None,
    on_end: Hook | None = None,
) -> CostLoad:
    """Messages arriving at ``rate`` per second for ``seconds`` (after a short warm-up at the
    same rate), each sent at its planned time whether or not earlier ones were answered;
    latency counts from the planned time."""
    sender = Sender(url, shape, tag)
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        samples.append(await sender.send(session))
        start = time.perf_counter()
        measure_from = start + WARMUP_SECONDS
        total = int((WARMUP_SECONDS + seconds) * rate)
        tasks = []
        started = False
        for k in range(total):
            planned = start + k / rate
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if not started and planned >= measure_from:
                started = True
                if on_start:
                    await on_start()

            async def one(planned: float = planned) -> None:
                _, _, ok = await sender.send(session)
                samples.append((planned, time.perf_counter() - planned, ok))

            tasks.append(asyncio.ensure_future(one()))
        await asyncio.gather(*tasks)
        if on_end:
            await on_end()
    result = sender.result
    result.count(samples, measure_from, seconds)
    result.in_window = sum(1 for begin, _, ok in samples if begin >= measure_from and ok)
    return result
