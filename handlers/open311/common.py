"""What every part of our Open311 shares: its refusal, its channel and its text check.

Transport-free like every handler: the HTTP edge (``bot.api.open311``) hands over plain fields
and renders what comes back as JSON or XML. Refusals are :class:`Open311Error` with the HTTP
status the spec asks for (400 bad input, 403 key, 404 unknown resource, 429 too many).
"""

from __future__ import annotations

import re

CHANNEL = "open311"
# Control characters, which no name or field of ours may hold.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Open311Error(Exception):
    """A refusal in GeoReport's terms: the HTTP status and what went wrong (one or several)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
