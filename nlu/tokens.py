"""Word segmentation with our vocabulary, initialised on first use.

jieba takes about a second to load its dictionary, which must not happen at import time (the
service imports ``nlu`` while WeChat waits). :func:`tokenizer` builds a private
``jieba.Tokenizer`` once, adds the taxonomy's and lexicon's words so that cue words come out
whole, and caches it; :func:`nlu.warm_up` calls it at service start.
"""

from __future__ import annotations

import math
import re
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


@cache
def tokenizer() -> jieba.Tokenizer:
    segmenter = jieba.Tokenizer()
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


def rarity(word: str) -> float | None:
    """How informative a word is in general Chinese: log(total / frequency) from the
    segmenter's dictionary (higher is rarer), or None if the dictionary does not know it."""
    segmenter = tokenizer()
    frequency = segmenter.FREQ.get(word, 0)
    if not frequency:
        return None
    return math.log(segmenter.total / frequency)
