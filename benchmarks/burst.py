"""A burst absorbed: thousands of residents write within seconds, against PostgreSQL.

Run from the repository: ``python benchmarks/burst.py [--residents 5000] [--window 5]
[--concurrency 64] [--processes 1,2] [--no-baseline] [--deadline 60] [--json]``.

Each resident (a new openid) sends one signed text message to ``POST /wechat/mp`` of ``jiesu
serve``; message i is due at ``i × window / residents`` seconds and sent as soon as one of
``--concurrency`` connections is free (WeChat's side of the burst; this process is the load
generator). Every run has a fresh PostgreSQL database with the demo district
(``jiesu migrate --demo``) and sandbox outbound (the outbox is drained into the database). Per
run it prints:

- every HTTP answer's p50/p99/max (request start to answer) and how many were over WeChat's
  5 s; how long the sending took (the window actually achieved);
- how the answers went: acknowledged ("已收到，编号 N") or the full answer in the request;
- when every message had become a case (routed to a unit, merged into an open case, or other),
  counted from the burst's start, against ``--deadline``, and the full path's throughput
  (messages / that time);
- lost (a message with no case), doubled (a resident with two cases, or two answers in the
  outbox), told once (each resident got exactly one answer carrying the outcome: the full
  passive reply, or the acknowledgement and one outbox message), and acknowledged cases whose
  number differs from the one told.

The baseline is the same code with ``JIESU_INTAKE_ADMISSION=false``: every request does the full
work as before this change (today's intake: the reply budget of 3.5 s, then "正在登记" and the
answer through the outbox), on one process, in the same run. Then admission on, for each count of
``--processes``: the scaling of the full path from 1 to 2 processes. Exits 0 whatever the result;
figures vary on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.chat_load import SERVICE_ENV, TEMPLATES, TOKEN  # noqa: E402
from benchmarks.databases import bench_database, pg_rows  # noqa: E402
from benchmarks.figures import percentile, verdict  # noqa: E402
from benchmarks.seeding import jiesu_migrate_demo  # noqa: E402
from benchmarks.servers import free_port, jiesu_command, running  # noqa: E402
from bot.wechat.parsing import parse_xml_fields  # noqa: E402
from bot.wechat.signing import message_xml, signed_query  # noqa: E402

WECHAT_SECONDS = 5.0
ACK = re.compile(r"^已收到，编号 (\d{10,})。正在登记")
NUMBER = re.compile(r"(\d{10,})")
STALL_SECONDS = 60.0  # waiting for the cases ends when none came for this long
CHILDREN_SETTLE_SECONDS = 5.0  # after /healthz answers, for the other children to listen too


@dataclass
class Answer:
    openid: str
    seconds: float
    ok: bool
    text: str = ""


@dataclass
class Run:
    label: str
    processes: int
    admission: bool
    sent: int = 0
    errors: int = 0
    send_seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    over_5s: int = 0
    acknowledged: int = 0
    answered_in_full: int = 0
    other_answers: int = 0
    all_cases_seconds: float | None = None  # from the burst's start; None: some never came
    full_path_per_second: float = 0.0
    routed: int = 0
    merged: int = 0
    other_cases: int = 0
    lost: int = 0
    doubled: int = 0
    told_once: int = 0
    number_mismatches: int = 0
    notes: list[str] = field(default_factory=list)


async def burst(url: str, residents: int, window: float, concurrency: int) -> tuple[list, float]:
    """Send the burst; returns the answers and how long the sending took."""
    serial = itertools.count()
    answers: list[Answer] = []
    msg_base = int(time.time() * 1000) * 1000
    began = time.perf_counter()

    async def sender(session: aiohttp.ClientSession) -> None:
        while (i := next(serial)) < residents:
            due = began + i * window / residents
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            openid = f"o-burst-{i}"
            text = TEMPLATES[i % len(TEMPLATES)].format(n=i % 40 + 1)
            body = message_xml(openid, "text", {"Content": text, "MsgId": msg_base + i})
            start = time.perf_counter()
            answer = Answer(openid, 0.0, False)
            try:
                query = signed_query(TOKEN)
                async with session.post(url, params=query, data=body.encode()) as response:
                    reply = await response.text()
                    answer.ok = response.status == 200
                    if answer.ok and reply != "success":
                        answer.text = str(parse_xml_fields(reply).get("Content", ""))
            except (aiohttp.ClientError, TimeoutError):
                pass
            answer.seconds = time.perf_counter() - start
            answers.append(answer)

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(sender(session) for _ in range(concurrency)))
    return answers, time.perf_counter() - began


async def wait_for_cases(db: str, residents: int, started: float, stall: float) -> float | None:
    """Seconds from ``started`` until every message was answered; None if it stopped getting
    anywhere (nothing more answered for ``stall`` seconds)."""
    done, moved_at = -1, time.perf_counter()
    while True:
        rows = await pg_rows(db, "SELECT count(*) FROM inbound_messages WHERE status = 'answered'")
        now = time.perf_counter()
        if int(rows[0][0]) >= residents:
            return now - started
        if int(rows[0][0]) != done:
            done, moved_at = int(rows[0][0]), now
        elif now - moved_at > stall:
            return None
        await asyncio.sleep(0.25)


async def count_outcomes(db: str, run: Run, answers: list[Answer], residents: int) -> None:
    cases = await pg_rows(
        db,
        "SELECT r.openid, c.number, c.status, c.unit_id FROM cases c "
        "JOIN residents r ON r.id = c.resident_id",
    )
    per_resident = Counter(row[0] for row in cases)
    run.doubled = sum(1 for n in per_resident.values() if n > 1)
    for _, _, status, unit_id in cases:
        if status == "merged":
            run.merged += 1
        elif unit_id is not None:
            run.routed += 1
        else:
            run.other_cases += 1
    with_case = await pg_rows(
        db,
        "SELECT openid, reserved_number FROM inbound_messages WHERE case_id IS NOT NULL "
        "AND status = 'answered'",
    )
    run.lost = residents - len({row[0] for row in with_case})
    numbers = {row[0]: row[1] for row in cases}
    run.number_mismatches = sum(
        1
        for openid, reserved in with_case
        if reserved and openid in numbers and numbers[openid] != reserved
    )
    outbox = Counter(
        row[0] for row in await pg_rows(db, "SELECT recipient FROM outbox WHERE purpose = 'reply'")
    )
    run.doubled += sum(1 for n in outbox.values() if n > 1)
    told = Counter(outbox)
    for answer in answers:
        if answer.ok and NUMBER.search(answer.text) and not ACK.match(answer.text):
            told[answer.openid] += 1  # the full answer, passively (正在登记 is not one)
    run.told_once = sum(1 for i in range(residents) if told[f"o-burst-{i}"] == 1)
    passive = {answer.openid: answer.text for answer in answers}
    for openid in (f"o-burst-{i}" for i in range(residents)):
        if told[openid] != 1 and len(run.notes) < 3:
            run.notes.append(
                f"{openid}: {outbox[openid]} outbox answers, passive {passive.get(openid)!r:.40}"
            )


def measure(args: argparse.Namespace, processes: int, admission: bool, label: str) -> Run:
    run = Run(label, processes, admission)
    with bench_database("postgres") as (db, tmp):
        env = {
            **os.environ,
            **SERVICE_ENV,
            # The pool of each process (tortoise's default is 5), the same for every run.
            "JIESU_DATABASE_URL": f"{db}?maxsize={args.pool}",
            "JIESU_VAR_DIR": str(tmp / "var"),
            "JIESU_INTAKE_ADMISSION": "true" if admission else "false",
            "PYTHONPATH": str(REPO),  # this checkout's code, not an installed copy
        }
        jiesu_migrate_demo(env, REPO)
        port = free_port()
        command = [jiesu_command(), "serve", "--port", str(port), "--processes", str(processes)]
        log = tmp / "serve.log"
        with running(command, env, REPO, log, port):
            if processes > 1:
                time.sleep(CHILDREN_SETTLE_SECONDS)
            url = f"http://127.0.0.1:{port}/wechat/mp"

            async def go() -> tuple[list[Answer], float, float | None]:
                started = time.perf_counter()
                answers, sending = await burst(url, args.residents, args.window, args.concurrency)
                done = await wait_for_cases(db, args.residents, started, STALL_SECONDS)
                return answers, sending, done

            answers, run.send_seconds, run.all_cases_seconds = asyncio.run(go())
            time.sleep(2.0)  # the outbox drains; a late second answer would show
            asyncio.run(count_outcomes(db, run, answers, args.residents))
    latencies = [a.seconds * 1000 for a in answers if a.ok]
    run.sent = len(answers)
    run.errors = sum(1 for a in answers if not a.ok)
    run.p50_ms = round(percentile(latencies, 50), 1)
    run.p99_ms = round(percentile(latencies, 99), 1)
    run.max_ms = round(max(latencies, default=0.0), 1)
    run.over_5s = sum(1 for a in answers if not a.ok or a.seconds > WECHAT_SECONDS)
    run.acknowledged = sum(1 for a in answers if ACK.match(a.text))
    run.answered_in_full = sum(
        1 for a in answers if a.ok and NUMBER.search(a.text) and not ACK.match(a.text)
    )
    run.other_answers = run.sent - run.acknowledged - run.answered_in_full
    run.send_seconds = round(run.send_seconds, 2)
    if run.all_cases_seconds is not None:
        run.full_path_per_second = round(args.residents / run.all_cases_seconds, 1)
        run.all_cases_seconds = round(run.all_cases_seconds, 1)
    return run


def report(run: Run, args: argparse.Namespace) -> None:
    done = run.all_cases_seconds
    print(f"\n{run.label} ({run.processes} process{'es' if run.processes > 1 else ''})")
    print(
        f"  sent {run.sent} in {run.send_seconds} s ({args.concurrency} connections), "
        f"errors {run.errors}"
    )
    print(
        f"  HTTP answer p50 {run.p50_ms} ms, p99 {run.p99_ms} ms, max {run.max_ms} ms; "
        f"over 5 s or failed: {run.over_5s} [{verdict(run.over_5s == 0)}]"
    )
    print(
        f"  answers: {run.acknowledged} acknowledged, {run.answered_in_full} in full, "
        f"{run.other_answers} other (e.g. 正在登记 at the reply budget)"
    )
    within = done is not None and done <= args.deadline
    print(
        f"  every message answered after {done if done is not None else 'never'} s "
        f"(goal {args.deadline:g} s) [{verdict(within)}]: cases {run.routed} routed, "
        f"{run.merged} merged, {run.other_cases} other; full path {run.full_path_per_second} msg/s"
    )
    print(
        f"  lost {run.lost} [{verdict(run.lost == 0)}], doubled {run.doubled} "
        f"[{verdict(run.doubled == 0)}], told once {run.told_once}/{args.residents} "
        f"[{verdict(run.told_once == args.residents)}], numbers not as told "
        f"{run.number_mismatches} [{verdict(run.number_mismatches == 0)}]"
    )
    for note in run.notes:
        print(f"  e.g. {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--window", type=float, default=5.0, help="seconds the burst is due in")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--processes", default="1,2", help="with admission: comma list")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--deadline", type=float, default=60.0)
    parser.add_argument("--pool", type=int, default=20, help="connections per process")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = []
    if not args.no_baseline:
        runs.append(measure(args, 1, False, "baseline: admission off (every request works)"))
        report(runs[-1], args)
    for count in (int(part) for part in args.processes.split(",") if part.strip()):
        runs.append(measure(args, count, True, "admission on"))
        report(runs[-1], args)
    on = [run for run in runs if run.admission and run.full_path_per_second]
    if len(on) > 1:
        first, last = on[0], on[-1]
        print(
            f"\nfull path {first.processes} -> {last.processes} processes: "
            f"{first.full_path_per_second} -> {last.full_path_per_second} msg/s "
            f"(x{last.full_path_per_second / first.full_path_per_second:.2f})"
        )
    if args.json:
        print(json.dumps([asdict(run) for run in runs], ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
