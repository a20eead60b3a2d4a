"""Intake throughput: signed text messages that each create a case, against a bare baseline.

Run from the repository: ``python benchmarks/intake.py [--seconds 10] [--concurrency 8]
[--backend sqlite|postgres|both] [--json]``. For each backend it migrates a fresh database with
the demo district (``jiesu migrate --demo``), measures a bare aiohttp endpoint that answers
"success", then ``jiesu serve`` in its own process, with this process as the load generator.
Every message comes from a new openid, so each one must create exactly one case; afterwards the
cases are counted in the database and matched to the case numbers the replies carried.
PostgreSQL runs against 127.0.0.1:5432 (user postgres) in a throwaway database.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.wechat.signing import message_xml, signed_query  # noqa: E402

TOKEN = "benchtoken123"
PG_URL = "postgres://postgres@127.0.0.1:5432"
WARMUP_SECONDS = 1.0
TARGET_RATIO, TARGET_P99_MS = 0.20, 100.0
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
class Load:
    sent: int = 0  # every request, warm-up included
    measured: int = 0
    rate: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    first_ms: float = 0.0  # the very first request, before warm-up
    without_number: int = 0  # 200 answers with no case number in them
    numbers: dict[str, str] = field(default_factory=dict, repr=False)  # openid -> case number


def bare_app() -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="success")

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/wechat/mp", receive)
    app.router.add_get("/healthz", health)
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def run_load(url: str, seconds: float, concurrency: int, tag: str) -> Load:
    serial = itertools.count()
    samples: list[tuple[float, float, bool]] = []  # (started, latency, ok)
    result = Load()
    msg_base = int(time.time() * 1000) * 1000

    async def send(session: aiohttp.ClientSession) -> tuple[float, float, bool]:
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
    latencies = [lat * 1000 for begin, lat, ok in samples if begin >= measure_from and ok]
    result.first_ms = first[1] * 1000
    result.sent = len(samples)
    result.errors = sum(1 for _, _, ok in samples if not ok)
    result.measured = sum(1 for begin, _, _ in samples if begin >= measure_from)
    result.rate = len(latencies) / seconds
    result.p50_ms, result.p99_ms = percentile(latencies, 50), percentile(latencies, 99)
    return result


@contextmanager
def running(cmd: list[str], env: dict[str, str], cwd: Path, log: Path, port: int) -> Iterator[None]:
    """Start a server process, wait for GET /healthz, and always stop it."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[:3]} exited {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[:3]} not healthy after 60 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(
    cmd: list[str], env: dict[str, str], log: Path, args: argparse.Namespace, tag: str
) -> Load:
    """Serve ``cmd PORT`` on a free port and load it from this process."""
    port = free_port()
    with running([*cmd, str(port)], env, log.parent, log, port):
        url = f"http://127.0.0.1:{port}/wechat/mp"
        return asyncio.run(run_load(url, args.seconds, args.concurrency, tag))


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(f"{PG_URL}/test")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


def db_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            return list(conn.execute(sql).fetchall())
    return asyncio.run(pg_rows(url, sql))


def check_cases(url: str, load: Load) -> dict[str, Any]:
    """Match the cases stored to the case numbers the 200 answers carried."""
    cases = db_rows(
        url, "SELECT r.openid, c.number FROM cases c LEFT JOIN residents r ON r.id = c.resident_id"
    )
    inbound = dict(db_rows(url, "SELECT status, count(*) FROM inbound_messages GROUP BY status"))
    stored = {number: openid for openid, number in cases}
    per_resident = len(cases) - len({openid for openid, _ in cases})
    replied = list(load.numbers.values())
    lost = sum(1 for o, n in load.numbers.items() if stored.get(n) != o) + load.without_number
    return {
        "cases": len(cases),
        "answered_with_case": len(replied),
        "lost": lost,
        "doubled": per_resident + len(replied) - len(set(replied)),
        "cases_without_answer": sum(1 for o in stored.values() if o not in load.numbers),
        "inbound": inbound,
    }


def log_problems(log: Path) -> list[str]:
    words = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Exception")
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if any(word in line for word in words)]


@contextmanager
def bench_database(backend: str) -> Iterator[tuple[str, Path]]:
    """A fresh database of ``backend`` (a throwaway PostgreSQL one is dropped afterwards) and
    a temporary working folder: (database URL, folder)."""
    db_name = f"jiesu_bench_{secrets.token_hex(4)}"
    created_db = False
    with tempfile.TemporaryDirectory(prefix="jiesu-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            if backend == "postgres":
                asyncio.run(pg_admin(f'CREATE DATABASE "{db_name}"'))
                created_db = True
                url = f"{PG_URL}/{db_name}"
            else:
                url = f"sqlite://{tmp / 'jiesu.sqlite3'}"
            yield url, tmp
        finally:
            if created_db:
                asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


def jiesu_command() -> str:
    return shutil.which("jiesu", path=str(Path(sys.executable).parent)) or "jiesu"


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    jiesu = jiesu_command()
    with bench_database(backend) as (url, tmp):
        env = {**os.environ, **SERVICE_ENV, "JIESU_DATABASE_URL": url}
        migrate = [jiesu, "migrate", "--demo"]
        subprocess.run(migrate, env=env, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        bare_cmd = [sys.executable, str(Path(__file__).resolve()), "--bare-server"]
        bare = measure(bare_cmd, env, tmp / "bare.log", args, "bare")
        log = tmp / "serve.log"
        intake = measure([jiesu, "serve", "--port"], env, log, args, backend)
        counts = check_cases(url, intake)
        problems = log_problems(log)
    ratio = intake.rate / bare.rate if bare.rate else 0.0
    checks = {
        "ratio": ratio >= TARGET_RATIO,
        "p99": 0 < intake.p99_ms < TARGET_P99_MS,
        "lost": counts["lost"] == 0,
        "doubled": counts["doubled"] == 0,
    }
    return {
        "backend": backend,
        "intake": asdict(intake) | {"numbers": len(intake.numbers)},
        "bare": asdict(bare) | {"numbers": len(bare.numbers)},
        "ratio": round(ratio, 4),
        **counts,
        "log_problems": len(problems),
        "log_sample": problems[:10],
        "checks": checks,
        "pass": all(checks.values()),
    }


def load_line(name: str, load: dict[str, Any]) -> str:
    return (
        f"  {name:<7} {load['sent']} sent ({load['measured']} measured), {load['rate']:.1f} msg/s, "
        f"p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, errors {load['errors']}, "
        f"first request {load['first_ms']:.0f} ms"
    )


def report(result: dict[str, Any]) -> None:
    failed = [name for name, ok in result["checks"].items() if not ok]
    print(f"== {result['backend']} ==")
    print(load_line("intake:", result["intake"]))
    print(load_line("bare:", result["bare"]))
    print(f"  ratio intake/bare: {result['ratio']:.3f} (target >= {TARGET_RATIO})")
    print(
        f"  cases: {result['cases']} counted, {result['answered_with_case']} answered with a "
        f"number, lost {result['lost']}, doubled {result['doubled']}, cases without a 200 "
        f"answer {result['cases_without_answer']}, inbound {result['inbound']}"
    )
    print(f"  service log: {result['log_problems']} warning/error lines")
    for line in result["log_sample"]:
        print(f"    {line[:200]}")
    verdict = "PASS" if result["pass"] else "FAIL (" + ", ".join(failed) + ")"
    print(f"  {verdict}: ratio >= {TARGET_RATIO}, p99 < {TARGET_P99_MS:.0f} ms, none lost/doubled")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        web.run_app(bare_app(), host="127.0.0.1", port=args.bare_server, print=None)
        return 0
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        results.append(bench_backend(backend, args))
        if not args.json:
            report(results[-1])
    if args.json:
        payload = {"seconds": args.seconds, "concurrency": args.concurrency, "results": results}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
