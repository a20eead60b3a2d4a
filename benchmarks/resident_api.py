"""The mini-program's case submission against the official-account chat, in the same run.

Run from the repository: ``python benchmarks/resident_api.py [--seconds 10] [--concurrency 8]
[--residents 200] [--backend sqlite|postgres|both] [--json]``. For each backend it migrates a
fresh database with the demo district, starts ``jiesu serve --demo`` (whose ``demo-<name>``
sign-in needs no WeChat) with the per-resident limits lifted, and from this process measures:

1. the chat: signed text messages to ``/wechat/mp``, each from a new openid (the baseline,
   the same load as ``benchmarks/intake.py``);
2. submissions: ``POST /api/resident/cases`` with a fresh ``request_id`` each, spread over
   ``--residents`` signed-in residents;
3. retries: every submission of step 2 sent again with its ``request_id``, which must answer
   the stored case and make none.

It prints requests/s, p50 and p99 of each, the ratio of submissions to chat messages per
second, and checks in the database that every submission made exactly one case (none lost,
none doubled by the retries).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.chat_load import (  # noqa: E402  (the chat's load, as intake.py sends it)
    SERVICE_ENV,
    TEMPLATES,
    WARMUP_SECONDS,
    Load,
    run_load,
)
from benchmarks.databases import bench_database, db_rows  # noqa: E402
from benchmarks.figures import Sample, Throughput  # noqa: E402
from benchmarks.seeding import jiesu_migrate_demo  # noqa: E402
from benchmarks.servers import free_port, jiesu_command, running  # noqa: E402

LIFTED = {
    "JIESU_RESIDENT_CASES_PER_HOUR": "100000000",
    "JIESU_RESIDENT_CASES_PER_DAY": "100000000",
    "JIESU_RESIDENT_REQUESTS_PER_MINUTE": "100000000",
}


@dataclass
class ApiLoad(Throughput):
    numbers: dict[str, str] = field(default_factory=dict, repr=False)  # request_id -> number


async def sign_in(session: aiohttp.ClientSession, base: str, count: int) -> list[str]:
    tokens = []
    for i in range(count):
        body = {"code": f"demo-bench{i}"}
        async with session.post(f"{base}/api/resident/session", json=body) as response:
            assert response.status in (200, 201), await response.text()
            tokens.append((await response.json())["token"])
    return tokens


async def submit_load(
    base: str,
    tokens: list[str],
    seconds: float,
    concurrency: int,
    replay: dict[str, tuple[str, str]] | None = None,
) -> tuple[ApiLoad, dict[str, tuple[str, str]]]:
    """Submit for ``seconds`` (new request_ids), or send every submission of ``replay`` again."""
    serial = itertools.count()
    samples: list[Sample] = []
    result = ApiLoad()
    made: dict[str, tuple[str, str]] = {}  # request_id -> (token, text)
    queue = list(replay.items()) if replay is not None else []

    def next_submission() -> tuple[str, str, str] | None:
        if replay is not None:
            if not queue:
                return None
            request_id, (token, text) = queue.pop()
            return request_id, token, text
        i = next(serial)
        text = TEMPLATES[i % len(TEMPLATES)].format(n=i % 40 + 1) + f"（第{i}次反映）"
        return f"bench-{i:08d}-{secrets.token_hex(4)}", tokens[i % len(tokens)], text

    async def send(session: aiohttp.ClientSession) -> bool:
        picked = next_submission()
        if picked is None:
            return False
        request_id, token, text = picked
        made[request_id] = (token, text)
        body = {"request_id": request_id, "text": text}
        headers = {"Authorization": f"Bearer {token}"}
        ok, begin = False, time.perf_counter()
        try:
            url = f"{base}/api/resident/cases"
            async with session.post(url, json=body, headers=headers) as response:
                answer = await response.json()
                ok = response.status in (200, 201)
                if ok:
                    result.numbers[request_id] = answer["case"]["number"]
        except (aiohttp.ClientError, TimeoutError, ValueError):
            pass
        samples.append((begin, time.perf_counter() - begin, ok))
        return True

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop and await send(session):
            pass

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        measure_from = time.perf_counter() + (0.0 if replay is not None else WARMUP_SECONDS)
        stop = measure_from + (seconds if replay is None else 3600.0)
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - max(measure_from, started)
    result.count(samples, measure_from, seconds if replay is None else max(elapsed, 1e-9))
    return result, made


async def measure_api(
    base: str, args: argparse.Namespace
) -> tuple[ApiLoad, ApiLoad, dict[str, tuple[str, str]]]:
    async with aiohttp.ClientSession() as session:
        tokens = await sign_in(session, base, args.residents)
    first, made = await submit_load(base, tokens, args.seconds, args.concurrency)
    again, _ = await submit_load(base, tokens, args.seconds, args.concurrency, replay=made)
    mismatched = sum(
        1 for rid, number in again.numbers.items() if first.numbers.get(rid) not in (None, number)
    )
    again.errors += mismatched
    return first, again, made


def api_cases(url: str) -> int:
    rows = db_rows(url, "SELECT count(*) FROM cases WHERE channel = 'miniprogram'")
    return int(rows[0][0])


def api_inbound(url: str) -> int:
    rows = db_rows(url, "SELECT count(*) FROM inbound_messages WHERE channel = 'resident_api'")
    return int(rows[0][0])


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    jiesu = jiesu_command()
    with bench_database(backend) as (url, tmp):
        env = {
            **os.environ,
            **SERVICE_ENV,
            **LIFTED,
            "JIESU_DATABASE_URL": url,
            "JIESU_UPLOAD_DIR": str(tmp / "uploads"),
        }
        jiesu_migrate_demo(env, tmp)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [jiesu, "serve", "--demo", "--port", str(port)]
        with running(command, env, tmp, tmp / "serve.log", port):
            chat: Load = asyncio.run(
                run_load(f"{base}/wechat/mp", args.seconds, args.concurrency, backend)
            )
            first, again, made = asyncio.run(measure_api(base, args))
        cases = api_cases(url)
        inbound = api_inbound(url)
    answered = len(first.numbers)
    ratio = first.rate / chat.rate if chat.rate else 0.0
    return {
        "backend": backend,
        "chat": asdict(chat) | {"numbers": len(chat.numbers)},
        "submit": asdict(first) | {"numbers": answered},
        "retry": asdict(again) | {"numbers": len(again.numbers)},
        "ratio_submit_to_chat": round(ratio, 3),
        "submissions": len(made),
        "stored_submissions": inbound,
        "cases_made": cases,
        "lost": len(made) - inbound,
        "doubled": cases - answered if cases > answered else 0,
    }


def line(name: str, load: dict[str, Any]) -> str:
    return (
        f"  {name:<8} {load['sent']} sent ({load['measured']} measured), {load['rate']:.1f}/s, "
        f"p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, errors {load['errors']}"
    )


def report(result: dict[str, Any]) -> None:
    print(f"== {result['backend']} ==")
    print(line("chat:", result["chat"]))
    print(line("submit:", result["submit"]))
    print(line("retry:", result["retry"]))
    print(f"  ratio submit/chat: {result['ratio_submit_to_chat']:.3f}")
    print(
        f"  submissions {result['submissions']}, stored {result['stored_submissions']}, cases "
        f"{result['cases_made']}: lost {result['lost']}, doubled by retries {result['doubled']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        results.append(bench_backend(backend, args))
        if not args.json:
            report(results[-1])
    if args.json:
        print(json.dumps({"results": results}, ensure_ascii=False, indent=2))
    return 0 if all(r["lost"] == 0 and r["doubled"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
