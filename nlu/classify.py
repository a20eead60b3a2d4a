"""Category by keyword scoring over the taxonomy.

Each keyword of a second-level class votes for it. A keyword shared by several classes is worth
less (1/number of classes), a longer keyword more (it is more specific), repeats add less and
less, and words in the opening (where residents and titles state the matter) count double.
First-level classes add up their children's votes, so "社保" and "退休" together outweigh a
single strong cue elsewhere; the winning first level's best child is the answer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from config.taxonomy import FALLBACK_PATH, TAXONOMY

LEAD_WEIGHT = 2.0
SIBLING_SHARE = 0.5
FALLBACK_CONFIDENCE = 0.05


@dataclass(frozen=True)
class CategoryGuess:
    path: str
    confidence: float
    runner_up: str | None
    matched: tuple[str, ...]


def _length_factor(word: str) -> float:
    return {1: 0.6, 2: 1.0, 3: 1.3}.get(len(word), 1.6)


@cache
def keyword_votes() -> Mapping[str, tuple[tuple[int, float], ...]]:
    """Keyword -> ((category index, weight), ...), read-only."""
    owners: dict[str, list[int]] = {}
    for index, category in enumerate(TAXONOMY):
        for word in category.keywords:
            if index not in owners.setdefault(word, []):
                owners[word].append(index)
    return MappingProxyType(
        {
            word: tuple((index, _length_factor(word) / len(indices)) for index in indices)
            for word, indices in owners.items()
        }
    )


def keywords_inside(token: str) -> tuple[str, ...]:
    """The token if it is a keyword, else the keywords inside it, leftmost-longest.

    jieba keeps some compounds whole ("公立医院", "噪音扰民") that contain our cue words.
    """
    votes = keyword_votes()
    if token in votes:
        return (token,)
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
    parents: dict[str, list[float]] = {}
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
    )
