"""The month's close: on the first working day of a month the previous month is closed (its
figures frozen, ``handlers/figures/snapshots.py``) and its unit ranking goes to the district's
heads (月度通报).

The district's heads are the active unit heads and supervisors of the centre (a unit of kind
``center``) and those bound to no unit. After downtime the close happens on the next run, any
day after the first working day; the ranking message goes out once per person and month (outbox
dedup key ``ranking:<YYYYMM>:<worker>``). A district with no case before the month's end (a new
deployment) has nothing to close and sends nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from handlers.clock import LOCAL_TZ, local
from handlers.context import HandlerContext
from handlers.figures.ranking import previous_month
from handlers.figures.snapshots import SnapshotError, close_month, stored_ranking
from handlers.staff.audit import StaffActor
from handlers.workflow.deadlines import is_working_day
from handlers.workflow.tasks import notify_worker
from models import Case, FigureSnapshot, OutboxMessage, Worker, WorkerRole

logger = logging.getLogger(__name__)

SWEEP_ACTOR = StaffActor(None, "sweep", "system", via="sweep")
HEAD_ROLES = (WorkerRole.UNIT_HEAD, WorkerRole.SUPERVISOR)
CENTRE_KIND = "center"
NAMED_UNITS = 10
RANKING_TEXT = "【月度考核排名】{period}（{version}）\n{lines}"
RANKING_LINE = "{rank}. {name} {score}分｜先行联系{fc} 按时办结{ot} 重复{rp} 满意{sa}"


def first_working_day(day: date) -> date:
    first = day.replace(day=1)
    for offset in range(31):
        if is_working_day(first + timedelta(days=offset)):
            return first + timedelta(days=offset)
    return first


def _percent(rate: dict[str, Any]) -> str:
    value = rate.get("rate")
    return "—" if value is None else f"{value * 100:.1f}%"


def ranking_text(ranking: dict[str, Any]) -> str:
    ranked = [row for row in ranking["rows"] if row["rank"] is not None][:NAMED_UNITS]
    lines = [
        RANKING_LINE.format(
            rank=row["rank"],
            name=row["name"],
            score=f"{row['score']:.2f}",
            fc=_percent(row["rates"]["first_contact"]),
            ot=_percent(row["rates"]["on_time"]),
            rp=_percent(row["rates"]["repeat"]),
            sa=_percent(row["rates"]["satisfaction"]),
        )
        for row in ranked
    ]
    return RANKING_TEXT.format(
        period=ranking["period"],
        version=ranking["definitions_version"],
        lines="\n".join(lines) or "本月无参评单位。",
    )


async def district_heads() -> list[Worker]:
    return await Worker.filter(
        Q(unit_id__isnull=True) | Q(unit__kind=CENTRE_KIND),
        role__in=list(HEAD_ROLES),
        active=True,
    ).order_by("id")


async def send_ranking(period: str, ctx: HandlerContext) -> int:
    ranking = await stored_ranking(period)
    if ranking is None:
        return 0
    text = ranking_text(ranking)
    queued = 0
    for worker in await district_heads():
        key = f"ranking:{period.replace('-', '')}:{worker.id}"
        if await OutboxMessage.filter(dedup_key=key).exists():
            continue
        try:
            async with in_transaction():
                row = await notify_worker(worker, text, ctx, purpose="ranking")
                await OutboxMessage.filter(id=row.id).update(dedup_key=key)
            queued += 1
        except IntegrityError:
            logger.debug("ranking for worker %s was queued by another process", worker.id)
    return queued


async def sweep_month_close(ctx: HandlerContext) -> str | None:
    """Close the previous month once its first working day has come; the month closed here."""
    today = local(ctx.now).date()
    if today < first_working_day(today):
        return None
    period = previous_month(today)
    month_end = datetime.combine(today.replace(day=1), time(0), LOCAL_TZ).astimezone(UTC)
    if not await Case.filter(created_at__lt=month_end).exists():
        return None  # no case before this month: nothing to judge, no empty ranking to send
    closed = None
    if not await FigureSnapshot.filter(period=period).exists():
        try:
            await close_month(period, ctx.now, SWEEP_ACTOR)
            closed = period
            logger.info("figures of %s closed", period)
        except SnapshotError as exc:
            logger.debug("month close: %s", exc)
    await send_ranking(period, ctx)
    return closed
