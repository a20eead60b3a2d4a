"""Duplicate detection: merges on the test corpus, and the cost of a check among many open cases.

Run from the repository:
``python benchmarks/duplicates.py [--open-cases 5000] [--corpus-only] [--json]``.

1. The corpus of ``tests/handlers/intake/duplicate_corpus.py`` (repeats and look-alikes written for
   the demo district) is reported into a fresh SQLite database: prints repeats found, recall and
   false merges (the target is 0 false merges and most repeats found). The same for the
   paraphrase set of ``tests/handlers/intake/duplicate_paraphrases.py`` (one problem at one
   place in other words, which must join; other problems at the very same place, which must
   not), in a database of its own.
2. ``--open-cases`` open cases are spread over the demo district's places; then new messages are
   reported and the time of the duplicate check alone (``find_original``) is measured against
   the time of the whole ``report_case`` (a ratio, since these machines are shared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.databases import bench_database  # noqa: E402
from benchmarks.seeding import demo_district  # noqa: E402
from config.settings import Settings  # noqa: E402
from handlers.context import HandlerContext  # noqa: E402
from handlers.district.gazetteer import load_gazetteer  # noqa: E402
from handlers.intake import duplicates  # noqa: E402
from handlers.intake.report import report_case  # noqa: E402
from handlers.workflow.routing import load_routing_table  # noqa: E402
from models import Case, CaseStatus, Resident  # noqa: E402
from tests.handlers.intake.duplicate_corpus import (  # noqa: E402
    LOOKALIKES,
    REPEATS,
    Pair,
    run_corpus,
)
from tests.handlers.intake.duplicate_paraphrases import (  # noqa: E402
    ONE_PLACE_OTHERS,
    PARAPHRASES,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PLACES = ["国权路小区", "复旦第九宿舍", "开鲁新村", "市光一村", "凤城新村", "创智坊", "政通路"]
PROBLEMS = [
    "{n}号楼楼道灯坏了",
    "{n}号楼垃圾箱房没人清运",
    "{n}号楼电梯故障停运",
    "{n}号楼顶楼漏水",
    "{n}号楼门口共享单车乱停",
    "{n}号楼楼下餐馆油烟扰民",
]


async def context(now: datetime) -> HandlerContext:
    return HandlerContext(
        now=now,
        settings=Settings(),
        gazetteer=await load_gazetteer(),
        routing=await load_routing_table(),
    )


async def corpus(
    url: str, repeats: tuple[Pair, ...], lookalikes: tuple[Pair, ...]
) -> dict[str, object]:
    async with demo_district(url):
        result = await run_corpus(await context(NOW), repeats, lookalikes)
    return {
        "repeats": result.repeats,
        "found": result.found,
        "recall": round(result.recall, 3),
        "false_merges": len(result.false_merges),
        "false_merge_texts": result.false_merges,
        "missed": result.missed,
    }


async def load(url: str, open_cases: int, probes: int) -> dict[str, object]:
    async with demo_district(url):
        ctx = await context(NOW)
        rows = [
            Case(
                number=f"26112{index:05d}",
                status=CaseStatus.DISPATCHED,
                category="城乡建设/物业管理",
                text=f"{PLACES[index % len(PLACES)]}"
                + PROBLEMS[index % len(PROBLEMS)].format(n=index % 97),
                compound=PLACES[index % len(PLACES)],
                address=f"{index % 97}号楼",
                created_at=NOW - timedelta(hours=index % 300),
            )
            for index in range(open_cases)
        ]
        await Case.bulk_create(rows, batch_size=1000)
        check_ms: list[float] = []
        report_ms: list[float] = []
        for index in range(probes):
            text = f"{PLACES[index % len(PLACES)]}{200 + index}号楼楼道里堆满杂物，消防通道堵了"
            resident = await Resident.create(openid=f"o-bench-{index}")
            probe = duplicates.Probe(
                resident_id=resident.id,
                category="城乡建设/物业管理",
                text=text,
                place_text=None,
                street=None,
                compound=PLACES[index % len(PLACES)],
                address=f"{200 + index}号楼",
                grid_id=None,
                lng=None,
                lat=None,
            )
            started = time.perf_counter()
            await duplicates.find_original(probe, ctx.now)
            check_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await report_case(resident, text, ctx)
            report_ms.append((time.perf_counter() - started) * 1000)
    check = statistics.median(check_ms)
    whole = statistics.median(report_ms)
    return {
        "open_cases": open_cases,
        "check_ms_p50": round(check, 2),
        "report_ms_p50": round(whole, 2),
        "check_share_of_report": round(check / whole, 3) if whole else None,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open-cases", type=int, default=5000)
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--corpus-only", action="store_true", help="skip the timing part")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, dict[str, object]] = {}
    with bench_database("sqlite") as (url, _):
        figures["corpus"] = await corpus(url, REPEATS, LOOKALIKES)
    with bench_database("sqlite") as (url, _):
        figures["paraphrases"] = await corpus(url, PARAPHRASES, ONE_PLACE_OTHERS)
    if not args.corpus_only:
        with bench_database("sqlite") as (url, _):
            figures["load"] = await load(url, args.open_cases, args.probes)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for name in ("corpus", "paraphrases"):
        found = figures[name]
        print(
            f"{name}: repeats found {found['found']}/{found['repeats']} "
            f"(recall {found['recall']}), false merges {found['false_merges']}"
        )
        for text in found["missed"]:  # type: ignore[attr-defined]
            print(f"  missed: {text}")
        for text in found["false_merge_texts"]:  # type: ignore[attr-defined]
            print(f"  FALSE MERGE: {text}")
    if "load" not in figures:
        return
    cost = figures["load"]
    print(
        f"with {cost['open_cases']} open cases: duplicate check p50 {cost['check_ms_p50']} ms, "
        f"whole report p50 {cost['report_ms_p50']} ms "
        f"(check is {cost['check_share_of_report']} of it)"
    )


if __name__ == "__main__":
    asyncio.run(main())
