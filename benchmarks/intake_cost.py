"""What one message costs the machine, for ``intake.py``: CPU of the app and of PostgreSQL's
backends read from ``/proc``, and the database round trips it takes.

- **CPU**: ``utime + stime`` of the ``jiesu serve`` process (and any children) and of every
  PostgreSQL backend connected to the benchmark's database (``pg_stat_activity``, this
  process's own monitoring connection left out), read at the start and the end of the measured
  window. A backend that appears during the window counts from zero.
- **Round trips on PostgreSQL**: the service is started against :class:`CountingProxy`, a TCP
  relay in this process that reads the frontend side of the wire protocol and counts what the
  server answers as a unit: each ``Sync`` (the end of an extended-protocol exchange: a prepared
  statement's run, or its preparation) and each simple ``Query`` (``BEGIN``, ``COMMIT``, the
  pool's reset). These are the messages the server itself counts as requests; the server's own
  ``pg_stat_database.xact_commit`` is printed beside them as a cross-check of transactions.
  (``pg_stat_statements`` needs ``shared_preload_libraries`` and a server restart, which a shared
  server does not allow.) An ``SSLRequest`` is answered "no" by the relay, so the client talks
  in clear and every message can be read.
- **Statements on SQLite**: ``sitecustomize.py`` written to a folder put first on the service's
  ``PYTHONPATH`` (:func:`sqlite_counter_env`): with ``JIESU_BENCH_STATEMENTS=<file>`` it sets a
  trace callback on every ``sqlite3`` connection the process opens (aiosqlite's thread included)
  that counts each statement SQLite runs (``BEGIN``, ``SAVEPOINT`` and ``COMMIT`` included;
  not the ``SELECT last_insert_rowid()`` aiosqlite runs in the same call as each INSERT), and
  writes the count to the file on ``SIGUSR1``. Nothing in the product changes, so the same
  counting works on the baseline tree.

The counting runs are separate from the timed runs (a relay or a trace callback adds latency).
"""

from __future__ import annotations

import asyncio
import os
import signal
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SSL_REQUEST, GSS_REQUEST = 80877103, 80877104

SITECUSTOMIZE = '''\
"""Benchmark hook (benchmarks/intake_cost.py): count the statements SQLite runs."""
import os

_PATH = os.environ.get("JIESU_BENCH_STATEMENTS")
if _PATH:
    import itertools
    import signal
    import sqlite3

    _counter = itertools.count()
    _seen = [0]
    _connect = sqlite3.connect

    def _trace(statement):
        # aiosqlite reads the new rowid in the same call as the INSERT: not a trip of its own.
        if statement != "SELECT last_insert_rowid()":
            _seen[0] = next(_counter) + 1

    def connect(*args, **kwargs):
        conn = _connect(*args, **kwargs)
        conn.set_trace_callback(_trace)
        return conn

    sqlite3.connect = connect

    def _write(*_):
        with open(_PATH, "w") as out:
            out.write(str(_seen[0]))

    signal.signal(signal.SIGUSR1, _write)
'''


def sqlite_counter_env(folder: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` for a service whose SQLite statements are counted (read with
    :func:`read_sqlite_count`)."""
    hook = folder / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = env.get("PYTHONPATH", "")
    return {
        **env,
        "PYTHONPATH": f"{hook}{os.pathsep}{path}" if path else str(hook),
        "JIESU_BENCH_STATEMENTS": str(folder / "statements.txt"),
    }


def read_sqlite_count(pid: int, env: dict[str, str]) -> int:
    """Ask the service (SIGUSR1) for its statement count so far."""
    path = Path(env["JIESU_BENCH_STATEMENTS"])
    path.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and (text := path.read_text().strip()):
            return int(text)
        time.sleep(0.01)
    raise RuntimeError("the service did not write its statement count")


# --- CPU from /proc ---------------------------------------------------------------------------


def process_ticks(pid: int) -> int:
    """utime + stime of ``pid`` in clock ticks (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                pass
    return found


@dataclass
class CpuSample:
    app: dict[int, int] = field(default_factory=dict)
    backends: dict[int, int] = field(default_factory=dict)
    commits: int = 0


class CpuMeter:
    """Reads the app's and the benchmark database's backends' CPU, and its committed
    transactions (``pg_stat_database``), at the start and the end of a window."""

    def __init__(self, app_pid: int, pg_url: str | None) -> None:
        self.app_pid = app_pid
        self.pg_url = pg_url
        self.conn: asyncpg.Connection | None = None
        self.start: CpuSample | None = None
        self.end: CpuSample | None = None

    async def sample(self) -> CpuSample:
        sample = CpuSample(app={p: process_ticks(p) for p in descendants(self.app_pid)})
        if self.pg_url is None:
            return sample
        if self.conn is None:
            self.conn = await asyncpg.connect(self.pg_url)
        await self.conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        sample.backends = {row["pid"]: process_ticks(row["pid"]) for row in rows}
        sample.commits = await self.conn.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        return sample

    async def begin(self) -> None:
        self.start = await self.sample()

    async def finish(self) -> None:
        self.end = await self.sample()
        if self.conn is not None:
            await self.conn.close()
            self.conn = None

    @staticmethod
    def _ms(before: dict[int, int], after: dict[int, int]) -> float:
        ticks = sum(max(0, after[p] - before.get(p, 0)) for p in after)
        return ticks * 1000 / CLOCK_TICKS

    def app_ms(self) -> float:
        assert self.start and self.end
        return self._ms(self.start.app, self.end.app)

    def pg_ms(self) -> float:
        assert self.start and self.end
        return self._ms(self.start.backends, self.end.backends)

    def commits(self) -> int:
        assert self.start and self.end
        return self.end.commits - self.start.commits


# --- round trips on PostgreSQL: a counting relay ----------------------------------------------


@dataclass
class WireCounts:
    syncs: int = 0
    queries: int = 0
    parses: int = 0

    @property
    def round_trips(self) -> int:
        return self.syncs + self.queries


class CountingProxy:
    """A relay from a local port to PostgreSQL that counts the client's requests
    (run in a thread of its own; :attr:`counts` is read between windows)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.counts = WireCounts()
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    def snapshot(self) -> WireCounts:
        c = self.counts
        return WireCounts(c.syncs, c.queries, c.parses)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        down = asyncio.ensure_future(self._pump(up_reader, writer))
        try:
            while True:  # the untyped start: SSLRequest / GSSENCRequest, then StartupMessage
                head = await reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                rest = await reader.readexactly(length - 8)
                if code in (SSL_REQUEST, GSS_REQUEST):
                    writer.write(b"N")  # no TLS: the relay must read the messages
                    await writer.drain()
                    continue
                up_writer.write(head + rest)
                break
            while True:
                head = await reader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                body = await reader.readexactly(length - 4)
                if kind == b"S":
                    self.counts.syncs += 1
                elif kind == b"Q":
                    self.counts.queries += 1
                elif kind == b"P":
                    self.counts.parses += 1
                up_writer.write(head + body)
                if kind == b"X":
                    break
                await up_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            up_writer.close()
            down.cancel()
            writer.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@contextmanager
def counting_proxy(host: str = "127.0.0.1", port: int = 5432) -> Iterator[CountingProxy]:
    proxy = CountingProxy((host, port))
    proxy.thread.start()
    proxy.ready.wait(10)
    try:
        yield proxy
    finally:
        proxy.loop.call_soon_threadsafe(proxy.loop.stop)
        proxy.thread.join(5)
