"""Measure the category models on the shared development set.

Run from the repository: ``python benchmarks/nlu.py [--seeds 0,1,2,3,4] [--json]``. It reads
``../shared/data/complaints-dev.csv`` in place (title + text of each message, first-level label)
and prints:

(a) the built-in keyword scorer (never trained on this data): first-level accuracy and macro-F1
    on the whole file, and on each half of a fixed stratified split. The keywords were written
    for the file's classes by judgment, but whatever was checked against data since was checked
    against the "tune" half only; the "held" half is the honest estimate of how the scorer does
    on messages nobody looked at (the whole-file figure flatters it: older keywords were tuned
    on the whole file);
(b) the trained model under stratified 5-fold cross-validation, once per seed given (each
    shuffles the folds differently; every message is predicted by a model fitted on the other
    four fifths only), with the spread over seeds: min, mean, max and standard deviation.
    Recipe choices were made on seeds 10 to 19, which this benchmark does not report;
(c) latency per message of ``understand()`` with the model trained on all rows, one thread, the
least of three runs of each message;
(d) ``import nlu`` and model load time in a fresh process;
(e) peak resident set of a fresh process that imports nlu, loads the model, warms up and
    classifies every message;
(f) the cost per character of one 10,000-character text (what residents may add to one case)
    against that of the file's messages, in the same run: a reader that is not linear in the text
    shows here.

Targets: (b) mean macro-F1 >= 0.92, (a) macro-F1 >= 0.85 (on the held half), (c) p99 <= 5 ms,
(d) load <= 1 s, (e) <= 150 MB, (f) ratio <= 3. It exits 0 whatever the result; timings vary
on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared/data/complaints-dev.csv"
sys.path.insert(0, str(REPO))

from sklearn.model_selection import train_test_split  # noqa: E402

from benchmarks.figures import verdict  # noqa: E402
from nlu import TrainedModel, understand, warm_up  # noqa: E402
from nlu.evaluation import Evaluation, evaluate, measure, percentile  # noqa: E402
from nlu.examples import Example, read_csv  # noqa: E402
from nlu.training import cross_validate, train  # noqa: E402

REPEATS = 3  # each message is timed this many times; its least time counts
SPLIT_SEED = 2024  # the built-in's tune/held halves; fixed, so the held half stays unlooked-at
DEFAULT_SEEDS = "0,1,2,3,4"

TARGETS = {
    "cv_macro_f1": 0.92,
    "default_macro_f1": 0.85,
    "p99_ms": 5.0,
    "load_s": 1.0,
    "rss_mb": 150,
    "long_per_char_ratio": 3.0,
}

# Run in a fresh interpreter: what the service pays to start with a model, and its memory.
# Peak RSS is VmHWM: ru_maxrss of a child starts from its parent's, which here has trained models.
FRESH_PROCESS = """
import json, re, sys, time
started = time.perf_counter()
import nlu
imported = time.perf_counter()
model = nlu.TrainedModel.load(sys.argv[1])
loaded = time.perf_counter()
from nlu.examples import read_csv
examples = read_csv(sys.argv[2])
nlu.warm_up()
for example in examples:
    nlu.understand(example.text, model=model)
print(json.dumps({
    "import_s": imported - started,
    "load_s": loaded - imported,
    "rss_mb": int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1]) / 1024,
}))
"""


def progress(done: int, total: int, stage: str) -> None:
    if done == total or done % 200 == 0:
        sys.stderr.write(f"benchmark: {stage} {done}/{total}\n")


def figures(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "accuracy": round(evaluation.accuracy, 4),
        "macro_f1": round(evaluation.macro_f1, 4),
        "per_label_f1": {s.label: round(s.f1, 3) for s in evaluation.per_label},
    }


def fresh_process(model_path: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(model_path), str(DATA)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    values: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return values


def split_halves(labels: list[str]) -> tuple[list[int], list[int]]:
    """A stratified half split of the file: (tune, held), the same in every run."""
    tune, held = train_test_split(
        list(range(len(labels))), test_size=0.5, stratify=labels, random_state=SPLIT_SEED
    )
    return sorted(tune), sorted(held)


def built_in_halves(examples: list[Example]) -> dict[str, Any]:
    """The built-in scorer's macro-F1 on the tune half and on the held half."""
    labels = [example.label for example in examples]
    tune, held = split_halves(labels)
    predicted = [understand(example.text).category for example in examples]
    return {
        name: {
            "messages": len(rows),
            "macro_f1": round(
                evaluate([labels[i] for i in rows], [predicted[i] for i in rows]).macro_f1, 4
            ),
        }
        for name, rows in (("tune", tune), ("held", held))
    }


def long_text(length: int = 10_000) -> str:
    rng = random.Random(7)
    pieces = ["国权路小区", "楼上漏水", "物业不管", "，", "。", "噪音", "13812345678", "\n", "垃圾"]
    return "".join(rng.choice(pieces) for _ in range(length // 2))[:length]


def runs_ms(call: Any, text: str) -> list[float]:
    """Milliseconds of each of REPEATS runs of ``call(text)``."""
    runs = []
    for _ in range(REPEATS):
        begun = time.perf_counter()
        call(text)
        runs.append((time.perf_counter() - begun) * 1000)
    return runs


def long_message(examples: list[Example], least_ms: list[float]) -> dict[str, float]:
    """(f): per character, a 10,000-character message against the file's own messages, whose
    least times (``least_ms``, in the file's order) the latency loop measured already."""
    text = long_text()
    alone = min(runs_ms(understand, text))
    characters = sum(len(example.text) for example in examples)
    per_char_typical, per_char_long = sum(least_ms) / characters, alone / len(text)
    return {
        "characters": len(text),
        "long_ms": round(alone, 2),
        "typical_us_per_char": round(per_char_typical * 1000, 3),
        "long_us_per_char": round(per_char_long * 1000, 3),
        "ratio": round(per_char_long / per_char_typical, 2),
    }


def run(seeds: list[int]) -> dict[str, Any]:
    examples = read_csv(DATA)
    warm_up()
    sys.stderr.write("benchmark: built-in keyword scorer\n")
    default = measure(examples, lambda text: understand(text).category, progress, every=500)
    results: dict[str, Any] = {"messages": len(examples), "default": figures(default)}
    results["default"]["latency_ms_p99"] = round(default.latency_ms_p99 or 0.0, 3)
    results["default"]["halves"] = built_in_halves(examples)

    cv: dict[str, Any] = {}
    for seed in seeds:
        sys.stderr.write(f"benchmark: 5-fold cross-validation, seed {seed}\n")
        started = time.perf_counter()
        folds = cross_validate(examples, folds=5, seed=seed, progress=progress)
        cv[str(seed)] = {
            **figures(evaluate(folds.gold, folds.predicted)),
            "seconds": round(time.perf_counter() - started, 1),
        }
    scores = [r["macro_f1"] for r in cv.values()]
    results["cross_validation"] = {
        "folds": 5,
        "stratified": True,
        "by_seed": cv,
        "macro_f1_mean": round(statistics.mean(scores), 4),
        "macro_f1_min": min(scores),
        "macro_f1_max": max(scores),
        "macro_f1_std": round(statistics.stdev(scores), 4) if len(scores) > 1 else 0.0,
    }

    sys.stderr.write("benchmark: training on all rows\n")
    started = time.perf_counter()
    model = train(examples, progress=progress)
    results["train_seconds"] = round(time.perf_counter() - started, 1)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "category.model"
        model.save(path)
        results["model_bytes"] = path.stat().st_size
        loaded = TrainedModel.load(path)
        for example in examples[:20]:
            understand(example.text, model=loaded)
        calls = {
            "understand_with_model": lambda text: understand(text, model=loaded),
            "model_predict": loaded.predict,
            "understand_without_model": understand,
        }
        # What training left behind stays put, as a service's start-up objects do: the
        # collector's full passes over it would otherwise land inside random messages.
        gc.collect()
        gc.freeze()
        least: dict[str, list[float]] = {}
        for name, call in calls.items():
            timings, first_runs = [], []
            for example in examples:
                # The least of three runs: the message's own cost, without the interruptions
                # of a shared machine (other processes, the collector).
                runs = runs_ms(call, example.text)
                timings.append(min(runs))
                first_runs.append(runs[0])
            results.setdefault("latency_ms", {})[name] = {
                "p50": round(percentile(timings, 50), 3),
                "p99": round(percentile(timings, 99), 3),
                "max": round(max(timings), 3),
                "p99_single_run": round(percentile(first_runs, 99), 3),
            }
            least[name] = timings
        sys.stderr.write("benchmark: one long message\n")
        results["long_message"] = long_message(examples, least["understand_without_model"])
        sys.stderr.write("benchmark: fresh process\n")
        fresh = fresh_process(path)
    results["fresh_process"] = {key: round(value, 3) for key, value in fresh.items()}
    results["targets"] = TARGETS
    return results


def report(results: dict[str, Any]) -> str:
    default, cv = results["default"], results["cross_validation"]
    halves = default["halves"]
    held = halves["held"]["macro_f1"]
    latency, fresh = results["latency_ms"]["understand_with_model"], results["fresh_process"]
    long = results["long_message"]
    alone, base = (
        results["latency_ms"]["model_predict"],
        results["latency_ms"]["understand_without_model"],
    )
    lines = [
        f"messages {results['messages']} ({DATA.name}), first-level labels",
        "",
        f"(a) built-in keyword scorer: accuracy {default['accuracy']:.4f}, "
        f"macro-F1 {default['macro_f1']:.4f} on the whole file",
        f"    macro-F1 on the tune half {halves['tune']['macro_f1']:.4f}, "
        f"on the held half {held:.4f} ({halves['held']['messages']} messages)  "
        f"[held >= {TARGETS['default_macro_f1']:.2f} "
        f"{verdict(held >= TARGETS['default_macro_f1'])}]",
    ]
    for seed, figures in cv["by_seed"].items():
        lines.append(
            f"(b) trained, stratified 5-fold CV, seed {seed}: accuracy {figures['accuracy']:.4f}, "
            f"macro-F1 {figures['macro_f1']:.4f}  ({figures['seconds']:.0f}s)"
        )
    lines.append(
        f"    macro-F1 over {len(cv['by_seed'])} seed(s): mean {cv['macro_f1_mean']:.4f}, "
        f"min {cv['macro_f1_min']:.4f}, max {cv['macro_f1_max']:.4f}, "
        f"std {cv['macro_f1_std']:.4f}  "
        f"[mean >= {TARGETS['cv_macro_f1']:.2f} "
        f"{verdict(cv['macro_f1_mean'] >= TARGETS['cv_macro_f1'])}]"
    )
    first = next(iter(cv["by_seed"].values()))
    lines.append(
        "    per label F1: "
        + ", ".join(f"{label} {f1:.3f}" for label, f1 in first["per_label_f1"].items())
    )
    lines += [
        f"(c) understand() with the trained model, one thread: p50 {latency['p50']:.2f} ms, "
        f"p99 {latency['p99']:.2f} ms (single runs: {latency['p99_single_run']:.2f} ms), "
        f"max {latency['max']:.2f} ms  "
        f"[p99 <= {TARGETS['p99_ms']:.0f} ms {verdict(latency['p99'] <= TARGETS['p99_ms'])}]",
        f"    the model alone (predict): p50 {alone['p50']:.2f} ms, p99 {alone['p99']:.2f} ms; "
        f"understand() without a model: p50 {base['p50']:.2f} ms, p99 {base['p99']:.2f} ms",
        f"(d) fresh process: import nlu {fresh['import_s']:.3f} s, "
        f"model load {fresh['load_s']:.3f} s"
        f"  [load <= {TARGETS['load_s']:.0f} s {verdict(fresh['load_s'] <= TARGETS['load_s'])}]",
        f"(e) peak resident set with the model, all messages classified: {fresh['rss_mb']:.0f} MB"
        f"  [<= {TARGETS['rss_mb']} MB {verdict(fresh['rss_mb'] <= TARGETS['rss_mb'])}]",
        f"    model file {results['model_bytes'] / 1e6:.1f} MB, "
        f"trained on all rows in {results['train_seconds']:.0f} s",
        f"(f) one {long['characters']:,}-character message: {long['long_ms']:.0f} ms, "
        f"{long['long_us_per_char']:.2f} us a character against {long['typical_us_per_char']:.2f} "
        f"for the file's messages, ratio {long['ratio']:.2f}  "
        f"[<= {TARGETS['long_per_char_ratio']:.0f} "
        f"{verdict(long['ratio'] <= TARGETS['long_per_char_ratio'])}]",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default=DEFAULT_SEEDS, help="comma-separated CV shuffle seeds")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    results = run([int(seed) for seed in args.seeds.split(",")])
    if args.json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report(results))


if __name__ == "__main__":
    main()
