"""Matching a resident's question against the knowledge base: local, no network, no database.

Each entry's question and each of its variants is a document. A text becomes features: its
words (jieba, the segmenter of :mod:`nlu.tokens`) and the character pairs of those words run
together, after :data:`config.knowledge.FILLER` is left out and :data:`~config.knowledge.SYNONYMS`
are put in the entries' words. The pairs carry typos and words the segmenter cuts differently
(高令津贴 still shares 津贴 with 高龄津贴), the words carry meaning. Features are weighted by
TF-IDF (sublinear term frequency, smoothed inverse document frequency over the documents) and
each document's vector is L2-normalised, so a question's score against a document is their
cosine similarity, 0 to 1, whatever the length of either.

An entry's score is that of its best document. Only entries a resident may be answered with
are ranked: valid on the day (``valid_from`` and ``valid_until`` inclusive) and in scope (a
district-wide entry always, a street's entry only for a place in that street, a compound's only
for that compound). The index holds published entries only: its builder gives it no other.

:class:`ConfidenceRule` decides whether the best entry answers: its score is at least
``min_score`` and ahead of the second-best entry's by ``min_margin``. Both are tuned on a split
of ``benchmarks/knowledge.py``'s questions and measured on the other.

Scoring is a sparse matrix product (scipy, which scikit-learn brings): with 10,000 entries a
match takes about a millisecond, so the index lives in memory and is rebuilt when entries change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import sparse

from config import knowledge as words
from nlu.normalise import normalise
from nlu.tokens import tokenizer

_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORDY = re.compile(r"\w")
_LONG_FORMS = sorted(
    (
        (form, canonical)
        for canonical, forms in words.SYNONYMS.items()
        for form in forms
        if len(form) >= 3
    ),
    key=lambda pair: -len(pair[0]),
)
_SHORT_FORMS = {
    form: canonical
    for canonical, forms in words.SYNONYMS.items()
    for form in forms
    if len(form) < 3
}
_LONG_PATTERN = (
    re.compile("|".join(re.escape(form) for form, _ in _LONG_FORMS)) if _LONG_FORMS else None
)
_LONG_MAP = dict(_LONG_FORMS)
WORD_WEIGHT = 1.0
PAIR_WEIGHT = 1.0
UNKNOWN = 1.0  # a feature no entry has weighs this much times the rarest known one
FAR_FUTURE = date.max.toordinal()


def _trimmed(token: str) -> str:
    """The word without filler glued to its front or back (什么补贴 -> 补贴)."""
    if token in words.FILLER or len(token) < 3:
        return token
    changed = True
    while changed and len(token) >= 3:
        changed = False
        for affix in words.FILLER_AFFIXES:
            if len(token) > len(affix) and token.startswith(affix):
                token, changed = token[len(affix) :], True
                break
            if len(token) > len(affix) and token.endswith(affix):
                token, changed = token[: -len(affix)], True
                break
    return token


def features(text: str) -> dict[str, float]:
    """The weighted features of a text before IDF: ``w:`` words and ``p:`` character pairs."""
    text = normalise(text).lower()
    if _LONG_PATTERN is not None:
        text = _LONG_PATTERN.sub(lambda found: _LONG_MAP[found.group(0)], text)
    kept: list[str] = []
    for token in tokenizer().lcut(text, HMM=False):
        token = _trimmed(token)
        if not token or not _WORDY.search(token) or token in words.FILLER:
            continue
        kept.append(_SHORT_FORMS.get(token, token))
    found: dict[str, float] = {}
    for token in kept:
        key = "w:" + token
        found[key] = found.get(key, 0.0) + WORD_WEIGHT
    joined = "".join(kept)
    for start in range(len(joined) - 1):
        pair = joined[start : start + 2]
        if _CJK.match(pair[0]) or _CJK.match(pair[1]):
            key = "p:" + pair
            found[key] = found.get(key, 0.0) + PAIR_WEIGHT
    return found


def gap_key(text: str, limit: int = 64) -> str:
    """The question's content words, sorted and joined (filler and everyday words folded as for
    matching): questions asked in different words about one thing share it, so the questions
    no entry answered can be counted together (``handlers.knowledge.asks``)."""
    content = sorted(key[2:] for key in features(text) if key.startswith("w:"))
    return "·".join(content)[:limit]


@dataclass(frozen=True)
class IndexedEntry:
    """What the index keeps of an entry: its texts, scope and validity."""

    id: int
    texts: tuple[str, ...]  # the question, then its variants
    scope: str = "district"  # district | street | compound
    street: str = ""
    compound: str = ""
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class Hit:
    entry_id: int
    score: float
    text: str  # the question or variant it matched best


@dataclass(frozen=True)
class ConfidenceRule:
    min_score: float = words.MIN_SCORE
    min_margin: float = words.MIN_MARGIN

    def confident(self, hits: Sequence[Hit]) -> bool:
        if not hits or hits[0].score < self.min_score:
            return False
        second = hits[1].score if len(hits) > 1 else 0.0
        return hits[0].score - second >= self.min_margin


class KnowledgeIndex:
    """Published entries, ready to match. Immutable: build a new one when entries change."""

    def __init__(self, entries: Iterable[IndexedEntry]) -> None:
        self.entries: tuple[IndexedEntry, ...] = tuple(entries)
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        owners: list[int] = []
        texts: list[str] = []
        for position, entry in enumerate(self.entries):
            for text in entry.texts:
                found = features(text)
                if not found:
                    continue
                doc = len(owners)
                owners.append(position)
                texts.append(text)
                for feature, count in found.items():
                    rows.append(doc)
                    cols.append(vocabulary.setdefault(feature, len(vocabulary)))
                    values.append(count)
        self._vocabulary = vocabulary
        self._texts = texts
        self._owner = np.asarray(owners, dtype=np.int64)
        shape = (len(owners), max(len(vocabulary), 1))
        counts = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float64), (rows, cols)), shape=shape
        )
        documents = max(len(owners), 1)
        frequency = np.bincount(np.asarray(cols, dtype=np.int64), minlength=shape[1])
        self._idf = np.log((1 + documents) / (1 + frequency)) + 1.0
        self._unknown = UNKNOWN * float(self._idf.max(initial=1.0))
        weighted = counts.copy()
        weighted.data = 1.0 + np.log(weighted.data / np.min([1.0]))  # sublinear term frequency
        weighted = weighted.multiply(self._idf).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self._matrix = sparse.csc_matrix(sparse.diags(1.0 / norms) @ weighted)
        self._scope = np.asarray(
            [{"district": 0, "street": 1, "compound": 2}.get(e.scope, 0) for e in self.entries],
            dtype=np.int8,
        )
        # Streets and compounds as small integers: comparing them costs nothing per match.
        self._places: dict[str, int] = {"": 0}
        self._street = np.asarray([self._place(e.street) for e in self.entries], dtype=np.int64)
        self._compound = np.asarray([self._place(e.compound) for e in self.entries], dtype=np.int64)
        self._from = np.asarray(
            [e.valid_from.toordinal() if e.valid_from else 0 for e in self.entries],
            dtype=np.int64,
        )
        self._until = np.asarray(
            [e.valid_until.toordinal() if e.valid_until else FAR_FUTURE for e in self.entries],
            dtype=np.int64,
        )

    def _place(self, name: str) -> int:
        return self._places.setdefault(name, len(self._places))

    def __len__(self) -> int:
        return len(self.entries)

    def _query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids: list[int] = []
        weights: list[float] = []
        total = 0.0
        for feature, count in features(text).items():
            column = self._vocabulary.get(feature)
            tf = 1.0 + math.log(count)
            if column is None:
                # Words no entry has count in the query's norm: they lower every score.
                total += (tf * self._unknown) ** 2
                continue
            weight = tf * float(self._idf[column])
            ids.append(column)
            weights.append(weight)
            total += weight * weight
        norm = math.sqrt(total) or 1.0
        return np.asarray(ids, dtype=np.int64), np.asarray(weights) / norm

    def allowed(self, street: str | None, compound: str | None, today: date | None) -> np.ndarray:
        """Which entries may answer a resident of that street and compound on that day."""
        ok = self._scope == 0
        street_id = self._places.get(street, -1) if street else -1
        compound_id = self._places.get(compound, -1) if compound else -1
        if street_id > 0:
            ok = ok | ((self._scope == 1) & (self._street == street_id))
        if compound_id > 0:
            in_compound = (self._scope == 2) & (self._compound == compound_id)
            if street:
                in_compound &= (self._street == 0) | (self._street == street_id)
            ok = ok | in_compound
        if today is not None:
            day = today.toordinal()
            ok = ok & (self._from <= day) & (self._until >= day)
        return ok

    def rank(
        self,
        text: str,
        *,
        street: str | None = None,
        compound: str | None = None,
        today: date | None = None,
        limit: int = 3,
    ) -> list[Hit]:
        """The best entries for ``text`` (distinct, best first) among those allowed."""
        if not self.entries:
            return []
        ids, weights = self._query(text)
        if not len(ids):
            return []
        scores = np.asarray(self._matrix[:, ids] @ weights).ravel()
        docs = np.flatnonzero(scores > 0)
        if not len(docs):
            return []
        allowed = self.allowed(street, compound, today)
        docs = docs[allowed[self._owner[docs]]]
        if not len(docs):
            return []
        # Only the best few documents need sorting: an entry has a handful of texts at most.
        wanted = limit * 8 + 16
        if len(docs) > wanted:
            top = np.argpartition(-scores[docs], wanted)[:wanted]
            hits = self._distinct(docs[top], scores, limit)
            if len(hits) == limit:
                return hits
        return self._distinct(docs, scores, limit)

    def _distinct(self, docs: np.ndarray, scores: np.ndarray, limit: int) -> list[Hit]:
        order = docs[np.argsort(-scores[docs], kind="stable")]
        hits: list[Hit] = []
        seen: set[int] = set()
        for doc in order:
            owner = int(self._owner[doc])
            if owner in seen:
                continue
            seen.add(owner)
            entry = self.entries[owner]
            hits.append(Hit(entry.id, float(scores[doc]), self._texts[doc]))
            if len(hits) >= limit:
                break
        return hits
