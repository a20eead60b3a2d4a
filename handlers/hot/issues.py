"""What a hot issue is, and what a case looks like to the grouping.

A ``CaseTopic`` is the little the grouping needs of a case (loaded without the ORM's objects, so
that a period of 100,000 cases groups in well under two seconds); a ``HotIssue`` is one group
with its explanation (key words, places, time span, sample messages) and its heat factors.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a period's rows are built and grouped: they
    hold no cycles (reference counting frees them), and the collector's passes over 100,000 new
    objects would take as long as the work itself. Synchronous code only: nothing else runs
    meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(slots=True)
class CaseTopic:
    """One case as the grouping sees it (a plain slotted class: a ranking makes 100,000 of
    them, and a frozen dataclass's checks would cost more than the grouping)."""

    id: int
    number: str
    resident_id: int | None
    duplicate_of_id: int | None
    category: str
    created_at: datetime
    status: str
    unit_id: int | None
    title: str
    # Canonical topic words, most telling first (``nlu.topics.topic_words``).
    words: tuple[str, ...]
    # The place's canonical key ('' when the message names no place) and the name as written.
    place_key: str
    place_name: str
    reopened_count: int = 0
    votes_up: int | None = None
    votes_down: int | None = None

    @property
    def first_level(self) -> str:
        return self.category.split("/")[0]

    @property
    def who(self) -> int:
        """The resident, or the case itself when nobody is known (each counts once)."""
        return self.resident_id if self.resident_id is not None else -self.id


@dataclass(frozen=True)
class HeatFactors:
    """Each factor of an issue's heat, and what it adds (``config.hot`` documents the formula)."""

    residents: int  # different residents in the period (a case without one counts alone)
    previous_residents: int  # the same issue's residents in the period before, as long
    growth: float  # (residents - previous) / max(previous, 1)
    repeats: int  # 重复诉求: reports of a problem that came back after its case was closed
    surveyed: int  # cases with a valid satisfaction answer
    dissatisfied: int  # of them, 不满意
    reopened: int  # cases handled again (重办)
    closed: int  # cases closed or finished, the reopen rate's denominator
    votes_up: int  # public votes (点赞) where the channel has them
    votes_down: int  # (反对)
    contributions: dict[str, float] = field(default_factory=dict)  # factor -> heat it adds

    @property
    def dissatisfaction_rate(self) -> float | None:
        return self.dissatisfied / self.surveyed if self.surveyed else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.closed if self.closed else None

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["dissatisfaction_rate"] = self.dissatisfaction_rate
        body["reopen_rate"] = self.reopen_rate
        return body


@dataclass(frozen=True)
class Sample:
    number: str
    title: str
    excerpt: str  # the first words of the message, phones masked
    at: datetime


@dataclass(frozen=True)
class HotIssue:
    """One group of cases about one problem (and place, when there is one)."""

    key: str  # stable while the group keeps its first case: "<first case number>"
    title: str
    category: str
    topic_words: tuple[str, ...]  # the group's key words, most shared first
    place_key: str  # '' when the issue has no place
    place_label: str  # the place as people read it ('' when none)
    places: tuple[str, ...]  # the ways residents wrote the place, most used first
    cases: int
    residents: int  # in the period
    open_cases: int
    first_at: datetime
    last_at: datetime
    numbers: tuple[str, ...]  # the period's cases, oldest first
    case_ids: tuple[int, ...]
    unit_ids: tuple[int, ...]  # units that had its cases, most cases first
    samples: tuple[Sample, ...]
    heat: float
    factors: HeatFactors
    items: tuple[str, ...] = ()  # numbers of the open governance items that already cover it

    @property
    def place(self) -> str:
        return self.place_label or "不限地点"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "category": self.category,
            "topic_words": list(self.topic_words),
            "place_key": self.place_key,
            "place": self.place_label,
            "places": list(self.places),
            "cases": self.cases,
            "residents": self.residents,
            "open_cases": self.open_cases,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "numbers": list(self.numbers),
            "samples": [
                {"number": s.number, "title": s.title, "excerpt": s.excerpt, "at": s.at.isoformat()}
                for s in self.samples
            ],
            "heat": round(self.heat, 2),
            "factors": self.factors.as_dict(),
            "items": list(self.items),
        }
