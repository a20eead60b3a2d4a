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
