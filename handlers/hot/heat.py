"""An issue's heat and each factor of it (the formula is documented in ``config/hot.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from config import hot as tuning
from handlers.hot.issues import CaseTopic, HeatFactors
from models import CaseStatus

_CLOSED = frozenset(
    status.value for status in CaseStatus if not status.is_open and status is not CaseStatus.MERGED
) - {CaseStatus.CANCELLED.value, CaseStatus.INVALID.value}


@dataclass(frozen=True)
class CaseSignals:
    """What the period's other tables say about cases: repeats and satisfaction answers."""

    repeats: Mapping[int, int]  # case id -> 重复诉求 links to it (or from it) in the period
    answers: Mapping[int, str]  # case id -> its latest valid satisfaction answer


def factors(
    current: Sequence[CaseTopic], previous: Sequence[CaseTopic], signals: CaseSignals
) -> HeatFactors:
    """The factors of one issue from its cases in the period and in the period before."""
    residents = len({case.who for case in current})
    before = len({case.who for case in previous})
    growth = (residents - before) / max(before, 1)
    repeats = sum(signals.repeats.get(case.id, 0) for case in current)
    answers = [signals.answers[case.id] for case in current if case.id in signals.answers]
    dissatisfied = sum(1 for answer in answers if answer == "unsatisfied")
    reopened = sum(1 for case in current if case.reopened_count > 0)
    closed = sum(1 for case in current if case.status in _CLOSED or case.reopened_count > 0)
    up = sum(case.votes_up or 0 for case in current)
    down = sum(case.votes_down or 0 for case in current)
    shell = HeatFactors(
        residents=residents,
        previous_residents=before,
        growth=round(growth, 4),
        repeats=repeats,
        surveyed=len(answers),
        dissatisfied=dissatisfied,
        reopened=reopened,
        closed=closed,
        votes_up=up,
        votes_down=down,
    )
    return HeatFactors(**{**shell.__dict__, "contributions": contributions(shell)})


def contributions(f: HeatFactors) -> dict[str, float]:
    """What each factor adds to the heat."""
    r = f.residents
    return {
        "residents": float(r),
        "growth": round(r * tuning.GROWTH_WEIGHT * min(max(f.growth, 0.0), tuning.GROWTH_CAP), 3),
        "repeats": round(tuning.REPEAT_WEIGHT * f.repeats, 3),
        "dissatisfaction": round(
            r * tuning.DISSATISFACTION_WEIGHT * (f.dissatisfaction_rate or 0), 3
        ),
        "reopen": round(r * tuning.REOPEN_WEIGHT * (f.reopen_rate or 0), 3),
        "votes": round(tuning.VOTE_WEIGHT * math.log2(1 + max(f.votes_up - f.votes_down, 0)), 3),
    }


def heat(f: HeatFactors) -> float:
    return round(sum(f.contributions.values()), 3)
