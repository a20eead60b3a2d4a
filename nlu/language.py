"""The language a message is written in, for a polite answer in that language.

Told by script alone, with no dictionary and no model: the answer only needs to say, in the
resident's language, that the district handles Chinese best; the message itself is still read
and kept. Digits, phone numbers, links, e-mail addresses, emoji and punctuation say nothing of
the language and are not counted. A Chinese character says as much as a short English word, so
a message is Chinese when its Chinese characters, weighted by ``HAN_WEIGHT``, are at least as
many as its other letters ("我家WiFi坏了", "请问parking permit怎么办" are Chinese).
"""

from __future__ import annotations

import re

CHINESE = "zh"
ENGLISH = "en"
HAN_WEIGHT = 3
# Japanese writes many words in kanji; kana are what set it apart from Chinese. A shop name
# with one の in a Chinese message stays Chinese.
KANA_SHARE_FOR_JAPANESE = 0.2
# Fewer letters than this tell nothing: "ok", "No. 5" and "B座" come from Chinese residents too.
MIN_LETTERS = 3

# Links and e-mail addresses, in ASCII only: a Chinese message has no spaces, and a pattern such
# as ``\S+@`` would try every start in it (quadratic on a long letter).
_LINKS = re.compile(
    r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
    re.IGNORECASE,
)
# (code, first, last) of the scripts told apart; Latin letters are counted as English.
_SCRIPTS: tuple[tuple[str, int, int], ...] = (
    ("han", 0x4E00, 0x9FFF),
    ("han", 0x3400, 0x4DBF),
    ("han", 0xF900, 0xFAFF),
    ("han", 0x20000, 0x2FA1F),
    ("kana", 0x3040, 0x30FF),
    ("kana", 0x31F0, 0x31FF),
    ("ko", 0xAC00, 0xD7AF),
    ("ko", 0x1100, 0x11FF),
    ("ko", 0x3130, 0x318F),
    ("ru", 0x0400, 0x04FF),
    ("ar", 0x0600, 0x06FF),
    ("ar", 0x0750, 0x077F),
    ("th", 0x0E00, 0x0E7F),
    ("el", 0x0370, 0x03FF),
    ("he", 0x0590, 0x05FF),
    ("hi", 0x0900, 0x097F),
    ("latin", 0x0041, 0x005A),
    ("latin", 0x0061, 0x007A),
    ("latin", 0x00C0, 0x024F),
)


def _class_of(name: str) -> re.Pattern[str]:
    ranges = "".join(
        f"{chr(first)}-{chr(last)}" for script, first, last in _SCRIPTS if script == name
    )
    return re.compile(f"[{re.escape(ranges).replace(chr(92) + '-', '-')}]")


# One character class per script, counted by the regex engine (a Python loop over every
# character of a 2,000-character letter cost milliseconds). Within the Latin ranges only letters
# count: × and ÷ (U+00D7, U+00F7) are signs.
_CLASSES: dict[str, re.Pattern[str]] = {
    name: _class_of(name) for name in dict.fromkeys(script for script, _, _ in _SCRIPTS)
}
_LATIN_SIGNS = re.compile("[\u00d7\u00f7]")


def _counts(text: str) -> dict[str, int]:
    text = _LINKS.sub(" ", text)
    counts: dict[str, int] = {}
    for name, pattern in _CLASSES.items():
        found = len(pattern.findall(text))
        if name == "latin":
            found -= len(_LATIN_SIGNS.findall(text))
        if found:
            counts[name] = found
    return counts


def detect_language(text: str) -> str:
    """``"zh"`` for Chinese (or nothing to tell), else a short code such as ``"en"``.

    Besides ``"en"`` (any Latin-script message), ``"ja"``, ``"ko"``, ``"ru"``, ``"ar"``,
    ``"th"``, ``"el"``, ``"he"`` and ``"hi"`` are told by their scripts.
    """
    counts = _counts(text)
    han = counts.pop("han", 0)
    kana = counts.pop("kana", 0)
    if kana and kana >= KANA_SHARE_FOR_JAPANESE * (han + kana):
        counts["ja"] = kana + han
        han = 0
    else:
        han += kana
    if not counts:
        return CHINESE
    script, letters = max(counts.items(), key=lambda item: item[1])
    if letters < MIN_LETTERS or han * HAN_WEIGHT >= letters:
        return CHINESE
    return ENGLISH if script == "latin" else script
