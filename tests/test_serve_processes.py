"""``jiesu serve --processes N`` as an operator runs it: real processes on one port.

Two app processes on PostgreSQL share the port; residents' messages reach both; under a forced
overload every message is acknowledged with its number and becomes exactly that one case, each
resident is told at most once through the fake WeChat, and the sweeps run in one process only. A
child killed with messages still queued is restarted and its messages are recovered by the sweep;
a reply it had handed to WeChat when it died is recorded unknown and never sent again (README,
"What the outbox promises"), so that resident may go untold, and nobody else. On SQLite more
than one process is refused.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from bot.wechat.parsing import parse_xml_fields
from bot.wechat.signing import message_xml, signed_query
from tests import test_processes
from tests.test_processes import (
    MP_APPID,
    MP_SECRET,
    ROOT,
    STOP_TIMEOUT,
    Process,
    fake_sent,
    free_port,
    jiesu_command,
    jiesu_env,
    processes,
    query,
    start_fake,
    wait_for,
    wait_until,
)

database = test_processes.database  # the fixture: a throwaway PostgreSQL database

TOKEN = "processtesttoken"
ACK = re.compile(r"^已收到，编号 (\d{10,})。正在登记")
RESIDENTS = 40
TEXTS = (
    "国权路小区{n}号楼楼道灯坏了，晚上上下楼看不见",
    "开鲁新村{n}号门口垃圾没人清运，已经堆了三天",
    "凤城新村{n}号楼下水道堵了，污水漫到路上",
    "长白二村{n}号楼前有人违章搭建，占了消防通道",
)


def post_message(url: str, openid: str, text: str, msg_id: int) -> str:
    """One delivery on a connection of its own (so the kernel picks a process each time)."""
    xml = message_xml(openid, "text", {"Content": text, "MsgId": msg_id})
    query_string = urllib.parse.urlencode(signed_query(TOKEN))
    request = urllib.request.Request(
        f"{url}/wechat/mp?{query_string}", data=xml.encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode("utf-8")
    return "" if body == "success" else str(parse_xml_fields(body).get("Content", ""))


def started_children(log: str) -> dict[int, list[int]]:
    """Child index -> the pids it had, in order."""
    found: dict[int, list[int]] = {}
    for index, pid in re.findall(r"started process (\d+) \(pid (\d+)\)", log):
        found.setdefault(int(index), []).append(int(pid))
    return found


def listening(log: str) -> int:
    return log.count("======== Running on")


def send_all(url: str, first: int, count: int, msg_base: int) -> dict[str, str]:
    """``count`` residents from ``first`` on write once each: openid -> the number told."""
    told = {}
    for n in range(first, first + count):
        openid = f"o-procs-{n}"
        answer = post_message(url, openid, TEXTS[n % 4].format(n=n + 1), msg_base + n)
        match = ACK.match(answer)
        assert match, f"{openid} was answered {answer!r}"
        told[openid] = match.group(1)
    return told


def test_two_processes_share_the_port_and_each_message_is_one_case(
    database: str, tmp_path: Path
) -> None:
    with processes(tmp_path) as started:
        wechat = start_fake(
            started, "fake-wechat", "tests.fake_wechat", "--appid", MP_APPID, "--secret", MP_SECRET
        )
        env = jiesu_env(
            tmp_path,
            database,
            wechat,
            None,
            intake_admission="true",
            intake_full_slots="0",  # every message acknowledged, worked on from the queue
            inbound_recovery_seconds="3",
        )
        env["PYTHONPATH"] = str(ROOT)  # this checkout's code, not the installed one
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve: Process = started.start(
            "serve-2",
            [*jiesu_command(), "serve", "--port", str(port), "--processes", "2"],
            env,
            ROOT,
        )
        wait_for(lambda: listening(serve.text()) == 2, 60, "both processes to listen")
        msg_base = 4_200_000_000
        told = send_all(url, 0, RESIDENTS, msg_base)
        # WeChat retries one delivery: the same words, nothing more.
        retried = post_message(url, "o-procs-0", TEXTS[0].format(n=1), msg_base)
        assert ACK.match(retried) and told["o-procs-0"] in retried

        # One child dies with whatever it had queued; it is restarted, and the recovery sweep
        # (child 0) finishes its messages.
        victim = started_children(serve.text())[1][-1]
        later = send_all(url, RESIDENTS, RESIDENTS // 2, msg_base)
        subprocess.run(["kill", "-KILL", str(victim)], check=True)
        told.update(later)
        wait_for(lambda: listening(serve.text()) == 3, 60, "the killed process to be restarted")
        told.update(send_all(url, RESIDENTS * 2, RESIDENTS // 2, msg_base))

        def replies() -> dict[str, int]:
            rows = query(database, "SELECT status, count(*) FROM outbox GROUP BY 1")
            return {str(status): int(count) for status, count in rows}

        def all_answered() -> bool:
            rows = query(database, "SELECT count(*) FROM inbound_messages WHERE status='answered'")
            if int(rows[0][0]) != len(told):
                return False
            # Each reply settled: sent, or unknown (handed over by the killed process, which
            # could not record WeChat's answer: by the outbox's promise it is not sent again).
            settled = replies()
            return settled.get("sent", 0) + settled.get("unknown", 0) == len(told) and len(
                fake_sent(wechat)
            ) >= settled.get("sent", 0)

        finished = wait_until(all_answered, timeout=240)  # a loaded machine is slow, not wrong
        # What was left, should it fail: the messages' states and how many replies went out.
        states = query(database, "SELECT status, count(*) FROM inbound_messages GROUP BY 1")
        left = f"told {len(told)}, states {dict(states)}, replies {replies()}, "
        left += f"sent {len(fake_sent(wechat))}"
        time.sleep(1.0)  # a late second send would show now
        serve.popen.send_signal(signal.SIGTERM)
        assert serve.popen.wait(timeout=STOP_TIMEOUT + 30) == 0
        log = serve.text()
        sent = fake_sent(wechat)

    tail = "\n".join(log.splitlines()[-40:])
    assert finished, f"not every message was answered: {left}\n{tail}"
    rows = query(
        database,
        "SELECT i.openid, i.reserved_number, c.number FROM inbound_messages i "
        "JOIN cases c ON c.id = i.case_id",
    )
    assert {row[0]: row[1] for row in rows} == told
    assert all(row[1] == row[2] for row in rows), "a case did not take the number it was told"
    cases = query(database, "SELECT count(*), count(DISTINCT number) FROM cases")
    assert tuple(cases[0]) == (len(told), len(told))
    # Each resident is told at most once. A reply the killed process had handed to WeChat when it
    # died is recorded unknown and not repeated: it may have arrived (the fake got it before the
    # kill) or not, and one that did not is the only way a resident goes untold.
    answers = Counter(message["body"]["touser"] for message in sent)
    assert set(answers.values()) <= {1}, "a resident was told twice"
    unknown = query(database, "SELECT recipient, last_error FROM outbox WHERE status = 'unknown'")
    assert set(told) - set(answers) <= {recipient for recipient, _ in unknown}
    for recipient, error in unknown:
        assert f":{victim}#" in error and "stopped before recording" in error, (recipient, error)
    for message in sent:
        assert told[message["body"]["touser"]] in message["body"]["text"]["content"]

    # Both processes took messages; the sweeps ran in one (child 0's first life) only.
    children = started_children(log)
    worked = {int(pid) for pid in re.findall(r"\[(\d+)\] handlers\.intake\.report: case", log)}
    assert children[0][0] in worked and children[1][0] in worked, (children, worked)
    sweepers = re.findall(r"sweeps: running in this process \(pid (\d+)\)", log)
    assert sweepers == [str(children[0][0])]


def test_several_processes_on_sqlite_are_refused(tmp_path: Path) -> None:
    env = jiesu_env(tmp_path, f"sqlite://{tmp_path / 'jiesu.sqlite3'}", "http://127.0.0.1:9", None)
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [*jiesu_command(), "serve", "--port", str(free_port()), "--processes", "2"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "--processes 2 needs PostgreSQL" in result.stderr
    assert "database is locked" in result.stderr
