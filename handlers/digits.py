"""Numbers from outside (query strings, paths, forms, WeChat fields), read without surprises.

``str.isdigit`` accepts "²" and other Unicode digits that ``int`` refuses, and a long enough run
of digits overflows a BIGINT column: both would be a 500 instead of a refusal. ``float`` and
``int`` accept full-width and Arabic-Indic digits ("３１.２"), underscores ("3_1"), and ``float``
also "nan", "inf" and "1e999": a number from outside is plain ASCII digits here, or nothing.
"""

from __future__ import annotations

import math
import re

BIGINT_DIGITS = 18  # every 18-digit number fits a signed 64-bit column
DECIMAL_CHARS = 32
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def whole_number(raw: str, max_digits: int = BIGINT_DIGITS) -> int | None:
    """``raw`` as a non-negative int if it is 1 to ``max_digits`` ASCII digits, else None."""
    if not raw or len(raw) > max_digits or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def decimal_number(raw: str, max_chars: int = DECIMAL_CHARS) -> float | None:
    """``raw`` as a float if it is a plain ASCII decimal ("31.2", "-121", ".5"), else None:
    no exponent, no "nan" or "inf", no digits of other scripts, no underscores, no spaces."""
    if len(raw) > max_chars or not _DECIMAL.fullmatch(raw):
        return None
    return float(raw)


def finite_or_none(value: float | None) -> float | None:
    """``value`` as JSON can carry it: NaN and the infinities (no JSON number) become None."""
    return value if value is not None and math.isfinite(value) else None
