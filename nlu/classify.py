"""Category by keyword scoring over the taxonomy.

Each keyword of a second-level class votes for it. A keyword shared by several first levels is
worth less (1/number of first levels), a longer keyword more (it is more specific), a word that
turns up in many topics ("公司") half and one that names the wrong itself ("垄断") double
(:mod:`config.keyword_weights`); repeats add less and less, and words in the opening (where
residents and titles state the matter) count double. First-level classes add up their children's
votes, the best child in full and the others at half, so "社保" and "退休" together outweigh a
single strong cue elsewhere while a class with many children (城乡建设) does not win on scattered
words; the winning first level's best child is the answer. All of it comes from the taxonomy: no
training data is needed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from types import MappingProxyType

from config.keyword_weights import STRONG_KEYWORDS, WEAK_KEYWORDS
from config.taxonomy import FALLBACK_PATH, TAXONOMY, first_level_names

LEAD_WEIGHT = 2.0
SIBLING_SHARE = 0.5
FALLBACK_CONFIDENCE = 0.05
WEAK_WEIGHT = 0.5
STRONG_WEIGHT = 2.0

_NO_SCORES: Mapping[str, float] = MappingProxyType(dict.fromkeys(first_level_names(), 0.0))


@dataclass(frozen=True)
class CategoryGuess:
    """The chosen path; ``parent_scores`` holds every first level's score (0.0 when no cue)."""

    path: str
    confidence: float
    runner_up: str | None
    matched: tuple[str, ...]
    parent_scores: Mapping[str, float] = field(default_factory=lambda: _NO_SCORES)


def _length_factor(word: str) -> float:
    return {1: 0.6, 2: 1.0, 3: 1.3}.get(len(word), 1.6)


def _word_weight(word: str) -> float:
    if word in STRONG_KEYWORDS:
        return _length_factor(word) * STRONG_WEIGHT
    return _length_factor(word) * (WEAK_WEIGHT if word in WEAK_KEYWORDS else 1.0)


@cache
def keyword_votes() -> Mapping[str, tuple[tuple[int, float], ...]]:
    """Keyword -> ((category index, weight), ...), read-only.

    A keyword shared by several first levels is split between them; one shared by siblings
    ("教师" in 学校教育 and 教师队伍) is not, since it leaves no doubt about the first level.
    """
    owners: dict[str, list[int]] = {}
    for index, category in enumerate(TAXONOMY):
        for word in category.keywords:
            if index not in owners.setdefault(word, []):
                owners[word].append(index)
    return MappingProxyType(
        {
            word: tuple(
                (index, _word_weight(word) / len({TAXONOMY[i].parent for i in indices}))
                for index in indices
            )
            for word, indices in owners.items()
        }
    )


@lru_cache(maxsize=1 << 16)
def keywords_inside(token: str) -> tuple[str, ...]:
    """The token if it is a keyword, else the keywords inside it, leftmost-longest.

    jieba keeps some compounds whole ("公立医院", "噪音扰民") that contain our cue words. A token
    of letters and digits counts only whole: 13812345678 is a phone number, not the 12345 line.
    Remembered per token (bounded): the same words come back in message after message, and
    this scan was a tenth of the time a trained model takes per message.
    """
    votes = keyword_votes()
    if token in votes:
        return (token,)
    if token.isascii():
        return ()
    found: list[str] = []
    position = 0
    while position < len(token) - 1:
        for end in range(len(token), position + 1, -1):
            if token[position:end] in votes and end - position < len(token):
                found.append(token[position:end])
                position = end
                break
        else:
            position += 1
    return tuple(found)


def _keywords(tokens: Sequence[str]) -> list[str]:
    return [word for token in tokens if len(token) > 1 for word in keywords_inside(token)]


def classify(tokens: Sequence[str], lead_tokens: Sequence[str] = ()) -> CategoryGuess:
    """Best taxonomy path for the words of a message; ``lead_tokens`` are its opening words."""
    votes = keyword_votes()
    counts = Counter(_keywords(tokens))
    counts.update(token for token in tokens if len(token) == 1 and token in votes)
    lead = set(_keywords(lead_tokens))
    scores = [0.0] * len(TAXONOMY)
    for word, count in counts.items():
        boost = (1.0 + math.log(count)) * (LEAD_WEIGHT if word in lead else 1.0)
        for index, weight in votes[word]:
            scores[index] += weight * boost
    if not any(scores):
        return CategoryGuess(FALLBACK_PATH, FALLBACK_CONFIDENCE, None, ())
    parents: dict[str, list[float]] = {name: [] for name in first_level_names()}
    for index, category in enumerate(TAXONOMY):
        parents.setdefault(category.parent, []).append(scores[index])
    parent_scores = {
        parent: max(values) + SIBLING_SHARE * (sum(values) - max(values))
        for parent, values in parents.items()
    }
    ranked_parents = sorted(parent_scores, key=parent_scores.__getitem__, reverse=True)
    best_parent = ranked_parents[0]
    ranked = sorted(range(len(TAXONOMY)), key=scores.__getitem__, reverse=True)
    best = next(index for index in ranked if TAXONOMY[index].parent == best_parent)
    runner = next((index for index in ranked if index != best and scores[index] > 0), None)
    top = parent_scores[best_parent]
    total = sum(parent_scores.values())
    confidence = (top / total) * (top / (top + 2.0))
    matched = tuple(word for word, _ in counts.most_common() if best in {i for i, _ in votes[word]})
    return CategoryGuess(
        TAXONOMY[best].path,
        round(max(confidence, FALLBACK_CONFIDENCE), 3),
        TAXONOMY[runner].path if runner is not None else None,
        matched,
        MappingProxyType({parent: round(score, 4) for parent, score in parent_scores.items()}),
    )
