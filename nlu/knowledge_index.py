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

:class:`ConfidenceRule` decides whether the best entry answers. A question that shares its
topic's words with an entry often asks something else about it (居住证积分怎么计算 against
居住证怎么办理, 营业执照怎么注销 against 营业执照怎么办理): similarity alone answers it. So the
best entry answers only when

- its score is at least ``min_score`` and ahead of the second-best entry's by ``min_margin``;
- its *coverage* is at least ``min_coverage``: the share of the question's content words,
  weighted by IDF, that the entry's texts or answer have (a word itself, or most of its
  character pairs). A word no entry has weighs as the rarest one does: a question whose object
  the index does not know (积分, 注销) is mostly uncovered;
- it names every *aspect* the question names (:data:`config.knowledge.ASPECTS`: ending a thing,
  renewing it, changing it, losing it, its money, its progress, a complaint about it).

Filler words and context words (who asks for whom, when, from where:
:data:`config.knowledge.CONTEXT`) are left out before any of this. The three thresholds are
tuned on a split of ``benchmarks/knowledge.py``'s questions and measured on the other.

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
_LEFT_OUT = words.FILLER | words.CONTEXT
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")
_ASPECTS = tuple(
    (
        tuple(word for word in group if len(word) > 1),
        frozenset(word for word in group if len(word) == 1),
    )
    for group in words.ASPECTS
)
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


def analyse(text: str) -> tuple[list[str], int]:
    """The text's content words, in order, and the aspects it names.

    Content words say what the text is about: segmented, with filler and context words left
    out, an A-not-A question put as A (要不要 -> 要) and everyday words folded. Aspects are the
    :data:`config.knowledge.ASPECTS` the text names, as bits (aspect i is bit i): a word of two
    characters or more anywhere in the text, a word of one as a word of its own.
    """
    text = normalise(text).lower()
    text = _A_NOT_A.sub(r"\1", text)
    said = text
    if _LONG_PATTERN is not None:
        text = _LONG_PATTERN.sub(lambda found: _LONG_MAP[found.group(0)], text)
    tokens = tokenizer().lcut(text, HMM=False)
    named = 0
    for bit, (long, short) in enumerate(_ASPECTS):
        if any(word in said for word in long) or any(token in short for token in tokens):
            named |= 1 << bit
    kept: list[str] = []
    for token in tokens:
        token = _trimmed(token)
        if not token or not _WORDY.search(token) or token in _LEFT_OUT:
            continue
        kept.append(_SHORT_FORMS.get(token, token))
    return kept, named


def features(text: str) -> dict[str, float]:
    """The weighted features of a text before IDF: ``w:`` words and ``p:`` character pairs."""
    return _features(analyse(text)[0])


def _features(kept: Sequence[str]) -> dict[str, float]:
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
    answer: str = ""  # not matched against, but what it covers counts in coverage


@dataclass(frozen=True)
class Hit:
    entry_id: int
    score: float
    text: str  # the question or variant it matched best
    # The share of the question's content words (weighted by IDF, a word no entry has weighing
    # as the rarest) that the entry's texts have: the question's object must be the entry's.
    coverage: float = 1.0
    # The question names an aspect (its expiry, its cancellation, a complaint…) that none of
    # the entry's texts names: the entry answers another question about the same thing.
    other_aspect: bool = False


@dataclass(frozen=True)
class ConfidenceRule:
    min_score: float = words.MIN_SCORE
    min_margin: float = words.MIN_MARGIN
    min_coverage: float = words.MIN_COVERAGE

    def confident(self, hits: Sequence[Hit]) -> bool:
        if not hits or hits[0].score < self.min_score:
            return False
        best = hits[0]
        if best.other_aspect or best.coverage < self.min_coverage:
            return False
        second = hits[1].score if len(hits) > 1 else 0.0
        return best.score - second >= self.min_margin


@dataclass(frozen=True)
class _Query:
    ids: np.ndarray  # the question's known features' columns
    weights: np.ndarray  # and their weights, normalised with the unknown ones
    units: list[tuple[float, int, tuple[int, ...]]]  # per content word: weight, column, pairs
    aspects: int


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
        named = np.zeros(len(self.entries), dtype=np.int64)
        for position, entry in enumerate(self.entries):
            for text in entry.texts:
                kept, aspect_bits = analyse(text)
                named[position] |= aspect_bits
                found = _features(kept)
                if not found:
                    continue
                doc = len(owners)
                owners.append(position)
                texts.append(text)
                for feature, count in found.items():
                    rows.append(doc)
                    cols.append(vocabulary.setdefault(feature, len(vocabulary)))
                    values.append(count)
        # Coverage counts the answer's words too (an answer names what its entry is about:
        # 充电棚, 银行代扣), in columns past the matched ones: they score nothing.
        covering = dict(vocabulary)
        answer_rows: list[int] = []
        answer_cols: list[int] = []
        for position, entry in enumerate(self.entries):
            if entry.answer:
                for feature in _features(analyse(entry.answer)[0]):
                    answer_rows.append(position)
                    answer_cols.append(covering.setdefault(feature, len(covering)))
        self._vocabulary = vocabulary
        self._covering = covering
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
        # Which features each entry has (its documents' and its answer's), for coverage.
        owned = sparse.csr_matrix(
            (
                np.ones(len(rows) + len(answer_rows)),
                (
                    np.concatenate(
                        [self._owner[np.asarray(rows, dtype=np.int64)], answer_rows]
                    ).astype(np.int64),
                    np.asarray(cols + answer_cols, dtype=np.int64),
                ),
            ),
            shape=(len(self.entries), max(len(covering), 1)),
        )
        owned.sum_duplicates()
        self._owned = owned
        self._aspects = named
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

    def _query(self, text: str) -> _Query:
        kept, named = analyse(text)
        ids: list[int] = []
        weights: list[float] = []
        total = 0.0
        for feature, count in _features(kept).items():
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
        units: list[tuple[float, int, tuple[int, ...]]] = []
        for word in dict.fromkeys(kept):
            column = self._covering.get("w:" + word, -1)
            weight = float(self._idf[column]) if 0 <= column < len(self._idf) else self._unknown
            pairs = tuple(
                self._covering.get("p:" + word[start : start + 2], -1)
                for start in range(len(word) - 1)
            )
            units.append((weight, column, pairs))
        return _Query(np.asarray(ids, dtype=np.int64), np.asarray(weights) / norm, units, named)

    def _coverage(self, query: _Query, position: int) -> float:
        """The share of the question's content words the entry's texts have: a word itself, or
        most of its character pairs (a typo, a word cut another way)."""
        start, end = self._owned.indptr[position], self._owned.indptr[position + 1]
        has = set(self._owned.indices[start:end].tolist())
        total = covered = 0.0
        for weight, column, pairs in query.units:
            total += weight
            if column in has or (pairs and 2 * sum(pair in has for pair in pairs) > len(pairs)):
                covered += weight
        return covered / total if total else 0.0

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
        query = self._query(text)
        if not len(query.ids):
            return []
        scores = np.asarray(self._matrix[:, query.ids] @ query.weights).ravel()
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
            hits = self._distinct(docs[top], scores, limit, query)
            if len(hits) == limit:
                return hits
        return self._distinct(docs, scores, limit, query)

    def _distinct(
        self, docs: np.ndarray, scores: np.ndarray, limit: int, query: _Query
    ) -> list[Hit]:
        order = docs[np.argsort(-scores[docs], kind="stable")]
        hits: list[Hit] = []
        seen: set[int] = set()
        for doc in order:
            owner = int(self._owner[doc])
            if owner in seen:
                continue
            seen.add(owner)
            entry = self.entries[owner]
            hits.append(
                Hit(
                    entry.id,
                    float(scores[doc]),
                    self._texts[doc],
                    coverage=self._coverage(query, owner),
                    other_aspect=bool(query.aspects & ~int(self._aspects[owner])),
                )
            )
            if len(hits) >= limit:
                break
        return hits
