"""Whole numbers from outside (query strings, paths, WeChat fields), read without surprises.

``str.isdigit`` accepts "²" and other Unicode digits that ``int`` refuses, and a long enough run
of digits overflows a BIGINT column: both would be a 500 instead of a refusal.
"""

from __future__ import annotations

BIGINT_DIGITS = 18  # every 18-digit number fits a signed 64-bit column


def whole_number(raw: str, max_digits: int = BIGINT_DIGITS) -> int | None:
    """``raw`` as a non-negative int if it is 1 to ``max_digits`` ASCII digits, else None."""
    if not raw or len(raw) > max_digits or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)
