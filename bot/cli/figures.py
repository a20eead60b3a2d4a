"""``jiesu figures close-month [YYYY-MM] [--recompute]``: freeze a month's figures.

Without a month, the previous month (Shanghai time). Closing a month already closed is refused;
``--recompute`` (the command line is an admin's) replaces its stored figures. Both are audit
events (``figures.close_month``, ``figures.recompute_month``, via cli).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from config.settings import Settings
from handlers.clock import SystemClock, local


async def _close(settings: Settings, period: str | None, recompute: bool) -> str:
    from bot.cli.users import cli_actor
    from handlers.figures.ranking import previous_month
    from handlers.figures.snapshots import close_month
    from models.database import migrate, orm

    now = SystemClock().now()
    month = period or previous_month(local(now).date())
    await migrate(settings.database_url)
    async with orm(settings.database_url):
        closed = await close_month(month, now, cli_actor(), recompute=recompute)
    verb = "recomputed" if closed.recomputed else "closed"
    return f"jiesu: {verb} {closed.period}: district and {closed.units} unit(s)\n"


def cmd_close_month(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.figures.filters import FigureFilterError
    from handlers.figures.snapshots import SnapshotError

    try:
        message = asyncio.run(_close(settings, args.month, args.recompute))
    except (SnapshotError, FigureFilterError) as exc:
        sys.stderr.write(f"jiesu: {exc}\n")
        return 2
    sys.stdout.write(message)
    return 0


def add_parser(commands: Any) -> None:
    figures = commands.add_parser("figures", help="the figures: close a month")
    actions = figures.add_subparsers(dest="action", required=True)
    close = actions.add_parser(
        "close-month", help="freeze a month's figures and ranking (default: the previous month)"
    )
    close.add_argument("month", nargs="?", default=None, help="YYYY-MM")
    close.add_argument(
        "--recompute", action="store_true", help="replace the stored figures of a closed month"
    )
    close.set_defaults(func=cmd_close_month)
