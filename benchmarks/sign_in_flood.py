"""A sign-in flood: clients posting wrong passwords to ``POST /api/admin/session`` as fast as
they are answered, each attempt from the next of many client addresses (``X-Forwarded-For``; the
service must trust 127.0.0.1 as its proxy, ``JIESU_TRUSTED_PROXIES``), so that the per-address
limit does not stop the flood and every admitted attempt costs a password hash.

``intake.py --sign-in-flood N`` runs it in a process of its own (:func:`flooding`) beside the
chat load, so that the flood's client work does not slow the load's own measurements. Run alone:
``python -m benchmarks.sign_in_flood URL CLIENTS SECONDS ADDRESSES``; it prints one JSON object.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.figures import percentile  # noqa: E402


@dataclass
class FloodStats:
    clients: int = 0
    addresses: int = 0
    seconds: float = 0.0
    attempts: int = 0
    per_second: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)  # "401": n, "503": n, "error": n
    p50_ms: float = 0.0
    p99_ms: float = 0.0


def address(n: int) -> str:
    """The n-th flood address, in 10.0.0.0/8."""
    n %= 1 << 24
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


async def flood(url: str, clients: int, seconds: float, addresses: int) -> FloodStats:
    serial = itertools.count()
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop:
            i = next(serial)
            body = {"username": f"flood{i % 997}", "password": f"wrong password {i}"}
            headers = {"X-Forwarded-For": address(i % max(1, addresses))}
            began = time.perf_counter()
            try:
                async with session.post(url, json=body, headers=headers) as response:
                    await response.read()
                    statuses[str(response.status)] += 1
            except (aiohttp.ClientError, TimeoutError):
                statuses["error"] += 1
                await asyncio.sleep(0.01)
            latencies.append((time.perf_counter() - began) * 1000)

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    began = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    took = time.perf_counter() - began
    attempts = sum(statuses.values())
    return FloodStats(
        clients=clients,
        addresses=addresses,
        seconds=round(took, 2),
        attempts=attempts,
        per_second=round(attempts / took, 1) if took else 0.0,
        statuses=dict(sorted(statuses.items())),
        p50_ms=round(percentile(latencies, 50), 1),
        p99_ms=round(percentile(latencies, 99), 1),
    )


@contextmanager
def flooding(url: str, clients: int, seconds: float, addresses: int) -> Iterator[dict[str, Any]]:
    """Flood ``url`` from a process of its own for ``seconds``; the dict yielded is filled with
    the flood's figures (:class:`FloodStats`) once the block ends and the flood has finished."""
    cmd = [sys.executable, "-m", "benchmarks.sign_in_flood", url, str(clients)]
    proc = subprocess.Popen(
        [*cmd, str(seconds), str(addresses)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    figures: dict[str, Any] = {}
    try:
        yield figures
        out, _ = proc.communicate(timeout=seconds + 60)
        figures.update(json.loads(out))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main() -> int:
    url, clients, seconds, addresses = sys.argv[1:5]
    stats = asyncio.run(flood(url, int(clients), float(seconds), int(addresses)))
    print(json.dumps(asdict(stats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
