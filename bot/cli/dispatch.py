"""Dispatcher commands: ``jiesu hot`` (hot issues), ``jiesu retopic`` (their topic words brought up
to date), ``jiesu recategorise`` (改类), ``jiesu assign`` (派单/改派)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from typing import Any

from config.settings import Settings
from handlers.clock import SystemClock, format_local


async def _hot(settings: Settings, args: argparse.Namespace) -> list[dict[str, Any]]:
    from handlers.hot.ranking import hot_issues
    from models.database import orm

    until = SystemClock().now()
    async with orm(settings.database_url):
        issues = await hot_issues(
            until - timedelta(days=args.days),
            until,
            limit=args.limit,
            min_residents=args.min_residents,
            category_prefix=args.category,
        )
    return [issue.as_dict() for issue in issues]


def cmd_hot(args: argparse.Namespace, settings: Settings) -> int:
    issues = asyncio.run(_hot(settings, args))
    if args.json:
        sys.stdout.write(json.dumps(issues, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not issues:
        sys.stdout.write(f"no hot issues in the last {args.days} days\n")
        return 0
    for rank, issue in enumerate(issues, 1):
        sys.stdout.write(
            f"{rank}. {issue['title']}  [{issue['category']}]  {issue['place'] or '-'}\n"
            f"   heat {issue['heat']}: residents {issue['residents']}, cases {issue['cases']} "
            f"(open {issue['open_cases']}), words {' '.join(issue['topic_words'])}\n"
            f"   {' '.join(issue['numbers'])}\n"
        )
    return 0


async def _retopic(settings: Settings, args: argparse.Namespace) -> str:
    from handlers.hot.retopic import retopic
    from models.database import orm

    since = SystemClock().now() - timedelta(days=args.days) if args.days else None
    async with orm(settings.database_url):
        result = await retopic(since)
    return f"read {result.read} cases, brought the topic words of {result.changed} up to date"


def cmd_retopic(args: argparse.Namespace, settings: Settings) -> int:
    if args.days is not None and args.days <= 0:
        sys.stderr.write("jiesu retopic: --days must be a positive number of days\n")
        return 2
    sys.stdout.write(asyncio.run(_retopic(settings, args)) + "\n")
    return 0


async def _recategorise(settings: Settings, args: argparse.Namespace) -> str:
    from handlers.timeline import Actor
    from handlers.workflow.recategorise import recategorise
    from models import Case
    from models.database import orm

    async with orm(settings.database_url):
        case = await Case.get_or_none(number=args.number)
        if case is None:
            raise LookupError(f"no case numbered {args.number}")
        ctx = await handler_context(settings)
        result = await recategorise(case, args.category, Actor("staff", args.by), ctx, args.reason)
    if result.old == result.new:
        return f"{case.number} is already {result.new}; nothing changed"
    line = f"{case.number}: {result.old} -> {result.new} ({format_local(ctx.now)})"
    if result.rerouted_to:
        line += f"; routed to {result.rerouted_to}"
    return line


def cmd_recategorise(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.workflow.recategorise import UnknownCategory
    from models import IllegalTransition

    try:
        line = asyncio.run(_recategorise(settings, args))
    except (LookupError, UnknownCategory, IllegalTransition) as error:
        sys.stderr.write(f"jiesu recategorise: {error}\n")
        return 2
    sys.stdout.write(line + "\n")
    return 0


async def handler_context(settings: Settings) -> Any:
    from handlers.context import HandlerContext
    from handlers.district.gazetteer import load_gazetteer
    from handlers.workflow.routing import load_routing_table
    from handlers.workflow.sla_table import load_sla_table

    return HandlerContext(
        now=SystemClock().now(),
        settings=settings,
        gazetteer=await load_gazetteer(),
        routing=await load_routing_table(),
        sla=await load_sla_table(),
    )


async def _assign(settings: Settings, args: argparse.Namespace) -> str:
    from handlers.timeline import Actor
    from handlers.workflow.assign import assign, find_target
    from models import Case
    from models.database import orm

    async with orm(settings.database_url):
        case = await Case.get_or_none(number=args.number)
        if case is None:
            raise LookupError(f"no case numbered {args.number}")
        target = await find_target(args.unit, args.worker)
        ctx = await handler_context(settings)
        await assign(case, target, Actor("staff", args.by), args.reason, ctx)
    who = target.unit.name + (f" / {target.worker.name}" if target.worker else "")
    return f"{case.number}: {case.status.label}, with {who}"


def cmd_assign(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.workflow.assign import CannotAssign
    from models import IllegalTransition

    try:
        line = asyncio.run(_assign(settings, args))
    except (LookupError, CannotAssign, IllegalTransition) as error:
        sys.stderr.write(f"jiesu assign: {error}\n")
        return 2
    sys.stdout.write(line + "\n")
    return 0


def add_parser(commands: Any) -> None:
    hot = commands.add_parser("hot", help="hot issues: many residents about one place and problem")
    hot.add_argument("--days", type=int, default=30, help="look back this many days (default 30)")
    hot.add_argument("--limit", type=int, default=10)
    hot.add_argument("--min-residents", type=int, default=2)
    hot.add_argument("--category", default=None, help="only categories starting with this")
    hot.add_argument("--json", action="store_true", help="a JSON array")
    hot.set_defaults(func=cmd_hot)

    again = commands.add_parser(
        "retopic",
        help="work out again the topic words stored with cases (after the topic rules change)",
    )
    again.add_argument(
        "--days", type=int, default=None, help="only cases of the last N days (default: all)"
    )
    again.set_defaults(func=cmd_retopic)

    change = commands.add_parser(
        "recategorise", help="correct a case's category (kept as a training example)"
    )
    change.add_argument("number", help="the case number")
    change.add_argument("category", help="a taxonomy path, e.g. 城乡建设/物业管理")
    change.add_argument("--by", required=True, help="who corrects it (staff name or id)")
    change.add_argument("--reason", default="", help="why, for the timeline")
    change.set_defaults(func=cmd_recategorise)

    send = commands.add_parser(
        "assign", help="send a queued case to a unit (派单) or move it (改派)"
    )
    send.add_argument("number", help="the case number")
    send.add_argument("unit", help="the unit's code, e.g. ST-WJC")
    send.add_argument("--worker", default=None, help="a worker of that unit, by name")
    send.add_argument("--by", required=True, help="who dispatches (staff name or id)")
    send.add_argument("--reason", default="", help="why; required to move a dispatched case")
    send.set_defaults(func=cmd_assign)
