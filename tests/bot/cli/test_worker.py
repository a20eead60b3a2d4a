"""`jiesu worker`: the sweeps and the outbox drainer in a process of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.cli.main import main


def test_worker_refuses_without_secrets_when_it_would_send(clean_env: Path) -> None:
    assert main(["worker"]) == 2


def test_worker_runs_the_sweeps_and_stops_on_sigterm(clean_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIESU_")}
    env.update(
        JIESU_DATABASE_URL=f"sqlite://{clean_env / 'worker.sqlite3'}",
        JIESU_LOG_LEVEL="INFO",
    )
    log = clean_env / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker", "--demo"],
            cwd=clean_env,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while "jiesu worker: running" not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.1)
            assert "jiesu worker: running" in log.read_text()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text()
    assert "jiesu worker: stopping" in text and "Traceback" not in text
