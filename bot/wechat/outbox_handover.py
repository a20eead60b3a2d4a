"""What the outbox drainer keeps on an unsent row about sends whose outcome is unclear.

It lives in the row's ``response`` (which holds the API's answer once the row is sent):

- the hand-over mark (``handed_over_at``, ``handed_over_by``), written just before the request
  leaves. A row found *sending* after its claim lapsed, with this mark, was handed to the API by
  a drainer that died before it could record the answer (SIGKILL, a crash, a lost database
  connection): it may have arrived. Without the mark that drainer never sent it, and it is sent
  as usual.
- the unclear attempts so far (``unclear_attempts``, ``first_unclear_at``): whether a WeCom
  repeat still falls inside its duplicate-check window is counted from the first.

What an unclear outcome leads to is decided by ``handlers.outbox_unclear``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import OutboxMessage

HANDED_OVER_AT = "handed_over_at"
HANDED_OVER_BY = "handed_over_by"
UNCLEAR_ATTEMPTS = "unclear_attempts"
FIRST_UNCLEAR_AT = "first_unclear_at"


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class SendHistory:
    unclear_attempts: int = 0
    first_unclear_at: datetime | None = None
    handed_over_at: datetime | None = None
    handed_over_by: str = ""

    @classmethod
    def of(cls, row: OutboxMessage) -> SendHistory:
        stored = row.response if isinstance(row.response, dict) else {}
        attempts = stored.get(UNCLEAR_ATTEMPTS)
        return cls(
            unclear_attempts=attempts if isinstance(attempts, int) else 0,
            first_unclear_at=_time(stored.get(FIRST_UNCLEAR_AT)),
            handed_over_at=_time(stored.get(HANDED_OVER_AT)),
            handed_over_by=str(stored.get(HANDED_OVER_BY) or ""),
        )

    def stored(self) -> dict[str, Any] | None:
        """What stays on the row after an attempt was recorded (None: nothing unclear)."""
        if not self.unclear_attempts:
            return None
        first = self.first_unclear_at
        return {
            UNCLEAR_ATTEMPTS: self.unclear_attempts,
            FIRST_UNCLEAR_AT: first.isoformat() if first else None,
        }

    def marked(self, now: datetime, claim_id: str) -> dict[str, Any]:
        """The row's response while a request for it is on its way."""
        return {**(self.stored() or {}), HANDED_OVER_AT: now.isoformat(), HANDED_OVER_BY: claim_id}

    def unclear(self, handed_over_at: datetime) -> datetime:
        """Count one more unclear attempt; returns when the first one was handed over."""
        self.unclear_attempts += 1
        if self.first_unclear_at is None:
            self.first_unclear_at = handed_over_at
        self.handed_over_at = None
        self.handed_over_by = ""
        return self.first_unclear_at

    def died_in_flight(self) -> str:
        """What happened to an attempt whose drainer left its mark and nothing else."""
        at = self.handed_over_at.isoformat() if self.handed_over_at else "?"
        return (
            f"drainer {self.handed_over_by or '?'} handed it to the API at {at} and stopped "
            "before recording an answer (process killed or crashed)"
        )
