"""The figures units are judged by: their names and the targets reported in the source documents.

How each figure is computed is written next to the code, in ``handlers/figures/compute.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal


@dataclass(frozen=True)
class Target:
    """A rate meets its target when ``rate <op> value`` holds (``>=``, ``>`` or ``<``)."""

    value: float
    op: Literal[">=", ">", "<"]

    @property
    def label(self) -> str:
        """How people read it: ``≥100%``, ``>80%``, ``<3%``."""
        sign = {">=": "≥", ">": ">", "<": "<"}[self.op]
        return f"{sign}{self.value * 100:g}%"


FIRST_CONTACT = "first_contact"
ON_TIME = "on_time"
REPEAT = "repeat"
SATISFACTION = "satisfaction"

# The four rates, in the order they are shown.
RATE_KEYS: tuple[str, ...] = (FIRST_CONTACT, ON_TIME, REPEAT, SATISFACTION)

RATE_LABELS = MappingProxyType(
    {
        FIRST_CONTACT: "先行联系率",
        ON_TIME: "按时办结率",
        REPEAT: "重复率",
        SATISFACTION: "满意率",
    }
)

# First contact and on-time completion 100%, repeats under 3%, satisfaction over 80%.
TARGETS = MappingProxyType(
    {
        FIRST_CONTACT: Target(1.0, ">="),
        ON_TIME: Target(1.0, ">="),
        REPEAT: Target(0.03, "<"),
        SATISFACTION: Target(0.80, ">"),
    }
)

# 满意率 = (满意 + BASICALLY_WEIGHT × 基本满意) / 有效评价
BASICALLY_WEIGHT = 0.9

# The longest period one request may ask for (a year and a little, for year-on-year views).
MAX_PERIOD_DAYS = 400
# Without from/to, the figures cover this many days up to and including today.
DEFAULT_PERIOD_DAYS = 30

# The version of the definitions in handlers/figures/compute.py and of the ranking score below:
# stored with every closed month, shown beside its figures. Change it when a definition changes.
DEFINITIONS_VERSION = "2026.12-asof"

# The monthly ranking of units (handlers/figures/ranking.py). Rates are fractions (0..1):
#
#   score = 25 × 先行联系率 + 25 × 按时办结率 + 30 × 满意率
#         + 20 × max(0, 1 − 重复率 / 10%)
#         − 2 × 不合理退单 − 1 × 逾期延期申请 − 10 × 重办率
#
# A rate with nothing to count (denominator 0) scores as 100% (先行联系率, 按时办结率, 满意率)
# or 0% (重复率, 重办率): nothing was missed. Units with no case in the month (诉求量 0) are
# listed without a score or rank. The score is rounded to 2 decimals; equal scores share a rank
# (1, 2, 2, 4), listed by unit code.
RANKING_WEIGHTS = MappingProxyType(
    {FIRST_CONTACT: 25.0, ON_TIME: 25.0, SATISFACTION: 30.0, REPEAT: 20.0}
)
RANKING_REPEAT_ZERO_AT = 0.10  # a repeat rate at or above this scores 0 of REPEAT's weight
RANKING_REFUSED_RETURN_PENALTY = 2.0  # per 不合理退单 (a 退单 the centre refused) in the month
RANKING_LATE_EXTENSION_PENALTY = 1.0  # per 延期 asked after the deadline had passed
RANKING_REOPEN_PENALTY = 10.0  # × 重办率 (reopened / completed, cases created in the month)

# What each figure counts, in one line each (the full definitions: handlers/figures/compute.py
# and README, "Figures"). GET /api/admin/figures/definitions answers these.
DEFINITION_TEXTS = MappingProxyType(
    {
        FIRST_CONTACT: (
            "contacted in time / due: each unit spell (or, for a case without spells, the case) "
            "whose first-contact deadline falls in the period and is decided at the time of "
            "computing (contact recorded, or the deadline passed while the unit held the case); "
            "a spell that ended before its deadline without contact is not due"
        ),
        ON_TIME: (
            "completed in time / due: the same with the completion deadline and completion; "
            "an approved extension moves the deadline of the spell it was granted in; a "
            "reopened case (重办) is judged by its latest completion against its fresh deadline"
        ),
        REPEAT: (
            "重复诉求 / cases: cases created in the period (withdrawn and invalid excluded; "
            "reports merged into an open case counted for the unit of the case they joined); "
            "重复诉求 are reports about a case closed within the repeat window, linked to it "
            "(reopening it or opening a linked case), counted by the day they came for the unit "
            "the closed case had; reports merged into an open case (集中诉求) are shown beside "
            "the rate as concentrated, not in it"
        ),
        SATISFACTION: (
            "(满意 + 0.9 × 基本满意) / answers given while the survey round was open, rounds "
            "counted by their due time"
        ),
        "reopen": "reopened at least once / completed at least once, cases created in the period",
        "refused_returns": "退单 requests of the unit refused by the centre, by decided_at",
        "late_extensions": "延期 requests of the unit made after the deadline, by created_at",
        "frozen": (
            "a closed month (jiesu figures close-month) is answered from the stored snapshot "
            "computed when it was closed; later changes show in the period where they happen"
        ),
    }
)
