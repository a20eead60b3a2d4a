"""A resident's personal data from the command line: ``jiesu residents export | erase OPENID``.

``export`` prints everything stored about the resident as JSON (or writes it to ``--out``);
``erase`` removes it, cases staying anonymised (``handlers.residents.personal_data``), after a
confirmation unless ``--yes``. Both are audit events (via cli); the exit status is 2 when nothing
is stored about the openid (``erase`` then changes nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.users import cli_actor
from config.settings import Settings
from handlers.clock import SystemClock


async def _export(settings: Settings, openid: str) -> dict[str, Any] | None:
    from handlers.residents.personal_data import NoSuchResident, export_resident
    from models.database import orm

    async with orm(settings.database_url):
        try:
            return await export_resident(openid, cli_actor(), SystemClock().now())
        except NoSuchResident:
            return None


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    data = asyncio.run(_export(settings, args.openid))
    if data is None:
        sys.stderr.write("jiesu: nothing is stored about this openid\n")
        return 2
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        sys.stderr.write(f"jiesu: wrote {args.out}\n")
    else:
        sys.stdout.write(text)
    return 0


async def _erase(settings: Settings, openid: str, reason: str) -> dict[str, Any]:
    from handlers.residents.media_store import LocalMediaStore
    from handlers.residents.personal_data import erase_resident
    from models.database import orm

    store = LocalMediaStore(settings.upload_dir)
    async with orm(settings.database_url):
        done = await erase_resident(openid, reason, cli_actor(), SystemClock().now(), store)
        return done.as_dict()


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        sys.stderr.write("将删除该居民的个人信息（诉求保留并匿名化），不可恢复。输入 yes 确认：")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() != "yes":
            sys.stderr.write("jiesu: not erased\n")
            return 1
    done = asyncio.run(_erase(settings, args.openid, args.reason))
    if not done["found"]:
        sys.stderr.write("jiesu: nothing is stored about this openid (nothing changed)\n")
        return 2
    sys.stdout.write(
        f"jiesu: erased resident {done['resident_id']}: {done['cases']} cases anonymised, "
        f"{done['photos']} photos removed, {done['messages']} messages cleared\n"
    )
    return 0


def add_parser(commands: Any) -> None:
    residents = commands.add_parser(
        "residents", help="a resident's personal data: export or erase (个人信息保护法)"
    )
    sub = residents.add_subparsers(dest="residents_command", required=True)
    export = sub.add_parser("export", help="print everything stored about a resident as JSON")
    export.add_argument("openid")
    export.add_argument("--out", help="write the JSON to this file instead")
    export.set_defaults(func=cmd_export)
    erase = sub.add_parser("erase", help="erase a resident's personal data; cases stay")
    erase.add_argument("openid")
    erase.add_argument("--reason", required=True, help="why (the request and its date)")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(func=cmd_erase)
