"""Case numbers told before the case exists: a message acknowledged at once under a burst
(``bot.burst``) was told "已收到，编号 N", and the case its work creates must be N.

The number is reserved with :func:`handlers.case_numbers.next_case_number` when the message is
stored, and kept on its inbound row. While that message's work runs (:func:`using`), the first
case made takes it (:func:`case_number_for`); a message that joins a dialogue or turns out not to
be a case leaves it unused, a gap, and its answer says so (:func:`explain_unused`). Numbers stay
unique: a second attempt at the same message (the recovery sweep) rolls back the first's work or
is rolled back by it, so the number is used at most once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from config import replies
from handlers.case_numbers import case_number, next_case_number
from handlers.residents.records import take_case_sequence
from models import Resident

_reserved: ContextVar[str | None] = ContextVar("reserved_case_number", default=None)


@contextmanager
def using(number: str | None) -> Iterator[None]:
    """The work inside makes its first case with ``number`` (None: a fresh number as always)."""
    token = _reserved.set(number)
    try:
        yield
    finally:
        _reserved.reset(token)


async def case_number_for(now: datetime, resident: Resident | None = None) -> str:
    """The number of a case being made: the reserved one, once; else the one the resident's
    statement took for this message (PostgreSQL, ``handlers.residents.records``), once; else
    the next of the day."""
    number = _reserved.get()
    if number:
        _reserved.set(None)
        return number
    value = take_case_sequence(resident) if resident is not None else None
    if value is not None:
        return case_number(now, value)
    return await next_case_number(now)


def explain_unused(reply: str | None, number: str | None) -> str | None:
    """The answer of an acknowledged message, saying so if the number told was not used."""
    if not number or not reply or number in reply:
        return reply
    return replies.ACKNOWLEDGED_UNUSED.format(number=number) + reply
