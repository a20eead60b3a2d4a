"""Injected time: handlers and sweeps ask a clock for ``now`` so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


def local(when: datetime) -> datetime:
    """Show a stored (UTC) time the way people in the district read it."""
    return when.astimezone(LOCAL_TZ)


def format_local(when: datetime, with_year: bool = False) -> str:
    moment = local(when)
    return moment.strftime("%Y年%m月%d日 %H:%M" if with_year else "%m月%d日 %H:%M")


def iso(value: datetime | None) -> str | None:
    """A stored time as an API shows it (ISO 8601, UTC offset included), or None."""
    return value.isoformat() if value is not None else None
