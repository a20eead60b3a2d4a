"""The default published wording of a suggestion: the proposer's words without what names them.

A suggestion is about a public matter (a bus stop on 控江路), so the roads, compounds and
places it names stay: they are its subject. What goes is what points at a person: phone numbers
and long digit runs (the case anonymiser's ``masked_words``), house, building and room numbers
(国权路100弄5号302室 -> 国权路＊＊＊), names with a form of address or an introduction (王先生,
我叫张伟), and the proposer's own nickname. The office reads this wording before it publishes
and may change it; what it publishes is what it approved (``handlers.suggestions.publication``).
"""

from __future__ import annotations

import re
from functools import cache

from config import suggestion_publication as texts
from handlers.residents.anonymise import MASK, masked_words

_NUMBER = r"(?:[0-9０-９]{1,5}|[一二三四五六七八九十]{1,3})"
# A house number and its parts: 100号, 39弄5号, 3号楼2单元602室, 5栋, 12幢, 7楼 (not 1号线, not
# the 5号 of a date, 3月5号).
_HOUSE = re.compile(
    rf"(?<![月年第0-9０-９])(?:{_NUMBER}(?:[-—－]{_NUMBER})*"
    r"(?:号楼|单元|栋|幢|座|室|弄|号(?![线])|楼(?![层梯道盘下上]))){1,5}"
)


# Characters that end a name given after an introduction (我叫张伟，住在… / 本人王强建议…).
_NAME_CHAR = "(?:[\u4e00-\u9fff](?<![的是在住家想要建希反和我，。]))"


@cache
def _addressed() -> re.Pattern[str]:
    """A surname and a form of address: 王先生, 李阿姨."""
    return re.compile(f"[{texts.SURNAMES}](?:{'|'.join(texts.ADDRESS_WORDS)})")


@cache
def _introduced() -> re.Pattern[str]:
    """A name after an introduction: 我叫张伟, 联系人：李强."""
    intro = "|".join(texts.INTRODUCTIONS)
    return re.compile(f"({intro})([:：\\s]*)[{texts.SURNAMES}]{_NAME_CHAR}{{1,2}}")


def anonymised(text: str, *, also: tuple[str, ...] = ()) -> str:
    """``text`` with phones, house numbers, people's names and the words in ``also`` (the
    proposer's nickname, their phone) masked."""
    if not text:
        return text
    masked = masked_words(text, [word for word in also if len(word) >= 2])
    masked = _HOUSE.sub(MASK, masked)
    masked = _addressed().sub(MASK, masked)
    masked = _introduced().sub(lambda found: found.group(1) + found.group(2) + MASK, masked)
    return re.sub(f"(?:{re.escape(MASK)})+", MASK, masked)
