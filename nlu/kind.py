"""Kind of request (complaint, suggestion, question, help, report, praise) from cue words.

Cues are matched longest first and each character is used by one cue only, so "不满意" does not
also count as the praise cue "满意". Cues in the opening count half again. Complaint is the
default: another kind must collect enough evidence and beat the complaint cues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from config import lexicon
from nlu.cues import find_cues

LEAD_WEIGHT = 1.5
MAX_REPEATS = 3
# In a long message the opening says what it is; cues deep in the body count less.
BODY_DAMPING_FROM = 200
BODY_MIN_WEIGHT = 0.4


@dataclass(frozen=True)
class KindGuess:
    kind: str
    confidence: float
    cues: tuple[str, ...]


@cache
def _cue_weights() -> Mapping[str, tuple[tuple[str, float], ...]]:
    """Cue -> ((kind, weight), ...), cues ordered longest first."""
    table: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for kind, cue, weight in lexicon.KIND_CUES:
        table[cue].append((kind, weight))
    ordered = sorted(table, key=len, reverse=True)
    return MappingProxyType({cue: tuple(table[cue]) for cue in ordered})


def _asks(text: str) -> bool:
    stripped = text.rstrip(" 。.！!~～")
    return any(mark in text for mark in ("？", "?", "吗，", "吗。")) or stripped.endswith("吗")


def detect_kind(text: str, lead_length: int = 0) -> KindGuess:
    """Kind of the message; the first ``lead_length`` characters are its opening."""
    table = _cue_weights()
    scores: dict[str, float] = dict.fromkeys(lexicon.KIND_CODES, 0.0)
    seen: dict[str, int] = defaultdict(int)
    cues: list[str] = []
    body_weight = max(BODY_MIN_WEIGHT, min(1.0, BODY_DAMPING_FROM / max(len(text), 1)))
    for position, cue in find_cues(text, tuple(table)):
        seen[cue] += 1
        if seen[cue] > MAX_REPEATS:
            continue
        factor = (LEAD_WEIGHT if position < lead_length else body_weight) / seen[cue]
        for kind, weight in table[cue]:
            scores[kind] += weight * factor
        cues.append(cue)
    if len(text) <= 200 and _asks(text):
        scores["question"] += lexicon.QUESTION_MARK_WEIGHT
    default = lexicon.DEFAULT_KIND
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    best = ranked[0]
    threshold = lexicon.KIND_MIN_SCORES.get(best, lexicon.KIND_MIN_SCORE)
    if best != default and (scores[best] < threshold or scores[best] <= scores[default]):
        best = default
    if scores[best] == 0:
        return KindGuess(default, 0.5, ())
    second = max(score for kind, score in scores.items() if kind != best)
    margin = (scores[best] - second) / (scores[best] + 1.0)
    confidence = min(0.95, max(0.3, 0.5 + 0.5 * margin))
    kind_cues = tuple(
        dict.fromkeys(cue for cue in cues if any(kind == best for kind, _ in table[cue]))
    )
    return KindGuess(best, round(confidence, 3), kind_cues)
