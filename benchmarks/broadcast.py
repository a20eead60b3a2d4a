"""A broadcast notice to many residents, with the sending process killed half way and started again.

Run from the repository: ``python benchmarks/broadcast.py [--recipients 100000]
[--channel mass|template] [--rate R] [--kill-at 0.5] [--kill-in sending|fanout]
[--backend sqlite|postgres] [--json]``.

1. A fresh database (SQLite file, or a throwaway PostgreSQL database ``jiesu_bench_<hex>`` at
   127.0.0.1:5432, user postgres) migrated with the project's migrations; that many residents,
   each with a case in one street; one notice to the street's residents, composed, previewed,
   submitted and approved by a second admin through the handlers.
2. ``python -m tests.fake_wechat`` in its own process, holding each answer ``--answer-delay``
   seconds after it has accepted and recorded the message: the window in which a sender that
   dies has reached WeChat without knowing it.
3. The sending process (this script with ``--role sender``): the broadcast sweep and the outbox
   drainer (``OutboxDrainer`` + ``WeChatClient``, ``JIESU_OUTBOUND_RATE_PER_SECOND`` = ``--rate``)
   until the notice is done. When the fake has received ``--kill-at`` of the recipients (or, with
   ``--kill-in fanout``, when that share of the delivery rows is written) it gets SIGKILL, at
   whatever point of a send or a fan-out batch it is; a second sending process then finishes.
4. For template messages this script also plays WeChat's report: while the second sender
   runs, each delivery left "unknown" by the kill (a send in flight that nobody heard the
   answer to) whose message the fake did receive gets its TEMPLATESENDJOBFINISH, as
   /wechat/mp would record it; the others get none and are sent once more by the sender after
   ``--report-wait`` seconds (``JIESU_BROADCAST_REPORT_WAIT_SECONDS``).
5. What each recipient got, from the fake's own per-recipient counts, against the audience:
   reached zero times, reached twice or more (both must be 0); resends WeChat refused by their
   clientmsgid; template sends cut off by the kill and what became of them.

Prints sends/s while sending (recipients reached over the time the fake was receiving, the gap
between the kill and the restart left out), the wall time, and the peak resident memory of
each sending process (the killed one read from /proc just before the kill). Exits 0 whatever
the result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.databases import bench_database, db_rows  # noqa: E402
from benchmarks.figures import peak_mb  # noqa: E402
from benchmarks.servers import fake_json, fake_wechat  # noqa: E402

STREET = "五角场街道"
OPENID = "o-bench-{:06d}"
SEED_CHUNK = 5000


# The sending process


def sender_settings(args: argparse.Namespace) -> Any:
    from config.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=args.db,
        wechat_api_base=args.api,
        mp_appid="wxfake",
        mp_secret="fakesecret",
        outbound_mode="wechat",
        outbound_rate_per_second=args.rate,
        http_timeout_seconds=2.0,
        outbox_poll_seconds=0.05,
        broadcast_report_wait_seconds=args.report_wait,
        run_background=False,
    )


async def run_sender(args: argparse.Namespace) -> None:
    import aiohttp

    from bot.wechat.client import AccessTokenStore, WeChatClient
    from bot.wechat.outbox_drainer import OutboxDrainer
    from handlers.broadcasts.delivery import sweep_broadcasts
    from handlers.clock import SystemClock
    from handlers.context import HandlerContext
    from handlers.district.gazetteer import load_gazetteer
    from handlers.workflow.routing import load_routing_table
    from models import Notice, NoticeStatus
    from models.database import close_orm, init_orm

    settings = sender_settings(args)
    await init_orm(args.db)
    clock = SystemClock()
    owner = f"bench-sender:{os.getpid()}"
    gazetteer, routing = await load_gazetteer(), await load_routing_table()
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        client = WeChatClient(session, settings, AccessTokenStore(clock, owner))
        # A short claim, so that the second process takes up the dead one's rows quickly.
        drainer = OutboxDrainer(client, settings, clock, owner, claim_seconds=args.claim_seconds)
        stop = asyncio.Event()
        draining = asyncio.create_task(drainer.run(stop))
        while True:
            ctx = HandlerContext(clock.now(), settings, gazetteer, routing)
            await sweep_broadcasts(ctx)
            notice = await Notice.get(id=args.notice)
            if notice.status in (NoticeStatus.DONE, NoticeStatus.CANCELLED):
                break
            await asyncio.sleep(0.2)
        stop.set()
        await draining
    await close_orm()
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec from the forking process.
    line = {"peak_mb": peak_mb(os.getpid()), "seconds": round(time.monotonic() - started, 2)}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


# Setting up


async def seed(database_url: str, recipients: int, channel: str) -> tuple[int, list[str]]:
    """Residents with a case each in one street, and an approved notice to them."""
    from handlers.broadcasts.notices import (
        approve_notice,
        create_notice,
        preview_notice,
        submit_notice,
    )
    from handlers.staff.accounts import create_user
    from handlers.staff.audit import StaffActor
    from models import Case, Resident, Worker, WorkerRole
    from models.database import close_orm, init_orm, migrate
    from tests.conftest import make_settings

    await migrate(database_url)
    await init_orm(database_url)
    now = datetime.now(UTC)
    openids = [OPENID.format(i) for i in range(recipients)]
    for start in range(0, recipients, SEED_CHUNK):
        chunk = openids[start : start + SEED_CHUNK]
        await Resident.bulk_create(
            [
                Resident(openid=o, subscribed=True, consent_template=True, created_at=now)
                for o in chunk
            ],
            batch_size=1000,
        )
        ids = dict(await Resident.filter(openid__in=chunk).values_list("openid", "id"))
        await Case.bulk_create(
            [
                Case(
                    number=f"B{start + i:09d}",
                    resident_id=ids[o],
                    street=STREET,
                    text="楼道灯坏了",
                    created_at=now,
                )
                for i, o in enumerate(chunk)
            ],
            batch_size=1000,
        )
    editor = await Worker.create(name="编辑", role=WorkerRole.DISPATCHER, openid="o-editor")
    author = StaffActor.of(
        await create_user("author", "admin", "bench password 1", now, worker_id=editor.id)
    )
    approver = StaffActor.of(await create_user("approver", "admin", "bench password 2", now))
    settings = make_settings(database_url)
    content: dict[str, Any]
    if channel == "mass":
        kind, outbox_channel, content = "text", "mp_mass", {"text": "明日9:00-15:00停水，请储水。"}
    else:
        kind, outbox_channel = "template", "mp_template"
        content = {"template_id": "TPL-bench", "data": {"first": "明日9:00-15:00停水"}}
    notice = await create_notice(
        author,
        now,
        title="停水通知（压测）",
        kind=kind,
        channel=outbox_channel,
        audience={"kind": "residents", "streets": [STREET]},
        content=content,
    )
    await preview_notice(notice.id, author, now)
    await submit_notice(notice.id, author, now, settings)
    await approve_notice(notice.id, approver, now, settings)
    await close_orm()
    return notice.id, openids


async def delivery_summary(database_url: str, notice_id: int) -> dict[str, Any]:
    """Delivery counts, and what became of template sends cut off by the kill."""
    from config import broadcasts as texts
    from handlers.broadcasts.sending import RESEND_SUFFIX
    from models import Notice, NoticeDelivery, OutboxMessage
    from models.database import close_orm, init_orm

    await init_orm(database_url)
    try:
        rows = await NoticeDelivery.filter(notice_id=notice_id).values_list("status", flat=True)
        counts: dict[str, int] = {}
        for status in rows:
            counts[str(status)] = counts.get(str(status), 0) + 1
        notice = await Notice.get(id=notice_id)
        mine = OutboxMessage.filter(dedup_key__startswith=f"notice:{notice_id}:")
        return {
            "status": str(notice.status),
            "deliveries": counts,
            "cut_off": await mine.filter(last_error=texts.AWAITING_REPORT).count(),
            "resent": await mine.filter(dedup_key__endswith=RESEND_SUFFIX).count(),
            "given_up": await NoticeDelivery.filter(
                notice_id=notice_id, reason=texts.UNKNOWN_OUTCOME
            ).count(),
        }
    finally:
        await close_orm()


async def push_template_reports(database_url: str, api: str, notice_id: int) -> int:
    """Play WeChat's part: a TEMPLATESENDJOBFINISH for each template message the fake accepted
    whose delivery still waits for one (as /wechat/mp would record it). Those the fake never got
    get no report, and the sender's sweep sends them once more when the wait is over."""
    from handlers.broadcasts.sending import record_template_job_finish
    from models import NoticeDelivery
    from models.database import close_orm, init_orm

    await init_orm(database_url)
    try:
        reported = 0
        waiting = await NoticeDelivery.filter(notice_id=notice_id, status="unknown")
        for item in waiting:
            sent = fake_json(api, f"/_fake/sent?openid={item.recipient}")["sent"]
            if sent:
                await record_template_job_finish(
                    item.recipient, f"report-{item.id}", "success", datetime.now(UTC)
                )
                reported += 1
        return reported
    finally:
        await close_orm()


def count_rows(database_url: str, notice_id: int, status: str | None = None) -> int:
    """Delivery rows of the notice (in one status), read beside the sender, not through it."""
    where = "notice_id = $1" + (" AND status = $2" if status else "")
    values: tuple[Any, ...] = (notice_id, status) if status else (notice_id,)
    rows = db_rows(database_url, "SELECT count(*) FROM notice_deliveries WHERE " + where, values)
    return int(rows[0][0])


# Processes


def start_sender(args: argparse.Namespace, db: str, api: str, notice: int) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--role",
        "sender",
        "--db",
        db,
        "--api",
        api,
        "--notice",
        str(notice),
        "--rate",
        str(args.rate),
        "--claim-seconds",
        str(args.claim_seconds),
        "--report-wait",
        str(args.report_wait),
    ]
    env = {**os.environ, "JIESU_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True, env=env)


@dataclass
class Window:
    """When the fake was receiving during one sending process's life."""

    first: float | None = None
    last: float | None = None
    first_count: int = 0
    last_count: int = 0

    def saw(self, count: int, at: float) -> None:
        if self.first is None:
            self.first, self.first_count = at, count
        if count != self.last_count or self.last is None:
            self.last, self.last_count = at, count

    @property
    def seconds(self) -> float:
        return (self.last - self.first) if self.first is not None and self.last else 0.0


def watch(
    sender: subprocess.Popen[str],
    api: str,
    args: argparse.Namespace,
    *,
    kill_when: int | None,
    db: str,
    notice: int,
) -> tuple[Window, float, bool]:
    """Poll the fake (and, for a fan-out kill, the database) until the sender exits, or kill it
    once its share is reached. Returns (receiving window, peak MB, killed)."""
    window = Window()
    peak = 0.0
    start_count = fake_json(api, "/_fake/received?summary=1")["deliveries"]
    armed_at: float | None = None
    reported_at, reports = 0.0, 0
    while True:
        now = time.monotonic()
        count = fake_json(api, "/_fake/received?summary=1")["deliveries"]
        if count > start_count or window.first is not None:
            window.saw(count, now)
        peak = max(peak, peak_mb(sender.pid))
        if kill_when is not None:
            if args.kill_in == "sending":
                reached = count
            else:
                reached = count_rows(db, notice)
            if reached >= kill_when and armed_at is None:
                armed_at = now
            # Sending: wait (a few seconds at most) for a moment with sends in flight, the
            # ambiguous case: a request WeChat may have taken that the sender never heard of.
            in_flight = armed_at is not None and (
                args.kill_in != "sending" or count_rows(db, notice, "sending") > 0
            )
            if armed_at is not None and (in_flight or now - armed_at > 5.0):
                peak = max(peak, peak_mb(sender.pid))
                sender.send_signal(signal.SIGKILL)
                sender.wait()
                return window, peak, True
        if kill_when is None and args.channel == "template" and now - reported_at >= 1.0:
            reports += asyncio.run(push_template_reports(db, api, notice))
            reported_at = now
        if sender.poll() is not None:
            window.saw(fake_json(api, "/_fake/received?summary=1")["deliveries"], time.monotonic())
            return window, peak, False
        time.sleep(args.poll)


@dataclass
class Result:
    backend: str
    channel: str
    recipients: int
    rate_setting: float
    answer_delay: float
    killed_in: str
    killed_at: int = 0  # fake deliveries (or rows written) at the kill
    in_flight_at_kill: int = 0  # deliveries marked sending (a request may have reached WeChat)
    sends_per_second: float = 0.0
    wall_seconds: float = 0.0
    first_run_seconds: float = 0.0
    second_run_seconds: float = 0.0
    peak_mb_killed: float = 0.0
    peak_mb_second: float = 0.0
    reached_zero: int = 0
    reached_twice: int = 0
    duplicates_refused: int = 0
    cut_off: int = 0  # template sends cut off by the kill (outcome unknown at the restart)
    resent: int = 0  # of those, WeChat (the fake) never reported them: sent once more
    given_up: int = 0  # cut off a second time: not sent again
    deliveries: dict[str, int] = field(default_factory=dict)
    notice_status: str = ""


def run(args: argparse.Namespace, db: str, backend: str) -> Result:
    notice, openids = asyncio.run(seed(db, args.recipients, args.channel))
    answer_delay = args.answer_delay
    if answer_delay is None:
        answer_delay = 0.5 if args.channel == "mass" else 0.02
    result = Result(backend, args.channel, args.recipients, args.rate, answer_delay, args.kill_in)
    with fake_wechat("--answer-delay", str(answer_delay)) as api:
        began = time.monotonic()
        first = start_sender(args, db, api, notice)
        share = int(args.recipients * args.kill_at)
        w1, peak1, killed = watch(first, api, args, kill_when=share, db=db, notice=notice)
        t1 = time.monotonic() - began
        result.killed_at = share if killed else 0
        result.in_flight_at_kill = count_rows(db, notice, "sending") if killed else 0
        result.first_run_seconds, result.peak_mb_killed = round(t1, 2), peak1
        restart = time.monotonic()
        second = start_sender(args, db, api, notice)
        w2, peak2, _ = watch(second, api, args, kill_when=None, db=db, notice=notice)
        out = second.stdout.read() if second.stdout else ""
        report = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        result.second_run_seconds = round(time.monotonic() - restart, 2)
        result.peak_mb_second = max(peak2, float(report.get("peak_mb", 0.0)))
        result.wall_seconds = round(time.monotonic() - began, 2)
        received = fake_json(api, "/_fake/received")
        counts: dict[str, int] = received["received"]
        result.reached_zero = sum(1 for o in openids if counts.get(o, 0) == 0)
        result.reached_twice = sum(1 for o in openids if counts.get(o, 0) >= 2)
        result.duplicates_refused = int(received.get("duplicate_mass_sends", 0))
        reached = sum(counts.get(o, 0) for o in openids)
        busy = w1.seconds + w2.seconds
        result.sends_per_second = round(reached / busy, 1) if busy else 0.0
        summary = asyncio.run(delivery_summary(db, notice))
        result.deliveries = summary["deliveries"]
        result.notice_status = summary["status"]
        result.cut_off, result.resent = summary["cut_off"], summary["resent"]
        result.given_up = summary["given_up"]
    return result


def print_result(r: Result) -> None:
    lines = [
        f"broadcast to {r.recipients} residents over {r.channel} on {r.backend}, "
        f"JIESU_OUTBOUND_RATE_PER_SECOND={r.rate_setting:g}, fake answers held {r.answer_delay} s",
        f"  SIGKILL of the sender in {r.killed_in} at {r.killed_at} "
        f"({'recipients reached' if r.killed_in == 'sending' else 'delivery rows written'}), "
        f"{r.in_flight_at_kill} deliveries in flight",
        f"  sends/s while sending     {r.sends_per_second:,.1f}",
        f"  wall time                 {r.wall_seconds} s (killed run {r.first_run_seconds} s, "
        f"second run {r.second_run_seconds} s)",
        f"  peak memory of sender     {r.peak_mb_killed} MB (killed), {r.peak_mb_second} MB "
        "(second)",
        f"  reached zero times        {r.reached_zero}",
        f"  reached twice or more     {r.reached_twice}",
        f"  resends refused by clientmsgid (45065)  {r.duplicates_refused}",
        f"  template sends cut off by the kill      {r.cut_off} (reported by WeChat as "
        f"arrived: {r.cut_off - r.resent}, never arrived and sent once more: {r.resent}, "
        f"given up: {r.given_up})",
        f"  deliveries {json.dumps(r.deliveries, sort_keys=True)}; notice {r.notice_status}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--role", choices=["bench", "sender"], default="bench")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--channel", choices=["mass", "template"], default="mass")
    parser.add_argument("--rate", type=float, default=None, help="outbound sends/s (setting)")
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument("--kill-in", choices=["sending", "fanout"], default="sending")
    parser.add_argument("--answer-delay", type=float, default=None)
    parser.add_argument("--claim-seconds", type=float, default=10.0)
    parser.add_argument(
        "--report-wait", type=float, default=15.0, help="JIESU_BROADCAST_REPORT_WAIT_SECONDS"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--poll", type=float, default=0.05)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--notice", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rate is None:
        from config.settings import Settings

        args.rate = Settings(_env_file=None).outbound_rate_per_second  # type: ignore[call-arg]
    if args.role == "sender":
        asyncio.run(run_sender(args))
        return
    with bench_database(args.backend) as (db, _):
        result = run(args, db, args.backend)
    if args.json:
        sys.stdout.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
    else:
        print_result(result)


if __name__ == "__main__":
    main()
