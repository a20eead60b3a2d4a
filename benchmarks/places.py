"""Places in messages short and long: is the most specific place chosen, and are the others kept?

Run from the repository: ``python benchmarks/places.py [--json] [--misses]``. It reads
``benchmarks/place_set.py`` (messages written for this check, some longer than the 600
characters fully analysed) and prints, for the tuned two thirds and the held-out third apart:

- exact: share of messages whose ``text``, ``road``, ``compound``, ``building`` and ``poi`` all
  equal the expected (a field not given must be None);
- per field: share of messages where that field is right;
- kept: share of expected places (the chosen one and the others named) found among
  ``Place.addresses``;
- compounds: precision (compounds read that are the expected one) and recall (expected
  compounds read), over each part and over ``COMPOUND_SET`` alone (names without the usual
  suffix, brands that name no place);
- verb phrases: places whose words hold a request verb (督促, 查处 ...), which must be none;
- the time ``locate()`` adds per message: p50/p99 over the set against a bare ``normalise()``
  of the same messages in the same run (the least of three runs each).

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
sys.path.insert(0, str(REPO))

from benchmarks.place_set import COMPOUND_SET, PLACE_SET, Expected, held_out  # noqa: E402
from nlu import understand  # noqa: E402
from nlu.evaluation import percentile  # noqa: E402
from nlu.normalise import normalise  # noqa: E402
from nlu.understanding import locate  # noqa: E402

FIELDS = ("text", "road", "compound", "building", "poi")
VERBS = ("督促", "查处", "检查", "整改", "要求", "希望", "停止", "清理", "维修")
Row = tuple[str, Expected, tuple[str, ...]]


def score(rows: list[Row], misses: bool) -> dict[str, Any]:
    exact = 0
    right = dict.fromkeys(FIELDS, 0)
    wanted = kept = verb_places = 0
    compounds_read = compounds_wanted = compounds_right = 0
    for text, expected, others in rows:
        place = understand(text).place
        got = {field: getattr(place, field) for field in FIELDS}
        ok = {field: got[field] == expected.get(field) for field in FIELDS}
        exact += all(ok.values())
        for field in FIELDS:
            right[field] += ok[field]
        addresses = tuple(getattr(place, "addresses", ()) or ())
        named = [*([expected["text"]] if "text" in expected else []), *others]
        wanted += len(named)
        kept += sum(name in addresses for name in named)
        compounds_read += got["compound"] is not None
        compounds_wanted += expected.get("compound") is not None
        compounds_right += got["compound"] is not None and ok["compound"]
        verb_places += any(verb in (value or "") for value in got.values() for verb in VERBS)
        if misses and not all(ok.values()):
            wrong = {field: got[field] for field in FIELDS if not ok[field]}
            print(f"  miss: {text[:30]}… ({len(text)} chars) got {wrong}")
    count = len(rows)
    return {
        "messages": count,
        "exact": round(exact / count, 3),
        "fields": {field: round(right[field] / count, 3) for field in FIELDS},
        "kept": round(kept / wanted, 3) if wanted else None,
        "verb_phrase_places": verb_places,
        "compound_precision": round(compounds_right / compounds_read, 3)
        if compounds_read
        else None,
        "compound_recall": round(compounds_right / compounds_wanted, 3)
        if compounds_wanted
        else None,
    }


def timing() -> dict[str, float]:
    """Per-message ms of locate() and of normalise() alone, least of three runs each."""
    texts = [text for text, _, _ in PLACE_SET]
    located: list[float] = []
    bare: list[float] = []
    for text in texts:
        best_locate = best_bare = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            locate(text)
            best_locate = min(best_locate, time.perf_counter() - started)
            started = time.perf_counter()
            normalise(text)
            best_bare = min(best_bare, time.perf_counter() - started)
        located.append(best_locate * 1000)
        bare.append(best_bare * 1000)
    return {
        "locate_p50_ms": round(percentile(located, 50), 3),
        "locate_p99_ms": round(percentile(located, 99), 3),
        "normalise_p99_ms": round(percentile(bare, 99), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list the tuned part's misses")
    args = parser.parse_args()
    tuned = [row for index, row in enumerate(PLACE_SET) if not held_out(index)]
    kept = [row for index, row in enumerate(PLACE_SET) if held_out(index)]
    results: dict[str, Any] = {
        "tuned": score(tuned, args.misses),
        "held_out": score(kept, False),
        "compound_set": score(list(COMPOUND_SET), False),
        "timing": timing(),
    }
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for part in ("tuned", "held_out", "compound_set"):
        figures = results[part]
        fields = "  ".join(f"{field} {share:.3f}" for field, share in figures["fields"].items())
        print(
            f"{part:9s} messages {figures['messages']:3d}: exact {figures['exact']:.3f}  "
            f"kept {figures['kept']:.3f}  verb-phrase places {figures['verb_phrase_places']}"
        )
        print(f"    fields: {fields}")
        print(
            f"    compounds: precision {figures['compound_precision']}  "
            f"recall {figures['compound_recall']}"
        )
    t = results["timing"]
    print(
        f"locate() p50 {t['locate_p50_ms']:.3f} ms  p99 {t['locate_p99_ms']:.3f} ms "
        f"(normalise() alone p99 {t['normalise_p99_ms']:.4f} ms)"
    )


if __name__ == "__main__":
    main()
