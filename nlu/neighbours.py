"""The nearest-neighbour vote of a trained category model (:mod:`nlu.model`).

Training messages are kept as feature vectors, stored by feature (a CSC-like layout), so that the
messages most like a new one are found by gathering the postings of its features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Neighbours:
    """Training messages as feature vectors, stored by feature, for a nearest-neighbour vote.

    Column ``feature`` of the training matrix is ``rows[indptr[f]:indptr[f + 1]]`` with
    ``values`` at the same places; ``labels`` are class indices of the rows.
    """

    k: int
    weight: float
    indptr: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int32]
    values: FloatArray
    labels: npt.NDArray[np.int32]
    # Similarity is measured on the message's this many heaviest features (0: all of them).
    query_features: int = 0

    @property
    def size(self) -> int:
        return len(self.labels)

    def similarity(
        self, columns: npt.NDArray[np.intp], weights: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Dot product of the message with every stored message.

        Only the heaviest ``query_features`` count: common characters (的, 了) have a posting
        for nearly every stored message and low weight, so they cost most of the time and
        move the ranking least. The postings are gathered in one vectorised step.
        """
        if self.query_features and len(columns) > self.query_features:
            keep = np.argpartition(-weights, self.query_features - 1)[: self.query_features]
            columns, weights = columns[keep], weights[keep]
        starts, ends = self.indptr[columns], self.indptr[columns + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(self.size)
        # Positions of every posting of the chosen features, without a Python loop.
        shifts = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        positions = shifts + np.arange(total)
        contributions = self.values[positions] * np.repeat(weights, lengths)
        sums = np.bincount(self.rows[positions], weights=contributions, minlength=self.size)
        return sums.astype(np.float64, copy=False)

    def votes(
        self, columns: npt.NDArray[np.intp], weights: npt.NDArray[np.float64], classes: int
    ) -> npt.NDArray[np.float64]:
        """Per class, the share of cosine similarity among the ``k`` most similar messages."""
        result = np.zeros(classes)
        similarity = self.similarity(columns, weights)
        if not similarity.any():
            return result
        nearest = np.argpartition(-similarity, min(self.k, self.size) - 1)[: self.k]
        nearest = nearest[similarity[nearest] > 0]
        if not len(nearest):
            return result
        np.add.at(result, self.labels[nearest], similarity[nearest])
        return result / result.sum()


def neighbour_problems(neighbours: Neighbours, features: int, classes: int) -> list[str]:
    """Shapes and ranges that would make :meth:`Neighbours.votes` index out of bounds."""
    indptr, rows, labels = neighbours.indptr, neighbours.rows, neighbours.labels
    if neighbours.k < 1 or neighbours.query_features < 0 or not math.isfinite(neighbours.weight):
        return ["neighbour settings are invalid"]
    if indptr.shape != (features + 1,) or rows.shape != neighbours.values.shape or rows.ndim != 1:
        return ["neighbour arrays have the wrong shapes"]
    if indptr[0] != 0 or indptr[-1] != len(rows) or (np.diff(indptr) < 0).any():
        return ["neighbour index is inconsistent"]
    if len(labels) == 0 or labels.min() < 0 or labels.max() >= classes:
        return ["neighbour labels are out of range"]
    if len(rows) and (rows.min() < 0 or rows.max() >= len(labels)):
        return ["neighbour rows are out of range"]
    if not np.isfinite(neighbours.values).all():
        return ["neighbour values are not all finite"]
    return []
