"""Time limits per kind × urgency: sign-for, first contact and completion.

Hours count the clock; working days count the Chinese working calendar (holidays and make-up
working days included). Public practice behind the defaults: emergencies answered within 2 hours
and handled the same day, general matters within 7 working days, complex (难) matters 15,
questions (咨询) 2 working days.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    hours: float = 0.0
    working_days: int = 0


@dataclass(frozen=True)
class SlaPolicy:
    sign: Limit
    first_contact: Limit
    completion: Limit


URGENT = SlaPolicy(sign=Limit(hours=0.5), first_contact=Limit(hours=2), completion=Limit(hours=24))
GENERAL = SlaPolicy(
    sign=Limit(hours=4), first_contact=Limit(hours=24), completion=Limit(working_days=7)
)
DIFFICULT = SlaPolicy(
    sign=Limit(hours=4), first_contact=Limit(hours=24), completion=Limit(working_days=15)
)

# kind -> policy for 一般 urgency; 急 always uses URGENT, 难 at least DIFFICULT's completion.
BY_KIND: dict[str, SlaPolicy] = {
    "complaint": GENERAL,
    "help": GENERAL,
    "report": GENERAL,
    "question": SlaPolicy(
        sign=Limit(hours=4), first_contact=Limit(hours=24), completion=Limit(working_days=2)
    ),
    "suggestion": SlaPolicy(
        sign=Limit(hours=8), first_contact=Limit(working_days=2), completion=Limit(working_days=15)
    ),
    "praise": SlaPolicy(
        sign=Limit(hours=8), first_contact=Limit(working_days=2), completion=Limit(working_days=5)
    ),
}

# Dates the calendar library does not know yet: "YYYY-MM-DD" -> True (working) / False (holiday).
CALENDAR_OVERRIDES: dict[str, bool] = {}
