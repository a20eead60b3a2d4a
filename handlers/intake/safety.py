"""Life-safety first: what to do now and whom to call, before the case's own reply.

A message that reports a danger happening now (``Understanding.hazards``, read by
:func:`nlu.urgency.life_safety`) is answered with advice for each hazard before the case number:
the unit's contact may be two hours away, the fire brigade minutes. The case is still made and
is urgent; the advice never replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable

from config import safety
from config.settings import Settings


def advice(hazards: Iterable[str], settings: Settings) -> str:
    """The advice lines for ``hazards`` (unknown codes are skipped); "" when there is none."""
    lines = [
        safety.ADVICE[hazard].format(
            gas=settings.gas_emergency_line,
            power=settings.power_emergency_line,
            water=settings.water_emergency_line,
        )
        for hazard in dict.fromkeys(hazards)
        if hazard in safety.ADVICE
    ]
    if not lines:
        return ""
    return "\n".join([safety.HEADER, *lines, safety.FOOTER]) + "\n\n"


def with_advice(reply: str, hazards: Iterable[str], settings: Settings) -> str:
    """``reply`` with the advice for ``hazards`` in front of it."""
    return advice(hazards, settings) + reply
