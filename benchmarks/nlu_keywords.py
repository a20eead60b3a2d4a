"""Measure the keyword understanding on the shared development set.

Run from the repository: ``python benchmarks/nlu_keywords.py``. It reads
``../shared/data/complaints-dev.csv`` in place (title + text of each message, first-level label),
prints first-level accuracy, macro-F1 over the labels present, per-label figures and latency.
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared/data/complaints-dev.csv"
sys.path.insert(0, str(REPO))

from nlu import understand, warm_up  # noqa: E402


def main() -> None:
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    warm_up()
    pairs: Counter[tuple[str, str]] = Counter()
    timings: list[float] = []
    for row in rows:
        message = f"{row['title']}\n{row['text']}"
        started = time.perf_counter()
        result = understand(message)
        timings.append((time.perf_counter() - started) * 1000)
        pairs[(row["label"], result.category.split("/")[0])] += 1
    labels = sorted({row["label"] for row in rows})
    correct = sum(count for (gold, guess), count in pairs.items() if gold == guess)
    scores = []
    print(f"{'label':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>6}")
    for label in labels:
        hits = pairs[(label, label)]
        guessed = sum(count for (_, guess), count in pairs.items() if guess == label)
        actual = sum(count for (gold, _), count in pairs.items() if gold == label)
        precision = hits / guessed if guessed else 0.0
        recall = hits / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(f1)
        print(f"{label:<16}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{actual:>6}")
    timings.sort()
    long_text = ("楼上漏水，物业不管，" * 1000)[:10_000]
    started = time.perf_counter()
    understand(long_text)
    long_ms = (time.perf_counter() - started) * 1000
    print(f"messages {len(rows)}")
    print(f"accuracy (first level) {correct / len(rows):.4f}")
    print(f"macro-F1 (first level) {sum(scores) / len(scores):.4f}")
    print(
        f"latency ms p50 {statistics.median(timings):.2f} "
        f"p99 {timings[int(len(timings) * 0.99) - 1]:.2f} max {timings[-1]:.2f} "
        f"(median length {statistics.median(len(r['text']) for r in rows):.0f} chars); "
        f"10,000 chars {long_ms:.1f}"
    )


if __name__ == "__main__":
    main()
