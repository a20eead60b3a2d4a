"""How well a category model does on labelled messages, and how fast.

Labels are compared at the level the data has: when every gold label is a first-level name
(as in most historical exports), a predicted path counts as right when its first level is; a
gold path is compared with the whole predicted path. Macro-F1 averages over the labels present
in the data, so a class the data lacks neither helps nor hurts.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nlu.examples import Example
from nlu.model import first_level, is_first_level

# progress(done, total, stage)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class LabelScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """Figures over ``n`` messages; ``confusion[i][j]`` counts gold ``labels[i]`` predicted as
    ``columns[j]`` (the gold labels, then any other label that was predicted)."""

    n: int
    accuracy: float
    macro_f1: float
    first_level: bool
    labels: tuple[str, ...]
    columns: tuple[str, ...]
    per_label: tuple[LabelScores, ...]
    confusion: tuple[tuple[int, ...], ...]
    latency_ms_p50: float | None = None
    latency_ms_p99: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "level": "first" if self.first_level else "label",
            "per_label": {
                scores.label: {
                    "precision": round(scores.precision, 4),
                    "recall": round(scores.recall, 4),
                    "f1": round(scores.f1, 4),
                    "support": scores.support,
                }
                for scores in self.per_label
            },
            "confusion": {
                "labels": list(self.labels),
                "columns": list(self.columns),
                "matrix": [list(row) for row in self.confusion],
            },
            "latency_ms_p50": _round(self.latency_ms_p50),
            "latency_ms_p99": _round(self.latency_ms_p99),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with at least q% of values at or below."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def compared(gold: str, predicted: str, first_level_only: bool) -> str:
    """The predicted label at the level it is compared with ``gold``."""
    if first_level_only or is_first_level(gold):
        return first_level(predicted)
    return predicted


def evaluate(
    gold: Sequence[str], predicted: Sequence[str], latencies_ms: Sequence[float] = ()
) -> Evaluation:
    """Accuracy, macro-F1, per-label figures and confusion of predicted paths against gold."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    if not gold:
        raise ValueError("nothing to evaluate")
    first_only = all(is_first_level(label) for label in gold)
    pairs = Counter(
        (label, compared(label, guess, first_only))
        for label, guess in zip(gold, predicted, strict=True)
    )
    labels = tuple(sorted(set(gold)))
    extra = sorted({guess for _, guess in pairs} - set(labels))
    columns = (*labels, *extra)
    gold_totals = Counter(gold)
    guess_totals: Counter[str] = Counter()
    for (_, guess), count in pairs.items():
        guess_totals[guess] += count
    per_label = []
    for label in labels:
        hits = pairs[(label, label)]
        precision = hits / guess_totals[label] if guess_totals[label] else 0.0
        recall = hits / gold_totals[label]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label.append(LabelScores(label, precision, recall, f1, gold_totals[label]))
    correct = sum(pairs[(label, label)] for label in labels)
    return Evaluation(
        n=len(gold),
        accuracy=correct / len(gold),
        macro_f1=sum(scores.f1 for scores in per_label) / len(per_label),
        first_level=first_only,
        labels=labels,
        columns=columns,
        per_label=tuple(per_label),
        confusion=tuple(tuple(pairs[(label, column)] for column in columns) for label in labels),
        latency_ms_p50=percentile(latencies_ms, 50) if latencies_ms else None,
        latency_ms_p99=percentile(latencies_ms, 99) if latencies_ms else None,
    )


def measure(
    examples: Sequence[Example],
    classify: Callable[[str], str],
    progress: Progress | None = None,
    every: int = 100,
) -> Evaluation:
    """Run ``classify`` (text -> path) on every example, timing each call, and evaluate."""
    predicted: list[str] = []
    latencies: list[float] = []
    for number, example in enumerate(examples, start=1):
        started = time.perf_counter()
        predicted.append(classify(example.text))
        latencies.append((time.perf_counter() - started) * 1000)
        if progress and (number % every == 0 or number == len(examples)):
            progress(number, len(examples), "classifying")
    return evaluate([example.label for example in examples], predicted, latencies)
