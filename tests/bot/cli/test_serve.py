"""``jiesu serve`` as an operating-system process, against real sockets: slow clients are cut off,
normal ones are not, and the start says how far the working calendar reaches.

The timeouts are small here (a second for the request head, two for the body) so that the test is
quick; the defaults are 10 and 30 seconds (``config/settings.py``).
"""

from __future__ import annotations

import logging
import os
import select
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.handlers.workflow.calendar_fixture import write_made_up_2027
from tests.test_processes import free_port, jiesu_command, wait_for

HEAD_TIMEOUT = 1.0
BODY_TIMEOUT = 2.0
# Scheduling, and the server's one-second timer granularity at worst: a loaded CI machine has
# held a process back by a whole second. Still well short of GIVE_UP, where nothing would close.
SLACK = 3.0
GIVE_UP = 8.0  # the old code never closed them: stop waiting after this


@dataclass
class Served:
    port: int
    log: Path
    popen: subprocess.Popen[bytes]

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    env = {name: value for name, value in os.environ.items() if not name.startswith("JIESU_")}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "JIESU_DATABASE_URL": f"sqlite://{folder / 'serve.sqlite3'}",
            "JIESU_VAR_DIR": str(folder / "var"),
            "JIESU_RUN_BACKGROUND": "false",
            "JIESU_HEADER_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
            "JIESU_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
            "JIESU_CALENDAR_FILE": str(write_made_up_2027(folder)),
        }
    )
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [*jiesu_command(), "serve", "--demo", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=folder,
            start_new_session=True,
        )
    service = Served(port, log, popen)
    try:
        wait_for(lambda: answers(service), 60, "jiesu serve to answer /healthz")
        yield service
    except BaseException:
        print(service.text())
        raise
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            popen.kill()


def answers(service: Served) -> bool:
    if service.popen.poll() is not None:
        raise AssertionError(
            f"jiesu serve exited with {service.popen.returncode}:\n{service.text()}"
        )
    try:
        with socket.create_connection(("127.0.0.1", service.port), timeout=2) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return receive_all(sock).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def receive_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def read_response(sock: socket.socket) -> bytes:
    """One whole answer on a kept-alive connection: its head, then Content-Length bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def connect(service: Served) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", service.port), timeout=5)
    sock.setblocking(False)
    return sock


def trickle_until_closed(
    sock: socket.socket, first: bytes, every: float = 0.25
) -> tuple[float, bytes]:
    """Send ``first``, then one byte of a never-ending header line every ``every`` seconds, reading
    what comes back; return the seconds until the server closed the connection, and what it said.
    Fails after GIVE_UP seconds with the connection still open."""
    began = time.monotonic()
    sock.sendall(first)
    received = b""
    while time.monotonic() - began < GIVE_UP:
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return time.monotonic() - began, received
            if not chunk:
                return time.monotonic() - began, received
            received += chunk
            continue
        try:
            sock.send(b"a")
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - began, received
    raise AssertionError(
        f"still connected after {GIVE_UP:.0f} s of trickling; the server said {received[:80]!r}"
    )


def test_a_request_head_trickled_byte_by_byte_is_cut_off_after_the_head_timeout(
    served: Served,
) -> None:
    with connect(served) as sock:
        elapsed, said = trickle_until_closed(sock, b"GET /healthz HTTP/1.1\r\nX-Slow: ")
    assert HEAD_TIMEOUT - 0.3 <= elapsed <= HEAD_TIMEOUT + SLACK, elapsed
    assert said == b"", said


def test_a_connection_that_sends_nothing_is_closed_after_the_head_timeout(served: Served) -> None:
    with connect(served) as sock:
        began = time.monotonic()
        readable, _, _ = select.select([sock], [], [], GIVE_UP)
        assert readable, f"still open after {GIVE_UP:.0f} s without a request"
        assert sock.recv(100) == b""
        assert time.monotonic() - began <= HEAD_TIMEOUT + SLACK


def test_a_body_trickled_byte_by_byte_is_answered_408_after_the_body_timeout(
    served: Served,
) -> None:
    """Open311's filing reads its form at once: the read gives up at the body timeout."""
    head = (
        b"POST /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n"
        b"description="
    )
    with connect(served) as sock:
        elapsed, said = trickle_until_closed(sock, head)
    assert said.startswith(b"HTTP/1.1 408"), said[:200]
    assert BODY_TIMEOUT - 0.3 <= elapsed <= BODY_TIMEOUT + SLACK, elapsed


def test_a_body_nobody_reads_still_ends_at_the_body_timeout(served: Served) -> None:
    """The answer comes at once (the route never reads the body); the trickle that follows does
    not keep the connection past the body timeout."""
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
    with connect(served) as sock:
        elapsed, said = trickle_until_closed(sock, head)
    assert said.startswith(b"HTTP/1.1 200"), said[:200]
    assert elapsed <= BODY_TIMEOUT + SLACK, elapsed


def test_normal_requests_and_idle_kept_alive_connections_are_not_cut(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        for _ in range(2):
            sock.sendall(request)
            head = read_response(sock)
            assert head.startswith(b"HTTP/1.1 200"), head[:200]
            # Idle between requests for longer than the head timeout: that is keep-alive, not a
            # slow head, and the connection stays usable.
            time.sleep(HEAD_TIMEOUT + 0.5)
        form = b"description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE"
        sock.sendall(
            b"POST /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(form)}\r\n\r\n".encode()
            + form
        )
        answer = receive_all(sock)
    # Refused for its missing api_key, not for time.
    assert answer.startswith(b"HTTP/1.1 4") and not answer.startswith(b"HTTP/1.1 408"), answer


def test_the_start_logs_how_far_the_working_calendar_reaches(served: Served) -> None:
    lines = [line for line in served.text().splitlines() if "working calendar" in line]
    assert lines, served.text()
    assert any("2027-12-31" in line for line in lines), lines


def test_serve_refuses_a_broken_calendar_file_and_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "holidays.csv"
    broken.write_text(
        "year,kind,first,last,name\n2027,放假,2027-01-01,2027-01-03,元旦\n"
        "2027,上班,2027-02-17,,春节\n",  # a Wednesday cannot be a make-up working day
        encoding="utf-8",
    )
    env = {name: value for name, value in os.environ.items() if not name.startswith("JIESU_")}
    env.update(
        {
            "JIESU_DATABASE_URL": f"sqlite://{tmp_path / 'serve.sqlite3'}",
            "JIESU_VAR_DIR": str(tmp_path / "var"),
            "JIESU_CALENDAR_FILE": str(broken),
        }
    )
    try:
        result = subprocess.run(
            [*jiesu_command(), "serve", "--demo", "--port", str(free_port())],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("jiesu serve started with a broken calendar file") from exc
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{broken}, line 3" in result.stderr and "2027-02-17" in result.stderr, result.stderr


def test_the_start_warns_while_the_calendar_ends_within_the_horizon(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """What ``jiesu serve`` and ``jiesu worker`` log before they start, on given days."""
    from bot.cli.main import check_calendar
    from config.settings import Settings
    from handlers.workflow.calendar import install_calendar

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    try:
        with caplog.at_level(logging.INFO, logger="jiesu"):
            assert check_calendar(settings, today=date(2026, 9, 1))
        assert [r.levelname for r in caplog.records] == ["INFO"]
        assert "to 2026-12-31" in caplog.records[0].getMessage()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="jiesu"):
            assert check_calendar(settings, today=date(2026, 12, 7))
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and "2026-12-31" in warnings[0]
        caplog.clear()
        covered = settings.model_copy(update={"calendar_file": write_made_up_2027(clean_env)})
        with caplog.at_level(logging.INFO, logger="jiesu"):
            assert check_calendar(covered, today=date(2026, 12, 7))
        assert [r.levelname for r in caplog.records] == ["INFO"]
        assert "to 2027-12-31" in caplog.records[0].getMessage()
    finally:
        install_calendar(None)
