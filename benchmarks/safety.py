"""Life-safety readings: how many reports of danger now are read as urgent with the right hazard,
and how many look-alikes are wrongly read as urgent.

Run from the repository: ``python benchmarks/safety.py [--json] [--misses]``. It reads
``benchmarks/safety_set.py`` (messages written for this check) and prints, for the tuned two
thirds, the held-out third, a set written after the rules (``FRESH_SET``, since tuned on) and
one never tuned on (``UNSEEN_SET``) apart:

- urgent: share of life-safety messages read as 急;
- hazards right: share whose hazards (:func:`nlu.urgency.life_safety`) are exactly the expected;
- false urgent: share of look-alikes (risks, wishes, past or negated events, questions about the
  rules) read as 急, and share given any hazard;
- per hazard: messages with it, share found, and messages wrongly given it.

Targets: urgent >= 0.95, hazards right >= 0.90, false urgent <= 0.05 on both parts. It exits 0
whatever the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.safety_set import FRESH_SET, SAFETY_SET, UNSEEN_SET, held_out  # noqa: E402
from nlu import understand  # noqa: E402
from nlu.urgency import HAZARDS  # noqa: E402


def score(rows: list[tuple[str, tuple[str, ...]]], misses: bool) -> dict[str, Any]:
    dangers = [(text, set(expected)) for text, expected in rows if expected]
    alikes = [text for text, expected in rows if not expected]
    urgent = right = false_urgent = false_hazard = 0
    per_hazard = {code: {"messages": 0, "found": 0, "wrongly_given": 0} for code in HAZARDS}
    for text, expected in dangers:
        reading = understand(text)
        got = set(reading.hazards)
        urgent += reading.urgency == "急"
        right += got == expected
        for code in expected:
            per_hazard[code]["messages"] += 1
            per_hazard[code]["found"] += code in got
        for code in got - expected:
            per_hazard[code]["wrongly_given"] += 1
        if misses and got != expected:
            print(f"  miss: {text[:40]} expected {sorted(expected)} got {sorted(got)}")
    for text in alikes:
        reading = understand(text)
        false_urgent += reading.urgency == "急"
        false_hazard += bool(reading.hazards)
        for code in reading.hazards:
            per_hazard[code]["wrongly_given"] += 1
        if misses and (reading.urgency == "急" or reading.hazards):
            print(f"  false: {text[:40]} {reading.urgency_reasons} {reading.hazards}")
    return {
        "life_safety_messages": len(dangers),
        "urgent": round(urgent / len(dangers), 3),
        "hazards_right": round(right / len(dangers), 3),
        "look_alikes": len(alikes),
        "false_urgent": round(false_urgent / len(alikes), 3),
        "false_hazard": round(false_hazard / len(alikes), 3),
        "per_hazard": {
            code: {
                **counts,
                "found_share": round(counts["found"] / counts["messages"], 3)
                if counts["messages"]
                else None,
            }
            for code, counts in per_hazard.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list the tuned part's misses")
    args = parser.parse_args()
    tuned = [row for index, row in enumerate(SAFETY_SET) if not held_out(index)]
    kept = [row for index, row in enumerate(SAFETY_SET) if held_out(index)]
    results = {
        "tuned": score(tuned, args.misses),
        "held_out": score(kept, False),
        "fresh": score(list(FRESH_SET), False),
        "unseen": score(list(UNSEEN_SET), False),
    }
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for part, figures in results.items():
        print(
            f"{part:9s} life-safety {figures['life_safety_messages']:3d}: "
            f"urgent {figures['urgent']:.3f}  hazards right {figures['hazards_right']:.3f} | "
            f"look-alikes {figures['look_alikes']:3d}: false urgent {figures['false_urgent']:.3f}"
            f"  given a hazard {figures['false_hazard']:.3f}"
        )
        for code, counts in figures["per_hazard"].items():
            print(
                f"    {code:9s} messages {counts['messages']:2d}  found {counts['found']:2d}"
                f"  wrongly given {counts['wrongly_given']:2d}"
            )
    print("targets: urgent >= 0.95, hazards right >= 0.90, false urgent <= 0.05 on both parts")


if __name__ == "__main__":
    main()
