"""Kind of request (complaint, suggestion, question, help, report, praise) from cue words.

Complaint is the default: another kind must collect enough evidence and beat the complaint
cues. Residents rarely name the kind ("建议", "请问"); the cue tables of :mod:`config.kinds` hold
the ways they say it instead (能不能在…增设, 有人在…偷倒, 一个人在家, 点个赞), and phrases that
claim their characters without scoring ("之前投诉的" in praise of how a complaint was handled).

Cues are found in one left-to-right scan, the longest cue at each position, each character used
once: "不满意" does not also count as the praise cue "满意". One compiled alternation does this
in C, three times faster than a search per cue; a letter of thousands of characters is scanned
at its opening and its close only, where residents say what they want. Cues in the opening count
half again, cues deep in a long body less. Thanks that open a message are praise; thanks that
close a complaint are politeness.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from config import kinds, lexicon

LEAD_WEIGHT = 1.5
MAX_REPEATS = 3
# In a long message the opening says what it is; cues deep in the body count less.
BODY_DAMPING_FROM = 200
BODY_MIN_WEIGHT = 0.4
# A long letter is scanned for cues in its first SCAN_HEAD and last SCAN_TAIL characters.
SCAN_HEAD = 600
SCAN_TAIL = 200
_OPENING_JUNK = " \t\r\n，,。.！!、：:"


@dataclass(frozen=True)
class KindGuess:
    kind: str
    confidence: float
    cues: tuple[str, ...]


@dataclass(frozen=True)
class _CueTable:
    weights: Mapping[str, tuple[tuple[str, float], ...]]
    pattern: re.Pattern[str]


@cache
def _cue_table() -> _CueTable:
    """Cue -> ((kind, weight), ...), and one pattern that tries the longest cues first."""
    table: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for kind, cue, weight in (*kinds.KIND_CUES, *kinds.KIND_PHRASES):
        table[cue].append((kind, weight))
    ordered = sorted(table, key=len, reverse=True)
    return _CueTable(
        weights=MappingProxyType({cue: tuple(table[cue]) for cue in ordered}),
        pattern=re.compile("|".join(map(re.escape, ordered))),
    )


def _cues(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    """``(position, cue)`` in the scanned parts of ``text``."""
    if len(text) <= SCAN_HEAD + SCAN_TAIL:
        for match in pattern.finditer(text):
            yield match.start(), match.group()
        return
    for match in pattern.finditer(text, 0, SCAN_HEAD):
        yield match.start(), match.group()
    for match in pattern.finditer(text, len(text) - SCAN_TAIL):
        yield match.start(), match.group()


def _asking_weight(text: str) -> float:
    """Question evidence from the form alone: a final 吗/么/呢, or a question mark inside."""
    stripped = text.rstrip(" 。.！!~～？?")
    if len(text) <= kinds.QUESTION_END_MAX_CHARS and stripped.endswith(("吗", "么", "呢")):
        return kinds.QUESTION_END_WEIGHT
    if any(mark in text for mark in ("？", "?", "吗，", "吗。")):
        return kinds.QUESTION_MARK_WEIGHT
    return 0.0


def _opens_with_thanks(text: str) -> bool:
    """Thanks as the point of the message: at its start, with no turn to a grievance after."""
    opening = text.lstrip(_OPENING_JUNK)
    return opening.startswith(kinds.PRAISE_OPENINGS) and not any(
        turn in opening for turn in kinds.PRAISE_TURNS
    )


def detect_kind(text: str, lead_length: int = 0) -> KindGuess:
    """Kind of the message; the first ``lead_length`` characters are its opening."""
    table = _cue_table()
    scores: dict[str, float] = dict.fromkeys(lexicon.KIND_CODES, 0.0)
    seen: dict[str, int] = defaultdict(int)
    cues: list[str] = []
    body_weight = max(BODY_MIN_WEIGHT, min(1.0, BODY_DAMPING_FROM / max(len(text), 1)))
    for position, cue in _cues(text, table.pattern):
        seen[cue] += 1
        if seen[cue] > MAX_REPEATS:
            continue
        factor = (LEAD_WEIGHT if position < lead_length else body_weight) / seen[cue]
        for kind, weight in table.weights[cue]:
            scores[kind] += weight * factor
        cues.append(cue)
    if len(text) <= 200:
        scores["question"] += _asking_weight(text)
    if _opens_with_thanks(text):
        scores["praise"] += kinds.PRAISE_OPENING_WEIGHT
    default = lexicon.DEFAULT_KIND
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    best = ranked[0]
    threshold = kinds.KIND_MIN_SCORES.get(best, kinds.KIND_MIN_SCORE)
    if best != default and (scores[best] < threshold or scores[best] <= scores[default]):
        best = default
    if scores[best] == 0:
        return KindGuess(default, 0.5, ())
    second = max(score for kind, score in scores.items() if kind != best)
    margin = (scores[best] - second) / (scores[best] + 1.0)
    confidence = min(0.95, max(0.3, 0.5 + 0.5 * margin))
    kind_cues = tuple(
        dict.fromkeys(
            cue
            for cue in cues
            if any(kind == best and weight for kind, weight in table.weights[cue])
        )
    )
    return KindGuess(best, round(confidence, 3), kind_cues)
