"""Measure the kind reader (投诉/建议/咨询/求助/举报/表扬) on the labelled set of ``kind_set.py``.

Run from the repository: ``python benchmarks/kinds.py [--errors] [--json]``. For the whole set,
the tuning part and the held-out part (every third message, fixed before the cue tables were
tuned) it prints accuracy, macro-F1, per-kind recall and the confusion table (rows the true
kind, columns the kind read), then the count of praise read as a complaint (target 0) and the
time :func:`nlu.kind.detect_kind` takes per message (p50/p99 of the least of three runs; target
p99 well under 0.5 ms), on the set and, when ``../shared/data/complaints-dev.csv`` is there, on
its long letters (read in place; they carry no kind labels, so only the kinds read are
counted). Each message is read as :func:`nlu.understand` reads it: normalised, with the opening
found by :func:`nlu.summary.lead_length`. ``--errors`` lists the misreads of
the tuning part only, so that tuning never looks at the held-out messages one by one.
It exits 0 whatever the result.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared/data/complaints-dev.csv"
sys.path.insert(0, str(REPO))

from benchmarks.kind_set import KIND_SET  # noqa: E402
from config.lexicon import KIND_CODES, KIND_LABELS  # noqa: E402
from nlu.evaluation import Evaluation, evaluate, percentile  # noqa: E402
from nlu.examples import read_csv  # noqa: E402
from nlu.kind import detect_kind  # noqa: E402
from nlu.normalise import normalise  # noqa: E402
from nlu.summary import lead_length  # noqa: E402

REPEATS = 3
HELD_OUT_EVERY = 3  # message i is held out when i % 3 == 2


def is_held_out(index: int) -> bool:
    return index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1


def read(text: str) -> str:
    text = normalise(text)
    return detect_kind(text, lead_length(text)).kind


def timings_ms(texts: list[str]) -> list[float]:
    """Least of ``REPEATS`` runs of detect_kind per message, in milliseconds."""
    prepared = [(text, lead_length(text)) for text in map(normalise, texts)]
    best = [float("inf")] * len(prepared)
    for _ in range(REPEATS):
        for index, (text, lead) in enumerate(prepared):
            started = time.perf_counter()
            detect_kind(text, lead)
            best[index] = min(best[index], (time.perf_counter() - started) * 1000)
    return best


def confusion(figures: Evaluation) -> dict[str, dict[str, int]]:
    """Rows the true kind, columns the kind read, both in KIND_CODES order."""
    table = {kind: dict.fromkeys(KIND_CODES, 0) for kind in KIND_CODES}
    for row, label in zip(figures.confusion, figures.labels, strict=True):
        for count, column in zip(row, figures.columns, strict=True):
            table[label][column] += count
    return table


def summary(gold: list[str], read_as: list[str]) -> dict[str, Any]:
    figures = evaluate(gold, read_as)
    return {
        "n": figures.n,
        "accuracy": round(figures.accuracy, 4),
        "macro_f1": round(figures.macro_f1, 4),
        "recall": {scores.label: round(scores.recall, 3) for scores in figures.per_label},
        "confusion": confusion(figures),
    }


def print_part(name: str, part: dict[str, Any]) -> None:
    figures = f"accuracy={part['accuracy']:.3f} macro-F1={part['macro_f1']:.3f}"
    print(f"\n{name}: n={part['n']} {figures}")
    # Chinese labels are two columns wide: rjust(6) of a two-character label fills eight.
    labels = "".join(KIND_LABELS[kind].rjust(6) for kind in KIND_CODES)
    print("true \\ read".ljust(15) + labels + "  recall")
    for kind in KIND_CODES:
        row = part["confusion"][kind]
        cells = "".join(str(row[column]).rjust(8) for column in KIND_CODES)
        print(f"{KIND_LABELS[kind]} {kind:<10}{cells}  {part['recall'].get(kind, 0.0):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list misreads of the tuning part")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    gold = [kind for kind, _ in KIND_SET]
    texts = [text for _, text in KIND_SET]
    read_as = [read(text) for text in texts]
    tuned = [index for index in range(len(texts)) if not is_held_out(index)]
    held = [index for index in range(len(texts)) if is_held_out(index)]
    result: dict[str, Any] = {
        "all": summary(gold, read_as),
        "tuning": summary([gold[i] for i in tuned], [read_as[i] for i in tuned]),
        "held_out": summary([gold[i] for i in held], [read_as[i] for i in held]),
    }
    result["praise_as_complaint"] = sum(
        1 for want, got in zip(gold, read_as, strict=True) if (want, got) == ("praise", "complaint")
    )
    times = timings_ms(texts)
    result["p50_ms"] = round(percentile(times, 50), 4)
    result["p99_ms"] = round(percentile(times, 99), 4)
    result["max_ms"] = round(max(times), 4)
    if DEV.exists():
        letters = [example.text for example in read_csv(DEV)]
        times = timings_ms(letters)
        read_kinds = [read(text) for text in letters]
        result["dev"] = {
            "n": len(letters),
            "p50_ms": round(percentile(times, 50), 4),
            "p99_ms": round(percentile(times, 99), 4),
            "kinds_read": {kind: read_kinds.count(kind) for kind in KIND_CODES},
        }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"kind set: {len(texts)} messages, {len(held)} held out (every third)")
    print_part("all", result["all"])
    print_part("tuning part", result["tuning"])
    print_part("held-out part", result["held_out"])
    verdict = "ok" if result["praise_as_complaint"] == 0 else "MISSED"
    print(f"\npraise read as complaint: {result['praise_as_complaint']} (target 0: {verdict})")
    print(
        f"detect_kind per message: p50 {result['p50_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms,"
        f" max {result['max_ms']:.3f} ms (target p99 < 0.5 ms)"
    )
    if "dev" in result:
        dev = result["dev"]
        print(
            f"detect_kind on {dev['n']} letters of complaints-dev.csv: p50 {dev['p50_ms']:.3f} ms,"
            f" p99 {dev['p99_ms']:.3f} ms; kinds read: {dev['kinds_read']}"
        )
    if args.errors:
        print("\nmisreads in the tuning part (true -> read):")
        for index in tuned:
            if read_as[index] != gold[index]:
                print(f"  {gold[index]:>10} -> {read_as[index]:<10} {texts[index]}")


if __name__ == "__main__":
    main()
