"""Finding fixed phrases in text, longest first and without overlaps.

Kinds, urgency and difficulty are all decided by phrases; matching them longest first, with
each character used once, is what keeps "电梯困人" from also counting as "被困", and "不满意"
from counting as "满意".
"""

from __future__ import annotations

from collections.abc import Sequence


def find_cues(text: str, cues: Sequence[str]) -> list[tuple[int, str]]:
    """Non-overlapping occurrences ``(position, cue)``; ``cues`` must be longest first."""
    used = bytearray(len(text))
    found: list[tuple[int, str]] = []
    for cue in cues:
        start = text.find(cue)
        while start != -1:
            end = start + len(cue)
            if any(used[start:end]):
                start = text.find(cue, start + 1)
                continue
            used[start:end] = b"\x01" * len(cue)
            found.append((start, cue))
            start = text.find(cue, end)
    found.sort()
    return found
