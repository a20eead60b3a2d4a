"""Word segmentation with our vocabulary, initialised on first use.

jieba takes about a second to load its dictionary, which must not happen at import time (the
service imports ``nlu`` while WeChat waits). :func:`tokenizer` builds a private
``jieba.Tokenizer`` once, adds the taxonomy's and lexicon's words so that cue words come out
whole, and caches it; :func:`nlu.warm_up` calls it at service start.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import cache

import jieba

from config import lexicon
from config.taxonomy import TAXONOMY

_WORD = re.compile(r"\w")


def vocabulary() -> tuple[str, ...]:
    """Multi-character words that must not be split: category keywords and lexicon cues."""
    words: dict[str, None] = {}
    for category in TAXONOMY:
        words.update(dict.fromkeys(category.keywords))
    words.update(dict.fromkeys(cue for _, cue, _ in lexicon.KIND_CUES))
    words.update(dict.fromkeys(lexicon.URGENCY_TRIGGERS))
    words.update(dict.fromkeys(lexicon.DIFFICULTY_TRIGGERS))
    return tuple(word for word in words if len(word) > 1)


class _Segmenter(jieba.Tokenizer):
    """jieba's tokenizer with its two inner loops written tighter: the same words, faster.

    ``get_DAG`` and ``calc`` are jieba 0.42's algorithm unchanged (the same dictionary
    lookups, the same best route, ties going to the same end), without a generator per
    character; segmentation is most of the time :func:`nlu.understand` takes.
    """

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:
        self.check_initialized()
        frequencies = self.FREQ
        length = len(sentence)
        graph: dict[int, list[int]] = {}
        for start in range(length):
            ends: list[int] = []
            end = start
            fragment = sentence[start]
            while end < length and fragment in frequencies:
                if frequencies[fragment]:
                    ends.append(end)
                end += 1
                fragment = sentence[start : end + 1]
            graph[start] = ends or [start]
        return graph

    def calc(
        self, sentence: str, graph: dict[int, list[int]], route: dict[int, tuple[float, int]]
    ) -> None:
        length = len(sentence)
        route[length] = (0, 0)
        log_total = math.log(self.total)
        frequency = self.FREQ.get
        for start in range(length - 1, -1, -1):
            best = (-math.inf, -1)
            for end in graph[start]:
                score = math.log(frequency(sentence[start : end + 1]) or 1) - log_total
                candidate = (score + route[end + 1][0], end)
                if candidate > best:
                    best = candidate
            route[start] = best


@cache
def tokenizer() -> jieba.Tokenizer:
    segmenter = _Segmenter()
    segmenter.initialize()
    for word in vocabulary():
        segmenter.add_word(word)
    return segmenter


def cut_with_offsets(text: str) -> list[tuple[int, str]]:
    """Words of the text with their start positions (punctuation and spaces dropped).

    Dictionary only, no HMM guessing of unknown words: faster, and stable across versions.
    """
    words: list[tuple[int, str]] = []
    position = 0
    for token in tokenizer().lcut(text, HMM=False):
        if _WORD.search(token):
            words.append((position, token))
        position += len(token)
    return words


def cut(text: str) -> list[str]:
    """Words of the text, see :func:`cut_with_offsets`."""
    return [token for _, token in cut_with_offsets(text)]


# jieba's parts of speech that name no problem: pronouns, adverbs, conjunctions, prepositions,
# particles, numerals, measure words, time, place and direction words, interjections.
FUNCTION_TAGS = frozenset("r rr rz d ad dg c p u uj ul m mq q t tg f s y e o".split())
# The tags of words that lead up to a place's name but are never part of it: time words and
# pronouns (每天, 早上, 平时, 这里); adverbs are not: the dictionary tags 大连 as one.
LEAD_TAGS = frozenset("r rr rz t tg".split())
# Idioms and set phrases: whole words, never two (水泄不通 is not 水泄 and 不通).
IDIOM_TAGS = frozenset("i l".split())


def tagged_words() -> Iterator[tuple[str, str]]:
    """Each word of the segmenter's dictionary with its part of speech (jieba's tag)."""
    with tokenizer().get_dict_file() as lines:
        for raw in lines:
            fields = raw.decode("utf-8").split()
            if len(fields) == 3:
                yield fields[0], fields[2]


@cache
def _tagged() -> dict[str, frozenset[str]]:
    """The dictionary's words of each group of tags, read in one pass."""
    groups: dict[str, list[str]] = {"function": [], "lead": [], "idiom": []}
    for word, tag in tagged_words():
        if tag in FUNCTION_TAGS:
            groups["function"].append(word)
        if tag in LEAD_TAGS and len(word) > 1:
            groups["lead"].append(word)
        if tag in IDIOM_TAGS:
            groups["idiom"].append(word)
    return {name: frozenset(words) for name, words in groups.items()}


def function_words() -> frozenset[str]:
    """The words jieba's dictionary tags with one of ``FUNCTION_TAGS`` (为何, 迟迟, 一家, 上个月,
    里面): whatever a message is about, these words do not say it."""
    return _tagged()["function"]


def lead_words() -> frozenset[str]:
    """The words of two or more characters that jieba's dictionary tags with ``LEAD_TAGS``."""
    return _tagged()["lead"]


def idioms() -> frozenset[str]:
    """The words jieba's dictionary tags as idioms or set phrases (``IDIOM_TAGS``)."""
    return _tagged()["idiom"]


def rarity(word: str) -> float | None:
    """How informative a word is in general Chinese: log(total / frequency) from the
    segmenter's dictionary (higher is rarer), or None if the dictionary does not know it."""
    segmenter = tokenizer()
    frequency = segmenter.FREQ.get(word, 0)
    if not frequency:
        return None
    return math.log(segmenter.total / frequency)
