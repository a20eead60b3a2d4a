"""Full-width digits and letters as ASCII, so that patterns see one form of them.

Chinese input methods often produce full-width digits (１３８), letters (Ｂ座) and signs (＋８６).
Chinese punctuation (，。？) is left alone: titles keep it. A numbered village written with a
digit is written in words (市光3村 -> 市光三村), the way such compounds are named. The mapping is
one character to one, so positions found in the normalised text are positions in the original.
"""

from __future__ import annotations

import re


def _table() -> dict[int, int]:
    ranges = ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    table = {code: code - 0xFEE0 for first, last in ranges for code in range(first, last + 1)}
    table[ord("＋")] = ord("+")
    table[ord("－")] = ord("-")
    return table


_TABLE = _table()
# Most messages have nothing to translate; finding that out is much cheaper than translating.
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a＋－]")


# One digit between a Chinese character and 村 (市光3村, not 2026年3月 or 13800000000).
_VILLAGE_DIGIT = re.compile(r"(?<=[\u4e00-\u9fff])([1-9])(?=村)")
_NUMERALS = "一二三四五六七八九"


def normalise(text: str) -> str:
    """The text with full-width digits, letters, ＋ and － in ASCII, and a numbered village's
    digit in words."""
    if _FULL_WIDTH.search(text) is not None:
        text = text.translate(_TABLE)
    if "村" in text:
        text = _VILLAGE_DIGIT.sub(lambda match: _NUMERALS[int(match.group(1)) - 1], text)
    return text
