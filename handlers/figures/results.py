"""The figures as values, apart from the queries that count them: what callers read and add up.

A rate is numerator / denominator with its parts, and adding two rates adds their parts, so a
district's rate is the sum of its units'. ``as_dict`` of each is what ``GET /api/admin/figures``
answers. What each figure counts is ``handlers/figures/compute.py``; the targets are
``config/figures.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from config import figures as config
from handlers.clock import LOCAL_TZ
from handlers.figures.filters import FigureFilters

# Not one of the four rates with a target (config.RATE_KEYS), but reported beside them.
REOPEN = "reopen"
REOPEN_LABEL = "重办率"


@dataclass(frozen=True)
class Rate:
    """A figure as numerator / denominator, with the parts it is made of."""

    key: str
    numerator: float
    denominator: int
    parts: Mapping[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def label(self) -> str:
        return config.RATE_LABELS.get(self.key, REOPEN_LABEL if self.key == REOPEN else self.key)

    @property
    def target(self) -> config.Target | None:
        return config.TARGETS.get(self.key)

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None without a target or without anything to count."""
        rate, target = self.rate, self.target
        if rate is None or target is None:
            return None
        if target.op == ">=":
            return rate >= target.value - 1e-12
        if target.op == ">":
            return rate > target.value
        return rate < target.value

    def __add__(self, other: Rate) -> Rate:
        parts = dict(self.parts)
        for name, value in other.parts.items():
            parts[name] = parts.get(name, 0) + value
        return Rate(
            self.key, self.numerator + other.numerator, self.denominator + other.denominator, parts
        )

    def as_dict(self) -> dict[str, Any]:
        target = self.target
        return {
            "label": self.label,
            "numerator": round(self.numerator, 4),
            "denominator": self.denominator,
            "rate": None if self.rate is None else round(self.rate, 6),
            "target": None if target is None else target.value,
            "target_op": None if target is None else target.op,
            "target_label": None if target is None else target.label,
            "met": self.met,
            "parts": dict(self.parts),
        }


def empty_rate(key: str) -> Rate:
    return Rate(key, 0, 0, {name: 0 for name in _PARTS[key]})


_PARTS: dict[str, tuple[str, ...]] = {
    config.FIRST_CONTACT: ("met", "late", "missing"),
    config.ON_TIME: ("met", "late", "overdue"),
    config.REPEAT: ("cases", "repeats", "concentrated"),
    config.SATISFACTION: ("satisfied", "basically", "unsatisfied"),
    REOPEN: ("completed", "reopened"),
}


@dataclass(frozen=True)
class SurveyShares:
    """Finished survey rounds of the period, and what became of them."""

    finished: int
    answered: int
    unrated: int  # 未评价 (late answers included)
    unreachable: int
    late_answers: int  # kept, not counted in 满意率
    by_channel: Mapping[str, int] = field(default_factory=dict)  # answered, by how they were taken

    @property
    def unrated_share(self) -> float | None:
        return self.unrated / self.finished if self.finished else None

    @property
    def unreachable_share(self) -> float | None:
        return self.unreachable / self.finished if self.finished else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "finished": self.finished,
            "answered": self.answered,
            "unrated": self.unrated,
            "unreachable": self.unreachable,
            "late_answers": self.late_answers,
            "by_channel": dict(self.by_channel),
            "unrated_share": _round(self.unrated_share),
            "unreachable_share": _round(self.unreachable_share),
        }


@dataclass(frozen=True)
class Median:
    cases: int  # how many reached the milestone
    seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        hours = None if self.seconds is None else round(self.seconds / 3600, 2)
        return {"cases": self.cases, "seconds": _round(self.seconds, 1), "hours": hours}


@dataclass(frozen=True)
class Bucket:
    """One line of a breakdown: a key (code), what people read, how many."""

    key: str
    label: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "count": self.count}


@dataclass(frozen=True)
class InvalidCounts:
    """无效件数: cases closed as 不予受理 in the period, by unit and by reason."""

    total: int
    by_unit: Mapping[int | None, int]
    by_reason: tuple[Bucket, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "by_reason": [b.as_dict() for b in self.by_reason]}


@dataclass(frozen=True)
class Volume:
    total: int
    by_kind: tuple[Bucket, ...]
    by_category: tuple[Bucket, ...]  # first level
    by_grid: tuple[Bucket, ...]
    by_unit: tuple[Bucket, ...]
    by_status: tuple[Bucket, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            **{
                name: [bucket.as_dict() for bucket in getattr(self, name)]
                for name in ("by_kind", "by_category", "by_grid", "by_unit", "by_status")
            },
        }


@dataclass(frozen=True)
class UnitFigures:
    """The four rates of one unit (``unit_id`` None: the dispatcher queue)."""

    unit_id: int | None
    code: str
    name: str
    cases: int
    rates: Mapping[str, Rate]
    invalid: int = 0  # 无效件数: closed as 不予受理 in the period

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "cases": self.cases,
            "invalid": self.invalid,
            "rates": {key: rate.as_dict() for key, rate in self.rates.items()},
        }


@dataclass(frozen=True)
class DayFigures:
    day: date
    cases: int
    rates: Mapping[str, Rate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "cases": self.cases,
            "rates": {
                key: {
                    "numerator": round(rate.numerator, 4),
                    "denominator": rate.denominator,
                    "rate": _round(rate.rate),
                }
                for key, rate in self.rates.items()
            },
        }


@dataclass(frozen=True)
class Figures:
    filters: FigureFilters
    now: datetime
    rates: Mapping[str, Rate]  # the four, in config.RATE_KEYS order
    survey: SurveyShares
    reopen: Rate
    medians: Mapping[str, Median]  # sign, first_contact, finish
    volume: Volume
    units: tuple[UnitFigures, ...]
    days: tuple[DayFigures, ...]
    invalid: InvalidCounts = field(default_factory=lambda: InvalidCounts(0, {}, ()))
    as_of: datetime | None = None  # a closed month: the rows as they stood at its end

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "from": self.filters.first_day.isoformat(),
                "to": self.filters.end_day.isoformat(),
                "timezone": str(LOCAL_TZ),
            },
            "computed_at": self.now.isoformat(),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "rates": {key: rate.as_dict() for key, rate in self.rates.items()},
            "survey": self.survey.as_dict(),
            "reopen": self.reopen.as_dict(),
            "medians": {key: median.as_dict() for key, median in self.medians.items()},
            "volume": self.volume.as_dict(),
            "units": [unit.as_dict() for unit in self.units],
            "daily": [day.as_dict() for day in self.days],
            "invalid": self.invalid.as_dict(),
        }


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)
