"""Deadlines from the SLA policy, counting working days on the Chinese calendar.

The policy is ``config/sla.py`` with the deployment's own rows (edited on the dashboard) over
it: handlers pass ``ctx.sla``, a cached :class:`handlers.workflow.sla_table.SlaTable`. Which days
are working days is :mod:`handlers.workflow.calendar` (the library, the district's file, the
overrides); ``is_working_day`` and ``apply_calendar_overrides`` are still importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from config import sla
from handlers.clock import LOCAL_TZ, local
from handlers.workflow.calendar import apply_calendar_overrides, is_working_day
from handlers.workflow.sla_table import SlaTable, config_policy

__all__ = [
    "Deadlines",
    "add_working_days",
    "apply_calendar_overrides",
    "apply_limit",
    "deadlines_for",
    "is_working_day",
    "policy_for",
]

END_OF_WORKING_DAY = time(17, 30)


@dataclass(frozen=True)
class Deadlines:
    sign: datetime
    first_contact: datetime
    completion: datetime


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
