"""Hot issues: are known issues found, each as one entry, and how long does a ranking take?

Run from the repository: ``python benchmarks/hot_issues.py [--scale 100000] [--backend both]
[--skip-scale] [--skip-quality] [--sets known held ...] [--seed 7] [--json]``.

1. **Known issues.** Each message of ``../shared/data/complaints-dev.csv`` (1,105 real messages,
   each from its own resident) and of the issues we wrote ourselves
   (``benchmarks/hot_issue_set.py``: a subsidy and a fraud with no place, a compound written
   three ways, a compound name of a new pattern, a road, a compound and its buildings, a school,
   a landmark; ``benchmarks/hot_issue_blind.py`` and ``hot_issue_blind2.py``: sets 4 to 7,
   written by helpers who read neither the grouping rules nor, for 6 and 7, the earlier sets,
   and run once before any change made after reading them) is reported through intake
   (``report_case``) at a moment of the last 30 days, in
   a fresh SQLite database with the demo district. For each known issue: its rank, whether it is
   in the top 10 (an entry holding at least half its messages), how many entries its messages
   are split into (goal: 1), and the share of that entry that is the issue (purity).
2. **The messages-with-votes sample** (``../shared/data/messages-with-votes-sample.csv``): the same,
   with the 点赞/反对 of each message stored on its case; the two issues we read in it.
3. **Time** to rank the hot issues of 30 days among ``--scale`` cases (half in the period, half
   in the one before, which the growth compares against), on SQLite and PostgreSQL, against
   the time of reading the same rows' columns with the bare driver (the floor) in the same run:
   five rankings after one to warm up, their median and best.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.databases import bench_database  # noqa: E402
from benchmarks.hot_issue_blind import BLIND_SET_4, BLIND_SET_5  # noqa: E402
from benchmarks.hot_issue_blind2 import BLIND_SET_6, BLIND_SET_7  # noqa: E402
from benchmarks.hot_issue_set import (  # noqa: E402
    HELD_ISSUES,
    KNOWN_ISSUES,
    SEALED_ISSUES,
    VOTES_SAMPLE_ISSUES,
)
from benchmarks.seeding import copy_rows, demo_district, sync_sequences  # noqa: E402
from config.settings import Settings  # noqa: E402
from handlers.context import HandlerContext  # noqa: E402
from handlers.district.gazetteer import load_gazetteer  # noqa: E402
from handlers.hot.issues import HotIssue  # noqa: E402
from handlers.hot.ranking import hot_issues  # noqa: E402
from handlers.intake.report import report_case  # noqa: E402
from handlers.workflow.routing import load_routing_table  # noqa: E402
from models import Resident  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
DAYS = 30


def read_csv(name: str) -> list[dict[str, str]]:
    with (SHARED / name).open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def moments(count: int, rng: random.Random, days: int = DAYS) -> list[datetime]:
    span = days * 86400
    return sorted(NOW - timedelta(seconds=rng.uniform(60, span)) for _ in range(count))


async def report_all(messages: Sequence[tuple[str, str, str, datetime]]) -> dict[str, str]:
    """Each (label, resident, text, at) reported through intake; label -> case number list."""
    gazetteer = await load_gazetteer()
    routing = await load_routing_table()
    settings = Settings()
    numbers: dict[str, str] = {}
    for key, who, text, at in sorted(messages, key=lambda m: m[3]):
        resident, _ = await Resident.get_or_create(openid=who)
        ctx = HandlerContext(now=at, settings=settings, gazetteer=gazetteer, routing=routing)
        report = await report_case(resident, text, ctx)
        numbers[report.case.number] = key
    return numbers


def judge(
    issues: Sequence[HotIssue], labels: dict[str, str], names: Sequence[str]
) -> list[dict[str, Any]]:
    """For each known issue: rank, in top 10, entries split into, purity of its main entry."""
    rows = []
    for name in names:
        own = {number for number, label in labels.items() if label == name}
        holding = [
            (rank, issue, len(own & set(issue.numbers)))
            for rank, issue in enumerate(issues, 1)
            if own & set(issue.numbers)
        ]
        main = max(holding, key=lambda h: h[2], default=None)
        rows.append(
            {
                "issue": name,
                "messages": len(own),
                "rank": main[0] if main else None,
                "top10": bool(main and main[0] <= 10 and main[2] * 2 >= len(own)),
                "entries": len(holding),
                "held": main[2] if main else 0,
                "purity": round(main[2] / main[1].cases, 2) if main else None,
                "heat": main[1].heat if main else None,
                "words": " ".join(main[1].topic_words) if main else "",
            }
        )
    return rows


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "found_in_top10": f"{sum(r['top10'] for r in rows)}/{len(rows)}",
        "one_entry": f"{sum(r['entries'] == 1 for r in rows)}/{len(rows)}",
        "mean_entries": round(statistics.mean(r["entries"] for r in rows), 2),
        # "one entry" counts an issue whose other messages stood alone (no entry) as one: the
        # share of its messages its main entry holds says how much of it was grouped.
        "held_share": round(sum(r["held"] for r in rows) / sum(r["messages"] for r in rows), 2),
        "mostly_held": f"{sum(r['held'] * 5 >= r['messages'] * 4 for r in rows)}/{len(rows)}",
    }


async def known_issues(
    url: str, seed: int, issues: dict[str, list[tuple[str, str]]]
) -> dict[str, Any]:
    rng = random.Random(seed)
    background = read_csv("complaints-dev.csv")
    messages = []
    times = moments(len(background), rng)
    for n, (row, at) in enumerate(zip(background, times, strict=True)):
        messages.append(("", f"bg{n}", f"{row['title']}\n{row['text']}"[:1500], at))
    for name, said in issues.items():
        for (who, text), at in zip(said, moments(len(said), rng), strict=True):
            messages.append((name, f"{name[:4]}-{who}", text, at))
    async with demo_district(url):
        labels = await report_all(messages)
        ranked = await hot_issues(NOW - timedelta(days=DAYS), NOW, limit=200)
    rows = judge(ranked, labels, list(issues))
    top = [
        f"{i.heat:6.1f} {i.residents:3d} {i.place_label or '-'} | {i.title}" for i in ranked[:10]
    ]
    return {"issues": rows, "summary": summary(rows), "top10": top}


async def votes_sample(url: str, seed: int) -> dict[str, Any]:
    """The sample brought in as a message board's export would be (``handlers.intake.board``),
    each message at its own moment of the last 30 days, with its votes."""
    from handlers.intake.board import import_messages, read_messages

    rng = random.Random(seed)
    rows = read_csv("messages-with-votes-sample.csv")
    names = {mid: name for name, ids in VOTES_SAMPLE_ISSUES.items() for mid in ids}
    settings = Settings()
    for row in rows:
        row["留言详情"] = row["留言详情"].strip()[: settings.message_max_chars]
    labels: dict[str, str] = {}
    async with demo_district(url):
        gazetteer, routing = await load_gazetteer(), await load_routing_table()
        messages = read_messages(rows, settings.message_max_chars)
        for message, at in zip(messages, moments(len(messages), rng), strict=True):
            ctx = HandlerContext(now=at, settings=settings, gazetteer=gazetteer, routing=routing)
            (number,) = (await import_messages([message], ctx)).created
            labels[number] = names.get(message.ref, "")
        issues = await hot_issues(NOW - timedelta(days=DAYS), NOW, limit=200)
    judged = judge(issues, labels, list(VOTES_SAMPLE_ISSUES))
    top = [
        f"{i.heat:6.1f} {i.residents:3d} {i.place_label or '-'} | {i.title}" for i in issues[:10]
    ]
    return {"issues": judged, "summary": summary(judged), "top10": top}


# Part 3: time at scale.

COLUMNS = (
    "id",
    "number",
    "resident_id",
    "channel",
    "status",
    "kind",
    "kind_confidence",
    "category",
    "category_confidence",
    "urgency",
    "urgency_reasons",
    "difficult",
    "title",
    "keywords",
    "topic",
    "text",
    "attachments",
    "place_text",
    "street",
    "compound",
    "address",
    "supervised",
    "returned_count",
    "reopened_count",
    "escalation_level",
    "created_at",
    "updated_at",
    "result",
    "result_attachments",
    "version",
)


def scale_rows(count: int, seed: int) -> list[tuple[Any, ...]]:
    """``count`` cases made of the development messages' understandings, at random places of a
    few thousand compounds, over the last 60 days."""
    from handlers.hot.topics import stored_topic
    from nlu import understand

    rng = random.Random(seed)
    models = []
    for row in read_csv("complaints-dev.csv"):
        u = understand(f"{row['title']}\n{row['text']}"[:1500])
        place = {"street": None, "compound": u.place.compound, "address": None, "place_text": None}
        topic = stored_topic(u.keywords, u.title, place)  # as intake stores it
        models.append((u.category, u.title[:64], list(u.keywords), topic, u.place.compound))
    compounds = [
        f"{rng.choice('东西南北新')}{rng.choice('华康安宁和平兴盛')}{n}苑" for n in range(3000)
    ]
    rows = []
    for n in range(count):
        category, title, keywords, topic, compound = rng.choice(models)
        at = NOW - timedelta(seconds=rng.uniform(60, 2 * DAYS * 86400))
        place = compound or (rng.choice(compounds) if rng.random() < 0.6 else None)
        rows.append(
            (
                n + 1,
                f"S{n + 1:09d}",
                None,
                "mp",
                "accepted",
                "complaint",
                0.5,
                category,
                0.5,
                "一般",
                "[]",
                False,
                title,
                json.dumps(keywords, ensure_ascii=False),
                topic,
                "",
                "[]",
                place,
                None,
                place,
                None,
                False,
                0,
                0,
                0,
                at,
                at,
                "",
                "[]",
                0,
            )
        )
    return rows


async def load_postgres(url: str, rows: list[tuple[Any, ...]]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.set_type_codec("json", encoder=str, decoder=json.loads, schema="pg_catalog")
        await copy_rows(conn, "cases", COLUMNS, rows, bulk=True, say=lambda _: None)
        await sync_sequences(conn, ["cases"])
        await conn.execute("ANALYZE cases")
    finally:
        await conn.close()


def load_sqlite(url: str, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" for _ in COLUMNS)
    with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
        conn.executemany(
            f"INSERT INTO cases ({', '.join(COLUMNS)}) VALUES ({marks})",
            [
                tuple(v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in row)
                for row in rows
            ],
        )
        conn.execute("ANALYZE")


BARE = (
    "SELECT id, number, resident_id, duplicate_of_id, category, created_at, status, unit_id, "
    "title, keywords, street, compound, address, place_text, reopened_count, votes_up, "
    "votes_down FROM cases WHERE created_at >= $1 AND created_at < $2 "
    "AND status <> 'cancelled' ORDER BY created_at, id"
)


async def bare_read(url: str, since: datetime, until: datetime) -> int:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            sql = BARE.replace("$1", "?").replace("$2", "?")
            found = conn.execute(sql, (since.isoformat(sep=" "), until.isoformat(sep=" ")))
            return sum(1 for _ in found)
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return len(await conn.fetch(BARE, since, until))
    finally:
        await conn.close()


async def timed_ranking(url: str, backend: str, count: int, seed: int) -> dict[str, Any]:
    from models.database import migrate, orm

    rows = scale_rows(count, seed)
    await migrate(url)
    if backend == "postgres":
        await load_postgres(url, rows)
    else:
        load_sqlite(url, rows)
    since, until = NOW - timedelta(days=DAYS), NOW
    ranking, bare = [], []
    async with orm(url):
        await hot_issues(since, until, limit=20)  # warm (the service has read its tables)
        for _ in range(5):
            started = time.perf_counter()
            issues = await hot_issues(since, until, limit=20)
            ranking.append(time.perf_counter() - started)
            started = time.perf_counter()
            read = await bare_read(url, since - (until - since), until)
            bare.append(time.perf_counter() - started)
    best, floor = min(ranking), min(bare)
    return {
        "backend": backend,
        "cases": count,
        "rows_read": read,
        "ranking_s": round(statistics.median(ranking), 3),
        "ranking_best_s": round(best, 3),
        "bare_read_s": round(floor, 3),
        "ratio_to_bare_read": round(best / floor, 2),
        "issues": len(issues),
    }


def print_quality(title: str, result: dict[str, Any]) -> None:
    print(f"\n## {title}")
    print(f"{'issue':44} msgs rank top10 entries held purity heat   words")
    for r in result["issues"]:
        print(
            f"{r['issue'][:22]:44} {r['messages']:4d} {r['rank'] or '-':>4} {r['top10']!s:5} "
            f"{r['entries']:7d} {r['held']:4d} {r['purity'] or 0:6.2f} {r['heat'] or 0:6.1f} "
            f"{r['words']}"
        )
    print("summary:", result["summary"])
    print("top 10 (heat, residents, place | title):")
    for line in result["top10"]:
        print("  ", line)


# The quality sets: title and issues (the votes sample is read from ../shared).
SETS: dict[str, tuple[str, dict[str, list[tuple[str, str]]]]] = {
    "known": ("Known issues among 1,105 real messages", KNOWN_ISSUES),
    "held": ("Held issues (written later, run once) among them", HELD_ISSUES),
    "sealed": ("Sealed issues (written blind, set 3) among them", SEALED_ISSUES),
    "blind4": ("Blind set 4 (written by a helper who did not read the rules)", BLIND_SET_4),
    "blind5": ("Blind set 5 (written by a helper who did not read the rules)", BLIND_SET_5),
    "blind6": ("Blind set 6 (a second helper, blind to rules and earlier sets)", BLIND_SET_6),
    "blind7": ("Blind set 7 (a second helper, blind to rules and earlier sets)", BLIND_SET_7),
    "votes": ("messages-with-votes sample", {}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--sets", nargs="+", choices=tuple(SETS), default=list(SETS), help="quality sets to run"
    )
    args = parser.parse_args()
    out: dict[str, Any] = {}
    if not args.skip_quality:
        for key in args.sets:
            with bench_database("sqlite") as (url, _):
                if key == "votes":
                    out[key] = asyncio.run(votes_sample(url, args.seed))
                else:
                    out[key] = asyncio.run(known_issues(url, args.seed, SETS[key][1]))
            if not args.json:
                print_quality(SETS[key][0], out[key])
    if not args.skip_scale:
        backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
        out["scale"] = []
        for backend in backends:
            with bench_database(backend) as (url, _):
                result = asyncio.run(timed_ranking(url, backend, args.scale, args.seed))
            out["scale"].append(result)
            if not args.json:
                print(f"\n## time: {json.dumps(result, ensure_ascii=False)}")
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
