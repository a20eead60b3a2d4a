"""Reading a resident's reply to a satisfaction survey: 1/2/3 or words, and any comment.

A survey is open for days, and a resident with an open survey may well write about something
new. So a reply counts as an answer only when it starts with one (a digit 1-3, or answer words
after at most a few filler words like 我觉得), or is a short message that contains one; anything
else is left to normal intake. Precision over recall: a complaint read as 满意 would close a
case the resident is unhappy with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from config import surveys

_SEPARATORS = " \t\r\n，。！？,.!?、；;：:~～-—…（）()【】[]\"'“”"
_DIGIT_START = re.compile(r"^\s*([1-3])(?![0-9])([、.．:：,，\s-]*)(.*)$", re.S)
# Right after a digit, these make it an address or an amount ("3号楼", "1楼"), not an answer.
_NOT_AN_ANSWER_AFTER_DIGIT = frozenset("号楼栋幢单室层路弄个天点月年岁元块米次")


@dataclass(frozen=True)
class SatisfactionReading:
    answer: str  # satisfied | basically | unsatisfied
    comment: str  # the rest of the resident's words, "" when none


def _strip(text: str) -> str:
    return text.strip(_SEPARATORS)


def _match_start(text: str) -> tuple[str, str] | None:
    """(answer, rest) when ``text`` starts with answer words."""
    for answer, words in (
        ("unsatisfied", surveys.UNSATISFIED_WORDS),
        ("basically", surveys.BASICALLY_WORDS),
        ("satisfied", surveys.SATISFIED_WORDS),
    ):
        for word in words:
            if text.startswith(word):
                return answer, text[len(word) :]
    return None


def _contains(text: str) -> str | None:
    for answer, words in (
        ("unsatisfied", surveys.UNSATISFIED_WORDS),
        ("basically", surveys.BASICALLY_WORDS),
        ("satisfied", surveys.SATISFIED_WORDS),
    ):
        if any(word in text for word in words):
            return answer
    return None


def read_satisfaction(text: str) -> SatisfactionReading | None:
    """The answer in ``text``, or None when it is not an answer to a survey."""
    text = (text or "").strip()
    if not text:
        return None
    digit = _DIGIT_START.match(text)
    if digit:
        separator, rest = digit.group(2), _strip(digit.group(3))
        if not separator and rest[:1] in _NOT_AN_ANSWER_AFTER_DIGIT:
            return None
        return SatisfactionReading(surveys.DIGIT_ANSWERS[digit.group(1)], rest)
    body = _strip(text)
    for lead in surveys.LEAD_WORDS:
        if body.startswith(lead):
            candidate = _strip(body[len(lead) :])
            if _match_start(candidate) is not None:
                body = candidate
                break
    started = _match_start(body)
    if started is not None:
        answer, rest = started
        return SatisfactionReading(answer, _strip(rest.removeprefix("的")))
    if len(body) <= surveys.MAX_LOOSE_ANSWER:
        loose = _contains(body)
        if loose is not None:
            return SatisfactionReading(loose, "" if loose != "unsatisfied" else body)
    return None
