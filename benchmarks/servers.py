"""The processes a benchmark starts beside itself: ``jiesu`` (or any server with ``/healthz``)
and the fake WeChat API (``python -m tests.fake_wechat``), each in its own process, always
stopped at the end.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jiesu_command() -> str:
    """The ``jiesu`` command of this virtual environment."""
    return shutil.which("jiesu", path=str(Path(sys.executable).parent)) or "jiesu"


def stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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
        stop(proc)


@contextmanager
def fake_wechat(*options: str, quiet: bool = False) -> Iterator[str]:
    """``python -m tests.fake_wechat`` on a free port with ``options`` (``--answer-delay 0.5``,
    ``--appid …``); yields the base URL it prints, and stops it at the end. ``quiet`` sends
    its stderr to /dev/null."""
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_wechat", "--port", "0", *options],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None,
        text=True,
    )
    try:
        assert fake.stdout is not None
        url = fake.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the fake WeChat server did not start (said {url!r})")
        yield url
    finally:
        fake.terminate()
        fake.wait()


def fake_json(url: str, path: str) -> dict[str, Any]:
    """GET one of the fake's own pages (``/_fake/sent``, ``/_fake/received``, ``/_fake/stats``)."""
    with urllib.request.urlopen(url + path, timeout=30) as answer:
        result: dict[str, Any] = json.loads(answer.read())
        return result
