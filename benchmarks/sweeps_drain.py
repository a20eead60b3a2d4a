"""The drain of the sweeps benchmark: ``--drain`` rounds due at once, queued by the survey sweep
(the real path) and drained by ``OutboxDrainer`` + ``WeChatClient`` to the fake WeChat server
in its own process; beside it a bare aiohttp client POSTing the same JSON at the same
concurrency to a second fake. The fake must have received each survey exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from benchmarks.figures import summary, timed
from benchmarks.seeding import copy_rows, sync_sequences
from benchmarks.servers import fake_wechat
from benchmarks.sweeps_build import Builder
from benchmarks.sweeps_data import (
    BATCH,
    CASE_COLUMNS,
    DAY,
    HOUR,
    MINUTE,
    RESIDENT_COLUMNS,
    SURVEY_COLUMNS,
    TARGET_SENDS_PER_SECOND,
    dt,
    openid,
    progress,
    resident_row,
)
from benchmarks.sweeps_timing import sweep_settings
from bot.wechat.client import AccessTokenStore, WeChatClient
from bot.wechat.outbox_drainer import SEND_CONCURRENCY, OutboxDrainer
from handlers.context import HandlerContext
from handlers.followup.surveys import sweep_due_surveys


class ShiftedClock:
    """Real time moved to the benchmark's calendar: ``start`` now, then ticking."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._began = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


def drain_cohort(
    builder: Builder, n: int, first_resident: int, first_case: int, first_survey: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """``n`` finished cases whose residents wrote within 48 h and whose rounds fall due before
    the drain time: one survey each, to a resident of their own."""
    tl = builder.tl
    residents, cases, surveys = [], [], []
    grids = builder.district.grids
    due_from = tl.survey_ticks[-1] + 10 * MINUTE
    for i in range(n):
        rid, case_id = first_resident + i, first_case + i
        due = due_from + (tl.drain_at - due_from) * (i + 1) / (n + 1)
        last = tl.drain_at - HOUR
        residents.append(resident_row(rid, last, last - 30 * DAY))
        c = builder.finished_case(case_id, rid, grids[i % len(grids)], due - DAY)
        c.survey_due = due
        cases.append(builder.case_record(c))
        surveys.append((first_survey + i, *builder.planted_round(c, "ask", due)))
    return residents, cases, surveys


async def bare_posts(
    url: str, bodies: list[dict[str, Any]], concurrency: int, timeout_seconds: float
) -> dict[str, Any]:
    """The same JSON POSTed by a bare aiohttp client at the same concurrency: the ceiling."""
    session_timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    errors = 0
    async with aiohttp.ClientSession(timeout=session_timeout) as session:
        grant = {"grant_type": "client_credential", "appid": "wxfake", "secret": "fakesecret"}
        async with session.post(f"{url}/cgi-bin/stable_token", json=grant) as response:
            token = (await response.json(content_type=None))["access_token"]
        queue = iter(bodies)
        headers = {"Content-Type": "application/json; charset=utf-8"}

        async def worker() -> None:
            nonlocal errors
            for body in queue:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                async with session.post(
                    f"{url}/cgi-bin/message/custom/send",
                    params={"access_token": token},
                    data=data,
                    headers=headers,
                ) as response:
                    answer = json.loads(await response.text())
                    if answer.get("errcode"):
                        errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {
        "sent": len(bodies),
        "errors": errors,
        "seconds": round(seconds, 3),
        "rate": round(len(bodies) / seconds, 1),
    }


async def time_drain(
    conn: asyncpg.Connection,
    ctx: HandlerContext,
    builder: Builder,
    args: argparse.Namespace,
) -> dict[str, Any]:
    tl = builder.tl
    n = args.drain
    # What the timed sweeps queued, the service's drainer would have sent meanwhile.
    await conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = created_at WHERE status = 'pending'"
    )
    ids = await conn.fetchrow(
        "SELECT (SELECT max(id) FROM residents) r, (SELECT max(id) FROM cases) c, "
        "(SELECT max(id) FROM surveys) s"
    )
    residents, cases, surveys = drain_cohort(builder, n, ids["r"] + 1, ids["c"] + 1, ids["s"] + 1)
    await copy_rows(conn, "residents", RESIDENT_COLUMNS, residents, bulk=False, say=progress)
    await copy_rows(conn, "cases", CASE_COLUMNS, cases, bulk=False, say=progress)
    await copy_rows(conn, "surveys", SURVEY_COLUMNS, surveys, bulk=False, say=progress)
    await sync_sequences(conn, ("residents", "cases", "surveys"))
    await conn.execute("ANALYZE residents; ANALYZE cases; ANALYZE surveys")
    expected = {openid(row[0]) for row in residents}

    # Queue: the survey sweep at the drain time, batch after batch.
    at = replace(ctx, now=dt(tl.drain_at))
    queued = batches = 0
    batch_ms: list[float] = []
    started = time.perf_counter()
    while True:
        ms, result = await timed(lambda: sweep_due_surveys(at, batch=BATCH))
        batch_ms.append(ms)
        batches += 1
        queued += result.asked
        if not result.more:
            break
    queue_seconds = time.perf_counter() - started
    progress(f"survey sweep queued {queued:,} surveys in {queue_seconds:.1f} s ({batches} batches)")
    pending = await conn.fetch(
        "SELECT recipient, payload FROM outbox WHERE status = 'pending' ORDER BY id"
    )
    bodies = [{"touser": row["recipient"], **json.loads(row["payload"])} for row in pending]

    settings = sweep_settings(ctx.settings.database_url).model_copy(
        update={"outbound_mode": "wechat", "outbound_rate_per_second": float(args.rate),
                "work_corp_id": "", "work_agent_id": "", "work_secret": ""}
    )  # fmt: skip
    credentials = ("--appid", "wxfake", "--secret", "fakesecret")
    with (
        fake_wechat(*credentials, quiet=True) as url,
        fake_wechat(*credentials, quiet=True) as bare_url,
    ):
        settings = settings.model_copy(update={"wechat_api_base": url})
        clock = ShiftedClock(dt(tl.drain_at + MINUTE))
        owner = f"bench:{secrets.token_hex(3)}"
        timeout = aiohttp.ClientTimeout(total=settings.http_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            client = WeChatClient(session, settings, AccessTokenStore(clock, owner))
            drainer = OutboxDrainer(client, settings, clock, owner)
            drained = 0
            started = time.perf_counter()
            while handled := await drainer.drain_once():
                drained += handled
            drain_seconds = time.perf_counter() - started
        progress(f"drained {drained:,} rows in {drain_seconds:.2f} s")
        bare = await bare_posts(bare_url, bodies, SEND_CONCURRENCY, settings.http_timeout_seconds)
        progress(f"bare client: {bare['sent']:,} posts in {bare['seconds']:.2f} s")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/_fake/sent") as response:
                sent = (await response.json())["sent"]
            async with session.get(f"{url}/_fake/stats") as response:
                stats = await response.json()
    per_recipient = Counter(str(m["body"].get("touser")) for m in sent)
    outcome = dict(
        await conn.fetch(
            "SELECT status, count(*) FROM outbox WHERE purpose = 'survey' AND recipient = ANY($1) "
            "GROUP BY status",
            list(expected),
        )
    )
    rate = n / drain_seconds if drain_seconds else 0.0
    counts = {
        "received": len(sent),
        "missing": sum(1 for r in expected if per_recipient[r] == 0),
        "doubled": sum(c - 1 for r, c in per_recipient.items() if r in expected and c > 1),
        "unexpected": sum(c for r, c in per_recipient.items() if r not in expected),
        "token_requests": int(stats.get("token_requests", 0)),
        "outbox_status": {str(k): int(v) for k, v in outcome.items()},
    }
    return {
        "surveys": n,
        "queued": queued,
        "queue_seconds": round(queue_seconds, 2),
        "queue_rate": round(queued / queue_seconds, 1) if queue_seconds else 0.0,
        "queue_batch": summary(batch_ms),
        "drained_rows": drained,
        "drain_seconds": round(drain_seconds, 3),
        "rate": round(rate, 1),
        "configured_rate": args.rate,
        "concurrency": SEND_CONCURRENCY,
        "outbox_batch": settings.outbox_batch_size,
        "bare": bare,
        "ratio": round(rate / bare["rate"], 3) if bare["rate"] else 0.0,
        **counts,
        "ok_rate": rate >= TARGET_SENDS_PER_SECOND,
        "ok_exactly_once": counts["missing"] == 0 and counts["doubled"] == 0 and queued == n,
    }
