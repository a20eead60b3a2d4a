"""How well :func:`nlu.sameness.compare` reads a conversation's next message.

Run from the repository: ``python benchmarks/sameness.py [--show-wrong] [--json]``.

On the pairs of ``benchmarks/conversation_pairs.py`` (written for jiesu, not from any data
set), read with the demo district's gazetteer and the built-in category scorer, it prints for
the tuning part and the held-out third apart, and for each group:

- **right**: the verdict is one the pair accepts (``same`` for (a), ``different`` for (b)/(c);
  a few ambiguous (a) pairs also accept ``unclear``);
- **safe**: for (b)/(c), ``different`` or ``unclear`` (the resident is asked: no wrong merge,
  but a tap); for (a), ``same`` or ``unclear`` (no wrong split);
- **asked**: how many got ``unclear``;
- **wrong same** on (b)/(c): two problems silently merged, the worst error, counted apart;
- **wrong different** on (a): one report split into two cases.

Then the time of ``compare`` beyond :func:`nlu.understand` (both readings given), per pair.
It exits 0 whatever the result.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.conversation_pairs import PAIRS, ConversationPair, held_out  # noqa: E402
from config.demo_district import DISTRICT, FILES  # noqa: E402
from handlers.district.files import files_in, read_files  # noqa: E402
from nlu import Gazetteer, GazetteerEntry, understand, warm_up  # noqa: E402
from nlu.sameness import Sameness, compare  # noqa: E402

GROUPS = {"a": "same matter", "b": "other problem, same place", "c": "other problem, other place"}


def demo_gazetteer() -> Gazetteer:
    """The demo district's names, as the service would load them (no database needed)."""
    entries = [
        GazetteerEntry(
            grid_code=grid.code,
            grid_name=grid.name,
            street=grid.street,
            names=(*grid.compounds, *grid.aliases),
        )
        for grid in read_files(files_in([FILES])).grids
    ]
    return Gazetteer(entries, district=DISTRICT)


def tally(results: list[tuple[ConversationPair, Sameness]]) -> dict[str, dict[str, object]]:
    figures: dict[str, dict[str, object]] = {}
    for group in (*GROUPS, "all"):
        chosen = [(p, s) for p, s in results if group in ("all", p.group)]
        if not chosen:
            continue
        right = sum(s.verdict in p.acceptable for p, s in chosen)
        asked = sum(s.verdict == "unclear" for _, s in chosen)
        wrong_same = sum(p.group != "a" and s.verdict == "same" for p, s in chosen)
        wrong_split = sum(p.group == "a" and s.verdict == "different" for p, s in chosen)
        figures[group] = {
            "pairs": len(chosen),
            "right": round(right / len(chosen), 3),
            "safe": round((len(chosen) - wrong_same - wrong_split) / len(chosen), 3),
            "asked": asked,
            "wrong_same": wrong_same,
            "wrong_different": wrong_split,
        }
    return figures


def timing(gazetteer: Gazetteer) -> dict[str, float]:
    """Microseconds of compare() per pair with both readings given (the least of 5 runs)."""
    costs = []
    for pair in PAIRS:
        first = understand(pair.earlier, gazetteer=gazetteer)
        then = understand(pair.later, gazetteer=gazetteer)
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            compare(pair.earlier, pair.later, earlier_reading=first, later_reading=then)
            best = min(best, time.perf_counter() - started)
        costs.append(best * 1e6)
    costs.sort()
    return {
        "p50_us": round(statistics.median(costs), 1),
        "p99_us": round(costs[int(len(costs) * 0.99) - 1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-wrong", action="store_true", help="list the tuning part's misses")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    warm_up()
    flags = held_out(PAIRS)
    gazetteer = demo_gazetteer()
    results = [(pair, compare(pair.earlier, pair.later, gazetteer=gazetteer)) for pair in PAIRS]
    parts = {
        "tuning": tally([r for r, out in zip(results, flags, strict=True) if not out]),
        "held_out": tally([r for r, out in zip(results, flags, strict=True) if out]),
        "all": tally(results),
    }
    figures: dict[str, object] = {**parts, "compare_beyond_understand": timing(gazetteer)}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for name, part in parts.items():
        print(f"{name}:")
        for group, row in part.items():
            label = GROUPS.get(group, "overall")
            print(
                f"  ({group}) {label:<27} n={row['pairs']:<3} right {row['right']:.3f}  "
                f"safe {row['safe']:.3f}  asked {row['asked']:<2} "
                f"WRONG SAME {row['wrong_same']}  wrong different {row['wrong_different']}"
            )
    print(
        "compare() beyond understand(): {p50_us} us p50, {p99_us} us p99".format(
            **figures["compare_beyond_understand"]  # type: ignore[arg-type]
        )
    )
    if args.show_wrong:
        for (pair, result), out in zip(results, flags, strict=True):
            if not out and result.verdict not in pair.acceptable:
                print(
                    f"  ({pair.group}) {result.verdict:<9} {result.score:.2f} {result.reason}: "
                    f"{pair.earlier} -> {pair.later}"
                )


if __name__ == "__main__":
    main()
