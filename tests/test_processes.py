"""Real jiesu processes on one PostgreSQL database: every message goes out exactly once.

The other tests call sweeps and the drainer in-process with a moved clock. These start the real
thing — ``jiesu serve`` (twice) and ``jiesu worker`` as separate operating-system processes on
the wall clock, with the fake WeChat and WeCom servers as processes of their own — and then count
at the fakes what reached "WeChat": each survey, reminder, deadline warning, 督办 notice and
digest exactly once, however the processes race, and nothing lost or doubled when a process is
stopped in the middle of a sweep and started again.

They need PostgreSQL (SQLite is one process's database): like tests/conftest.py they skip when
the server is missing, except under CI=true, where that fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from handlers.clock import LOCAL_TZ
from models import Case, CaseStatus, Resident, Survey, Unit, Worker, WorkerRole
from models.database import orm
from tests.conftest import POSTGRES_SERVER_URL

ROOT = Path(__file__).resolve().parents[1]

MP_APPID = "wxprocesstest00001"
MP_SECRET = "process-test-secret"
WORK_CORP_ID = "wwprocesstestcorp"
WORK_SECRET = "process-test-work-secret"
WORK_AGENT_ID = "1000002"
CASE_TEMPLATE = "tmpl-case-update"

# Short sweep intervals: every process sweeps about twice a second.
SWEEP_SECONDS = "0.5"
POLL_SECONDS = "0.2"

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


# Processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def running(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])


@dataclass
class Processes:
    """Everything a test started, so that all of it is killed and its logs shown on failure."""

    folder: Path
    started: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: dict[str, str], cwd: Path) -> Process:
        log = self.folder / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                start_new_session=True,  # a Ctrl-C in pytest's terminal is not theirs
            )
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def report(self) -> str:
        parts = []
        for process in self.started:
            code = process.popen.poll()
            state = "running" if code is None else f"exit code {code}"
            parts.append(f"----- {process.name} (pid {process.popen.pid}, {state}): {process.log}")
            parts.append(process.tail())
        return "\n".join(parts)

    def kill_all(self) -> None:
        for process in self.started:
            if process.running():
                process.popen.kill()
        for process in self.started:
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


@contextmanager
def processes(folder: Path) -> Iterator[Processes]:
    """Processes that are killed whatever happens, with the tail of their logs on failure."""
    started = Processes(folder)
    try:
        yield started
    except BaseException:
        print("\n" + started.report())
        raise
    finally:
        started.kill_all()


def jiesu_command() -> list[str]:
    script = Path(sys.executable).parent / "jiesu"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, *, every: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def wait_until(condition: Callable[[], bool], timeout: float, *, every: float = 0.2) -> bool:
    """Like wait_for, but say whether it happened: the checks after it explain what is missing."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def start_fake(started: Processes, name: str, module: str, *args: str) -> str:
    """Start a fake API server on a port of its choosing; returns the URL it prints."""
    process = started.start(
        name,
        [sys.executable, "-m", module, "--port", "0", *args],
        {**os.environ, "PYTHONUNBUFFERED": "1"},
        ROOT,
    )
    found: list[str] = []

    def printed_url() -> bool:
        if not process.running():
            raise AssertionError(f"{name} exited:\n{process.tail()}")
        found.extend(re.findall(r"^(http://\S+)$", process.text(), re.MULTILINE))
        return bool(found)

    wait_for(printed_url, START_TIMEOUT, f"{name} to print its URL")
    return found[0]


@dataclass
class Service:
    """A ``jiesu serve`` process and the URL it listens on."""

    process: Process
    url: str


def launch_serve(started: Processes, name: str, env: dict[str, str], cwd: Path) -> Service:
    """Start ``jiesu serve`` on a free port without waiting for it (see wait_healthy)."""
    port = free_port()
    process = started.start(name, [*jiesu_command(), "serve", "--port", str(port)], env, cwd)
    return Service(process, f"http://127.0.0.1:{port}")


def healthy(service: Service) -> bool:
    if not service.process.running():
        code = service.process.popen.returncode
        raise AssertionError(f"{service.process.name} exited with {code}")
    try:
        with urllib.request.urlopen(f"{service.url}/healthz", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_healthy(service: Service) -> None:
    wait_for(lambda: healthy(service), START_TIMEOUT, f"{service.process.name} to answer /healthz")


def start_serve(started: Processes, name: str, env: dict[str, str], cwd: Path) -> Service:
    service = launch_serve(started, name, env, cwd)
    wait_healthy(service)
    return service


def launch_worker(started: Processes, name: str, env: dict[str, str], cwd: Path) -> Process:
    return started.start(name, [*jiesu_command(), "worker"], env, cwd)


def wait_worker(process: Process) -> None:
    def ready() -> bool:
        if not process.running():
            raise AssertionError(f"{process.name} exited with {process.popen.returncode}")
        return "jiesu worker: running the sweeps" in process.text()

    wait_for(ready, START_TIMEOUT, f"{process.name} to start")


def stop(*targets: Process) -> None:
    """SIGTERM, and each must finish its work and exit cleanly."""
    for process in targets:
        process.popen.send_signal(signal.SIGTERM)
    for process in targets:
        try:
            code = process.popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{process.name} did not stop within {STOP_TIMEOUT} s") from exc
        assert code == 0, f"{process.name} exited with {code} after SIGTERM"


def jiesu_run(env: dict[str, str], cwd: Path, *args: str) -> None:
    result = subprocess.run(
        [*jiesu_command(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def jiesu_env(
    folder: Path, database_url: str, wechat: str, wecom: str | None, **settings: str
) -> dict[str, str]:
    """A clean environment: none of the caller's JIESU_ settings, these instead (WeCom only
    with a fake WeCom to talk to)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("JIESU_")}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "JIESU_DATABASE_URL": database_url,
            "JIESU_VAR_DIR": str(folder / "var"),
            "JIESU_MP_TOKEN": "processtesttoken",
            "JIESU_MP_APPID": MP_APPID,
            "JIESU_MP_SECRET": MP_SECRET,
            "JIESU_WECHAT_API_BASE": wechat,
            "JIESU_OUTBOUND_MODE": "wechat",
            "JIESU_MP_TEMPLATE_CASE_UPDATE": CASE_TEMPLATE,
            # No quiet hours: the wall clock must never move a survey to the next morning.
            "JIESU_SURVEY_MORNING_HOUR": "0",
            "JIESU_SURVEY_EVENING_HOUR": "24",
            "JIESU_FOLLOWUP_SWEEP_SECONDS": SWEEP_SECONDS,
            "JIESU_ESCALATION_SWEEP_SECONDS": SWEEP_SECONDS,
            "JIESU_DIGEST_SWEEP_SECONDS": "1",
            "JIESU_OUTBOX_POLL_SECONDS": POLL_SECONDS,
            "JIESU_OUTBOUND_RATE_PER_SECOND": "500",
        }
    )
    if wecom is not None:
        env.update(
            {
                "JIESU_WORK_CORP_ID": WORK_CORP_ID,
                "JIESU_WORK_AGENT_ID": WORK_AGENT_ID,
                "JIESU_WORK_SECRET": WORK_SECRET,
                "JIESU_WORK_API_BASE": wecom,
            }
        )
    env.update({f"JIESU_{name.upper()}": value for name, value in settings.items()})
    return env


def working_days(*days: date, working: bool = True) -> str:
    return json.dumps({day.isoformat(): working for day in days})


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


# The fakes, seen from outside


def fake_sent(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/_fake/sent", timeout=10) as response:
        sent: list[dict[str, Any]] = json.loads(response.read().decode("utf-8"))["sent"]
        return sent


def fake_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/_fake/stats", timeout=10) as response:
        stats: dict[str, int] = json.loads(response.read().decode("utf-8"))
        return stats


def counter_diff(actual: Counter[Any], expected: Counter[Any]) -> str:
    """What went wrong between two multisets, for assertion messages."""
    doubled = {key: n for key, n in actual.items() if key in expected and n > expected[key]}
    missing = {key: expected[key] - actual[key] for key in expected if actual[key] < expected[key]}
    unexpected = {key: n for key, n in actual.items() if key not in expected}
    return f"too many: {doubled}\nmissing: {missing}\nunexpected: {unexpected}"


# The database


@pytest.fixture
def database() -> Iterator[str]:
    """A throwaway PostgreSQL database of its own, dropped at the end (connections and all)."""
    name = f"jiesu_processes_{secrets.token_hex(4)}"

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(POSTGRES_SERVER_URL, timeout=5)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {POSTGRES_SERVER_URL} is not reachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    try:
        yield POSTGRES_SERVER_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows
        finally:
            await conn.close()

    return asyncio.run(run())


def outbox_statuses(url: str) -> dict[str, int]:
    """The outbox by status, but for the hot-issue warnings: the seeded cases (hundreds of
    residents about one lamp this week) are a jump the warning sweep rightly tells of, and these
    tests are about the other sweeps' messages."""
    rows = query(
        url,
        "SELECT status, count(*) FROM outbox WHERE purpose <> 'hot_warning' GROUP BY status",
    )
    return {str(row[0]): int(row[1]) for row in rows}


def survey_statuses(url: str) -> dict[str, int]:
    rows = query(url, "SELECT status, count(*) FROM surveys GROUP BY status")
    return {str(row[0]): int(row[1]) for row in rows}


def event_counts(url: str, kind: str) -> Counter[tuple[int, str]]:
    """(case id, the event's clock or level) -> how many timeline events of this kind."""
    rows = query(
        url,
        "SELECT case_id, coalesce(data->>'clock', '') || ':' || coalesce(data->>'level', ''), "
        "count(*) FROM case_events WHERE data->>'kind' = $1 GROUP BY 1, 2",
        kind,
    )
    return Counter({(int(row[0]), str(row[1])): int(row[2]) for row in rows})


# Test data, written straight into the database

NUMBERS = iter(range(2699000001, 2699999999))


@dataclass(frozen=True)
class SurveyPlan:
    survey_id: int
    case_id: int
    openid: str
    template: bool  # outside the 48 h window, agreed to template messages


@dataclass(frozen=True)
class DeadlinePlan:
    case_id: int
    number: str
    expected: tuple[tuple[str, str, str, str], ...]  # (userid, tag, number, clock) notices
    warnings: tuple[str, ...]  # clocks warned about
    level: int  # escalation level at the end


async def add_unit_head(database_url: str, unit_code: str, userid: str) -> None:
    """The demo district's street offices have no head; the second 督办 rung needs one."""
    async with orm(database_url):
        unit = await Unit.get(code=unit_code)
        await Worker.create(
            name="测试主任", role=WorkerRole.UNIT_HEAD, unit=unit, wecom_userid=userid
        )


async def add_surveys(
    database_url: str, due: Sequence[datetime], *, template_every: int = 0, prefix: str = "o-proc"
) -> list[SurveyPlan]:
    """One finished case, its resident and its survey round per due time.

    Every ``template_every``-th resident last wrote three days ago (no customer-service window)
    but agreed to template messages; the others wrote an hour ago.
    """
    now = datetime.now(UTC)
    async with orm(database_url):
        unit = await Unit.get(code="ST-WJC")
        worker = await Worker.get(wecom_userid="wangfang")
        templated = [bool(template_every) and i % template_every == 0 for i in range(len(due))]
        openids = [f"{prefix}-{i:04d}-{secrets.token_hex(3)}" for i in range(len(due))]
        await Resident.bulk_create(
            [
                Resident(
                    openid=openid,
                    subscribed=True,
                    subscribed_at=now - timedelta(days=30),
                    consent_template=template,
                    last_message_at=now - (timedelta(days=3) if template else timedelta(hours=1)),
                )
                for openid, template in zip(openids, templated, strict=True)
            ],
            batch_size=500,
        )
        residents = dict(await Resident.filter(openid__in=openids).values_list("openid", "id"))
        numbers = [str(next(NUMBERS)) for _ in due]
        await Case.bulk_create(
            [
                Case(
                    number=number,
                    resident_id=residents[openid],
                    status=CaseStatus.COMPLETED,
                    category="城乡建设/市政设施",
                    title="楼下路灯不亮",
                    text="国权路小区5号楼楼下路灯不亮",
                    unit_id=unit.id,
                    worker_id=worker.id,
                    dispatched_at=now - timedelta(days=2),
                    signed_at=now - timedelta(days=2),
                    first_contact_at=now - timedelta(days=2),
                    completed_at=now - timedelta(hours=1),
                    result="已更换灯具，恢复照明",
                    survey_due_at=when,
                    version=4,
                )
                for number, openid, when in zip(numbers, openids, due, strict=True)
            ],
            batch_size=500,
        )
        cases = dict(await Case.filter(number__in=numbers).values_list("number", "id"))
        await Survey.bulk_create(
            [
                Survey(case_id=cases[number], round=1, resident_id=residents[openid], due_at=when)
                for number, openid, when in zip(numbers, openids, due, strict=True)
            ],
            batch_size=500,
        )
        surveys = dict(
            await Survey.filter(case_id__in=list(cases.values())).values_list("case_id", "id")
        )
        return [
            SurveyPlan(surveys[cases[number]], cases[number], openid, template)
            for number, openid, template in zip(numbers, openids, templated, strict=True)
        ]


async def add_deadline_cases(
    database_url: str, start: datetime, supervisor: str, head: str
) -> list[DeadlinePlan]:
    """Open dispatched cases whose deadlines come near or pass within the next fifteen seconds.

    Three kinds (the 一般 ladder warns 1 h before sign-for and 2 h before first contact):
    sign-for due in an hour and a few seconds (a warning a few seconds from now); sign-for due
    in a few seconds (a warning at once, 督办 to the supervisor at the miss); and sign-for and
    first contact both due within seconds (two warnings, 督办, then the unit head at the second
    miss). Every other deadline is days away. Nothing passes sooner than 4 s after ``start``:
    a deadline already past at the first sweep would be escalated without its warning.
    """
    now = datetime.now(UTC)
    plans: list[DeadlinePlan] = []
    async with orm(database_url):
        unit = await Unit.get(code="ST-WJC")
        workers = [await Worker.get(wecom_userid=u) for u in ("wangfang", "liqiang")]
        for i in range(18):
            kind = i % 3
            worker = workers[i % 2]
            offset = timedelta(seconds=4 + (i * 8) / 17)  # 4 .. 12 s
            number = str(next(NUMBERS))
            sign_due = start + offset + (timedelta(hours=1) if kind == 0 else timedelta(0))
            contact_due = (
                start + offset + timedelta(seconds=3) if kind == 2 else now + timedelta(days=3)
            )
            case = await Case.create(
                number=number,
                status=CaseStatus.DISPATCHED,
                category="城乡建设/市政设施",
                title="井盖松动",
                text="开鲁路井盖松动，车辆经过哐哐响",
                unit_id=unit.id,
                worker_id=worker.id,
                dispatched_at=now - timedelta(hours=3),
                sign_due_at=sign_due,
                first_contact_due_at=contact_due,
                completion_due_at=now + timedelta(days=5),
                version=1,
            )
            user = str(worker.wecom_userid)
            expected = [(user, "即将超时", number, "签收")]
            warnings = ["sign"]
            if kind >= 1:
                expected.append((supervisor, "督办", number, ""))
            if kind == 2:
                expected.append((user, "即将超时", number, "先行联系"))
                expected.append((head, "二次超时", number, ""))
                warnings.append("first_contact")
            plans.append(DeadlinePlan(case.id, number, tuple(expected), tuple(warnings), kind))
    return plans


# Reading what reached the fakes

WECOM_NOTICE = re.compile(
    r"^【(?P<tag>即将超时|督办|二次超时)】诉求 (?P<number>\S+)「[^」]*」"
    r"(?:(?P<clock>签收|先行联系|办结)期限)?"
)
DIGEST = re.compile(r"^【每日汇总】\S+ (?P<day>\S+)")


def wecom_keys(sent: list[dict[str, Any]]) -> Counter[tuple[str, str, str, str]]:
    keys: Counter[tuple[str, str, str, str]] = Counter()
    for message in sent:
        body = message["body"]
        content = str(body.get("text", {}).get("content", ""))
        notice = WECOM_NOTICE.match(content)
        digest = DIGEST.match(content)
        if notice is not None:
            keys[(body["touser"], notice["tag"], notice["number"], notice["clock"] or "")] += 1
        elif digest is not None:
            keys[(body["touser"], "每日汇总", digest["day"], "")] += 1
        else:
            keys[(body["touser"], "other", content[:40], "")] += 1
    return keys


def survey_keys(sent: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(openid, what) per message: a survey's menu (the ask and its reminder carry the same
    menu), or the template's ask or reminder."""
    keys: Counter[tuple[str, str]] = Counter()
    for message in sent:
        body = message["body"]
        if body.get("msgtype") == "msgmenu":
            first_option = body["msgmenu"]["list"][0]["id"]  # survey:<id>:<answer>
            keys[(body["touser"], "menu:" + first_option.split(":")[1])] += 1
        elif body.get("template_id") == CASE_TEMPLATE:
            first = str(body["data"]["first"]["value"])
            keys[(body["touser"], "remind" if first.startswith("提醒") else "ask")] += 1
        else:
            keys[(body["touser"], "other:" + json.dumps(body, ensure_ascii=False)[:60])] += 1
    return keys


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日"


SURVEY_SWEEP = re.compile(
    r"survey sweep: (?P<asked>\d+) asked, \d+ unreachable, \d+ skipped, (?P<reminded>\d+) "
    r"reminded, (?P<closed>\d+) closed, (?P<lost>\d+) taken by other processes"
)
DEADLINE_SWEEP = re.compile(
    r"deadline sweep: (?P<warnings>\d+) warnings, (?P<supervised>\d+) 督办, "
    r"(?P<escalated>\d+) second escalations, (?P<skipped>\d+) skipped"
)


def who_did_what(targets: Sequence[Process]) -> str:
    """Per process, the sweeps' own totals from its log: shows that the processes raced."""
    lines = []
    for process in targets:
        totals: Counter[str] = Counter()
        for pattern in (SURVEY_SWEEP, DEADLINE_SWEEP):
            for match in pattern.finditer(process.text()):
                totals.update({name: int(value) for name, value in match.groupdict().items()})
        lines.append(f"{process.name}: {dict(totals)}")
    return "\n".join(lines)


def log_problems(started: Processes) -> list[str]:
    """Lines of the jiesu processes' logs at ERROR level, and tracebacks."""
    problems: list[str] = []
    for process in started.started:
        if process.name.startswith("fake"):
            continue
        for line in process.text().splitlines():
            if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
                problems.append(f"{process.name}: {line}")
    return problems


# Test 1: two services and a worker at once


def test_two_services_and_a_worker_send_everything_exactly_once(
    database: str, tmp_path: Path
) -> None:
    """Two ``jiesu serve`` and one ``jiesu worker`` sweep and drain the same database at once.

    100 survey rounds fall due (40 one after another over ten seconds, 60 at the same moment;
    three in four residents inside the 48-hour window, asked by customer-service menu, the rest
    outside it but agreed to template messages), each reminded 3.6 s after it was asked and
    closed as 未评价 9 s after; 18 dispatched cases get their deadline
    warnings, 督办 and second-miss notices over WeCom; and today's digest is due from the start.
    Every one of those must reach the fakes exactly once and every row end as it should.
    """
    today = local_today()
    with processes(tmp_path) as started:
        wechat = start_fake(
            started, "fake-wechat", "tests.fake_wechat", "--appid", MP_APPID, "--secret", MP_SECRET
        )
        wecom = start_fake(
            started,
            "fake-wecom",
            "tests.fake_wecom",
            "--corp-id",
            WORK_CORP_ID,
            "--secret",
            WORK_SECRET,
            "--agent-id",
            WORK_AGENT_ID,
        )
        env = jiesu_env(
            tmp_path,
            database,
            wechat,
            wecom,
            survey_reminder_hours="0.001",  # 3.6 s
            survey_close_hours="0.0025",  # 9 s
            digest_hour="0",
            calendar_overrides=working_days(today, today + timedelta(days=1)),
        )
        jiesu_run(env, tmp_path, "migrate", "--demo")
        head = "test-head-wjc"
        asyncio.run(add_unit_head(database, "ST-WJC", head))
        digest_people = [
            str(row[0])
            for row in query(
                database,
                "SELECT wecom_userid FROM workers WHERE role IN ('supervisor', 'unit_head') "
                "AND active AND unit_id IS NOT NULL",
            )
        ]
        assert head in digest_people and "zhoutao" in digest_people

        # All three start together: the digest, due at once, is raced for from the start.
        serve_a = launch_serve(started, "serve-a", env, tmp_path)
        serve_b = launch_serve(started, "serve-b", env, tmp_path)
        worker = launch_worker(started, "worker", env, tmp_path)
        wait_healthy(serve_a)
        wait_healthy(serve_b)
        wait_worker(worker)

        start = datetime.now(UTC) + timedelta(seconds=1)
        # 40 rounds due one after another over ten seconds, and a burst of 60 due at once that
        # all three processes' sweeps find together (and again at the reminders and closes).
        due = [start + timedelta(seconds=0.25 * i) for i in range(40)] + [start] * 60
        surveys = asyncio.run(add_surveys(database, due, template_every=4))
        deadlines = asyncio.run(add_deadline_cases(database, start, "zhoutao", head))

        expected_surveys: Counter[tuple[str, str]] = Counter()
        for plan in surveys:
            if plan.template:
                expected_surveys[(plan.openid, "ask")] = 1
                expected_surveys[(plan.openid, "remind")] = 1
            else:
                expected_surveys[(plan.openid, f"menu:{plan.survey_id}")] = 2
        expected_notices: Counter[tuple[str, str, str, str]] = Counter(
            key for plan in deadlines for key in plan.expected
        )

        def everything_done() -> bool:
            statuses = survey_statuses(database)
            outbox = outbox_statuses(database)
            return (
                statuses == {"unrated": len(surveys)}
                and not outbox.get("pending")
                and not outbox.get("sending")
                and len(fake_sent(wechat)) >= sum(expected_surveys.values())
                and len(fake_sent(wecom)) >= len(expected_notices) + len(digest_people)
            )

        finished = wait_until(everything_done, timeout=60)
        # A few more sweeps by every process, so that a late second send would be seen.
        time.sleep(1.5)
        stop(serve_a.process, serve_b.process, worker)
        print("\n" + who_did_what([serve_a.process, serve_b.process, worker]))
        end_day = local_today()

        # At the fakes: each survey and reminder, each notice, each digest exactly once.
        wechat_sent = fake_sent(wechat)
        wecom_sent = fake_sent(wecom)
        got_surveys = survey_keys(wechat_sent)
        assert got_surveys == expected_surveys, counter_diff(got_surveys, expected_surveys)
        got_wecom = wecom_keys(wecom_sent)
        for day in {today, end_day}:
            for person in digest_people:
                expected_notices[(person, "每日汇总", day_label(day), "")] = 1
        if end_day != today:  # midnight passed during the test: both days' digests are due
            got_digests = {key for key in got_wecom if key[1] == "每日汇总"}
            expected_notices = Counter(
                {
                    k: n
                    for k, n in expected_notices.items()
                    if k[1] != "每日汇总" or k in got_digests
                }
            )
        assert got_wecom == expected_notices, counter_diff(got_wecom, expected_notices)

        # In the database: every round reminded and closed, every row sent, each event once.
        rounds = query(
            database,
            "SELECT s.id, s.status, s.sent_at, s.reminded_at, c.status AS case_status "
            "FROM surveys s JOIN cases c ON c.id = s.case_id ORDER BY s.id",
        )
        assert len(rounds) == len(surveys)
        for row in rounds:
            assert row["status"] == "unrated", dict(row)
            assert row["sent_at"] is not None and row["reminded_at"] is not None, dict(row)
            assert row["case_status"] == "visited", dict(row)
        survey_cases = {plan.case_id for plan in surveys}
        assert event_counts(database, "survey_sent") == Counter(
            {(case_id, ":"): 1 for case_id in survey_cases}
        )
        assert event_counts(database, "survey_closed") == Counter(
            {(case_id, ":"): 1 for case_id in survey_cases}
        )
        assert event_counts(database, "deadline_warning") == Counter(
            {(plan.case_id, f"{clock}:"): 1 for plan in deadlines for clock in plan.warnings}
        )
        expected_rungs = Counter(
            {
                (plan.case_id, f"{clock}:{level}"): 1
                for plan in deadlines
                for level, clock in ((1, "sign"), (2, "first_contact"))
                if level <= plan.level
            }
        )
        assert event_counts(database, "escalation") == expected_rungs
        levels = dict(
            query(
                database,
                "SELECT id, escalation_level FROM cases WHERE id = ANY($1::bigint[])",
                [plan.case_id for plan in deadlines],
            )
        )
        assert levels == {plan.case_id: plan.level for plan in deadlines}
        outbox = outbox_statuses(database)
        assert outbox == {"sent": len(wechat_sent) + len(wecom_sent)}, outbox
        purposes = dict(query(database, "SELECT purpose, count(*) FROM outbox GROUP BY purpose"))
        assert purposes == {
            "survey": len(surveys),
            "survey_reminder": len(surveys),
            "deadline_warning": sum(len(plan.warnings) for plan in deadlines),
            "escalation": sum(plan.level for plan in deadlines),
            "digest": sum(1 for key in got_wecom if key[1] == "每日汇总"),
        }, purposes

        # One access token per account for all three processes.
        assert fake_stats(wechat)["token_requests"] == 1
        assert fake_stats(wecom)["token_requests"] == 1
        assert finished, "not everything was done within 60 s (see the checks above)"
        assert not log_problems(started), "\n".join(log_problems(started))


# Test 2: stopped in the middle of a sweep, and started again

RESTART_SURVEYS = 400


@dataclass(frozen=True)
class Snapshot:
    """What had happened when the process was stopped."""

    at_fake: int
    surveys: dict[str, int]
    outbox: dict[str, int]


def survey_env(folder: Path, database: str, wechat: str, **settings: str) -> dict[str, str]:
    """Surveys only: the digest is never due (today and tomorrow are days off), no reminders."""
    today = local_today()
    values = {
        "calendar_overrides": working_days(today, today + timedelta(days=1), working=False),
        "outbound_rate_per_second": "100",  # 400 sends take four seconds: time to stop midway
        **settings,
    }
    return jiesu_env(folder, database, wechat, None, **values)


def check_each_resident_asked_once(
    database: str, wechat: str, surveys: Sequence[SurveyPlan]
) -> None:
    got = survey_keys(fake_sent(wechat))
    expected = Counter({(plan.openid, f"menu:{plan.survey_id}"): 1 for plan in surveys})
    assert got == expected, counter_diff(got, expected)
    assert survey_statuses(database) == {"sent": len(surveys)}
    assert outbox_statuses(database) == {"sent": len(surveys)}
    assert event_counts(database, "survey_sent") == Counter(
        {(plan.case_id, ":"): 1 for plan in surveys}
    )


def test_sigterm_in_the_middle_of_a_sweep_loses_and_doubles_nothing(
    database: str, tmp_path: Path
) -> None:
    """400 rounds due at once; ``jiesu serve`` is stopped with SIGTERM while it is still asking
    and sending, then started again: each resident has exactly one survey.

    A graceful stop lets the drainer finish the batch it claimed (nothing is left claimed by a
    process that is gone), and the sweep's steps are each one transaction, so whatever the stop
    interrupts is either done with its message queued, or not done at all.
    """
    with processes(tmp_path) as started:
        wechat = start_fake(
            started, "fake-wechat", "tests.fake_wechat", "--appid", MP_APPID, "--secret", MP_SECRET
        )
        env = survey_env(tmp_path, database, wechat)
        jiesu_run(env, tmp_path, "migrate", "--demo")
        now = datetime.now(UTC)
        surveys = asyncio.run(add_surveys(database, [now] * RESTART_SURVEYS))

        first = start_serve(started, "serve-first", env, tmp_path)
        wait_for(
            lambda: len(fake_sent(wechat)) >= 20, 30, "the first surveys to arrive", every=0.05
        )
        stopped = Snapshot(
            len(fake_sent(wechat)), survey_statuses(database), outbox_statuses(database)
        )
        stop(first.process)
        after = Snapshot(
            len(fake_sent(wechat)), survey_statuses(database), outbox_statuses(database)
        )
        print(f"\njust before SIGTERM: {stopped}\nafter the stop: {after}")
        assert stopped.at_fake < RESTART_SURVEYS, "everything was sent before the stop"
        assert not after.outbox.get("sending"), "a gracefully stopped drainer left rows claimed"

        second = start_serve(started, "serve-again", env, tmp_path)
        done = wait_until(
            lambda: (
                survey_statuses(database) == {"sent": RESTART_SURVEYS}
                and outbox_statuses(database) == {"sent": RESTART_SURVEYS}
            ),
            timeout=40,
        )
        time.sleep(1.0)  # a few more sweeps, so that a late second send would be seen
        stop(second.process)
        check_each_resident_asked_once(database, wechat, surveys)
        assert done
        assert not log_problems(started), "\n".join(log_problems(started))


def test_sigkill_in_the_middle_of_a_sweep_loses_and_doubles_nothing(
    database: str, tmp_path: Path
) -> None:
    """400 rounds due at once; ``jiesu serve`` is killed (SIGKILL) in the middle of its sweep,
    before its drainer has sent anything, then started again: each resident has one survey.

    What SIGKILL can guarantee and what it cannot. Each step of the sweep (claim the round,
    queue its message, write the timeline event) is one PostgreSQL transaction, so a kill
    leaves each round either asked with its message queued, or untouched for the next sweep:
    nothing is lost and nothing doubled, and this test checks exactly that. Sending is another
    matter: a message handed to WeChat just before the kill may or may not have arrived, and
    WeChat has no key by which to recognise a repeat; the next test shows what the outbox does
    about those. Here the drainer is kept from sending (a 30 s poll: its one drain at start
    finds nothing yet), the test checks that nothing had been sent or claimed at the kill, and
    then expects exactly once.
    """
    with processes(tmp_path) as started:
        wechat = start_fake(
            started, "fake-wechat", "tests.fake_wechat", "--appid", MP_APPID, "--secret", MP_SECRET
        )
        env = survey_env(tmp_path, database, wechat)
        jiesu_run(env, tmp_path, "migrate", "--demo")
        now = datetime.now(UTC)
        surveys = asyncio.run(add_surveys(database, [now] * RESTART_SURVEYS))

        idle_drainer = {**env, "JIESU_OUTBOX_POLL_SECONDS": "30"}
        first = start_serve(started, "serve-killed", idle_drainer, tmp_path)
        wait_for(
            lambda: survey_statuses(database).get("sent", 0) >= 50,
            30,
            "the sweep to ask the first 50 residents",
            every=0.05,
        )
        first.process.popen.kill()
        first.process.popen.wait(timeout=STOP_TIMEOUT)
        killed = Snapshot(
            len(fake_sent(wechat)), survey_statuses(database), outbox_statuses(database)
        )
        print(f"\nafter SIGKILL: {killed}")
        assert killed.surveys.get("scheduled", 0) > 0, "the sweep had finished before the kill"
        assert killed.at_fake == 0 and not killed.outbox.get("sending"), (
            "the drainer had started sending before the kill; this test needs it idle"
        )
        assert killed.outbox == {"pending": killed.surveys["sent"]}, killed

        second = start_serve(started, "serve-again", env, tmp_path)
        done = wait_until(
            lambda: (
                survey_statuses(database) == {"sent": RESTART_SURVEYS}
                and outbox_statuses(database) == {"sent": RESTART_SURVEYS}
            ),
            timeout=40,
        )
        time.sleep(1.0)  # a few more sweeps, so that a late second send would be seen
        stop(second.process)
        check_each_resident_asked_once(database, wechat, surveys)
        assert done
        assert not log_problems(started), "\n".join(log_problems(started))


def test_sigkill_while_sending_loses_nothing_and_resends_only_what_was_in_flight(
    database: str, tmp_path: Path
) -> None:
    """``jiesu serve`` is killed (SIGKILL) while its drainer is sending; once the dead process's
    claims lapse, a new process sends the rest: every resident gets their survey, and exactly
    those whose message WeChat had accepted without the dead process recording it get it twice.

    This is the window the previous test keeps shut. A row is marked sent only after WeChat
    answered, so a message WeChat accepted just before the kill is still claimed (``sending``).
    Just before each request leaves, the drainer marks its row as handed over; a drainer that
    takes up a lapsed claim with that mark knows the message may have arrived and does not send
    it blindly: the row becomes ``unknown``. A reply would stay so; a survey (asking twice is
    harmless, never asking is not) gets one more copy after ``JIESU_OUTBOX_RESEND_WAIT_SECONDS``
    (1 s here) unless the round was answered meanwhile. Rows claimed but not yet handed over
    are sent as usual. The fake accepts and records each message and then holds its answer
    0.2 s, so some are in flight at the kill. The claim lasts 60 s; instead of waiting that
    long the test moves the dead process's claims into the past, which is all that time would
    do to them. Then the doubles are exactly predicted: the residents the fake had reached whose
    rows were not recorded as sent, every one of them a row marked as handed over. Everyone
    else: once.
    """
    with processes(tmp_path) as started:
        wechat = start_fake(
            started,
            "fake-wechat",
            "tests.fake_wechat",
            "--appid",
            MP_APPID,
            "--secret",
            MP_SECRET,
            "--answer-delay",
            "0.2",
        )
        env = survey_env(tmp_path, database, wechat, outbox_resend_wait_seconds="1")
        jiesu_run(env, tmp_path, "migrate", "--demo")
        now = datetime.now(UTC)
        surveys = asyncio.run(add_surveys(database, [now] * RESTART_SURVEYS))

        first = start_serve(started, "serve-killed", env, tmp_path)
        wait_for(
            lambda: len(fake_sent(wechat)) >= 40, 30, "the first surveys to arrive", every=0.05
        )
        first.process.popen.kill()
        first.process.popen.wait(timeout=STOP_TIMEOUT)
        counts: list[int] = []

        def fake_settled() -> bool:
            counts.append(len(fake_sent(wechat)))
            return len(counts) >= 3 and counts[-1] == counts[-3]

        wait_for(fake_settled, 10, "the fake to finish what it received", every=0.2)
        reached = {str(m["body"]["touser"]) for m in fake_sent(wechat)}
        recipients = query(database, "SELECT recipient, status FROM outbox")
        claimed = {str(row[0]) for row in recipients if row[1] == "sending"}
        recorded = {str(row[0]) for row in recipients if row[1] == "sent"}
        handed_over = {
            str(row[0])
            for row in query(
                database,
                "SELECT recipient FROM outbox WHERE status = 'sending' "
                "AND response::text LIKE '%handed_over_at%'",
            )
        }
        unrecorded = reached - recorded
        killed = Snapshot(len(reached), survey_statuses(database), outbox_statuses(database))
        print(
            f"\nafter SIGKILL: {killed}; {len(claimed)} rows claimed by the dead process, "
            f"{len(handed_over)} of them handed over, {len(unrecorded)} reached WeChat"
        )
        assert killed.at_fake < RESTART_SURVEYS, "everything was sent before the kill"
        assert unrecorded <= handed_over <= claimed, (
            f"reached WeChat without the hand-over mark: {unrecorded - handed_over}"
        )
        # Each survey ends with one row sent: the first, or for a row that was handed over,
        # its one more copy (the row itself stays unknown).
        final_outbox = {"sent": RESTART_SURVEYS, "unknown": len(handed_over)}
        final_outbox = {status: n for status, n in final_outbox.items() if n}

        # What 60 s would do: the dead process's claims lapse.
        query(
            database,
            "UPDATE outbox SET claimed_until = now() - interval '1 second' "
            "WHERE status = 'sending'",
        )
        second = start_serve(started, "serve-again", env, tmp_path)
        done = wait_until(
            lambda: (
                survey_statuses(database) == {"sent": RESTART_SURVEYS}
                and outbox_statuses(database) == final_outbox
            ),
            timeout=40,
        )
        time.sleep(1.0)  # a few more sweeps, so that a late second send would be seen
        stop(second.process)

        got = survey_keys(fake_sent(wechat))
        expected = Counter(
            {
                (plan.openid, f"menu:{plan.survey_id}"): 2 if plan.openid in unrecorded else 1
                for plan in surveys
            }
        )
        assert got == expected, counter_diff(got, expected)
        assert survey_statuses(database) == {"sent": RESTART_SURVEYS}
        assert outbox_statuses(database) == final_outbox
        assert event_counts(database, "survey_sent") == Counter(
            {(plan.case_id, ":"): 1 for plan in surveys}
        )
        assert done
        assert not log_problems(started), "\n".join(log_problems(started))
