"""Cases grouped by what the problem is, then where (the rules are in ``config/hot.py``).

Grouping is a union of cases under shared keys, never a comparison of every pair: each case
offers a few keys (its place with each signature of its topic, its place with its most telling
word; or, with no place, its first-level category with each signature) and the cases under one
key are joined. Its cost grows with the number of cases, so a period of 100,000 groups in a
fraction of a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import chain

from config import hot as tuning
from handlers.hot.issues import CaseTopic, paused_gc
from nlu.topics import signatures, strong_terms


class Groups:
    """Union-find over the positions ``0..size-1`` (a list, not a dict: a ranking joins
    100,000 cases)."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def join(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def too_common(counts: Counter[str], total: int, share: float, floor: float) -> frozenset[str]:
    """The words or signatures found in more than ``share`` of ``total`` cases (and in more than
    ``floor`` of them): too common to name one problem."""
    limit = max(floor, share * total)
    return frozenset(key for key, n in counts.items() if n > limit)


class Vocabulary:
    """How common each topic word and signature is among the period's cases: a word in more than
    ``COMMON_WORD_SHARE`` of them (and at least ``COMMON_WORD_FLOOR``) names no one problem, nor
    does a signature in more than ``COMMON_SIGNATURE_SHARE`` of the place-less cases. Each case's
    telling words and keys are worked out once, by its position in ``cases``."""

    def __init__(self, cases: Sequence[CaseTopic]) -> None:
        # A case's topic words are distinct (nlu.topics), so counting them all counts cases.
        words = Counter(chain.from_iterable(case.words for case in cases))
        common = self.common_words = too_common(
            words, len(cases), tuning.COMMON_WORD_SHARE, tuning.COMMON_WORD_FLOOR
        )
        self.tellings = [[w for w in case.words if w not in common] for case in cases]
        # Each place-less case's signatures and terms (distinct), for counting and for joining.
        own: dict[int, tuple[str, ...]] = {
            n: (*signatures(telling), *strong_terms(telling))
            for n, (case, telling) in enumerate(zip(cases, self.tellings, strict=True))
            if not case.place_key
        }
        self.common_signatures = too_common(
            Counter(chain.from_iterable(own.values())),
            len(own),
            tuning.COMMON_SIGNATURE_SHARE,
            tuning.COMMON_SIGNATURE_FLOOR,
        )
        common_keys = self.common_signatures
        self._keys: list[list[str]] = []
        for n, (case, telling) in enumerate(zip(cases, self.tellings, strict=True)):
            if case.place_key:
                place = case.place_key
                self._keys.append([f"{place}#{word}" for word in telling[: tuning.PLACE_WORDS]])
            else:
                self._keys.append([f"#{key}" for key in own[n] if key not in common_keys])

    def keys(self, position: int) -> list[str]:
        """The keys under which the case at ``position`` joins others (see ``config/hot.py``)."""
        return self._keys[position]


def group(cases: Sequence[CaseTopic]) -> list[list[CaseTopic]]:
    """The groups of ``cases`` (given oldest first), each oldest first, in order of their first
    case."""
    with paused_gc():
        return _grouped(cases)


# A member's word weights by rank (earlier words weigh more), and the sum of their squares.
_WEIGHTS = tuple(1.0 / (1.0 + 0.5 * rank) for rank in range(tuning.PROFILE_WORDS))
_NORMS = tuple(sum(w * w for w in _WEIGHTS[:n]) for n in range(tuning.PROFILE_WORDS + 1))


class Profiles:
    """What each group of place-less cases is about: the sum of its members' topic vectors
    (each member's telling words, earlier words weighing more). A case or group joins another
    only when their profiles are alike (cosine of at least ``JOIN_SIMILARITY``), so that one
    shared pair of words cannot chain different problems into one group (医保|报销 linking
    异地就医 to 生育津贴). Profiles are made only for groups that are joined."""

    def __init__(self, tellings: Sequence[Sequence[str]]) -> None:
        self.tellings = tellings
        self.vectors: dict[int, dict[str, float]] = {}
        self.norms: dict[int, float] = {}  # each vector's sum of squares, kept as it grows

    def of(self, root: int) -> dict[str, float]:
        vector = self.vectors.get(root)
        if vector is None:
            telling = self.tellings[root][: tuning.PROFILE_WORDS]
            vector = dict(zip(telling, _WEIGHTS, strict=False))
            self.vectors[root] = vector
            self.norms[root] = _NORMS[len(vector)]
        return vector

    def alike(self, a: int, b: int) -> bool:
        first, second = self.of(a), self.of(b)
        if len(first) > len(second):
            first, second = second, first
        dot = 0.0
        for word, weight in first.items():
            if word in second:
                dot += weight * second[word]
        if not dot:
            return False
        return dot * dot >= tuning.JOIN_SIMILARITY**2 * self.norms[a] * self.norms[b]

    def merge(self, kept: int, gone: int) -> None:
        """The profile of ``gone``'s group added to ``kept``'s (the smaller into the larger)."""
        into, other = self.of(kept), self.of(gone)
        norm = self.norms[kept]
        if len(into) < len(other):
            into, other, norm = other, into, self.norms[gone]
        for word, weight in other.items():
            old = into.get(word, 0.0)
            into[word] = old + weight
            norm += (old + weight) ** 2 - old * old
        self.vectors[kept], self.norms[kept] = into, norm
        del self.vectors[gone], self.norms[gone]


def _grouped(cases: Sequence[CaseTopic]) -> list[list[CaseTopic]]:
    groups = Groups(len(cases))
    position = {case.id: n for n, case in enumerate(cases)}
    vocabulary = Vocabulary(cases)
    profiles = Profiles(vocabulary.tellings)
    first_under: dict[str, int] = {}
    for n, case in enumerate(cases):
        original = position.get(case.duplicate_of_id) if case.duplicate_of_id else None
        if original is not None:
            groups.join(n, original)
            continue
        for key in vocabulary.keys(n):
            seen = first_under.setdefault(key, n)
            if seen == n:
                continue
            if case.place_key:
                groups.join(n, seen)
                continue
            mine, theirs = groups.find(n), groups.find(seen)
            if mine != theirs and profiles.alike(mine, theirs):
                groups.join(mine, theirs)
                kept = groups.find(mine)
                profiles.merge(kept, theirs if kept == mine else mine)
    grouped: dict[int, list[CaseTopic]] = {}
    for n, case in enumerate(cases):
        grouped.setdefault(groups.find(n), []).append(case)
    return list(grouped.values())


def shared_words(members: Sequence[CaseTopic], limit: int = 6) -> tuple[str, ...]:
    """The group's key words: those most of its cases share, earlier words weighing more."""
    weights: dict[str, float] = {}
    for case in members:
        for rank, word in enumerate(case.words):
            weights[word] = weights.get(word, 0.0) + 1.0 / (1 + rank * 0.25)
    ranked = sorted(weights.items(), key=lambda pair: pair[1], reverse=True)
    return tuple(word for word, _ in ranked[:limit])


def representative(members: Sequence[CaseTopic], words: Sequence[str]) -> CaseTopic:
    """The case whose topic holds most of the group's key words (the earliest on a tie)."""
    wanted = set(words)
    return max(members, key=lambda case: (len(wanted & set(case.words)), -case.id))
