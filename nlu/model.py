"""A category model trained on a deployment's own history, run without scikit-learn.

``jiesu nlu train`` fits a linear classifier (:mod:`nlu.training`) on several views of each
message: character unigrams and bigrams of the whole text, the same of its opening line (where
titles and residents state the matter), jieba words, and the keyword scorer's votes for each
second-level class. This module computes those views and scores them with numpy alone, so the
service neither imports scikit-learn nor pays for it in memory and start time.

The file is one ``.npz`` of plain arrays plus a JSON header, read with ``allow_pickle=False``:
loading a model file never runs code, whoever wrote it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from config.taxonomy import PATH_SEPARATOR, TAXONOMY, categories_by_path, first_level_names
from nlu.classify import LEAD_WEIGHT, SIBLING_SHARE, keyword_votes, keywords_inside
from nlu.neighbours import Neighbours, neighbour_problems
from nlu.normalise import normalise
from nlu.summary import lead_length
from nlu.tokens import cut_with_offsets

logger = logging.getLogger(__name__)

FORMAT = "jiesu-nlu-model"
FORMAT_VERSION = 1

# Block kinds: sparse ones are TF-IDF over feature strings, "keywords" is the dense vote vector.
CHARS = "chars"
LEAD_CHARS = "lead_chars"
WORDS = "words"
LEAD_WORDS = "lead_words"
KEYWORDS = "keywords"
SPARSE_KINDS = (CHARS, LEAD_CHARS, WORDS, LEAD_WORDS)
BLOCK_KINDS = (*SPARSE_KINDS, KEYWORDS)

_SPACES = re.compile(r"\s+")
FloatArray = npt.NDArray[np.float32]


class ModelError(Exception):
    """A model file that cannot be used, or labels that cannot be trained; the text says why."""


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one message.

    ``label`` is the class as trained (a first-level name or a path); ``path`` is always a full
    ``"一级/二级"`` path: for a first-level class the keyword scorer picks the second level.
    """

    label: str
    path: str
    confidence: float
    runner_up: str | None


@dataclass(frozen=True)
class Block:
    """One view of a message and how much it weighs in the classifier."""

    kind: str
    weight: float


@dataclass(frozen=True)
class MessageViews:
    """What the classifier sees of one message: feature strings per sparse view, keyword votes."""

    sparse: Mapping[str, list[str]]
    keyword_scores: list[float] = field(default_factory=list)


# ----------------------------------------------------------------------------- labels


@cache
def _second_level_paths() -> Mapping[str, tuple[str, ...]]:
    """Second-level name -> the paths with that name (其他 has many)."""
    paths: dict[str, list[str]] = {}
    for category in TAXONOMY:
        paths.setdefault(category.name, []).append(category.path)
    return {name: tuple(found) for name, found in paths.items()}


def resolve_label(label: str) -> str | None:
    """A label as the taxonomy knows it: a first-level name or a full path; None if unknown.

    Accepts a first-level name, a full ``"一级/二级"`` path, or a second-level name that only
    one first level has.
    """
    label = label.strip()
    if label in first_level_names() or label in categories_by_path():
        return label
    paths = _second_level_paths().get(label, ())
    return paths[0] if len(paths) == 1 else None


def first_level(label: str) -> str:
    return label.split(PATH_SEPARATOR, 1)[0]


def is_first_level(label: str) -> bool:
    return PATH_SEPARATOR not in label


# ----------------------------------------------------------------------------- views


def char_ngrams(text: str) -> list[str]:
    """Characters and character pairs, lower case, runs of spaces as one."""
    text = _SPACES.sub(" ", text.lower())
    return [*text, *map(str.__add__, text, text[1:])]


def keyword_scores(words: Sequence[str], lead_words: Sequence[str]) -> list[float]:
    """Votes of the taxonomy's keywords for each second-level class, as the keyword scorer counts.

    Same counting as :func:`nlu.classify.classify` (repeats add less, opening words count
    double), before it sums up first levels: the classifier learns how far to trust each vote.
    """
    votes = keyword_votes()
    counts = Counter(word for token in words if len(token) > 1 for word in keywords_inside(token))
    counts.update(token for token in words if len(token) == 1 and token in votes)
    lead = {word for token in lead_words if len(token) > 1 for word in keywords_inside(token)}
    scores = [0.0] * len(TAXONOMY)
    for word, count in counts.items():
        boost = (1.0 + math.log(count)) * (LEAD_WEIGHT if word in lead else 1.0)
        for index, weight in votes[word]:
            scores[index] += weight * boost
    return scores


def message_views(
    text: str, max_chars: int | None = None, positioned: list[tuple[int, str]] | None = None
) -> MessageViews:
    """Every view of a message's opening ``max_chars`` (all if None), normalised as
    :func:`nlu.understand` normalises. The matter is stated early; the tail of a long letter
    adds time (word segmentation is the dearest step) more than it adds evidence.

    ``positioned`` are the words of that opening if the caller has cut them already.
    """
    text = normalise(text or "")[:max_chars]
    lead = lead_length(text)
    if positioned is None:
        positioned = cut_with_offsets(text)
    words = [word for _, word in positioned]
    lead_words = [word for start, word in positioned if start < lead]
    return MessageViews(
        sparse={
            CHARS: char_ngrams(text),
            LEAD_CHARS: char_ngrams(text[:lead]),
            WORDS: words,
            LEAD_WORDS: lead_words,
        },
        keyword_scores=keyword_scores(words, lead_words),
    )


@cache
def keyword_fingerprint() -> str:
    """A digest of the keyword votes (words, classes and weights, weak and strong cues included):
    keyword features of a model trained under other votes mean something else."""
    digest = hashlib.sha256()
    for category in TAXONOMY:
        digest.update(f"{category.path}\n".encode())
    for word, votes in sorted(keyword_votes().items()):
        digest.update(f"{word}:{votes!r}\n".encode())
    return digest.hexdigest()[:16]


@cache
def _children(parent: str) -> tuple[int, ...]:
    return tuple(index for index, category in enumerate(TAXONOMY) if category.parent == parent)


@cache
def _children_of_label(label: str) -> tuple[int, ...]:
    """Indices in :data:`TAXONOMY` of a label's second levels (a path: itself)."""
    if is_first_level(label):
        return _children(label)
    return tuple(index for index, category in enumerate(TAXONOMY) if category.path == label)


def second_level_by_keywords(parent: str, scores: Sequence[float]) -> str:
    """The path under ``parent`` the keywords favour; else its 其他; else its first child."""
    children = _children(parent)
    best = max(children, key=lambda index: scores[index])
    if scores[best] > 0:
        return TAXONOMY[best].path
    other = f"{parent}{PATH_SEPARATOR}其他"
    return other if other in categories_by_path() else TAXONOMY[children[0]].path


# ----------------------------------------------------------------------------- model


@dataclass(frozen=True)
class SparseBlock:
    """A fitted TF-IDF view: feature string -> column, and the column's idf."""

    kind: str
    weight: float
    vocabulary: Mapping[str, int]
    idf: FloatArray

    @property
    def size(self) -> int:
        return len(self.idf)


class TrainedModel:
    """A linear classifier over the views of a message, exported from scikit-learn.

    ``coef`` has one row per feature (the sparse blocks in order, then the keyword votes) and
    one column per class. Scores are ``features @ coef + intercept``; the confidence is a
    softmax of the scores at the ``temperature`` fitted on held-out scores during training.
    """

    def __init__(
        self,
        *,
        labels: Sequence[str],
        sparse_blocks: Sequence[SparseBlock],
        keyword_weight: float,
        coef: npt.ArrayLike,
        intercept: npt.ArrayLike,
        temperature: float,
        neighbours: Neighbours | None = None,
        max_chars: int | None = None,
        info: Mapping[str, Any] | None = None,
        keyword_fusion: float = 0.0,
    ) -> None:
        self.labels = tuple(labels)
        self.keyword_fusion = float(keyword_fusion)
        self.sparse_blocks = tuple(sparse_blocks)
        self.keyword_weight = float(keyword_weight)
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.temperature = float(temperature)
        self.neighbours = neighbours
        self.max_chars = max_chars
        self.info: dict[str, Any] = dict(info or {})
        self._check()
        offsets = [0]
        for block in self.sparse_blocks:
            offsets.append(offsets[-1] + block.size)
        self._offsets = tuple(offsets)
        self._label_children = tuple(_children_of_label(label) for label in self.labels)

    # -- invariants

    def _check(self) -> None:
        problems = []
        unknown = [label for label in self.labels if resolve_label(label) != label]
        if unknown:
            problems.append(
                f"labels not in this taxonomy: {', '.join(unknown)} (retrain the model)"
            )
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            problems.append("a model needs at least two distinct labels")
        keyword_size = len(TAXONOMY) if self.keyword_weight else 0
        rows = sum(block.size for block in self.sparse_blocks) + keyword_size
        if self.coef.ndim != 2 or self.coef.shape != (rows, len(self.labels)):
            problems.append(
                f"coefficients have shape {self.coef.shape}, expected {(rows, len(self.labels))}"
            )
        if self.intercept.shape != (len(self.labels),):
            problems.append(f"intercept has shape {self.intercept.shape}")
        for block in self.sparse_blocks:
            if block.kind not in SPARSE_KINDS:
                problems.append(f"unknown view {block.kind!r}")
            if len(block.vocabulary) != block.size:
                problems.append(f"view {block.kind}: vocabulary and idf differ in length")
        if self.max_chars is not None and self.max_chars < 1:
            problems.append(f"max_chars {self.max_chars} is not a positive number")
        if not math.isfinite(self.keyword_fusion) or self.keyword_fusion < 0:
            problems.append(f"keyword_fusion {self.keyword_fusion} is not a number >= 0")
        if not math.isfinite(self.temperature) or self.temperature <= 0:
            problems.append(f"temperature {self.temperature} is not a positive number")
        if not (np.isfinite(self.coef).all() and np.isfinite(self.intercept).all()):
            problems.append("coefficients are not all finite")
        if self.neighbours is not None:
            problems += neighbour_problems(self.neighbours, rows, len(self.labels))
        if problems:
            raise ModelError("; ".join(problems))

    # -- prediction

    def scores(self, views: MessageViews) -> npt.NDArray[np.float64]:
        """Decision scores per class for the views of one message."""
        indices: list[npt.NDArray[np.intp]] = []
        values: list[npt.NDArray[np.float64]] = []
        for offset, block in zip(self._offsets, self.sparse_blocks, strict=False):
            # Count first, then look up each distinct string once: a long message repeats
            # most of its characters, and Counter counts in C.
            counts_by_string = Counter(views.sparse.get(block.kind, ()))
            strings = list(counts_by_string)
            found = np.fromiter(
                map(block.vocabulary.get, strings, repeat(-1)), np.intp, len(strings)
            )
            known = found >= 0
            if not known.any():
                continue
            index = found[known]
            counts = np.fromiter(counts_by_string.values(), np.float64, len(strings))[known]
            tf = 1.0 + np.log(counts)
            weights = tf * block.idf[index]
            weights *= block.weight / np.linalg.norm(weights)
            indices.append(index + offset)
            values.append(weights)
        if self.keyword_weight:
            votes = np.asarray(views.keyword_scores, dtype=np.float64)
            norm = np.linalg.norm(votes)
            if norm > 0:
                indices.append(np.arange(len(votes)) + self._offsets[-1])
                values.append(votes * (self.keyword_weight / norm))
        result = self.intercept.copy()
        if indices:
            features, weights = np.concatenate(indices), np.concatenate(values)
            result += weights @ self.coef[features]
            if self.neighbours is not None:
                result += self.neighbours.weight * self.neighbours.votes(
                    features, weights, len(self.labels)
                )
        if self.keyword_fusion:
            result += self.keyword_fusion * self._keyword_label_scores(views.keyword_scores)
        return result

    def _keyword_label_scores(self, scores: Sequence[float]) -> npt.NDArray[np.float64]:
        """The built-in scorer's vote for each label, on a log scale.

        A first-level label adds up its second levels as :func:`nlu.classify.classify` does (the
        best in full, the others at :data:`~nlu.classify.SIBLING_SHARE`). Added to the SVM's
        scores (late fusion) it lends the trained model the taxonomy's judgement where the
        training set says little; measured in benchmarks/nlu.py.
        """
        votes = np.asarray(scores, dtype=np.float64)
        result = np.zeros(len(self.labels))
        if not len(votes):
            return result
        for column, children in enumerate(self._label_children):
            chosen = votes[list(children)]
            best = float(chosen.max())
            result[column] = best + SIBLING_SHARE * (float(chosen.sum()) - best)
        return np.log1p(np.maximum(result, 0.0))

    def predict(self, text: str) -> Prediction:
        """Category of one message: the best class, its confidence in [0, 1], the runner-up."""
        return self.predict_views(message_views(text, self.max_chars))

    def predict_views(self, views: MessageViews) -> Prediction:
        """:meth:`predict` for views already computed (training computes them once)."""
        scores = self.scores(views)
        ranked = np.argsort(-scores, kind="stable")
        shifted = (scores - scores[ranked[0]]) * self.temperature
        probabilities = np.exp(shifted) / np.exp(shifted).sum()
        paths = [self.path_for(self.labels[index], views) for index in ranked[:3]]
        runner_up = next((path for path in paths[1:] if path != paths[0]), None)
        return Prediction(
            label=self.labels[ranked[0]],
            path=paths[0],
            confidence=round(float(probabilities[ranked[0]]), 3),
            runner_up=runner_up,
        )

    def path_for(self, label: str, views: MessageViews) -> str:
        if is_first_level(label):
            return second_level_by_keywords(label, views.keyword_scores)
        return label

    # -- files

    def header(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "labels": list(self.labels),
            "blocks": [
                {"kind": block.kind, "weight": block.weight, "size": block.size}
                for block in self.sparse_blocks
            ],
            "keyword_weight": self.keyword_weight,
            "keyword_fusion": self.keyword_fusion,
            "keyword_fingerprint": keyword_fingerprint(),
            "temperature": self.temperature,
            "max_chars": self.max_chars,
            "neighbours": None
            if self.neighbours is None
            else {
                "k": self.neighbours.k,
                "weight": self.neighbours.weight,
                "size": self.neighbours.size,
                "query_features": self.neighbours.query_features,
            },
            "info": self.info,
        }

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` (any name; written whole or not at all)."""
        path = Path(path)
        arrays: dict[str, npt.NDArray[Any]] = {
            "header": np.frombuffer(
                json.dumps(self.header(), ensure_ascii=False).encode(), dtype=np.uint8
            ),
            "coef": self.coef,
            "intercept": self.intercept,
        }
        for number, block in enumerate(self.sparse_blocks):
            features = sorted(block.vocabulary, key=block.vocabulary.__getitem__)
            arrays[f"vocabulary_{number}"] = np.array(features, dtype=np.str_)
            arrays[f"idf_{number}"] = np.asarray(block.idf, dtype=np.float32)
        if self.neighbours is not None:
            arrays["neighbour_indptr"] = self.neighbours.indptr
            arrays["neighbour_rows"] = self.neighbours.rows
            arrays["neighbour_values"] = self.neighbours.values
            arrays["neighbour_labels"] = self.neighbours.labels
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez_compressed(stream, **arrays)  # type: ignore[arg-type]
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> TrainedModel:
        """Read a model written by :meth:`save`; :class:`ModelError` says what is wrong."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ModelError(f"cannot read model {path}: {error.strerror or error}") from error
        try:
            return cls._from_npz(data)
        except ModelError as error:
            raise ModelError(f"{path} is not a usable jiesu model: {error}") from error
        except (ValueError, KeyError, TypeError, zipfile.BadZipFile, OSError, EOFError) as error:
            raise ModelError(
                f"{path} is not a jiesu model file ({type(error).__name__}: {error}); "
                "train one with `jiesu nlu train DATA.csv --out MODEL`"
            ) from error

    @classmethod
    def _from_npz(cls, data: bytes) -> TrainedModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        if "header" not in arrays:
            raise ModelError("no header")
        header = json.loads(arrays["header"].tobytes().decode())
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ModelError("not a jiesu model")
        if header.get("version") != FORMAT_VERSION:
            raise ModelError(
                f"format version {header.get('version')!r}, this jiesu reads {FORMAT_VERSION}; "
                "retrain the model with this version"
            )
        if header.get("keyword_fingerprint") != keyword_fingerprint():
            logger.warning(
                "the taxonomy's keywords changed since this model was trained; "
                "retrain it for the best results"
            )
        blocks = []
        for number, spec in enumerate(header["blocks"]):
            vocabulary = arrays[f"vocabulary_{number}"]
            idf = arrays[f"idf_{number}"]
            if vocabulary.ndim != 1 or vocabulary.dtype.kind != "U" or idf.ndim != 1:
                raise ModelError(f"view {number} is malformed")
            if len(vocabulary) != spec["size"] or len(idf) != spec["size"]:
                raise ModelError(
                    f"view {number} has {len(vocabulary)} features, not {spec['size']}"
                )
            blocks.append(
                SparseBlock(
                    kind=str(spec["kind"]),
                    weight=float(spec["weight"]),
                    vocabulary={
                        feature: column for column, feature in enumerate(vocabulary.tolist())
                    },
                    idf=idf.astype(np.float32),
                )
            )
        coef, intercept = arrays["coef"], arrays["intercept"]
        if coef.dtype.kind != "f" or intercept.dtype.kind != "f":
            raise ModelError("coefficients are not numbers")
        neighbours = None
        if header.get("neighbours"):
            spec = header["neighbours"]
            parts = [arrays[f"neighbour_{name}"] for name in ("indptr", "rows", "values", "labels")]
            if [part.dtype.kind for part in parts] != ["i", "i", "f", "i"]:
                raise ModelError("neighbour arrays are malformed")
            neighbours = Neighbours(
                k=int(spec["k"]),
                weight=float(spec["weight"]),
                indptr=parts[0].astype(np.int64),
                rows=parts[1].astype(np.int32),
                values=parts[2].astype(np.float32),
                labels=parts[3].astype(np.int32),
                query_features=int(spec.get("query_features") or 0),
            )
        return cls(
            labels=[str(label) for label in header["labels"]],
            sparse_blocks=blocks,
            keyword_weight=float(header["keyword_weight"]),
            coef=coef,
            intercept=intercept,
            temperature=float(header["temperature"]),
            neighbours=neighbours,
            max_chars=None if header.get("max_chars") is None else int(header["max_chars"]),
            keyword_fusion=float(header.get("keyword_fusion") or 0.0),
            info=header.get("info") or {},
        )


_loaded: dict[tuple[str, int, int], TrainedModel] = {}


def load_model(path: str | Path) -> TrainedModel:
    """:meth:`TrainedModel.load`, once per file version (path, size and modification time)."""
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
    except OSError as error:
        raise ModelError(f"cannot read model {path}: {error.strerror or error}") from error
    key = (str(resolved), stat.st_size, stat.st_mtime_ns)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = TrainedModel.load(resolved)
    return _loaded[key]
