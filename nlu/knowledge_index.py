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

:class:`ConfidenceRule` decides whether the best entry answers. A question that shares words
with an entry often asks something else: about another thing with the entry's verbs
(残疾证丢了能补办吗 against 身份证丢了怎么补办), or something else about the entry's thing
(营业执照怎么注销 against 个体工商户营业执照怎么办理, 停车费能开发票吗 against 小区停车费怎么收).
Similarity alone answers both. A question is read as *which thing* (its object words) and *what
about it* (its aspect words), and the best entry answers only when

- its score is at least ``min_score`` and ahead of the second-best entry's by ``min_margin``;
- it names every *aspect* the question names (:data:`config.knowledge.ASPECTS`: ending a thing,
  renewing it, changing or passing it on, losing it, money paid back or owed, its price, its
  receipts and taxes, its progress, a complaint), in its texts or its answer. Aspects are word
  groups with patterns for the words residents make (补发, 补交 of 补[办领发交…]; 个税, 开发票),
  so an aspect word the index never saw is still known;
- it has the question's *head object*: of the question's nouns the index knows (the segmenter
  dictionary's part of speech; a compound it lacks counts as a noun; never a generic noun of
  :data:`config.knowledge.GENERIC_NOUNS` such as 材料, 流程, 时间), the one rarest in Chinese at
  large (the dictionary's frequency). Another thing the index knows (残疾证, 结婚证) that the
  entry lacks means the entry is about something else, however many of its other words match;
- the question names no *thing the index does not know*: a content word that names a thing
  (:func:`is_thing`: a noun or a compound the dictionary lacks, as for the head object, or a set
  phrase, state word, locative or nominal adjective: 停电通知, 医疗纠纷, 国外, 卫生; not a
  generic noun, not a place name: the dictionary's, the resident's street and compound, the
  entries' places) that no entry's texts or answers have as a word. Such a question is about
  something the knowledge base has no entry for (养猫要办证吗, 电动汽车怎么上牌, 幼儿园报名
  什么时候开始), asked with an entry's words. Everyday words are folded first, so a thing the
  entries name otherwise (房子 -> 房屋, 户口本 -> 户口簿) is known through the synonym; and a word
  the segmenter cuts another way or a typo is the entry's if the entry has most of its character
  pairs (住宅小区, 建筑垃圾), as for coverage. A pair the index knows elsewhere does not count. A
  question whose head object would be unknown is so never answered. The price: a question
  naming a detail no entry has (骨头算湿垃圾还是干垃圾, 楼顶漏水能用维修基金吗) is not answered
  either, and goes to a person;
- its *coverage* is at least ``min_coverage``: the share of the question's content words other
  than aspect words, weighted by IDF, that the entry's texts or answer have (a word itself, or
  most of its character pairs). A word no entry has weighs as the rarest one does: a question
  whose thing the index does not know (护照, 积分) is mostly uncovered.

Filler words and context words (who asks for whom, when, from where:
:data:`config.knowledge.CONTEXT`) are left out before any of this, and everyday words are folded
into the entries' (:data:`config.knowledge.SYNONYMS`). The three thresholds are tuned on half of
``benchmarks/knowledge.py``'s questions and measured on the other half; the aspects, the head
object and unknown things are not tuned.

Scoring is a sparse matrix product (scipy, which scikit-learn brings): with 10,000 entries a
match takes about a millisecond, so the index lives in memory and is rebuilt when entries change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from scipy import sparse

from config import knowledge as words
from config.lexicon import COMPOUND_SUFFIXES, STREET_SUFFIXES
from nlu.normalise import normalise
from nlu.tokens import rarity, tagged_words, tokenizer

_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORDY = re.compile(r"\w")
_LONG_FORMS = sorted(
    (
        (form, canonical)
        for canonical, forms in words.SYNONYMS.items()
        for form in forms
        if len(form) >= 2 and form not in canonical
    ),
    key=lambda pair: -len(pair[0]),
)
_SHORT_FORMS = {
    form: canonical
    for canonical, forms in words.SYNONYMS.items()
    for form in forms
    if len(form) < 2 or form in canonical
}
_LONG_PATTERN = (
    re.compile("|".join(re.escape(form) for form, _ in _LONG_FORMS)) if _LONG_FORMS else None
)
_LONG_MAP = dict(_LONG_FORMS)
_LEFT_OUT = words.FILLER | words.CONTEXT
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")
_ASPECTS = tuple(
    (
        re.compile("|".join(word for word in group if len(word) > 1)),
        frozenset(word for word in group if len(word) == 1),
    )
    for group in words.ASPECTS
)
WORD_WEIGHT = 1.0
PAIR_WEIGHT = 1.0
UNKNOWN = 1.0  # a feature no entry has weighs this much times the rarest known one
FAR_FUTURE = date.max.toordinal()
_NOUN_TAGS = ("n", "j")  # the dictionary's nouns (n, nr, ns, nt, nz…) and abbreviations (j)
# Not nouns to the dictionary, but names of things all the same: set phrases (停电通知, 老年大学),
# state words (医疗纠纷), locatives (国外) and nominal adjectives (卫生 of 卫生许可证).
_NAMING_TAGS = frozenset(("l", "z", "s", "an"))
_PLACE_TAG = "ns"  # place names (上海, 杨浦): where the resident is, not what is asked


@dataclass(frozen=True)
class _Dictionary:
    not_nouns: frozenset[str]
    naming: frozenset[str]  # of those, the ones tagged as in _NAMING_TAGS
    places: frozenset[str]


@cache
def _dictionary() -> _Dictionary:
    """The segmenter's dictionary's parts of speech, as sets: the words tagged anything but a
    noun (about 117,000), those of them that name things, and the place names."""
    not_nouns: set[str] = set()
    naming: set[str] = set()
    places: set[str] = set()
    for word, tag in tagged_words():
        if not tag.startswith(_NOUN_TAGS):
            not_nouns.add(word)
            if tag in _NAMING_TAGS:
                naming.add(word)
        elif tag == _PLACE_TAG:
            places.add(word)
    return _Dictionary(frozenset(not_nouns), frozenset(naming), frozenset(places))


def _not_nouns() -> frozenset[str]:
    """The words the segmenter's dictionary tags as anything but a noun."""
    return _dictionary().not_nouns


def is_object(word: str) -> bool:
    """Whether a content word names a thing: two characters or more, Chinese, a noun to the
    segmenter's dictionary or a word it does not know (most are compounds: 公租房, 独生子女证),
    and not a generic noun (:data:`config.knowledge.GENERIC_NOUNS`: 材料, 流程, 时间…)."""
    return (
        len(word) > 1
        and bool(_CJK.search(word))
        and word not in words.GENERIC_NOUNS
        and word not in _not_nouns()
    )


def is_thing(word: str) -> bool:
    """Whether a content word names a thing a question may be about: an object
    (:func:`is_object`) or a word of two characters or more the dictionary tags as a set
    phrase, state word, locative or nominal adjective (停电通知, 医疗纠纷, 国外, 卫生), and not a
    place name to the dictionary (上海, 浦东) nor a generic noun."""
    if word in _dictionary().places:
        return False
    if is_object(word):
        return True
    return len(word) > 1 and word in _dictionary().naming and word not in words.GENERIC_NOUNS


_PLACE_SUFFIXES = tuple(sorted((*STREET_SUFFIXES, *COMPOUND_SUFFIXES), key=len, reverse=True))


def _with_stems(names: Iterable[str]) -> set[str]:
    """Place names and the same without their suffix (五角场街道 and 五角场)."""
    found = set()
    for name in names:
        if not name:
            continue
        found.add(name)
        for suffix in _PLACE_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                found.add(name[: -len(suffix)])
                break
    return found


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


def _is_aspect_word(token: str) -> bool:
    """Whether the word is all an aspect word (补发, 开发票, 钱): it says what is asked about a
    thing, not which thing."""
    return any(
        (token in short) if len(token) == 1 else bool(long.fullmatch(token))
        for long, short in _ASPECTS
    )


def analyse(text: str) -> tuple[list[str], int]:
    """The text's content words, in order, and the aspects it names.

    Content words say what the text is about: segmented, with filler and context words left
    out, an A-not-A question put as A (要不要 -> 要) and everyday words folded. Aspects are the
    :data:`config.knowledge.ASPECTS` the text names, as bits (aspect i is bit i): a word or
    pattern of two characters or more anywhere in the text, a word of one as a word of its own.
    """
    kept, named, _ = _analysis(text)
    return kept, named


def _analysis(text: str) -> tuple[list[str], int, frozenset[str]]:
    """:func:`analyse`, and which of the content words are aspect words (as folded)."""
    text = normalise(text).lower()
    text = _A_NOT_A.sub(r"\1", text)
    said = text
    if _LONG_PATTERN is not None:
        text = _LONG_PATTERN.sub(lambda found: _LONG_MAP[found.group(0)], text)
    tokens = tokenizer().lcut(text, HMM=False)
    named = 0
    for bit, (long, short) in enumerate(_ASPECTS):
        if long.search(said) or any(token in short for token in tokens):
            named |= 1 << bit
    kept: list[str] = []
    aspect_words: set[str] = set()
    for token in tokens:
        token = _trimmed(token)
        if not token or not _WORDY.search(token) or token in _LEFT_OUT:
            continue
        folded = _SHORT_FORMS.get(token, token)
        if _is_aspect_word(token):
            aspect_words.add(folded)
        kept.append(folded)
    return kept, named, frozenset(aspect_words)


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
    # The entry does not have the question's head object (残疾证 for 身份证丢了怎么补办): it
    # answers the same question about another thing.
    head_missing: bool = False
    # The question names a thing no entry's texts or answers have as a word (养猫, 幼儿园,
    # 停电通知) and this entry does not have most of its character pairs either: the question
    # is about something the knowledge base does not know, however well the rest matches.
    unknown_thing: bool = False


@dataclass(frozen=True)
class ConfidenceRule:
    min_score: float = words.MIN_SCORE
    min_margin: float = words.MIN_MARGIN
    min_coverage: float = words.MIN_COVERAGE

    def confident(self, hits: Sequence[Hit]) -> bool:
        if not hits or hits[0].score < self.min_score:
            return False
        best = hits[0]
        if best.other_aspect or best.head_missing or best.unknown_thing:
            return False
        if best.coverage < self.min_coverage:
            return False
        second = hits[1].score if len(hits) > 1 else 0.0
        return best.score - second >= self.min_margin


@dataclass(frozen=True)
class _Query:
    ids: np.ndarray  # the question's known features' columns
    weights: np.ndarray  # and their weights, normalised with the unknown ones
    # per content word: weight, column, pairs, and whether it is a thing the index does not know
    units: list[tuple[float, int, tuple[int, ...], bool]]
    aspects: int
    head: int  # the unit of the question's head object, -1 for none


class KnowledgeIndex:
    """Published entries, ready to match. Immutable: build a new one when entries change."""

    def __init__(self, entries: Iterable[IndexedEntry]) -> None:
        self.entries: tuple[IndexedEntry, ...] = tuple(entries)
        _not_nouns()  # read once (about 0.1 s), while building rather than on a question
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
                kept, aspect_bits = analyse(entry.answer)
                named[position] |= aspect_bits  # an answer naming a fee answers about the fee
                for feature in _features(kept):
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
        self._place_words = frozenset(_with_stems(self._places))
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

    def _query(self, text: str, where: Iterable[str | None] = ()) -> _Query:
        kept, named, aspect_words = _analysis(text)
        # The resident's street and compound and the places the entries are for, named in the
        # question (我住五角场): where the resident is, never a thing the index does not know.
        places = _with_stems(name for name in where if name) | self._place_words
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
        units: list[tuple[float, int, tuple[int, ...], bool]] = []
        head = -1
        rarest = (-math.inf, 0.0)
        for word in dict.fromkeys(kept):
            if word in aspect_words:  # compared as aspects, not covered
                continue
            column = self._covering.get("w:" + word, -1)
            weight = float(self._idf[column]) if 0 <= column < len(self._idf) else self._unknown
            pairs = tuple(
                self._covering.get("p:" + word[start : start + 2], -1)
                for start in range(len(word) - 1)
            )
            if column >= 0 and is_object(word):
                # The head object: the question's thing the index knows that is rarest in
                # Chinese at large (a word the dictionary lacks, 高龄津贴, rarest of all).
                general = rarity(word)
                key = (math.inf if general is None else general, weight)
                if key > rarest:
                    head, rarest = len(units), key
            stranger = column < 0 and is_thing(word) and not any(word in place for place in places)
            units.append((weight, column, pairs, stranger))
        return _Query(
            np.asarray(ids, dtype=np.int64), np.asarray(weights) / norm, units, named, head
        )

    def _coverage(self, query: _Query, position: int) -> tuple[float, bool, bool]:
        """The share of the question's content words the entry's texts or answer have (a word
        itself, or most of its character pairs: a typo, a word cut another way), whether the
        question's head object is among those it lacks, and whether a thing no entry has as a
        word is (a thing the index does not know)."""
        start, end = self._owned.indptr[position], self._owned.indptr[position + 1]
        has = set(self._owned.indices[start:end].tolist())
        total = covered = 0.0
        head_missing = unknown = False
        for number, (weight, column, pairs, stranger) in enumerate(query.units):
            total += weight
            if column in has or (pairs and 2 * sum(pair in has for pair in pairs) > len(pairs)):
                covered += weight
            elif number == query.head:
                head_missing = True
            elif stranger:
                unknown = True
        return (covered / total if total else 0.0), head_missing, unknown

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
        query = self._query(text, (street, compound))
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
            coverage, head_missing, unknown = self._coverage(query, owner)
            hits.append(
                Hit(
                    entry.id,
                    float(scores[doc]),
                    self._texts[doc],
                    coverage=coverage,
                    other_aspect=bool(query.aspects & ~int(self._aspects[owner])),
                    head_missing=head_missing,
                    unknown_thing=unknown,
                )
            )
            if len(hits) >= limit:
                break
        return hits
