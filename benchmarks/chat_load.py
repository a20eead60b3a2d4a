"""The chat load: signed text messages to ``POST /wechat/mp``, each from a new resident so that
each one must create a case, from as many concurrent senders as asked.

``intake.py`` measures it against a bare endpoint; ``resident_api.py`` uses it as the baseline
of the mini-program's submissions. ``SERVICE_ENV`` is what ``jiesu serve`` needs for it.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass, field

import aiohttp

from benchmarks.figures import Sample, Throughput
from bot.wechat.signing import message_xml, signed_query

TOKEN = "benchtoken123"
WARMUP_SECONDS = 1.0
CASE_NUMBER = re.compile(r"编号 (\d{10,})")
TEMPLATES = (
    "国权路小区{n}号楼楼道灯坏了，晚上上下楼看不见",
    "开鲁新村{n}号门口垃圾没人清运，已经堆了三天",
    "凤城新村{n}号楼下水道堵了，污水漫到路上",
    "长白二村{n}号楼前有人违章搭建，占了消防通道",
)
SERVICE_ENV = {
    "JIESU_MP_TOKEN": TOKEN,
    "JIESU_MP_APPID": "wxbench0000000000",
    "JIESU_MP_SECRET": "benchsecret",
    "JIESU_OUTBOUND_MODE": "sandbox",
    "JIESU_LOG_LEVEL": "WARNING",
}


@dataclass
class Load(Throughput):
    first_ms: float = 0.0  # the very first request, before warm-up
    without_number: int = 0  # 200 answers with no case number in them
    numbers: dict[str, str] = field(default_factory=dict, repr=False)  # openid -> case number


async def run_load(url: str, seconds: float, concurrency: int, tag: str) -> Load:
    serial = itertools.count()
    samples: list[Sample] = []
    result = Load()
    msg_base = int(time.time() * 1000) * 1000

    async def send(session: aiohttp.ClientSession) -> Sample:
        i = next(serial)
        openid = f"o-bench-{tag}-{i}"
        text = TEMPLATES[i % len(TEMPLATES)].format(n=i % 40 + 1)
        body = message_xml(openid, "text", {"Content": text, "MsgId": msg_base + i})
        ok, reply, begin = False, "", time.perf_counter()
        try:
            query = signed_query(TOKEN)
            headers = {"Content-Type": "text/xml"}
            async with session.post(url, params=query, data=body.encode(), headers=headers) as r:
                reply = await r.text()
                ok = r.status == 200
        except (aiohttp.ClientError, TimeoutError):
            pass
        if ok and (match := CASE_NUMBER.search(reply)):
            result.numbers[openid] = match.group(1)
        elif ok and reply != "success":
            result.without_number += 1
        return begin, time.perf_counter() - begin, ok

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop:
            samples.append(await send(session))

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        first = await send(session)  # the first message may load lazy state; then warm up
        samples.append(first)
        measure_from = time.perf_counter() + WARMUP_SECONDS
        stop = measure_from + seconds
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    result.first_ms = first[1] * 1000
    result.count(samples, measure_from, seconds)
    return result
