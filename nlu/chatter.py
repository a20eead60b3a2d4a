"""Messages that are not a report: greetings, fillers, tests, emoji, thanks and ads.

:func:`read_chatter` names what such a message is, or returns ``None`` for anything that may
carry a report ("你好，楼下路灯坏了" is a report). The conversation answers chatter with what the
service can do and makes no case of it. A report swallowed as chatter is lost words, a greeting
taken for a report is only a case to close; so a message is chatter only when it consists of
nothing but known chatter words (:mod:`config.chatter`), never when it merely contains them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Literal

from config import chatter as words

Chatter = Literal["greeting", "filler", "test", "emoji", "thanks", "ad"]

# WeChat sends its own emoji as codes in brackets: [微笑], [强], [OK], [抱拳].
_WECHAT_EMOJI = re.compile(r"\[[^\[\]\s]{1,6}\]")
_DIGITS = re.compile(r"[0-9]+")

# Word classes, in the order they decide a message made of several ("你好，我想反映" is a filler).
_FILLER, _ANCHOR, _TEST, _THANKS, _GREETING, _PARTICLE = (
    "filler",
    "anchor",
    "test",
    "thanks",
    "greeting",
    "particle",
)


@cache
def _vocabulary() -> tuple[Mapping[str, frozenset[str]], int]:
    """Word -> its classes, and the longest word's length."""
    table: dict[str, set[str]] = {}
    groups = (
        (_FILLER, words.FILLER_WORDS),
        (_ANCHOR, words.FILLER_ANCHORS),
        (_TEST, words.TEST_WORDS),
        (_THANKS, words.THANKS_WORDS),
        (_GREETING, words.GREETING_WORDS),
        (_PARTICLE, tuple(words.PARTICLES)),
    )
    for name, group in groups:
        for word in group:
            table.setdefault(word.lower(), set()).add(name)
    frozen = {word: frozenset(names) for word, names in table.items()}
    return MappingProxyType(frozen), max(map(len, frozen))


def _core(text: str) -> str:
    """Letters and digits only, lower case: emoji codes, emoji, punctuation and spaces dropped."""
    text = _WECHAT_EMOJI.sub("", text)
    return "".join(char.lower() for char in text if unicodedata.category(char)[0] in ("L", "N"))


def _classes(core: str) -> set[str] | None:
    """The classes of the words ``core`` is made of, or ``None`` if anything else is in it.

    Longest word first at each position; a greedy reading that fails is taken as content.
    """
    table, longest = _vocabulary()
    found: set[str] = set()
    position = 0
    while position < len(core):
        digits = _DIGITS.match(core, position)
        if digits:
            if digits.end() - digits.start() > words.TEST_MAX_DIGITS:
                return None
            found.add(_TEST)
            position = digits.end()
            continue
        for length in range(min(longest, len(core) - position), 0, -1):
            names = table.get(core[position : position + length])
            if names:
                found.update(names)
                position += length
                break
        else:
            return None
    return found


def _is_ad(text: str) -> bool:
    lowered = text.lower()
    return (
        any(word in lowered for word in words.AD_WORDS)
        and any(contact in lowered for contact in words.AD_CONTACTS)
        and not any(word in lowered for word in words.AD_NOT)
    )


def read_chatter(text: str) -> Chatter | None:
    """What kind of non-report ``text`` is, or ``None`` if it may be a report."""
    if _is_ad(text):
        return "ad"
    core = _core(text)
    if not core:
        return "emoji" if text.strip() else None
    if len(core) > words.CHATTER_MAX_CHARS:
        return None
    found = _classes(core)
    if found is None:
        return None
    if _ANCHOR in found:
        return "filler"
    if _TEST in found:
        return "test"
    if _THANKS in found and _FILLER not in found:
        return "thanks"
    if _GREETING in found and _FILLER not in found:
        return "greeting"
    return "filler"
