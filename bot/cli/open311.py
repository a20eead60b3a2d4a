"""Open311 clients from the command line: ``jiesu open311 add | list | revoke``.

``jiesu open311 add NAME`` prints the new client's api_key once (only its SHA-256 is stored);
``revoke`` stops the key at once, and the client's requests and cases stay. Every change is an
audit event, like the staff commands'.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from config.settings import Settings
from handlers.clock import SystemClock


async def _add(settings: Settings, name: str) -> str:
    from bot.cli.users import cli_actor
    from handlers.open311.clients import create_client
    from handlers.staff.audit import audit
    from models.database import migrate, orm

    now = SystemClock().now()
    await migrate(settings.database_url)  # a client may be set up before the first start
    async with orm(settings.database_url):
        client, key = await create_client(name, now)
        await audit(
            cli_actor(),
            "open311.client.create",
            now,
            target_type="open311_client",
            target_id=client.id,
            detail={"name": client.name},
        )
        return key


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.open311.clients import ClientError

    try:
        key = asyncio.run(_add(settings, args.name))
    except ClientError as error:
        sys.stderr.write(f"jiesu open311 add: {error}\n")
        return 2
    sys.stdout.write(key + "\n")
    sys.stderr.write(
        f"api_key for the Open311 client {args.name.strip()}; it is shown only now, keep it "
        "safe.\nThe client sends it as the api_key field of POST /open311/v2/requests.json\n"
    )
    return 0


async def _list(settings: Settings) -> list[dict[str, Any]]:
    from handlers.open311.clients import client_summaries
    from models.database import migrate, orm

    await migrate(settings.database_url)
    async with orm(settings.database_url):
        return await client_summaries()


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = asyncio.run(_list(settings))
    if args.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    for row in rows:
        used = row["last_used_at"] or "never used"
        sys.stdout.write(
            f"{row['name']}  requests {row['requests']}  last used {used}"
            + ("" if row["active"] else "  (revoked)")
            + "\n"
        )
    if not rows:
        sys.stdout.write("no Open311 clients yet; add one with: jiesu open311 add NAME\n")
    return 0


async def _revoke(settings: Settings, name: str) -> bool:
    """Revoke the client; whether it was active until now."""
    from bot.cli.users import cli_actor
    from handlers.open311.clients import revoke_client
    from handlers.staff.audit import audit
    from models.database import migrate, orm

    now = SystemClock().now()
    await migrate(settings.database_url)
    async with orm(settings.database_url):
        client, was_active = await revoke_client(name)
        if was_active:
            await audit(
                cli_actor(),
                "open311.client.revoke",
                now,
                target_type="open311_client",
                target_id=client.id,
                detail={"name": client.name},
            )
        return was_active


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.open311.clients import ClientError

    try:
        was_active = asyncio.run(_revoke(settings, args.name))
    except ClientError as error:
        sys.stderr.write(f"jiesu open311 revoke: {error}\n")
        return 2
    name = args.name.strip()
    sys.stdout.write(
        f"revoked the Open311 client {name}\n" if was_active else f"{name} was already revoked\n"
    )
    return 0


def add_parser(commands: Any) -> None:
    open311 = commands.add_parser("open311", help="Open311 GeoReport v2 clients and their keys")
    actions = open311.add_subparsers(dest="open311_command", required=True)

    add = actions.add_parser("add", help="a new client; its api_key is printed once")
    add.add_argument("name", help="who the client is, e.g. fixmystreet")
    add.set_defaults(func=cmd_add)

    listing = actions.add_parser("list", help="the clients, with their use")
    listing.add_argument("--json", action="store_true", help="a JSON array")
    listing.set_defaults(func=cmd_list)

    revoke = actions.add_parser("revoke", help="stop a client's api_key from working")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_revoke)
