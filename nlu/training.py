"""Fit a :class:`~nlu.model.TrainedModel` on labelled messages with scikit-learn.

Only ``jiesu nlu train`` and the benchmark import this module; the service loads the exported
arrays with numpy alone.

The classifier is one linear SVM per class against the rest over the views of
:mod:`nlu.model` (TF-IDF of characters, of the opening, of words, and the keyword votes). Each
class's SVM sees the features scaled by how unevenly they occur in and outside the class (the
log-count ratio of NB-SVM, softened towards 1): on a few hundred messages per class this keeps
rare but telling words from drowning in common ones. The scaling folds into the exported
coefficients, so prediction stays a single matrix product.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from nlu.examples import DataError, Example
from nlu.model import (
    CHARS,
    LEAD_CHARS,
    WORDS,
    MessageViews,
    Neighbours,
    SparseBlock,
    TrainedModel,
    keyword_fingerprint,
    message_views,
)
from nlu.understanding import ANALYSED_CHARS

# progress(done, total, stage)
Progress = Callable[[int, int, str], None]

CALIBRATION_FOLDS = 3
DEFAULT_TEMPERATURE = 3.0
_TEMPERATURES = tuple(0.25 * 1.25**step for step in range(30))


@dataclass(frozen=True)
class Recipe:
    """Weights of the views and the SVM's settings; the defaults were chosen by cross-validation
    on real resident messages (see ``benchmarks/nlu.py``)."""

    view_weights: tuple[tuple[str, float], ...] = ((CHARS, 1.0), (LEAD_CHARS, 0.8), (WORDS, 0.8))
    keyword_weight: float = 0.45
    # The built-in scorer's first-level votes, log-scaled, added to the scores (late fusion).
    keyword_fusion: float = 0.15
    C: float = 2.0
    balanced: bool = False  # each class's SVM weighs its few positives as much as the rest
    ratio_share: float = 0.5  # 0: plain SVM; 1: features scaled by the full log-count ratio
    smoothing: float = 1.0
    neighbours: int = 5  # k of the nearest-neighbour vote; 0: none
    neighbour_weight: float = 0.7
    neighbour_query: int = 128  # the vote compares this many heaviest features (0: all)
    max_neighbours: int = 10_000  # memory: the vote keeps at most this many messages
    min_df: int = 2  # features of a single message are noise and cost memory
    max_chars: int | None = ANALYSED_CHARS  # the opening of long letters, as understand() reads


@dataclass
class _Fitted:
    labels: list[str]
    blocks: list[SparseBlock]
    coef: npt.NDArray[np.float64]
    intercept: npt.NDArray[np.float64]
    neighbours: Neighbours | None = None


def _identity(features: list[str]) -> list[str]:
    return features


def featurise(
    texts: Sequence[str],
    max_chars: int | None = None,
    progress: Progress | None = None,
    stage: str = "reading",
) -> list[MessageViews]:
    """The views of each text, reporting progress every 50 messages."""
    views = []
    for number, text in enumerate(texts, start=1):
        views.append(message_views(text, max_chars))
        if progress and (number % 50 == 0 or number == len(texts)):
            progress(number, len(texts), stage)
    return views


def _design(
    views: Sequence[MessageViews],
    vectorisers: Sequence[tuple[str, TfidfVectorizer, float]],
    keyword_weight: float,
) -> sp.csr_matrix:
    parts = [
        vectoriser.transform([view.sparse[kind] for view in views]) * weight
        for kind, vectoriser, weight in vectorisers
    ]
    if keyword_weight:
        votes = np.asarray([view.keyword_scores for view in views], dtype=np.float64)
        norms = np.linalg.norm(votes, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        parts.append(sp.csr_matrix(votes / norms * keyword_weight))
    return sp.hstack(parts).tocsr()


def _fit(views: Sequence[MessageViews], labels: Sequence[str], recipe: Recipe) -> _Fitted:
    """Vectorisers and one ratio-scaled SVM per class, as arrays for :class:`TrainedModel`."""
    classes = sorted(set(labels))
    vectorisers: list[tuple[str, TfidfVectorizer, float]] = []
    for kind, weight in recipe.view_weights:
        vectoriser = TfidfVectorizer(
            analyzer=_identity,
            sublinear_tf=True,
            min_df=min(recipe.min_df, max(1, len(views) // 10)),
            dtype=np.float64,
        )
        vectoriser.fit([view.sparse[kind] for view in views])
        vectorisers.append((kind, vectoriser, weight))
    design = _design(views, vectorisers, recipe.keyword_weight)
    present = (design > 0).astype(np.float64).tocsc()
    gold = np.asarray(labels)
    coef = np.zeros((design.shape[1], len(classes)))
    intercept = np.zeros(len(classes))
    for column, label in enumerate(classes):
        inside = gold == label
        in_counts = recipe.smoothing + np.asarray(present[inside].sum(axis=0)).ravel()
        out_counts = recipe.smoothing + np.asarray(present[~inside].sum(axis=0)).ravel()
        ratio = np.abs(np.log((in_counts / in_counts.sum()) / (out_counts / out_counts.sum())))
        scale = (1.0 - recipe.ratio_share) + recipe.ratio_share * ratio
        svm = LinearSVC(
            C=recipe.C, max_iter=5000, class_weight="balanced" if recipe.balanced else None
        )
        svm.fit(design @ sp.diags(scale), inside.astype(int))
        coef[:, column] = svm.coef_.ravel() * scale
        intercept[column] = float(svm.intercept_[0])
    blocks = [
        SparseBlock(
            kind=kind,
            weight=weight,
            vocabulary={str(term): int(index) for term, index in vectoriser.vocabulary_.items()},
            idf=vectoriser.idf_.astype(np.float32),
        )
        for kind, vectoriser, weight in vectorisers
    ]
    neighbours = _neighbours(design, gold, classes, recipe) if recipe.neighbours else None
    return _Fitted(classes, blocks, coef, intercept, neighbours)


def _neighbours(
    design: sp.csr_matrix, gold: npt.NDArray[np.str_], classes: list[str], recipe: Recipe
) -> Neighbours:
    """The training messages stored by feature for the vote, a random sample if too many."""
    rows = np.arange(design.shape[0])
    if len(rows) > recipe.max_neighbours:
        rows = np.sort(np.random.default_rng(0).choice(rows, recipe.max_neighbours, replace=False))
    by_feature = design[rows].tocsc()
    by_feature.eliminate_zeros()
    by_feature.sort_indices()
    return Neighbours(
        k=recipe.neighbours,
        weight=recipe.neighbour_weight,
        indptr=by_feature.indptr.astype(np.int64),
        rows=by_feature.indices.astype(np.int32),
        values=by_feature.data.astype(np.float32),
        labels=np.asarray([classes.index(label) for label in gold[rows]], dtype=np.int32),
        query_features=recipe.neighbour_query,
    )


def _model(
    fitted: _Fitted, recipe: Recipe, temperature: float, info: dict[str, object]
) -> TrainedModel:
    return TrainedModel(
        labels=fitted.labels,
        sparse_blocks=fitted.blocks,
        keyword_weight=recipe.keyword_weight,
        coef=fitted.coef.astype(np.float32),
        intercept=fitted.intercept,
        temperature=temperature,
        neighbours=fitted.neighbours,
        max_chars=recipe.max_chars,
        info=info,
        keyword_fusion=recipe.keyword_fusion,
    )


def _calibrate(
    views: Sequence[MessageViews], labels: Sequence[str], recipe: Recipe, progress: Progress | None
) -> tuple[float, float | None]:
    """Softmax temperature that makes held-out confidences honest (least log loss), and the
    accuracy on the held-out messages (None when there are too few to hold any out).

    Scores of messages the SVMs were fitted on are overconfident, so the temperature is fitted
    on scores of messages held out in a small cross-validation.
    """
    counts = Counter(labels)
    if min(counts.values()) < CALIBRATION_FOLDS:
        return DEFAULT_TEMPERATURE, None
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=0)
    scores: list[npt.NDArray[np.float64]] = []
    truth: list[int] = []
    classes = sorted(counts)
    for number, (train, held) in enumerate(folds.split(np.zeros(len(labels)), labels), start=1):
        fitted = _fit([views[i] for i in train], [labels[i] for i in train], recipe)
        model = _model(fitted, recipe, DEFAULT_TEMPERATURE, {})
        for index in held:
            scores.append(model.scores(views[index]))
            truth.append(classes.index(labels[index]))
        if progress:
            progress(number, CALIBRATION_FOLDS + 1, "fitting")
    matrix = np.vstack(scores)
    rows = np.arange(len(truth))

    def log_loss(temperature: float) -> float:
        scaled = matrix * temperature
        scaled -= scaled.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(scaled).sum(axis=1))
        return float((log_sum - scaled[rows, truth]).mean())

    accuracy = float((matrix.argmax(axis=1) == np.asarray(truth)).mean())
    return min(_TEMPERATURES, key=log_loss), accuracy


def train(
    examples: Iterable[Example | tuple[str, str]],
    *,
    progress: Progress | None = None,
    recipe: Recipe | None = None,
    calibrate: bool = True,
) -> TrainedModel:
    """A model fitted on the examples (``Example`` or ``(text, label)`` with resolved labels).

    The source of the examples is the caller's: a CSV (:func:`nlu.examples.read_csv`), the
    dispatchers' corrections, anything that yields pairs.
    """
    recipe = recipe or Recipe()
    pairs = [
        (item.text, item.label) if isinstance(item, Example) else (item[0], item[1])
        for item in examples
    ]
    counts = Counter(label for _, label in pairs)
    if len(counts) < 2:
        raise DataError(
            f"training needs at least two different labels, found {len(counts)}"
            + (f" ({next(iter(counts))})" if counts else "")
        )
    views = featurise([text for text, _ in pairs], recipe.max_chars, progress)
    labels = [label for _, label in pairs]
    temperature, held_out = (
        _calibrate(views, labels, recipe, progress) if calibrate else (DEFAULT_TEMPERATURE, None)
    )
    fitted = _fit(views, labels, recipe)
    if progress:
        progress(CALIBRATION_FOLDS + 1, CALIBRATION_FOLDS + 1, "fitting")
    info: dict[str, object] = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "examples": len(pairs),
        "held_out_accuracy": None if held_out is None else round(held_out, 4),
        "label_counts": dict(sorted(counts.items())),
        "keyword_fingerprint": keyword_fingerprint(),
        "recipe": {
            "view_weights": dict(recipe.view_weights),
            "keyword_weight": recipe.keyword_weight,
            "keyword_fusion": recipe.keyword_fusion,
            "C": recipe.C,
            "ratio_share": recipe.ratio_share,
            "neighbours": recipe.neighbours,
            "neighbour_weight": recipe.neighbour_weight,
            "neighbour_query": recipe.neighbour_query,
            "min_df": recipe.min_df,
            "max_chars": recipe.max_chars,
        },
    }
    return _model(fitted, recipe, temperature, info)


@dataclass(frozen=True)
class FoldResult:
    """Held-out predictions of one cross-validation: gold label and predicted path per example."""

    gold: list[str]
    predicted: list[str]


def cross_validate(
    examples: Sequence[Example],
    *,
    folds: int = 5,
    seed: int = 0,
    recipe: Recipe | None = None,
    progress: Progress | None = None,
) -> FoldResult:
    """Stratified k-fold: every example predicted by a model that never saw it.

    Everything fitted (vocabularies, idf, ratios, SVMs) is fitted on the training folds only.
    """
    recipe = recipe or Recipe()
    labels = [example.label for example in examples]
    smallest = min(Counter(labels).values())
    if smallest < folds:
        raise DataError(f"{folds}-fold cross-validation needs {folds} examples of every label")
    views = featurise([example.text for example in examples], recipe.max_chars, progress)
    predicted = [""] * len(examples)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for number, (train, held) in enumerate(splitter.split(np.zeros(len(labels)), labels), start=1):
        fitted = _fit([views[i] for i in train], [labels[i] for i in train], recipe)
        model = _model(fitted, recipe, DEFAULT_TEMPERATURE, {})
        for index in held:
            predicted[index] = model.predict_views(views[index]).path
        if progress:
            progress(number, folds, "cross-validating")
    return FoldResult(gold=labels, predicted=predicted)
