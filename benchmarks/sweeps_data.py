"""The world of the sweeps benchmark (``benchmarks/sweeps.py``): when the sweeps run and how
much new work each tick brings, what its cases, residents, survey rounds and outbox rows are
made of (the columns COPY writes and a row of each), and the demo district as the build uses it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from benchmarks.figures import stderr_progress
from handlers.clock import LOCAL_TZ
from models import Grid, SurveyStatus, Unit, Worker, WorkerRole

# What the parts say as they go, on stderr as "[sweeps] …" (the figures go to stdout).
progress = stderr_progress("sweeps")

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
    consent_subscribe survey_opt_out last_message_at created_at app blocked
    blocked_reason""".split()
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
        "mp",
        False,
        "",
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
