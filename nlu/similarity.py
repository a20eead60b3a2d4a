"""How alike two messages are in what they complain about, leaving places and filler aside.

Shared by duplicate detection across cases (:mod:`handlers.intake.duplicates`, hot issues) and
by the reading of a conversation's next message (:mod:`nlu.sameness`), so that both agree on
what "the same problem" means. Pure functions over text; the tables are in
:mod:`config.duplicates`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import cache
from itertools import pairwise

from config import duplicates as tuning
from nlu.contact import mask_phones_in_text
from nlu.tokens import cut, rarity

__all__ = [
    "canonical_text",
    "conflicting",
    "objects",
    "problem_words",
    "similarity",
    "spots",
]

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_UNKNOWN_RARITY = 15.0  # a character the dictionary does not know is rare


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One pattern for many words, longest first, so that 不亮了 wins over 不亮."""
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)))


_FILLER = _alternation(tuning.FILLER_WORDS)
_EQUIVALENT = _alternation(tuning.EQUIVALENT_WORDS)
_WHERE = _alternation(tuning.POSITION_WORDS + tuning.SPOT_WORDS)
# Things and spots read in one pass, longest first, so that the 车 of 车库 is no vehicle and
# the 楼道灯 is a lamp rather than a stairwell.
_NAMED = _alternation(tuning.OBJECT_WORDS + tuning.SPOT_WORDS + tuning.POSITION_WORDS)
_OBJECT_SET = frozenset(tuning.OBJECT_WORDS)
_SPOT_SET = frozenset(tuning.SPOT_WORDS)
_DETAIL = frozenset(tuning.DETAIL_WORDS)
_DETAIL_PATTERN = re.compile("|".join(tuning.DETAIL_PATTERNS))


def _plain(text: str, place_names: Iterable[str]) -> str:
    """Phones and place names blanked, equivalent words spelt one way."""
    text = mask_phones_in_text(text)
    for name in sorted((name for name in place_names if name), key=len, reverse=True):
        text = text.replace(name, " ")
    return _EQUIVALENT.sub(lambda match: tuning.EQUIVALENT_WORDS[match.group(0)], text)


def canonical_text(text: str, place_names: Iterable[str] = (), *, drop_detail: bool = False) -> str:
    """What the text says is wrong: equivalent words spelt one way, and phones, place names,
    positions and spots within a place (楼道, 门口, 菜市场) and filler blanked.

    With ``drop_detail`` detail goes too: the patterns of
    :data:`config.duplicates.DETAIL_PATTERNS` (二十米, 上周, 联系电话) and the words of
    :data:`config.duplicates.DETAIL_WORDS` (when, how bad, still not fixed), as whole words of
    the segmenter.
    """
    text = _WHERE.sub(" ", _FILLER.sub(" ", _plain(text, place_names)))
    if drop_detail:
        text = _DETAIL_PATTERN.sub(" ", text)
        text = " ".join(word for word in cut(text) if word not in _DETAIL)
    return text


def objects(text: str, place_names: Iterable[str] = ()) -> frozenset[str]:
    """The things the text names as broken or bothersome (:data:`config.duplicates.OBJECT_WORDS`),
    longest first: 楼道灯 is read as 楼道灯, not as 灯."""
    return frozenset(w for w in _NAMED.findall(_plain(text, place_names)) if w in _OBJECT_SET)


def spots(text: str) -> frozenset[str]:
    """The spots within a place the text names (:data:`config.duplicates.SPOT_WORDS`), also
    inside place names: 鞍山路小学 is a 小学 however the place reader takes it."""
    return frozenset(w for w in _NAMED.findall(_plain(text, ())) if w in _SPOT_SET)


def conflicting(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both name things (or spots) and none of one is, or holds, one of the other: 路灯 and
    电梯, 小学 and 菜市场; not 灯 and 路灯, nor 公交站 and 公交站台."""
    if not a or not b:
        return False
    return not any(x in y or y in x for x in a for y in b)


def problem_words(
    text: str, place_names: Iterable[str] = (), *, drop_detail: bool = False
) -> dict[str, float]:
    """The characters and character pairs that say what the problem is, with their weights.

    See :func:`canonical_text` for what is taken out first. Single characters let paraphrases
    meet ("灯坏了" and "灯不亮" share 灯), pairs keep the order. Each is weighted by how rare it
    is in general Chinese (:func:`nlu.tokens.rarity`), so that 玻璃 counts for more than 上下.
    """
    weights: dict[str, float] = {}
    for run in _CJK_RUN.findall(canonical_text(text, place_names, drop_detail=drop_detail)):
        chars = [char for char in run if char not in tuning.FILLER_CHARS]
        for char in chars:
            weights[char] = _char_weight(char)
        for a, b in pairwise(chars):
            weights[a + b] = _pair_weight(a + b)
    return weights


@cache
def _char_weight(char: str) -> float:
    return rarity(char) or _UNKNOWN_RARITY


@cache
def _pair_weight(pair: str) -> float:
    return rarity(pair) or (_char_weight(pair[0]) + _char_weight(pair[1])) / 2


def similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity of two weighted sets of characters and pairs."""
    if not a or not b:
        return 0.0
    shared = sum(a[gram] * b[gram] for gram in a.keys() & b.keys())
    norms = math.sqrt(sum(w * w for w in a.values()) * sum(w * w for w in b.values()))
    return shared / norms
