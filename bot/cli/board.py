"""A message board's messages from the command line: ``jiesu board import FILE.csv``.

The file is the board's export (UTF-8, with or without BOM): columns 留言编号, 留言用户, 留言主题,
留言详情, 点赞数, 反对数 (or ref, user, title, text, up, down); other columns are ignored.
Each new message becomes a case through intake, one brought before has its votes updated
(``handlers.intake.board``). Prints the counts; with ``--json`` the case numbers. Audited.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from pathlib import Path
from typing import Any

from config.settings import Settings


def read_file(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


async def _import(settings: Settings, rows: list[dict[str, str]]) -> dict[str, list[str]]:
    from bot.cli.dispatch import handler_context
    from bot.cli.users import cli_actor
    from handlers.intake.board import import_messages, read_messages
    from handlers.staff.audit import audit
    from models.database import orm

    messages = read_messages(rows, settings.message_max_chars)
    async with orm(settings.database_url):
        ctx = await handler_context(settings)
        done = await import_messages(messages, ctx)
        await audit(
            cli_actor(),
            "board.import",
            ctx.now,
            target_type="board",
            detail={"messages": len(messages), "created": len(done.created)},
        )
    return done.as_dict()


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.intake.board import BoardProblem

    try:
        rows = read_file(Path(args.file))
        done = asyncio.run(_import(settings, rows))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        sys.stderr.write(f"jiesu board import: cannot read {args.file}: {error}\n")
        return 2
    except BoardProblem as problem:
        sys.stderr.write("jiesu board import: nothing imported\n")
        for line in problem.problems:
            sys.stderr.write(f"  {line}\n")
        return 2
    if args.json:
        sys.stdout.write(json.dumps(done, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(
            f"created {len(done['created'])} cases, updated the votes of {len(done['updated'])}, "
            f"{len(done['unchanged'])} unchanged\n"
        )
    return 0


def add_parser(commands: Any) -> None:
    board = commands.add_parser("board", help="a public message board's messages and votes")
    actions = board.add_subparsers(dest="board_command", required=True)
    bring = actions.add_parser("import", help="bring in the board's export (CSV)")
    bring.add_argument("file", help="the board's export: 留言编号,留言用户,留言主题,留言详情,…")
    bring.add_argument("--json", action="store_true", help="the case numbers as JSON")
    bring.set_defaults(func=cmd_import)
