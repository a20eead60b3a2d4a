"""Urgency (急) and difficulty (难) with the words that triggered them.

Dispatchers see the reasons, so a trigger must be a real mention: "没有漏水" or "已无煤气味"
is negated, "火灾隐患" names a risk rather than a fire, and "没有电梯" is not "没有电".
"""

from __future__ import annotations

import re
from functools import cache

from config import lexicon
from nlu.cues import find_cues

URGENT = "急"
# Life-safety hazards, each answered with what to do now and the numbers to call
# (``config.replies``/settings): gas leak, fire or smoke, someone hurt or fallen or unwell,
# live electricity, water flooding inside a home, violence or a crime in progress.
HAZARDS: tuple[str, ...] = ("gas", "fire", "medical", "electric", "flood", "violence")
NORMAL = "一般"
_NEGATION_WINDOW = 6
_CLAUSE_BREAK = re.compile(r"[，,。！？!?；;\n]")
_SENTENCE_BREAK = re.compile(r"[。！？!?；;\n]+")


@cache
def _negation_pattern() -> re.Pattern[str]:
    negations = "|".join(sorted(map(re.escape, lexicon.NEGATION_WORDS), key=len, reverse=True))
    fillers = "|".join(sorted(map(re.escape, lexicon.NEGATION_FILLERS), key=len, reverse=True))
    return re.compile(rf"(?:{negations})(?:{fillers})?$")


@cache
def _ordered(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(words), key=len, reverse=True))


def is_negated(text: str, start: int) -> bool:
    """True if the words just before ``start`` (within its clause) negate what follows."""
    before = text[max(0, start - _NEGATION_WINDOW) : start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    return bool(clause) and _negation_pattern().search(clause) is not None


def _is_real_mention(text: str, start: int, word: str) -> bool:
    end = start + len(word)
    blocked = lexicon.URGENCY_BLOCKED_NEXT.get(word[-1], "")
    if end < len(text) and text[end] in blocked:
        return False
    if text.startswith(lexicon.URGENCY_DEFUSERS, end):
        return False
    return not is_negated(text, start)


def urgency_reasons(text: str) -> tuple[str, ...]:
    """Trigger words that make the case urgent, in order of appearance, each once."""
    reasons = [
        word
        for start, word in find_cues(text, _ordered(lexicon.URGENCY_TRIGGERS))
        if _is_real_mention(text, start, word)
    ]
    for sentence in _SENTENCE_BREAK.split(text):
        child = next((word for word in lexicon.CHILD_WORDS if word in sentence), None)
        if child is None:
            continue
        for start, danger in find_cues(sentence, _ordered(lexicon.CHILD_DANGER_WORDS)):
            if _is_real_mention(sentence, start, danger):
                reasons.append(f"{child}{danger}")
                break
    return tuple(dict.fromkeys(reasons))


def difficulty_reasons(text: str) -> tuple[str, ...]:
    """Why the case needs several units or lasting work (难); empty if it does not."""
    reasons = [
        word
        for start, word in find_cues(text, _ordered(lexicon.DIFFICULTY_TRIGGERS))
        if not is_negated(text, start)
    ]
    units = {word for _, word in find_cues(text, _ordered(lexicon.UNIT_WORDS))}
    if len(units) >= lexicon.MULTI_UNIT_COUNT:
        reasons.append(lexicon.MULTI_UNIT_REASON)
    return tuple(dict.fromkeys(reasons))


def urgency_level(reasons: tuple[str, ...]) -> str:
    return URGENT if reasons else NORMAL


def life_safety(text: str) -> tuple[str, ...]:
    """The :data:`HAZARDS` a message reports as happening now, in the order of HAZARDS."""
    return ()
