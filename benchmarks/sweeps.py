"""Sweeps at scale: the survey and deadline sweeps among a million cases, and the survey drain.

Run from the repository: ``python benchmarks/sweeps.py [--cases 1000000] [--ticks 10]
[--drain 5000] [--rate 2000] [--explain] [--keep-db] [--json]``.

1. A throwaway PostgreSQL database (``jiesu_bench_<hex>`` on 127.0.0.1:5432, user postgres) is
   migrated with the project's migrations and given the demo district; then residents, a year of
   cases, their survey rounds and the outbox history are written with COPY (not the ORM), in the
   state a service that has been sweeping all along would leave: most cases closed, a few thousand
   open with their due warnings sent and missed deadlines escalated, survey history answered or
   未评价, a few hundred rounds scheduled, sent or reminded. On top of that, each of ``--ticks``
   sweep times gets a little new work: 20 rounds falling due (2 of them to residents outside the
   48-hour window), 2 reminders, 2 rounds closing; 3 sign-for deadlines passing (督办) and 3
   first-contact deadlines entering their warning lead.
2. ``sweep_due_surveys`` (ticks 30 s apart) and ``sweep_deadlines`` (60 s apart) run at each tick
   with ``batch=200`` and a fixed ``now``, then once more at the same ``now`` with nothing due.
   Per batch: p50 and max in ms, beside a ``SELECT 1`` and a primary-key lookup through the ORM in
   the same run. Each scan query is EXPLAIN ANALYZEd twice: planned for its values, and as a
   connection runs it once asyncpg's prepared statement has run five times (PostgreSQL may then
   keep a generic plan made without knowing ``now``); whole plans with ``--explain``, and for a
   sweep that misses its target.
3. ``--drain`` rounds due at once are queued by the survey sweep (the real path) and drained by
   ``OutboxDrainer`` through ``WeChatClient`` to the fake WeChat server in its own process
   (``python -m tests.fake_wechat``), with ``--rate`` per second configured so that the limit does
   not cap the figure; the baseline is a bare aiohttp client POSTing the same JSON at the same
   concurrency to a second fake server. The fake must have received each survey exactly once.

Targets: under 100 ms per sweep batch with little due, at least 500 surveys/s drained, none
missing or doubled. The build takes one to two minutes for a million cases. It exits 0 whatever
the result; a shared machine makes the figures noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import secrets
import socket
import statistics
import sys
import time
from array import array
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar, cast

import aiohttp
import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.wechat.client import AccessTokenStore, WeChatClient  # noqa: E402
from bot.wechat.outbox_drainer import SEND_CONCURRENCY, OutboxDrainer  # noqa: E402
from config import escalation as ladder_config  # noqa: E402
from config.demo_district import DISTRICT  # noqa: E402
from config.settings import Settings  # noqa: E402
from handlers.clock import LOCAL_TZ  # noqa: E402
from handlers.context import HandlerContext  # noqa: E402
from handlers.district.gazetteer import load_gazetteer  # noqa: E402
from handlers.district.setup import load_demo_district  # noqa: E402
from handlers.followup.surveys import due_scans, sweep_due_surveys  # noqa: E402
from handlers.workflow.escalation import (  # noqa: E402
    CLOCK_RULES,
    Escalation,
    _Sweep,
    lead,
    plan_steps,
    sweep_deadlines,
    warning_key,
)
from handlers.workflow.routing import load_routing_table  # noqa: E402
from models import Case, Grid, SurveyStatus, Unit, Worker, WorkerRole  # noqa: E402
from models.database import close_orm, init_orm, migrate  # noqa: E402

PG_URL = "postgres://postgres@127.0.0.1:5432"
TARGET_BATCH_MS = 100.0
TARGET_SENDS_PER_SECOND = 500.0
BATCH = 200

# A Tuesday, 10:00 in the district: the sweeps run at fixed times from here.
ANCHOR = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ).astimezone(UTC)
SURVEY_TICK_SECONDS = 30.0  # JIESU_FOLLOWUP_SWEEP_SECONDS
DEADLINE_TICK_SECONDS = 60.0  # JIESU_ESCALATION_SWEEP_SECONDS
DRAIN_AFTER_SECONDS = 3600.0  # the drain cohort falls due an hour after the anchor

# New work per tick ("little is due").
ASKS_PER_TICK = 20
ASKS_OUTSIDE_WINDOW = 2  # of those, residents who last wrote more than 48 h ago (unreachable)
REMINDERS_PER_TICK = 2
CLOSES_PER_TICK = 2
MISSES_PER_TICK = 3  # sign-for deadlines passing: 督办
WARNINGS_PER_TICK = 3  # first-contact deadlines entering the warning lead

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
YEAR = 365 * DAY
SHANGHAI_OFFSET = 8 * HOUR  # the district's clock has no daylight saving
WORKING_DAY = 1.4 * DAY  # 7 working days are about 9.8 calendar days
SURVEY_MORNING = 9  # Settings.survey_morning_hour
RESIDENTS_PER_CASE = 0.3
ARCHIVE_AFTER = 30 * DAY

T = TypeVar("T")


# The time plan


@dataclass(frozen=True)
class Timeline:
    """When the sweeps run. Background data keeps its own times out of ``band`` so that only the
    planted work falls due at a tick."""

    t0: float
    ticks: int

    @property
    def survey_ticks(self) -> list[float]:
        return [self.t0 + k * SURVEY_TICK_SECONDS for k in range(1, self.ticks + 1)]

    @property
    def deadline_ticks(self) -> list[float]:
        return [self.t0 + k * DEADLINE_TICK_SECONDS for k in range(1, self.ticks + 1)]

    @property
    def drain_at(self) -> float:
        return self.t0 + DRAIN_AFTER_SECONDS

    @property
    def band(self) -> tuple[float, float]:
        return self.t0 - MINUTE, self.drain_at + MINUTE

    def in_band(self, ts: float) -> bool:
        start, end = self.band
        return start < ts <= end


def as_dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def next_morning(ts: float) -> float:
    """The default survey time after 办结 at ``ts``: the next local morning at 09:00."""
    day = math.floor((ts + SHANGHAI_OFFSET) / DAY)
    return (day + 1) * DAY + SURVEY_MORNING * HOUR - SHANGHAI_OFFSET


def openid(resident_id: int) -> str:
    return f"oBench{resident_id:022d}"


# What the data is made of


@dataclass(frozen=True)
class Limits:
    sign: float
    first_contact: float
    completion: float


KIND_LIMITS = {
    "complaint": Limits(4 * HOUR, 24 * HOUR, 7 * WORKING_DAY),
    "help": Limits(4 * HOUR, 24 * HOUR, 7 * WORKING_DAY),
    "report": Limits(4 * HOUR, 24 * HOUR, 7 * WORKING_DAY),
    "question": Limits(4 * HOUR, 24 * HOUR, 2 * WORKING_DAY),
    "suggestion": Limits(8 * HOUR, 2 * WORKING_DAY, 15 * WORKING_DAY),
    "praise": Limits(8 * HOUR, 2 * WORKING_DAY, 5 * WORKING_DAY),
}
URGENT_LIMITS = Limits(0.5 * HOUR, 2 * HOUR, 24 * HOUR)
DIFFICULT_COMPLETION = 15 * WORKING_DAY
KINDS = [("complaint", 0.70), ("help", 0.80), ("question", 0.90), ("suggestion", 0.95)]
KINDS_REST = [("report", 0.98), ("praise", 1.0)]


@dataclass(frozen=True)
class Topic:
    category: str
    title: str
    text: str
    result: str
    unit: str | None  # a department's code; None = the street office of the grid


TOPICS = [
    Topic("城乡建设/市政设施", "楼道灯坏了", "楼道灯坏了，晚上上下楼看不见", "已更换灯泡", None),
    Topic("城乡建设/环境卫生", "垃圾无人清运", "门口垃圾没人清运，已经堆了三天", "已清运", "GREEN"),
    Topic("城乡建设/市政设施", "下水道堵塞", "楼下下水道堵了，污水漫到路上", "已疏通", "CONSTRUCT"),
    Topic("城乡建设/违章建筑", "违章搭建", "楼前有人违章搭建，占了消防通道", "已拆除", "URBAN"),
    Topic("环境保护/噪声污染", "夜间施工噪声", "工地夜里施工，吵得睡不着", "已责令停工", "ECO"),
    Topic("交通运输/停车管理", "车辆乱停", "小区门口车辆乱停，堵住出入口", "已劝离并划线", None),
    Topic("城乡建设/供水供电供气", "停水", "整栋楼停水一天了，没有通知", "已恢复供水", "UTIL"),
    Topic("城乡建设/物业管理", "电梯故障", "电梯坏了一周没人修，老人上不了楼", "已修复", None),
    Topic("民政", "独居老人求助", "独居老人家里没人照看，请社区关心", "社区已走访", "CIVIL"),
    Topic("商贸旅游", "餐馆油烟扰民", "楼下餐馆油烟很大，窗户都不能开", "已安装净化器", "MARKET"),
]

CASE_COLUMNS = tuple(
    """id number channel status kind kind_confidence category category_confidence urgency
    urgency_reasons difficult title keywords text attachments place_text street compound lng lat
    supervised returned_count reopened_count escalation_level sign_due_at first_contact_due_at
    completion_due_at survey_due_at created_at updated_at dispatched_at signed_at first_contact_at
    completed_at closed_at result version duplicate_of_id grid_id resident_id unit_id worker_id
    result_attachments""".split()
)
RESIDENT_COLUMNS = tuple(
    """id openid nickname subscribed subscribed_at unsubscribed_at consent_template
    consent_subscribe survey_opt_out last_message_at created_at""".split()
)
SURVEY_COLUMNS = tuple(
    """id round status due_at sent_at reminder_due_at reminded_at closes_at answer comment
    answered_at late skip_reason created_at case_id resident_id answer_source""".split()
)
OUTBOX_COLUMNS = tuple(
    """id channel recipient payload purpose dedup_key case_id status attempts next_attempt_at
    last_error response created_at sent_at""".split()
)

# Survey states in the compact arrays of the build.
S_SCHEDULED, S_SENT, S_REMINDED, S_ANSWERED, S_UNRATED, S_UNREACHABLE, S_SKIPPED = range(7)
STATE_NAMES = {
    S_SCHEDULED: SurveyStatus.SCHEDULED.value,
    S_SENT: SurveyStatus.SENT.value,
    S_REMINDED: SurveyStatus.REMINDED.value,
    S_ANSWERED: SurveyStatus.ANSWERED.value,
    S_UNRATED: SurveyStatus.UNRATED.value,
    S_UNREACHABLE: SurveyStatus.UNREACHABLE.value,
    S_SKIPPED: SurveyStatus.SKIPPED.value,
}
ANSWERS = ("satisfied", "basically")
SKIP_REASONS = ("诉求没有关联居民", "居民已取消关注", "居民已选择不接受回访")
UNREACHABLE_REASON = "48小时客服消息窗口已关闭，且居民未授权模板或订阅消息"
HISTORY_PAYLOAD = json.dumps(
    {"msgtype": "text", "text": {"content": "您的诉求已办结，请对办理结果评价"}}, ensure_ascii=False
)
WORKER_PAYLOAD = json.dumps(
    {"msgtype": "text", "text": {"content": "【即将超时】诉求期限将至"}}, ensure_ascii=False
)
SENT_RESPONSE = '{"errcode": 0, "errmsg": "ok"}'


def resident_row(
    rid: int,
    last_message: float,
    created: float,
    *,
    subscribed: bool = True,
    opt_out: bool = False,
) -> tuple[Any, ...]:
    unsubscribed = None if subscribed else dt(last_message + DAY)
    return (
        rid,
        openid(rid),
        "",
        subscribed,
        dt(created),
        unsubscribed,
        False,
        "{}",
        opt_out,
        dt(last_message),
        dt(created),
    )


def survey_row(
    status: str,
    due: float,
    case_id: int,
    resident_id: int | None,
    created: float,
    *,
    sent: float | None = None,
    reminder: float | None = None,
    reminded: float | None = None,
    closes: float | None = None,
    answer: str | None = None,
    answered: float | None = None,
    skip_reason: str = "",
) -> tuple[Any, ...]:
    """A round without its id (columns of SURVEY_COLUMNS after ``id``)."""
    return (
        1,
        status,
        dt(due),
        as_dt(sent),
        as_dt(reminder),
        as_dt(reminded),
        as_dt(closes),
        answer,
        "",
        as_dt(answered),
        False,
        skip_reason,
        dt(created),
        case_id,
        resident_id,
        "menu" if answer else "",
    )


def outbox_row(
    channel: str,
    recipient: str,
    payload: str,
    purpose: str,
    key: str | None,
    case_id: int,
    at: float,
    *,
    skipped: str = "",
) -> tuple[Any, ...]:
    """A message sent (or recorded as unsendable) at ``at``, without its id."""
    when = dt(at)
    status, attempts = ("skipped", 0) if skipped else ("sent", 1)
    response = None if skipped else SENT_RESPONSE
    sent_at = None if skipped else dt(at + 1)
    return (
        channel,
        recipient,
        payload,
        purpose,
        key,
        case_id,
        status,
        attempts,
        when,
        skipped,
        response,
        when,
        sent_at,
    )


@dataclass(frozen=True)
class GridInfo:
    id: int
    unit_id: int
    worker_id: int
    street: str
    compound: str
    lng: float
    lat: float


@dataclass
class District:
    grids: list[GridInfo]
    units: dict[str, int]  # code -> id
    unit_staff: dict[int, list[int]]  # unit id -> active unit_staff ids (warning fallback)


async def read_district() -> District:
    units = {unit.code: unit.id for unit in await Unit.all()}
    grid_workers = {
        w.grid_id: w.id
        for w in await Worker.filter(role=WorkerRole.GRID_WORKER, active=True).order_by("-id")
        if w.grid_id is not None
    }
    staff: dict[int, list[int]] = {}
    for w in await Worker.filter(role=WorkerRole.UNIT_STAFF, active=True).order_by("id"):
        if w.unit_id is not None:
            staff.setdefault(w.unit_id, []).append(w.id)
    grids = []
    for grid in await Grid.filter(active=True).order_by("id"):
        lngs = [p[0] for p in grid.boundary] or [0.0]
        lats = [p[1] for p in grid.boundary] or [0.0]
        if grid.id in grid_workers and grid.unit_id is not None:
            grids.append(
                GridInfo(
                    id=grid.id,
                    unit_id=grid.unit_id,
                    worker_id=grid_workers[grid.id],
                    street=grid.street,
                    compound=(grid.compounds or [grid.name])[0],
                    lng=sum(lngs) / len(lngs),
                    lat=sum(lats) / len(lats),
                )
            )
    return District(grids=grids, units=units, unit_staff=staff)


@dataclass(slots=True)
class CaseFacts:
    """One case in the making, times as epoch seconds."""

    id: int
    created: float
    status: str = "accepted"
    kind: str = "complaint"
    urgent: bool = False
    difficult: bool = False
    topic: Topic = TOPICS[0]
    grid: GridInfo | None = None
    unit_id: int | None = None
    worker_id: int | None = None
    resident_id: int | None = None
    duplicate_of: int | None = None
    dispatched: float | None = None
    sign_due: float | None = None
    fc_due: float | None = None
    comp_due: float | None = None
    survey_due: float | None = None
    signed: float | None = None
    first_contact: float | None = None
    completed: float | None = None
    closed: float | None = None
    level: int = 0
    version: int = 0

    def as_case(self) -> SimpleNamespace:
        """What ``handlers.workflow.escalation.plan_steps`` reads of a case."""
        return SimpleNamespace(
            id=self.id,
            status=self.status,
            urgency="急" if self.urgent else "一般",
            escalation_level=self.level,
            sign_due_at=as_dt(self.sign_due),
            first_contact_due_at=as_dt(self.fc_due),
            completion_due_at=as_dt(self.comp_due),
            signed_at=as_dt(self.signed),
            first_contact_at=as_dt(self.first_contact),
            completed_at=as_dt(self.completed),
        )


# Building the rows


class Builder:
    """Every row of the big tables, generated in the order they are copied."""

    def __init__(self, cases: int, timeline: Timeline, district: District, seed: int) -> None:
        self.tl = timeline
        self.district = district
        self.rng = random.Random(seed)
        self.t0_dt = dt(timeline.t0)
        self.warn_until = dt(timeline.deadline_ticks[-1])
        self.main_residents = max(100, int(cases * RESIDENTS_PER_CASE))
        self.planted_survey_cases = timeline.ticks * (
            ASKS_PER_TICK + REMINDERS_PER_TICK + CLOSES_PER_TICK
        )
        self.planted_deadline_cases = timeline.ticks * (MISSES_PER_TICK + WARNINGS_PER_TICK)
        self.main_cases = cases - self.planted_survey_cases - self.planted_deadline_cases
        if self.main_cases < 1000:
            raise SystemExit(f"--cases must be at least {cases - self.main_cases + 1000}")
        self.numbers: Counter[int] = Counter()  # local day -> cases numbered that day
        self.prefixes: dict[int, str] = {}
        # Survey rounds of the background cases, compact: one entry per round.
        self.s_case = array("q")
        self.s_resident = array("q")  # 0 = no resident
        self.s_state = array("b")
        self.s_due = array("d")
        self.s_answered = array("d")  # answered_at, or -1
        self.s_extra = array("b")  # answer index, or skip reason index
        # Rows written as they are found: planted rounds, warnings already sent.
        self.planted_surveys: list[tuple[Any, ...]] = []
        self.planted_residents: list[tuple[int, float]] = []  # (id, last_message_at)
        self.outbox_rows: list[tuple[Any, ...]] = []  # (columns of OUTBOX_COLUMNS but id)
        self.open_cases = 0
        self.expected: dict[str, int] = {}

    # numbers and small pieces

    def number(self, created: float) -> str:
        day = math.floor((created + SHANGHAI_OFFSET) / DAY)
        prefix = self.prefixes.get(day)
        if prefix is None:
            prefix = datetime.fromtimestamp(day * DAY, UTC).strftime("%y%m%d")
            self.prefixes[day] = prefix
        self.numbers[day] += 1
        return f"{prefix}{self.numbers[day]:04d}"

    def kind(self, r: float) -> str:
        for name, upto in KINDS:
            if r < upto:
                return name
        for name, upto in KINDS_REST:
            if r < upto:
                return name
        return "complaint"

    def case_record(self, c: CaseFacts) -> tuple[Any, ...]:
        grid = c.grid
        topic = c.topic
        closed_or_now = c.closed or c.completed or c.first_contact or c.signed or c.created
        return (
            c.id,
            self.number(c.created),
            "mp",
            c.status,
            c.kind,
            0.9,
            topic.category,
            0.8,
            "急" if c.urgent else "一般",
            '["漏水"]' if c.urgent else "[]",
            c.difficult,
            topic.title,
            "[]",
            topic.text,
            "[]",
            grid.compound if grid else None,
            grid.street if grid else None,
            grid.compound if grid else None,
            grid.lng if grid else None,
            grid.lat if grid else None,
            c.level > 0,
            0,
            0,
            c.level,
            as_dt(c.sign_due),
            as_dt(c.fc_due),
            as_dt(c.comp_due),
            as_dt(c.survey_due),
            dt(c.created),
            dt(closed_or_now),
            as_dt(c.dispatched),
            as_dt(c.signed),
            as_dt(c.first_contact),
            as_dt(c.completed),
            as_dt(c.closed),
            topic.result if c.completed else "",
            c.version,
            c.duplicate_of,
            grid.id if grid else None,
            c.resident_id,
            c.unit_id,
            c.worker_id,
            "[]",
        )

    # residents

    def residents(self) -> Iterator[tuple[Any, ...]]:
        rnd = self.rng.random
        t0 = self.tl.t0
        for rid in range(1, self.main_residents + 1):
            created = t0 - YEAR - 30 * DAY + rnd() * YEAR
            subscribed = rnd() > 0.05
            last = created + rnd() * (t0 - 3 * DAY - created)
            yield resident_row(rid, last, created, subscribed=subscribed, opt_out=rnd() < 0.01)
        for rid, last in self.planted_residents:
            yield resident_row(rid, last, last - 30 * DAY)

    # cases

    def cases(self) -> Iterator[tuple[Any, ...]]:
        span = YEAR / self.main_cases
        start = self.tl.t0 - YEAR
        rnd = self.rng.random
        for i in range(self.main_cases):
            created = start + (i + rnd()) * span
            yield self.case_record(self.background_case(i + 1, created))
        yield from self.planted_cases()

    def background_case(self, case_id: int, created: float) -> CaseFacts:
        rng = self.rng
        rnd = rng.random
        t0 = self.tl.t0
        c = CaseFacts(case_id, created, kind=self.kind(rnd()))
        c.urgent = rnd() < 0.06
        c.difficult = not c.urgent and rnd() < 0.05
        limits = URGENT_LIMITS if c.urgent else KIND_LIMITS[c.kind]
        completion_limit = DIFFICULT_COMPLETION if c.difficult else limits.completion
        c.resident_id = None if rnd() < 0.02 else int(rnd() * self.main_residents) + 1
        grids = self.district.grids
        c.grid = grid = grids[int(rnd() * len(grids))]
        c.topic = topic = TOPICS[int(rnd() * len(TOPICS))]
        fate = rnd()
        if fate < 0.02 and case_id > 2000:  # 已并案: joined an earlier open case
            c.status = "merged"
            c.duplicate_of = case_id - 1 - int(rnd() * 1500)
            return c
        dispatched = created + rnd() * 10 * MINUTE
        if dispatched > t0:
            self.open_cases += 1
            return c  # still 受理
        c.unit_id = self.district.units[topic.unit] if topic.unit else grid.unit_id
        c.worker_id = None if topic.unit else grid.worker_id
        c.dispatched = dispatched
        c.sign_due = dispatched + limits.sign
        c.fc_due = dispatched + limits.first_contact
        c.comp_due = dispatched + completion_limit
        c.version = 1
        if fate < 0.05:  # 撤销 before anybody signed
            cancelled = created + 10 * MINUTE + rnd() * 3 * HOUR
            if cancelled <= t0:
                c.status, c.closed, c.version = "cancelled", cancelled, 2
                return c
            return self.settle_open(c, "dispatched")
        late = rnd() < 0.05
        signed = dispatched + limits.sign * (1.05 + rnd() if late else 0.05 + 0.85 * rnd())
        if rnd() < 0.05:
            first_contact = c.fc_due + rnd() * 0.5 * limits.first_contact
        else:
            room = max(c.fc_due - signed, 0.1 * limits.first_contact)
            first_contact = signed + room * (0.1 + 0.8 * rnd())
        if rnd() < 0.03:
            duration = completion_limit * (1.0 + 0.5 * rnd())
        else:
            duration = min(rng.expovariate(1 / (0.12 * completion_limit)), completion_limit)
        completed = max(first_contact + 10 * MINUTE, dispatched + duration)
        if t0 < signed:
            return self.settle_open(c, "dispatched")
        c.signed = signed
        if t0 < first_contact:
            return self.settle_open(c, "signed")
        c.first_contact = first_contact
        if t0 < completed:
            return self.settle_open(c, "contacted" if t0 < first_contact + HOUR else "in_progress")
        c.completed = completed
        misses = (signed > c.sign_due) + (first_contact > c.fc_due) + (completed > c.comp_due)
        c.level = min(misses, ladder_config.TOP_LEVEL)
        c.version = 5 + c.level
        self.survey_round(c)
        return c

    def survey_round(self, c: CaseFacts) -> None:
        """The case's round after 办结, as the sweep would have left it by the anchor."""
        rnd = self.rng.random
        t0 = self.tl.t0
        completed = cast(float, c.completed)
        due = next_morning(completed)
        c.survey_due = due
        answered = -1.0
        extra = 0
        c.status = "completed"
        if due > t0:
            state = S_SCHEDULED
        elif c.resident_id is None:
            state, extra = S_SKIPPED, 0
        elif (r := rnd()) < 0.04:
            state, extra = S_SKIPPED, 1 + int(r * 50) % 2
        elif r < 0.16:
            state = S_UNREACHABLE
        else:
            reminder, closes = due + DAY, due + 3 * DAY
            at = due + self.rng.expovariate(1 / (8 * HOUR)) if rnd() < 0.75 else closes
            if at < closes and at <= t0:
                state, answered, extra = S_ANSWERED, at, int(rnd() < 0.15)
            elif closes <= t0:
                state = S_UNRATED
            elif reminder <= t0:
                state = S_REMINDED
            else:
                state = S_SENT
            if state in (S_ANSWERED, S_UNRATED):
                c.status, c.closed, c.version = "visited", min(at, closes), c.version + 1
        finished = c.closed or due
        if (c.status != "completed" or state in (S_SKIPPED, S_UNREACHABLE)) and (
            t0 - finished > ARCHIVE_AFTER
        ):
            c.status, c.closed, c.version = "archived", finished + 7 * DAY, c.version + 1
        if not self.tl.in_band(due):
            self.s_case.append(c.id)
            self.s_resident.append(c.resident_id or 0)
            self.s_state.append(state)
            self.s_due.append(due)
            self.s_answered.append(answered)
            self.s_extra.append(extra)

    def settle_open(self, c: CaseFacts, status: str) -> CaseFacts:
        """An open case in steady state: deadlines that passed are escalated, due warnings sent.

        The case's deadlines are kept out of the sweeps' band so that it brings no new work."""
        self.open_cases += 1
        c.status = status
        c.version = {"dispatched": 1, "signed": 2, "contacted": 3, "in_progress": 4}[status]
        second_miss = ladder_config.LADDERS.get("急" if c.urgent else "一般", ladder_config.DEFAULT)
        later = second_miss.second_miss_after.total_seconds()
        shift = self.tl.band[1] - self.tl.band[0] + MINUTE
        for name in ("sign_due", "fc_due", "comp_due"):
            value = getattr(c, name)
            while value is not None and (
                self.tl.in_band(value) or (name == "comp_due" and self.tl.in_band(value + later))
            ):
                value += shift
            setattr(c, name, value)
        ns = c.as_case()
        steps = plan_steps(cast(Case, ns), self.t0_dt)
        level = max((s.level for s in steps if isinstance(s, Escalation)), default=0)
        if level > c.level:
            c.version += level - c.level
            c.level = level
        ns.escalation_level = c.level
        self.prewarn(c, ns)
        return c

    def prewarn(self, c: CaseFacts, ns: SimpleNamespace) -> None:
        """Outbox rows of the warnings a sweep would send before the last tick (sent already)."""
        people = [c.worker_id] if c.worker_id else self.district.unit_staff.get(c.unit_id or 0, [])
        case = cast(Case, ns)
        for name in ladder_config.CLOCKS:
            rule = CLOCK_RULES[name]
            due = rule.due(case)
            if due is None or not rule.runs(case):
                continue
            if self.t0_dt < due <= self.warn_until + lead(case, name):
                warned = due.timestamp() - lead(case, name).total_seconds()
                for worker_id in people:
                    self.outbox_rows.append(
                        outbox_row(
                            "work_app",
                            f"worker:{worker_id}",
                            WORKER_PAYLOAD,
                            ladder_config.WARNING_PURPOSE,
                            warning_key(c.id, name, due, worker_id),
                            c.id,
                            max(warned, self.tl.t0 - HOUR),
                        )
                    )

    # the planted work

    def plan_planted(self) -> None:
        """Residents of the planted survey rounds (before the residents are written)."""
        rid = self.main_residents
        for tick in self.tl.survey_ticks:
            for j in range(ASKS_PER_TICK + REMINDERS_PER_TICK + CLOSES_PER_TICK):
                rid += 1
                outside = ASKS_PER_TICK - ASKS_OUTSIDE_WINDOW <= j < ASKS_PER_TICK
                self.planted_residents.append((rid, tick - (5 * DAY if outside else 2 * HOUR)))
        n = self.tl.ticks
        self.expected = {
            "asked": n * (ASKS_PER_TICK - ASKS_OUTSIDE_WINDOW),
            "unreachable": n * ASKS_OUTSIDE_WINDOW,
            "reminded": n * REMINDERS_PER_TICK,
            "closed": n * CLOSES_PER_TICK,
            "warnings": n * WARNINGS_PER_TICK,
            "supervised": n * MISSES_PER_TICK,
        }

    def planted_cases(self) -> Iterator[tuple[Any, ...]]:
        case_id = self.main_cases
        residents = iter(rid for rid, _ in self.planted_residents)
        grids = self.district.grids
        step = SURVEY_TICK_SECONDS
        for k, tick in enumerate(self.tl.survey_ticks):
            jobs = (
                ["ask"] * ASKS_PER_TICK
                + ["remind"] * REMINDERS_PER_TICK
                + ["close"] * CLOSES_PER_TICK
            )
            for n, job in enumerate(jobs):
                case_id += 1
                at = tick - step + (n + 1) / (len(jobs) + 1) * step  # falls due in this tick
                sent = {"ask": at, "remind": at - DAY, "close": at - 3 * DAY}[job]
                grid = grids[(k + n) % len(grids)]
                c = self.finished_case(case_id, next(residents), grid, sent - DAY)
                c.survey_due = sent
                yield self.case_record(c)
                self.planted_surveys.append(self.planted_round(c, job, at))
        for k, tick in enumerate(self.tl.deadline_ticks):
            for j in range(MISSES_PER_TICK + WARNINGS_PER_TICK):
                case_id += 1
                at = tick - DEADLINE_TICK_SECONDS + (j + 1) / 8 * DEADLINE_TICK_SECONDS
                grid = grids[(k * 7 + j) % len(grids)]
                resident = int(self.rng.random() * self.main_residents) + 1
                c = CaseFacts(case_id, 0.0, grid=grid, unit_id=grid.unit_id)
                c.worker_id, c.resident_id = grid.worker_id, resident
                limits = KIND_LIMITS["complaint"]
                if j < MISSES_PER_TICK:  # the sign-for deadline passes in this tick
                    c.status, c.version = "dispatched", 1
                    c.dispatched = at - limits.sign
                    c.created = c.dispatched - MINUTE
                    c.sign_due = at
                    c.fc_due = c.dispatched + limits.first_contact
                    c.comp_due = c.dispatched + limits.completion
                    self.prewarn(c, c.as_case())  # its warning went out an hour ago
                else:  # the first-contact deadline comes within its 2 h lead in this tick
                    fc_lead = ladder_config.GENERAL.warn_before["first_contact"].total_seconds()
                    c.status, c.version = "signed", 2
                    c.fc_due = at + fc_lead
                    c.dispatched = c.fc_due - limits.first_contact
                    c.created = c.dispatched - MINUTE
                    c.signed = c.dispatched + HOUR
                    c.sign_due = c.dispatched + limits.sign
                    c.comp_due = c.dispatched + limits.completion
                self.open_cases += 1
                yield self.case_record(c)

    def finished_case(
        self, case_id: int, resident: int, grid: GridInfo, completed: float
    ) -> CaseFacts:
        """已办结 at ``completed``, every step on time (its survey round is added apart)."""
        c = CaseFacts(case_id, completed - 2 * DAY, status="completed", grid=grid)
        c.unit_id, c.worker_id, c.resident_id = grid.unit_id, grid.worker_id, resident
        c.dispatched = c.created + MINUTE
        limits = KIND_LIMITS["complaint"]
        c.sign_due = c.dispatched + limits.sign
        c.fc_due = c.dispatched + limits.first_contact
        c.comp_due = c.dispatched + limits.completion
        c.signed = c.dispatched + HOUR
        c.first_contact = c.signed + 2 * HOUR
        c.completed = completed
        c.version = 5
        return c

    def planted_round(self, c: CaseFacts, job: str, at: float) -> tuple[Any, ...]:
        """A round that falls due at ``at``: to be asked, reminded or closed."""
        created = cast(float, c.completed)
        if job == "ask":
            return survey_row("scheduled", at, c.id, c.resident_id, created)
        if job == "remind":
            sent = at - DAY
            return survey_row(
                "sent", sent, c.id, c.resident_id, created,
                sent=sent, reminder=at, closes=sent + 3 * DAY,
            )  # fmt: skip
        sent = at - 3 * DAY
        return survey_row(
            "reminded", sent, c.id, c.resident_id, created,
            sent=sent, reminder=sent + DAY, reminded=sent + DAY, closes=at,
        )  # fmt: skip

    # survey rounds and the outbox they wrote

    def surveys(self) -> Iterator[tuple[Any, ...]]:
        survey_id = 0
        for i in range(len(self.s_case)):
            survey_id += 1
            state, due, extra = self.s_state[i], self.s_due[i], self.s_extra[i]
            case_id, resident = self.s_case[i], self.s_resident[i] or None
            name, created = STATE_NAMES[state], due - 12 * HOUR
            if state == S_SCHEDULED:
                row = survey_row(name, due, case_id, resident, created)
            elif state in (S_SKIPPED, S_UNREACHABLE):
                reason = SKIP_REASONS[extra] if state == S_SKIPPED else UNREACHABLE_REASON
                row = survey_row(name, due, case_id, resident, created, skip_reason=reason)
            else:
                answered = self.s_answered[i] if state == S_ANSWERED else None
                reminder = due + DAY
                reminded = state in (S_REMINDED, S_UNRATED) or (answered or 0.0) > reminder
                row = survey_row(
                    name, due, case_id, resident, created,
                    sent=due, reminder=reminder, reminded=reminder if reminded else None,
                    closes=due + 3 * DAY, answer=ANSWERS[extra] if answered else None,
                    answered=answered,
                )  # fmt: skip
            yield (survey_id, *row)
        for row in self.planted_surveys:
            survey_id += 1
            yield (survey_id, *row)

    def history_outbox(self) -> Iterator[tuple[Any, ...]]:
        """The survey messages the background rounds sent (or could not), then the warnings."""
        for i in range(len(self.s_case)):
            state = self.s_state[i]
            if state in (S_SCHEDULED, S_SKIPPED):
                continue
            survey_id, case_id, due = i + 1, self.s_case[i], self.s_due[i]
            recipient = openid(self.s_resident[i])
            ask = f"survey:{survey_id}:ask"
            if state == S_UNREACHABLE:
                yield outbox_row(
                    "mp_custom", recipient, HISTORY_PAYLOAD, "survey", ask, case_id, due,
                    skipped=UNREACHABLE_REASON,
                )  # fmt: skip
                continue
            yield outbox_row("mp_custom", recipient, HISTORY_PAYLOAD, "survey", ask, case_id, due)
            if state in (S_REMINDED, S_UNRATED) or self.s_answered[i] > due + DAY:
                remind = f"survey:{survey_id}:remind"
                yield outbox_row(
                    "mp_custom", recipient, HISTORY_PAYLOAD, "survey_reminder", remind, case_id,
                    due + DAY,
                )  # fmt: skip
        yield from self.outbox_rows


def with_ids(rows: Iterable[tuple[Any, ...]], first: int) -> Iterator[tuple[Any, ...]]:
    for n, row in enumerate(rows, start=first):
        yield (n, *row)


# Loading


def progress(message: str) -> None:
    print(f"[sweeps] {message}", file=sys.stderr, flush=True)


async def detach(conn: asyncpg.Connection, table: str) -> list[str]:
    """Drop the table's secondary indexes, unique and foreign-key constraints for a bulk load;
    returns the statements that put them back exactly as the migrations made them."""
    restore: list[str] = []
    constraints = await conn.fetch(
        "SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
        table,
    )
    indexes = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = $1 "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname AND c.conrelid = $1::regclass)",
        table,
    )
    for row in indexes:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        restore.append(row["indexdef"])
    for row in constraints:
        await conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{row["conname"]}"')
        statement = f'ALTER TABLE "{table}" ADD CONSTRAINT "{row["conname"]}" {row["def"]}'
        # unique constraints first (foreign keys of other tables may need them)
        if row["contype"] == "u":
            restore.insert(0, statement)
        else:
            restore.append(statement)
    return restore


async def copy_rows(
    conn: asyncpg.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    *,
    bulk: bool,
) -> int:
    started = time.perf_counter()
    restore = await detach(conn, table) if bulk else []
    status = await conn.copy_records_to_table(table, records=rows, columns=list(columns))
    copied = int(status.split()[-1])
    copy_seconds = time.perf_counter() - started
    for statement in restore:
        await conn.execute(statement)
    rebuilt = time.perf_counter() - started - copy_seconds
    rebuilt_text = f", indexes and constraints rebuilt in {rebuilt:.1f} s" if restore else ""
    progress(f"{table}: {copied:,} rows copied in {copy_seconds:.1f} s{rebuilt_text}")
    return copied


async def sync_sequences(conn: asyncpg.Connection, tables: Iterable[str]) -> None:
    for table in tables:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"GREATEST((SELECT max(id) FROM {table}), 1))"
        )


async def build(conn: asyncpg.Connection, builder: Builder) -> dict[str, Any]:
    started = time.perf_counter()
    await conn.execute("SET maintenance_work_mem = '256MB'")
    await conn.execute("SET synchronous_commit = off")
    builder.plan_planted()
    counts = {
        "residents": await copy_rows(
            conn, "residents", RESIDENT_COLUMNS, builder.residents(), bulk=True
        ),
        "cases": await copy_rows(conn, "cases", CASE_COLUMNS, builder.cases(), bulk=True),
        "surveys": await copy_rows(conn, "surveys", SURVEY_COLUMNS, builder.surveys(), bulk=True),
        "outbox": await copy_rows(
            conn, "outbox", OUTBOX_COLUMNS, with_ids(builder.history_outbox(), 1), bulk=True
        ),
    }
    await sync_sequences(conn, counts)
    vacuum = time.perf_counter()
    for table in counts:
        await conn.execute(f"VACUUM (ANALYZE) {table}")
    progress(f"VACUUM ANALYZE in {time.perf_counter() - vacuum:.1f} s")
    # Write the load out now: a checkpoint still flushing it would slow the timed sweeps, and a
    # service in production is not in the middle of a 1 GB bulk load.
    checkpoint = time.perf_counter()
    await conn.execute("CHECKPOINT")
    progress(f"CHECKPOINT in {time.perf_counter() - checkpoint:.1f} s")
    states = dict(await conn.fetch("SELECT status, count(*) FROM cases GROUP BY status"))
    rounds = dict(await conn.fetch("SELECT status, count(*) FROM surveys GROUP BY status"))
    size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    seconds = time.perf_counter() - started
    progress(f"built in {seconds:.0f} s, database {size}")
    return {
        "rows": counts,
        "case_status": {str(k): int(v) for k, v in sorted(states.items())},
        "survey_status": {str(k): int(v) for k, v in sorted(rounds.items())},
        "open_cases": builder.open_cases,
        "database_size": size,
        "seconds": round(seconds, 1),
    }


# Timing the sweeps


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


async def timed(call: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await call()
    return (time.perf_counter() - started) * 1000, result


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 2) if values else 0.0,
        "max_ms": round(max(values), 2) if values else 0.0,
    }


async def baselines(conn: asyncpg.Connection, cases: int, rng: random.Random) -> dict[str, Any]:
    """A round trip and a primary-key lookup through the ORM, sampled between the sweeps."""
    from tortoise import connections

    db = connections.get("default")
    select_one: list[float] = []
    lookup: list[float] = []
    for _ in range(200):
        ms, _ = await timed(lambda: db.execute_query("SELECT 1"))
        select_one.append(ms)
        case_id = rng.randint(1, cases)
        ms, _ = await timed(lambda: Case.get(id=case_id))  # noqa: B023 - awaited at once
        lookup.append(ms)
    return {"select_1": summary(select_one), "pk_lookup": summary(lookup)}


Scan = tuple[str, str, list[Any]]  # name, SQL with $n placeholders, its parameters


def parameterized(query: Any) -> tuple[str, list[Any]]:
    """The SQL and parameters Tortoise sends for ``query`` (asyncpg prepares and caches it)."""
    query._make_query()
    sql, params = query.query.get_parameterized_sql()
    return str(sql), list(params)


def survey_scans(ctx: HandlerContext) -> list[Scan]:
    """The range scans of handlers/followup/surveys.py, exactly as sweep_due_surveys runs them."""
    return [(name, *parameterized(query)) for name, query, _ in due_scans(ctx.now, BATCH)]


def deadline_scans(ctx: HandlerContext) -> list[Scan]:
    """The first page of each scan of handlers/workflow/escalation.py, as the sweep builds them."""
    scans = _Sweep(ctx, BATCH).scans()
    misses = len(ladder_config.CLOCKS)
    return [
        (
            f"{'miss' if n < misses else 'warn'}:{column}",
            *parameterized(Case.filter(where).order_by(column, "id").limit(BATCH)),
        )
        for n, (column, where) in enumerate(scans)
    ]


def sql_literal(value: Any) -> str:
    """A parameter as a literal for EXECUTE (which takes no bind parameters)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


def plan_summary(lines: list[str]) -> tuple[float, list[str]]:
    execution = next((ln for ln in lines if ln.startswith("Execution Time")), "")
    ms = float(execution.split(":")[1].split()[0]) if execution else 0.0
    nodes = [ln.strip().removeprefix("->  ").split("  (")[0] for ln in lines if "Scan" in ln]
    return ms, nodes


PLAN_MODES = ("custom", "cached")


async def explain(conn: asyncpg.Connection, scans: list[Scan]) -> list[dict[str, Any]]:
    """Each scan planned for its values (custom), and as a long-running process runs it.

    The sweeps' queries are prepared statements (asyncpg caches them per connection): from the
    sixth run on, PostgreSQL keeps a generic plan, made without knowing ``now`` or the statuses,
    whenever its estimated cost is no worse than the custom plans' were. ``cached`` is the plan
    of the sixth run, as every process that has swept five times uses it.
    """
    plans = []
    for name, sql, params in scans:
        found: dict[str, Any] = {"scan": name, "sql": sql, "params": [str(p) for p in params]}
        values = ", ".join(sql_literal(p) for p in params)
        for mode in PLAN_MODES:
            await conn.execute(f"PREPARE bench_scan AS {sql}")
            try:
                if mode == "custom":
                    await conn.execute("SET plan_cache_mode = force_custom_plan")
                else:
                    for _ in range(5):
                        await conn.execute(f"EXECUTE bench_scan({values})")
                rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_scan({values})")
            finally:
                await conn.execute("DEALLOCATE bench_scan")
                await conn.execute("RESET plan_cache_mode")
            lines = [str(row[0]) for row in rows]
            ms, nodes = plan_summary(lines)
            generic = any("$" in line for line in lines if "Cond" in line or "Filter" in line)
            found[mode] = {"ms": ms, "nodes": nodes, "plan": lines, "generic": generic}
        plans.append(found)
    return plans


@dataclass
class SweepRun:
    busy: list[float] = field(default_factory=list)
    idle: list[float] = field(default_factory=list)
    cold_ms: float = 0.0
    done: Counter[str] = field(default_factory=Counter)
    idle_steps: int = 0
    failed: int = 0


async def run_sweeps(
    name: str,
    sweep: Callable[[HandlerContext], Awaitable[Any]],
    ctx: HandlerContext,
    ticks: list[float],
    counted: tuple[str, ...],
) -> SweepRun:
    run = SweepRun()
    start = dt(2 * ticks[0] - ticks[1])  # the anchor: nothing is due yet
    run.cold_ms, first = await timed(lambda: sweep(replace(ctx, now=start)))
    run.idle_steps += first.steps
    for n, tick in enumerate(ticks, start=1):
        at = replace(ctx, now=dt(tick))
        ms, result = await timed(lambda: sweep(at))  # noqa: B023 - awaited at once
        run.busy.append(ms)
        run.done.update({key: getattr(result, key) for key in counted})
        run.failed += result.failed
        ms, again = await timed(lambda: sweep(at))  # noqa: B023 - awaited at once
        run.idle.append(ms)
        run.idle_steps += again.steps
        run.failed += again.failed
        progress(
            f"{name} tick {n}: {run.busy[-1]:.1f} ms with {result.steps} steps, "
            f"then {ms:.1f} ms with nothing due"
        )
    return run


def sweep_settings(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        mp_token="benchtoken123",
        mp_appid="wxfake",
        mp_secret="fakesecret",
        run_background=False,
        outbound_mode="sandbox",
        wechat_api_base="http://127.0.0.1:9",
        # WeCom configured as in production: notices to workers are queued as task messages.
        work_corp_id="wwbench",
        work_agent_id="1000002",
        work_secret="benchsecret",
        log_level="WARNING",
    )


async def time_sweeps(
    conn: asyncpg.Connection, ctx: HandlerContext, builder: Builder, args: argparse.Namespace
) -> dict[str, Any]:
    tl = builder.tl
    rng = random.Random(args.seed + 1)
    before = await baselines(conn, args.cases, rng)
    surveys = await run_sweeps(
        "survey sweep",
        lambda c: sweep_due_surveys(c, batch=BATCH),
        ctx,
        tl.survey_ticks,
        ("asked", "unreachable", "skipped", "reminded", "closed", "lost_races"),
    )
    deadlines = await run_sweeps(
        "deadline sweep",
        lambda c: sweep_deadlines(c, batch=BATCH),
        ctx,
        tl.deadline_ticks,
        ("warnings", "supervised", "escalated", "notices", "skipped"),
    )
    after = await baselines(conn, args.cases, rng)
    last_survey = replace(ctx, now=dt(tl.survey_ticks[-1]))
    last_deadline = replace(ctx, now=dt(tl.deadline_ticks[-1]))
    plans = {
        "survey": await explain(conn, survey_scans(last_survey)),
        "deadline": await explain(conn, deadline_scans(last_deadline)),
    }
    pk = statistics.median([before["pk_lookup"]["p50_ms"], after["pk_lookup"]["p50_ms"]]) or 1e-9
    result: dict[str, Any] = {"baseline": {"before": before, "after": after, "pk_p50_ms": pk}}
    for name, run, expected_keys in (
        ("survey", surveys, ("asked", "unreachable", "reminded", "closed")),
        ("deadline", deadlines, ("warnings", "supervised")),
    ):
        busy, idle = summary(run.busy), summary(run.idle)
        planted = {key: builder.expected[key] for key in expected_keys}
        done = {key: int(value) for key, value in run.done.items()}
        as_planned = all(done.get(k, 0) == v for k, v in planted.items()) and run.idle_steps == 0
        ok = busy["max_ms"] < TARGET_BATCH_MS and idle["max_ms"] < TARGET_BATCH_MS
        steps = sum(run.done[k] for k in expected_keys)
        per_step = (busy["p50_ms"] - idle["p50_ms"]) / (steps / max(busy["n"], 1)) if steps else 0
        result[name] = {
            "per_step_ms": round(per_step, 2),
            "busy": busy,
            "idle": idle,
            "cold_ms": round(run.cold_ms, 2),
            "busy_per_pk_lookup": round(busy["p50_ms"] / pk, 1),
            "idle_per_pk_lookup": round(idle["p50_ms"] / pk, 1),
            "steps": steps,
            "done": done,
            "planted": planted,
            "idle_steps": run.idle_steps,
            "failed": run.failed,
            "as_planned": as_planned,
            "ok": ok,
            "scans": plans[name],
        }
    return result


# The drain


@asynccontextmanager
async def fake_wechat(appid: str, secret: str) -> AsyncIterator[str]:
    """``python -m tests.fake_wechat`` in its own process; yields the base URL it prints."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fake_wechat", "--port", str(port),
        "--appid", appid, "--secret", secret,
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
        url = line.decode().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the fake WeChat server did not start (said {url!r})")
        yield url
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


class ShiftedClock:
    """Real time moved to the benchmark's calendar: ``start`` now, then ticking."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._began = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


def drain_cohort(
    builder: Builder, n: int, first_resident: int, first_case: int, first_survey: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """``n`` finished cases whose residents wrote within 48 h and whose rounds fall due before
    the drain time: one survey each, to a resident of their own."""
    tl = builder.tl
    residents, cases, surveys = [], [], []
    grids = builder.district.grids
    due_from = tl.survey_ticks[-1] + 10 * MINUTE
    for i in range(n):
        rid, case_id = first_resident + i, first_case + i
        due = due_from + (tl.drain_at - due_from) * (i + 1) / (n + 1)
        last = tl.drain_at - HOUR
        residents.append(resident_row(rid, last, last - 30 * DAY))
        c = builder.finished_case(case_id, rid, grids[i % len(grids)], due - DAY)
        c.survey_due = due
        cases.append(builder.case_record(c))
        surveys.append((first_survey + i, *builder.planted_round(c, "ask", due)))
    return residents, cases, surveys


async def bare_posts(
    url: str, bodies: list[dict[str, Any]], concurrency: int, timeout_seconds: float
) -> dict[str, Any]:
    """The same JSON POSTed by a bare aiohttp client at the same concurrency: the ceiling."""
    session_timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    errors = 0
    async with aiohttp.ClientSession(timeout=session_timeout) as session:
        grant = {"grant_type": "client_credential", "appid": "wxfake", "secret": "fakesecret"}
        async with session.post(f"{url}/cgi-bin/stable_token", json=grant) as response:
            token = (await response.json(content_type=None))["access_token"]
        queue = iter(bodies)
        headers = {"Content-Type": "application/json; charset=utf-8"}

        async def worker() -> None:
            nonlocal errors
            for body in queue:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                async with session.post(
                    f"{url}/cgi-bin/message/custom/send",
                    params={"access_token": token},
                    data=data,
                    headers=headers,
                ) as response:
                    answer = json.loads(await response.text())
                    if answer.get("errcode"):
                        errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {
        "sent": len(bodies),
        "errors": errors,
        "seconds": round(seconds, 3),
        "rate": round(len(bodies) / seconds, 1),
    }


async def time_drain(
    conn: asyncpg.Connection,
    ctx: HandlerContext,
    builder: Builder,
    args: argparse.Namespace,
) -> dict[str, Any]:
    tl = builder.tl
    n = args.drain
    # What the timed sweeps queued, the service's drainer would have sent meanwhile.
    await conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = created_at WHERE status = 'pending'"
    )
    ids = await conn.fetchrow(
        "SELECT (SELECT max(id) FROM residents) r, (SELECT max(id) FROM cases) c, "
        "(SELECT max(id) FROM surveys) s"
    )
    residents, cases, surveys = drain_cohort(builder, n, ids["r"] + 1, ids["c"] + 1, ids["s"] + 1)
    await copy_rows(conn, "residents", RESIDENT_COLUMNS, residents, bulk=False)
    await copy_rows(conn, "cases", CASE_COLUMNS, cases, bulk=False)
    await copy_rows(conn, "surveys", SURVEY_COLUMNS, surveys, bulk=False)
    await sync_sequences(conn, ("residents", "cases", "surveys"))
    await conn.execute("ANALYZE residents; ANALYZE cases; ANALYZE surveys")
    expected = {openid(row[0]) for row in residents}

    # Queue: the survey sweep at the drain time, batch after batch.
    at = replace(ctx, now=dt(tl.drain_at))
    queued = batches = 0
    batch_ms: list[float] = []
    started = time.perf_counter()
    while True:
        ms, result = await timed(lambda: sweep_due_surveys(at, batch=BATCH))
        batch_ms.append(ms)
        batches += 1
        queued += result.asked
        if not result.more:
            break
    queue_seconds = time.perf_counter() - started
    progress(f"survey sweep queued {queued:,} surveys in {queue_seconds:.1f} s ({batches} batches)")
    pending = await conn.fetch(
        "SELECT recipient, payload FROM outbox WHERE status = 'pending' ORDER BY id"
    )
    bodies = [{"touser": row["recipient"], **json.loads(row["payload"])} for row in pending]

    settings = sweep_settings(ctx.settings.database_url).model_copy(
        update={"outbound_mode": "wechat", "outbound_rate_per_second": float(args.rate),
                "work_corp_id": "", "work_agent_id": "", "work_secret": ""}
    )  # fmt: skip
    async with (
        fake_wechat("wxfake", "fakesecret") as url,
        fake_wechat("wxfake", "fakesecret") as bare_url,
    ):
        settings = settings.model_copy(update={"wechat_api_base": url})
        clock = ShiftedClock(dt(tl.drain_at + MINUTE))
        owner = f"bench:{secrets.token_hex(3)}"
        timeout = aiohttp.ClientTimeout(total=settings.http_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            client = WeChatClient(session, settings, AccessTokenStore(clock, owner))
            drainer = OutboxDrainer(client, settings, clock, owner)
            drained = 0
            started = time.perf_counter()
            while handled := await drainer.drain_once():
                drained += handled
            drain_seconds = time.perf_counter() - started
        progress(f"drained {drained:,} rows in {drain_seconds:.2f} s")
        bare = await bare_posts(bare_url, bodies, SEND_CONCURRENCY, settings.http_timeout_seconds)
        progress(f"bare client: {bare['sent']:,} posts in {bare['seconds']:.2f} s")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/_fake/sent") as response:
                sent = (await response.json())["sent"]
            async with session.get(f"{url}/_fake/stats") as response:
                stats = await response.json()
    per_recipient = Counter(str(m["body"].get("touser")) for m in sent)
    outcome = dict(
        await conn.fetch(
            "SELECT status, count(*) FROM outbox WHERE purpose = 'survey' AND recipient = ANY($1) "
            "GROUP BY status",
            list(expected),
        )
    )
    rate = n / drain_seconds if drain_seconds else 0.0
    counts = {
        "received": len(sent),
        "missing": sum(1 for r in expected if per_recipient[r] == 0),
        "doubled": sum(c - 1 for r, c in per_recipient.items() if r in expected and c > 1),
        "unexpected": sum(c for r, c in per_recipient.items() if r not in expected),
        "token_requests": int(stats.get("token_requests", 0)),
        "outbox_status": {str(k): int(v) for k, v in outcome.items()},
    }
    return {
        "surveys": n,
        "queued": queued,
        "queue_seconds": round(queue_seconds, 2),
        "queue_rate": round(queued / queue_seconds, 1) if queue_seconds else 0.0,
        "queue_batch": summary(batch_ms),
        "drained_rows": drained,
        "drain_seconds": round(drain_seconds, 3),
        "rate": round(rate, 1),
        "configured_rate": args.rate,
        "concurrency": SEND_CONCURRENCY,
        "outbox_batch": settings.outbox_batch_size,
        "bare": bare,
        "ratio": round(rate / bare["rate"], 3) if bare["rate"] else 0.0,
        **counts,
        "ok_rate": rate >= TARGET_SENDS_PER_SECOND,
        "ok_exactly_once": counts["missing"] == 0 and counts["doubled"] == 0 and queued == n,
    }


# Reporting


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(result: dict[str, Any], explain_all: bool) -> None:
    data, sweeps, drain = result["data"], result["sweeps"], result["drain"]
    print(f"== sweeps among {data['rows']['cases']:,} cases (PostgreSQL) ==")
    print(
        f"data: {data['rows']['residents']:,} residents, {data['rows']['cases']:,} cases, "
        f"{data['rows']['surveys']:,} survey rounds, {data['rows']['outbox']:,} outbox rows; "
        f"{data['open_cases']:,} open cases; built in {data['seconds']:.0f} s "
        f"({data['database_size']})"
    )
    print(f"  cases by status: {data['case_status']}")
    print(f"  rounds by status: {data['survey_status']}")
    base = sweeps["baseline"]
    for label in ("before", "after"):
        b = base[label]
        print(
            f"baseline ({label} the sweeps): SELECT 1 p50 {b['select_1']['p50_ms']:.2f} ms, "
            f"primary-key lookup (ORM) p50 {b['pk_lookup']['p50_ms']:.2f} ms"
        )
    ticks = {"survey": SURVEY_TICK_SECONDS, "deadline": DEADLINE_TICK_SECONDS}
    for name in ("survey", "deadline"):
        s = sweeps[name]
        busy, idle = s["busy"], s["idle"]
        print(f"{name} sweep (batch={BATCH}, {busy['n']} ticks {ticks[name]:.0f} s apart):")
        print(
            f"  with little due: p50 {busy['p50_ms']:.1f} ms, max {busy['max_ms']:.1f} ms "
            f"({s['busy_per_pk_lookup']}x a pk lookup); {s['steps']} steps in all, "
            f"{s['steps'] / max(busy['n'], 1):.0f} per batch"
        )
        print(
            f"  nothing due:     p50 {idle['p50_ms']:.1f} ms, max {idle['max_ms']:.1f} ms "
            f"({s['idle_per_pk_lookup']}x a pk lookup); first sweep (cold) {s['cold_ms']:.1f} ms"
        )
        print(f"  each step of work: about {s['per_step_ms']:.1f} ms (p50 difference / steps)")
        print(
            f"  work done {s['done']} vs planted {s['planted']}; steps when nothing was due "
            f"{s['idle_steps']}, failures {s['failed']}: "
            + ("as planned" if s["as_planned"] else "NOT as planned")
        )
        print("  scans at the last tick, EXPLAIN ANALYZE: planned for the values (custom), and as")
        print("  a connection runs it after five runs (cached: generic plan if it looks no worse):")
        for scan in s["scans"]:
            for mode in PLAN_MODES:
                plan = scan[mode]
                label = scan["scan"] if mode == "custom" else ""
                kind = "cached, generic" if plan["generic"] else mode
                print(
                    f"    {label:<26} {kind:<15} {plan['ms']:7.2f} ms  {' / '.join(plan['nodes'])}"
                )
        if explain_all or not s["ok"]:
            for scan in s["scans"]:
                slow = [m for m in PLAN_MODES if scan[m]["ms"] >= 1.0]
                if not scan["cached"]["generic"]:  # the same plan as the custom one
                    slow = slow[:1]
                for mode in PLAN_MODES if explain_all else slow:
                    print(f"  -- {scan['scan']} ({mode} plan): {scan['sql']}")
                    print(f"     parameters: {scan['params']}")
                    for line in scan[mode]["plan"]:
                        print(f"     {line}")
    print(
        f"drain: {drain['queued']:,} of {drain['surveys']:,} surveys queued by the survey sweep "
        f"in {drain['queue_seconds']:.1f} s ({drain['queue_rate']:.0f}/s, batch p50 "
        f"{drain['queue_batch']['p50_ms']:.0f} ms)"
    )
    bare = drain["bare"]
    print(
        f"  OutboxDrainer + WeChatClient -> fake WeChat: {drain['drained_rows']:,} rows in "
        f"{drain['drain_seconds']:.2f} s = {drain['rate']:.0f} sends/s (configured rate "
        f"{drain['configured_rate']}/s, {drain['concurrency']} sends at once, claims of "
        f"{drain['outbox_batch']})"
    )
    print(
        f"  bare aiohttp client, same JSON, {drain['concurrency']} at once: {bare['rate']:.0f} "
        f"posts/s ({bare['errors']} errors); ratio drain/bare {drain['ratio']:.3f}"
    )
    print(
        f"  fake received {drain['received']:,}: missing {drain['missing']}, doubled "
        f"{drain['doubled']}, unexpected {drain['unexpected']}; token requests "
        f"{drain['token_requests']}; outbox {drain['outbox_status']}"
    )
    s, d = sweeps["survey"], sweeps["deadline"]
    print("targets:")
    print(
        f"  survey sweep < {TARGET_BATCH_MS:.0f} ms per batch with little due (max "
        f"{max(s['busy']['max_ms'], s['idle']['max_ms']):.1f} ms): {verdict(s['ok'])}"
    )
    print(
        f"  deadline sweep < {TARGET_BATCH_MS:.0f} ms per batch with little due (max "
        f"{max(d['busy']['max_ms'], d['idle']['max_ms']):.1f} ms): {verdict(d['ok'])}"
    )
    print(
        f"  drain >= {TARGET_SENDS_PER_SECOND:.0f} surveys/s ({drain['rate']:.0f}/s): "
        f"{verdict(drain['ok_rate'])}"
    )
    print(
        f"  each survey received exactly once (missing {drain['missing']}, doubled "
        f"{drain['doubled']}): {verdict(drain['ok_exactly_once'])}"
    )


# Main


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(f"{PG_URL}/test")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    db_name = f"jiesu_bench_{secrets.token_hex(4)}"
    url = f"{PG_URL}/{db_name}"
    started = time.perf_counter()
    await pg_admin(f'CREATE DATABASE "{db_name}"')
    progress(f"database {db_name}")
    orm_open = False
    conn: asyncpg.Connection | None = None
    try:
        await migrate(url)
        await init_orm(url)
        orm_open = True
        await load_demo_district()
        district = await read_district()
        timeline = Timeline(ANCHOR.timestamp(), args.ticks)
        builder = Builder(args.cases, timeline, district, args.seed)
        conn = await asyncpg.connect(url)
        data = await build(conn, builder)
        settings = sweep_settings(url)
        ctx = HandlerContext(
            now=ANCHOR,
            settings=settings,
            gazetteer=await load_gazetteer(DISTRICT),
            routing=await load_routing_table(),
        )
        sweeps = await time_sweeps(conn, ctx, builder, args)
        drain = await time_drain(conn, ctx, builder, args)
    finally:
        if conn is not None:
            await conn.close()
        if orm_open:
            await close_orm()
        if args.keep_db:
            progress(f"kept database {url}")
        else:
            await pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            progress(f"dropped {db_name}")
    return {
        "cases": args.cases,
        "ticks": args.ticks,
        "data": data,
        "sweeps": sweeps,
        "drain": drain,
        "seconds": round(time.perf_counter() - started, 1),
        "database": url if args.keep_db else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--ticks", type=int, default=10, help="sweep times with new work")
    parser.add_argument("--drain", type=int, default=5000, help="surveys to queue and drain")
    parser.add_argument("--rate", type=int, default=2000, help="JIESU_OUTBOUND_RATE_PER_SECOND")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--explain", action="store_true", help="print every scan's whole plan")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.ticks < 2:
        parser.error("--ticks must be at least 2")
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        report(result, args.explain)
        print(f"({result['seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
