"""``jiesu serve --processes N``: N app processes on one port, supervised by this one.

One Python process answers on one core; the full work of a message is CPU-bound, so a second
core needs a second process. The parent migrates the database once, then starts N children
(``jiesu serve`` itself, with ``--child I``), each listening on the same host and port with
SO_REUSEPORT, so the kernel spreads new connections over them. It restarts a child that dies
(after :data:`RESTART_DELAY_SECONDS`, longer if it keeps dying) and, on SIGTERM or SIGINT,
stops them all gracefully (each finishes its requests and the work it acknowledged) and exits 0.

What is per process, and how it stays correct with N of them:

- the sweeps (deadlines, surveys, digests, broadcasts, inbound recovery, retention) run in child
  0 only (``JIESU_SERVE_SWEEPS=false`` for the others): they are safe to run in every process,
  but N copies only race each other for the same rows. A restarted child 0 runs them again;
  ``JIESU_SERVE_SWEEPS=false`` on the parent leaves them to ``jiesu worker`` entirely;
- the outbox drainer runs in every child, each claiming rows (``FOR UPDATE SKIP LOCKED``); its
  pace (``JIESU_OUTBOUND_RATE_PER_SECOND``) is per process, so each child gets 1/N of it;
- routing, SLA and gazetteer tables (``RefreshingCache``): an admin edit reloads them at once in
  the process that took it, and the others re-read them every ``reference_cache_seconds``,
  which the children get as 5 s (unless set);
- everything else that must hold across processes already lives in the database: inbound
  deduplication, case numbers, case and photo limits, replay nonces, access tokens, conversation
  state, the outbox. The per-minute API-call limit is in memory and so per process (N times
  as many calls; it guards a process against a client in a loop). Acknowledged messages queue
  in the child that took them; if it dies, the recovery sweep in child 0 takes them up.

SQLite is one writer at a time: several processes fail each other's writes with "database is
locked", so the command refuses ``--processes`` above 1 there.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from config.settings import Settings

logger = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 1.0
MAX_RESTART_DELAY_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 60.0
CHILD_CACHE_SECONDS = "5"
PR_SET_PDEATHSIG = 1
CODE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the bot package


def refusal(settings: Settings, processes: int) -> str | None:
    """Why ``--processes`` cannot be honoured, or None."""
    if processes < 1:
        return f"--processes {processes}: give 1 or more"
    if processes > 1 and settings.database_url.startswith("sqlite"):
        return (
            f"--processes {processes} needs PostgreSQL: SQLite lets one process write at a time, "
            'and several fail each other\'s writes with "database is locked". Run one process '
            "on SQLite, or set JIESU_DATABASE_URL to a PostgreSQL database."
        )
    return None


def child_environment(settings: Settings, index: int, processes: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    # The children run the code this process runs, wherever the command was started from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_ROOT), env.get("PYTHONPATH")]))
    if index > 0:
        env["JIESU_SERVE_SWEEPS"] = "false"
    env["JIESU_OUTBOUND_RATE_PER_SECOND"] = repr(settings.outbound_rate_per_second / processes)
    if "reference_cache_seconds" not in settings.model_fields_set:
        env["JIESU_REFERENCE_CACHE_SECONDS"] = CHILD_CACHE_SECONDS
    return env


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the supervisor dies, however it dies (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass


@dataclass
class Child:
    index: int
    process: subprocess.Popen[bytes] | None = None
    failures: int = 0  # exits in a row without having stayed up
    started_at: float = 0.0
    restart_at: float = 0.0


@dataclass
class Supervisor:
    settings: Settings
    processes: int
    argv: list[str]  # the child's command, without --child
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    def start(self, child: Child) -> None:
        command = [*self.argv, "--child", str(child.index)]
        child.process = subprocess.Popen(
            command,
            env=child_environment(self.settings, child.index, self.processes),
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C reaches the supervisor, which stops them in order
            preexec_fn=_die_with_parent,
        )
        child.started_at = time.monotonic()
        logger.info("jiesu serve: started process %d (pid %d)", child.index, child.process.pid)

    def stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def watch(self) -> None:
        """Restart children that died, until told to stop."""
        now = time.monotonic()
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                code = process.returncode
                stayed = now - child.started_at
                child.failures = child.failures + 1 if stayed < MAX_RESTART_DELAY_SECONDS else 1
                delay = min(
                    RESTART_DELAY_SECONDS * 2 ** (child.failures - 1), MAX_RESTART_DELAY_SECONDS
                )
                logger.error(
                    "jiesu serve: process %d (pid %d) exited with %s; restarting in %.0f s",
                    child.index,
                    process.pid,
                    code,
                    delay,
                )
                child.process = None
                child.restart_at = now + delay
            if child.process is None and now >= child.restart_at:
                self.start(child)

    def stop_all(self) -> int:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        code = 0
        for process in running:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                logger.error("jiesu serve: pid %d did not stop in time; killing it", process.pid)
                process.kill()
                process.wait()
                code = 1
            if process.returncode not in (0, -signal.SIGTERM):
                code = 1
        return code

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop_signal)
        signal.signal(signal.SIGINT, self.stop_signal)
        self.children = [Child(index) for index in range(self.processes)]
        try:
            for child in self.children:
                self.start(child)
            while not self.stopping:
                time.sleep(0.2)
                if not self.stopping:
                    self.watch()
        finally:
            logger.info("jiesu serve: stopping %d processes", self.processes)
            code = self.stop_all()
        return code


def supervise(settings: Settings, processes: int, child_argv: list[str]) -> int:
    return Supervisor(settings, processes, child_argv).run()
