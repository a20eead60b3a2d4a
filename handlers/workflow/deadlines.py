"""Deadlines from the SLA policy, counting working days on the Chinese calendar.

The policy is ``config/sla.py`` with the deployment's own rows (edited on the dashboard) over
it: handlers pass ``ctx.sla``, a cached :class:`handlers.workflow.sla_table.SlaTable`.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import chinese_calendar

from config import sla
from handlers.clock import LOCAL_TZ, local
from handlers.workflow.sla_table import SlaTable, config_policy

logger = logging.getLogger(__name__)

END_OF_WORKING_DAY = time(17, 30)


@dataclass(frozen=True)
class Deadlines:
    sign: datetime
    first_contact: datetime
    completion: datetime


@functools.lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    override = sla.CALENDAR_OVERRIDES.get(day.isoformat())
    if override is not None:
        return override
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # The library does not know this year yet: fall back to Monday-Friday and say so once.
        logger.warning(
            "no holiday data for %s; counting Monday-Friday (set JIESU_CALENDAR_OVERRIDES)",
            day.year,
        )
        return day.weekday() < 5


def apply_calendar_overrides(overrides: dict[str, bool]) -> None:
    """Add the deployment's own calendar days (``JIESU_CALENDAR_OVERRIDES``) to the policy's.

    Called once at start; the days count for every deadline and digest from then on.
    """
    for day, working in overrides.items():
        date.fromisoformat(day)  # a clear error at start for a malformed day
        sla.CALENDAR_OVERRIDES[day] = bool(working)
    is_working_day.cache_clear()


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the ``days``-th working day after the start's local date."""
    day = local(start).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, END_OF_WORKING_DAY, tzinfo=LOCAL_TZ).astimezone(start.tzinfo)


def apply_limit(start: datetime, limit: sla.Limit) -> datetime:
    if limit.working_days:
        return add_working_days(start, limit.working_days)
    return start + timedelta(hours=limit.hours)


def policy_for(
    kind: str, urgency: str, difficult: bool, table: SlaTable | None = None
) -> sla.SlaPolicy:
    """The limits for a case: the deployment's rows in ``table`` over ``config/sla.py``."""
    if table is None:
        return config_policy(kind, urgency, difficult)
    return table.policy_for(kind, urgency, difficult)


def deadlines_for(
    kind: str, urgency: str, difficult: bool, start: datetime, table: SlaTable | None = None
) -> Deadlines:
    """Deadlines counted from ``start``; ``table`` is ``HandlerContext.sla`` (see sla_table)."""
    policy = policy_for(kind, urgency, difficult, table)
    return Deadlines(
        sign=apply_limit(start, policy.sign),
        first_contact=apply_limit(start, policy.first_contact),
        completion=apply_limit(start, policy.completion),
    )
