"""What a message's problem is about, as a few canonical words (its topic), for hot issues.

The words are the understanding's keywords and the title's words, each spelt one way
(噪声 -> 噪音, 商铺 / 店面 / 门店 -> 门面, 噪音扰民 -> 噪音 + 扰民), without the words that say
nothing about the problem (小区, 问题, 希望 ...), the place's own words and coded cities or
districts (A市, A5区). The most telling come first: words of the title before the others, and
words common in general Chinese (生活, 学生) or weak on their own (经营, 申请) last, so that
messages about one problem share their first words. ``signatures`` are the pairs of the first
words, the keys under which the grouping looks for messages about the same thing. The tables
are in ``config.hot_words``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import combinations

from config import hot_words, lexicon
from nlu.normalise import normalise
from nlu.place import extract_spans
from nlu.tokens import cut, function_words, idioms, rarity

MAX_WORDS = 6
SIGNATURE_WORDS = 4
_MIN_WORD = 2
# Coded or named cities, districts and provinces (A市, A5区, K3县, 西地省) and bare numbers.
_ADMIN = re.compile(r"^(?:[A-Za-z][0-9]{0,3}[省市县区州]?|.{1,4}省|[0-9A-Za-z.#\-_]+)$")
_STRONG, _WEAK = 0, 1
_TERMS = frozenset(hot_words.STRONG_TERMS)
# Words kept whole: the terms, and the spellings the tables make words into (养老保险).
_WHOLE = _TERMS | {part for spelt in hot_words.CANONICAL.values() for part in spelt}


@lru_cache(maxsize=8192)
def canonical(word: str) -> tuple[str, ...]:
    """The topic words a word stands for: none, itself, its one spelling, or its two parts."""
    word = word.strip()
    if word in hot_words.CANONICAL:
        return hot_words.CANONICAL[word]
    for ending in hot_words.EMPTY_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_WORD:
            return canonical(word[: -len(ending)])
    for ending in hot_words.SPLIT_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_WORD:
            return (*canonical(word[: -len(ending)]), ending)
    if _empty(word):
        return ()
    return parts(word)


def _empty(word: str) -> bool:
    """Whether a word says nothing about the problem: generic (问题, 希望), a function word
    (为何, 迟迟, 一家: ``nlu.tokens.function_words``, unless our tables hold it: 夜间), or a
    coded place."""
    return (
        len(word) < _MIN_WORD
        or word in hot_words.GENERIC_WORDS
        or word in lexicon.STOPWORDS
        or (word in function_words() and word not in hot_words.WEAK_WORDS)
        or _ADMIN.match(word) is not None
    )


def _word(part: str) -> bool:
    """Whether ``part`` is a two-character word of its own that says something."""
    return len(part) == _MIN_WORD and _known(part) and not _empty(part)


@lru_cache(maxsize=8192)
def parts(word: str) -> tuple[str, ...]:
    """A compound word as the shorter words residents also write it by: its word before a
    kind-of-thing ending (医保卡 -> 医保, 健身房 -> 健身: ``config.hot_words.HEAD_CHARS``), or a
    word of four or more characters made of two words as those two, each made canonical in turn
    (异地就医 -> 异地 + 就医, 养老金调整 -> 养老保险 + 调整, 退休人员 -> 退休). Kept whole: terms
    that name a trouble by themselves (飞线充电), the tables' spellings (养老保险), idioms
    (水泄不通) and words no shorter words make up.
    """
    if word in _WHOLE or word in idioms():
        return (word,)
    if len(word) == 3 and word[-1] in hot_words.HEAD_CHARS and _word(word[:2]):
        return (word[:2],)
    for split in range(_MIN_WORD, len(word) - 1):
        head, tail = word[:split], word[split:]
        if _known(head) and _known(tail):
            found = (*canonical(head), *canonical(tail))
            return tuple(dict.fromkeys(found)) or (word,)
    return (word,)


def _known(part: str) -> bool:
    """Whether ``part`` is a word of the segmenter's dictionary, two characters or more."""
    return len(part) >= _MIN_WORD and rarity(part) is not None


@lru_cache(maxsize=8192)
def _tier(word: str) -> int:
    """Telling words first, then the weak and the common ones."""
    if word in hot_words.WEAK_WORDS:
        return _WEAK
    common = rarity(word)
    return _WEAK if common is not None and common < hot_words.COMMON_RARITY else _STRONG


@lru_cache(maxsize=4096)
def _title_words(title: str) -> tuple[str, ...]:
    """The title's words outside the places it names (魅力之城小区油烟扰民: 油烟, 扰民)."""
    text = normalise(title)
    for span in reversed(extract_spans(text)):
        text = f"{text[: span.start]}，{text[span.end :]}"
    return tuple(cut(text))


def _in_place(word: str, places: Sequence[str]) -> bool:
    return any(word in name for name in places)


def topic_words(
    keywords: Sequence[str], title: str = "", place_names: Iterable[str] = ()
) -> tuple[str, ...]:
    """The message's topic: its telling words, most telling first, at most ``MAX_WORDS``.

    ``keywords`` are the understanding's (most telling first), ``title`` the case's title and
    ``place_names`` the names of its place, whose words are no topic.
    """
    places = [name for name in place_names if name]
    title_words = _title_words(title) if title else ()
    terms = tuple(term for term in hot_words.STRONG_TERMS if term in title)
    in_title = {part for word in (*terms, *title_words) for part in canonical(word)}
    order: dict[str, int] = {}
    for word in (*terms, *keywords, *title_words):
        if _in_place(word, places):
            continue
        for part in canonical(word):
            if part not in order and not _in_place(part, places):
                order[part] = len(order)
    ranked = sorted(order, key=lambda word: (_tier(word), word not in in_title, order[word]))
    return tuple(ranked[:MAX_WORDS])


def strong_terms(words: Sequence[str]) -> tuple[str, ...]:
    """The words that name a kind of trouble by themselves (``config.hot_words.STRONG_TERMS``)."""
    return tuple(word for word in words if word in _TERMS)


def signatures(words: Sequence[str]) -> tuple[str, ...]:
    """The pairs of the first ``SIGNATURE_WORDS`` words, each as "a|b" in sorted order."""
    head = sorted(words[:SIGNATURE_WORDS])
    return tuple(f"{a}|{b}" for a, b in combinations(head, 2))


def _weights(words: Sequence[str]) -> dict[str, float]:
    return {word: 1.0 / (1.0 + 0.5 * index) for index, word in enumerate(words)}


def topic_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """How alike two topics are, 0 to 1: the shared words, earlier words weighing more, over
    the lighter topic's weight."""
    if not a or not b:
        return 0.0
    first, second = _weights(a), _weights(b)
    shared = sum((first[word] + second[word]) / 2 for word in first.keys() & second.keys())
    return min(1.0, shared / min(sum(first.values()), sum(second.values())))
