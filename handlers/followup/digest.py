"""The working-morning digest: each unit's heads and supervisors hear where their cases stand.

From ``digest_hour`` (local time) on each working day of the Chinese calendar, every active
supervisor and unit head gets one message about their unit:

- 新增 (new): cases routed to the unit since the previous working day's digest hour;
- 今日到期 (due today): open cases whose completion deadline falls today, local time;
- 已超期 (overdue): open cases past their completion deadline (the oldest are named);
- 重办 (reopened): open cases being handled again after 不满意 or a supervisor's 重办;
- 预警 (early warnings): the unit's hot-issue warnings found since the previous digest hour
  (``handlers.hot.warnings``), one line each.

Exactly once per person and day, in every process: the message's outbox dedup key is
``digest:<day>:<worker>``, unique in the database, so a process that loses the race to insert
it rolls its step back. After downtime the day's digest still goes out when the service is back
the same day; a missed day is not sent late (yesterday's figures would only mislead).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from handlers.clock import LOCAL_TZ, local
from handlers.context import HandlerContext
from handlers.hot.warnings import digest_lines
from handlers.workflow.deadlines import is_working_day
from handlers.workflow.tasks import notify_worker
from models import Case, CaseStatus, OutboxMessage, Unit, Worker, WorkerRole

logger = logging.getLogger(__name__)

RECIPIENT_ROLES = (WorkerRole.SUPERVISOR, WorkerRole.UNIT_HEAD)
OPEN = [status.value for status in CaseStatus if status.is_open]
NAMED_OVERDUE = 5
DIGEST_TEXT = (
    "【每日汇总】{unit} {day}\n"
    "新增 {new} 件｜今日到期 {due_today} 件｜已超期 {overdue} 件｜重办 {reopened} 件"
)
OVERDUE_LINE = "\n超期最久：{numbers}"
NOTHING_OPEN = "\n目前没有待办诉求。"


@dataclass(frozen=True)
class UnitDigest:
    new: int
    due_today: int
    overdue: int
    reopened: int
    oldest_overdue: list[str]
    warnings: str = ""  # the 预警 lines, each starting with a line break


def digest_moment(day: date, hour: float) -> datetime:
    minutes = round(hour * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=LOCAL_TZ)


def previous_working_day(day: date) -> date:
    previous = day - timedelta(days=1)
    for _ in range(30):
        if is_working_day(previous):
            return previous
        previous -= timedelta(days=1)
    return day - timedelta(days=1)


async def unit_digest(unit_id: int, now: datetime, hour: float) -> UnitDigest:
    today = local(now).date()
    # In UTC: SQLite compares stored times as text, so a Shanghai time would not compare right.
    since = digest_moment(previous_working_day(today), hour).astimezone(UTC)
    day_end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=LOCAL_TZ).astimezone(UTC)
    open_cases = Case.filter(unit_id=unit_id, status__in=OPEN)
    overdue = open_cases.filter(completion_due_at__lt=now)
    oldest = (
        await overdue.order_by("completion_due_at")
        .limit(NAMED_OVERDUE)
        .values_list("number", flat=True)
    )
    return UnitDigest(
        new=await Case.filter(unit_id=unit_id, dispatched_at__gte=since).count(),
        due_today=await open_cases.filter(
            completion_due_at__gte=now, completion_due_at__lt=day_end
        ).count(),
        overdue=await overdue.count(),
        reopened=await open_cases.filter(reopened_count__gt=0).count(),
        oldest_overdue=[str(number) for number in oldest],
        warnings=await digest_lines(unit_id, since, now),
    )


def digest_text(unit: str, day: date, figures: UnitDigest) -> str:
    text = DIGEST_TEXT.format(
        unit=unit,
        day=f"{day.month}月{day.day}日",
        new=figures.new,
        due_today=figures.due_today,
        overdue=figures.overdue,
        reopened=figures.reopened,
    )
    if figures.oldest_overdue:
        text += OVERDUE_LINE.format(numbers="、".join(figures.oldest_overdue))
    elif not (figures.due_today or figures.reopened):
        text += NOTHING_OPEN
    return text + figures.warnings


def digest_key(day: date, worker_id: int) -> str:
    return f"digest:{day:%Y%m%d}:{worker_id}"


async def sweep_digests(ctx: HandlerContext) -> int:
    """Send today's digest to everyone who has not had it; how many were queued here."""
    settings = ctx.settings
    moment = local(ctx.now)
    today = moment.date()
    if not is_working_day(today) or moment < digest_moment(today, settings.digest_hour):
        return 0
    people = await Worker.filter(
        role__in=list(RECIPIENT_ROLES), active=True, unit_id__not_isnull=True
    )
    if not people:
        return 0
    keys = {worker.id: digest_key(today, worker.id) for worker in people}
    done = set(
        await OutboxMessage.filter(dedup_key__in=list(keys.values())).values_list(
            "dedup_key", flat=True
        )
    )
    owed = [worker for worker in people if keys[worker.id] not in done]
    if not owed:
        return 0
    units = {unit.id: unit for unit in await Unit.filter(id__in={w.unit_id for w in owed})}
    texts: dict[int, str] = {}
    queued = 0
    for worker in owed:
        unit_id = worker.unit_id
        if unit_id is None or unit_id not in units:
            continue
        if unit_id not in texts:
            figures = await unit_digest(unit_id, ctx.now, settings.digest_hour)
            texts[unit_id] = digest_text(units[unit_id].name, today, figures)
        try:
            async with in_transaction():
                row = await notify_worker(worker, texts[unit_id], ctx, purpose="digest")
                # The key is unique: a process that lost the race fails here and rolls back.
                await OutboxMessage.filter(id=row.id).update(dedup_key=keys[worker.id])
            queued += 1
        except IntegrityError:
            logger.debug("digest for worker %s was queued by another process", worker.id)
    if queued:
        logger.info("daily digest queued for %d supervisor(s) and unit head(s)", queued)
    return queued
