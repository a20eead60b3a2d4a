"""Staff accounts from the command line: ``jiesu users add | list | token | passwd``.

``jiesu users add admin --role admin`` creates the first admin (the password is asked twice, or
read from standard input with ``--password-stdin``). Every change is an audit event (via cli).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any

from config.settings import Settings
from handlers.clock import SystemClock


class CliError(Exception):
    pass


def read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("新密码 (password): ")
    if getpass.getpass("再输入一次 (again): ") != first:
        raise CliError("the two passwords differ")
    return first


def cli_actor() -> Any:
    import os

    from handlers.staff.audit import StaffActor

    return StaffActor(None, f"cli:{os.environ.get('USER', 'unknown')}", "admin", via="cli")


async def _add(settings: Settings, args: argparse.Namespace, password: str) -> str:
    from bot.cli.workers import find_worker
    from handlers.staff.accounts import create_user
    from handlers.staff.audit import audit
    from models import Unit
    from models.database import migrate, orm

    now = SystemClock().now()
    await migrate(settings.database_url)  # the first admin may come before the first start
    async with orm(settings.database_url):
        unit_id = None
        if args.unit:
            unit = await Unit.get_or_none(code=args.unit)
            if unit is None:
                raise CliError(f"no unit with code {args.unit!r}")
            unit_id = unit.id
        worker_id = None
        if args.worker:
            worker_id = (await find_worker(args.worker)).id
        user = await create_user(
            args.username,
            args.role,
            password,
            now,
            display_name=args.name or "",
            unit_id=unit_id,
            worker_id=worker_id,
        )
        await audit(
            cli_actor(),
            "user.create",
            now,
            target_type="user",
            target_id=user.id,
            detail={"username": user.username, "role": str(user.role)},
        )
        return str(user.username)


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.staff.accounts import AccountError

    try:
        name = asyncio.run(_add(settings, args, read_password(args)))
    except (AccountError, CliError, LookupError) as exc:
        sys.stderr.write(f"jiesu: {exc}\n")
        return 2
    sys.stdout.write(f"jiesu: created {args.role} account {name}\n")
    return 0


async def _list(settings: Settings) -> list[dict[str, Any]]:
    from models import StaffUser, Unit
    from models.database import migrate, orm

    await migrate(settings.database_url)  # the first admin may come before the first start
    async with orm(settings.database_url):
        units = {u.id: u.name for u in await Unit.all()}
        return [
            {
                "username": u.username,
                "name": u.display_name,
                "role": str(u.role),
                "unit": units.get(u.unit_id) if u.unit_id else None,
                "active": u.active,
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in await StaffUser.all().order_by("id")
        ]


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = asyncio.run(_list(settings))
    if args.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    for row in rows:
        sys.stdout.write(
            f"{row['username']}  {row['role']}  {row['unit'] or '-'}"
            + ("" if row["active"] else "  (inactive)")
            + "\n"
        )
    if not rows:
        sys.stdout.write(
            "no staff accounts yet; create one with: jiesu users add NAME --role admin\n"
        )
    return 0


async def _token(settings: Settings, username: str, label: str) -> str:
    from handlers.staff.accounts import issue_api_token
    from handlers.staff.audit import audit
    from models import StaffUser
    from models.database import migrate, orm

    now = SystemClock().now()
    await migrate(settings.database_url)  # the first admin may come before the first start
    async with orm(settings.database_url):
        user = await StaffUser.get_or_none(username=username.strip().lower(), active=True)
        if user is None:
            raise CliError(f"no active staff account {username!r}; see `jiesu users list`")
        token = await issue_api_token(user, now, label)
        await audit(
            cli_actor(),
            "token.issue",
            now,
            target_type="user",
            target_id=user.id,
            detail={"label": label},
        )
        return token


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    try:
        token = asyncio.run(_token(settings, args.username, args.label))
    except CliError as exc:
        sys.stderr.write(f"jiesu: {exc}\n")
        return 2
    sys.stdout.write(token + "\n")
    sys.stderr.write("jiesu: shown once; send it as 'Authorization: Bearer <token>'\n")
    return 0


async def _passwd(settings: Settings, username: str, password: str) -> None:
    from handlers.staff.accounts import set_password
    from handlers.staff.audit import audit
    from models import StaffUser
    from models.database import migrate, orm

    now = SystemClock().now()
    await migrate(settings.database_url)  # the first admin may come before the first start
    async with orm(settings.database_url):
        user = await StaffUser.get_or_none(username=username.strip().lower())
        if user is None:
            raise CliError(f"no staff account {username!r}")
        await set_password(user, password)
        await audit(cli_actor(), "user.password", now, target_type="user", target_id=user.id)


def cmd_passwd(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.staff.accounts import AccountError

    try:
        asyncio.run(_passwd(settings, args.username, read_password(args)))
    except (AccountError, CliError) as exc:
        sys.stderr.write(f"jiesu: {exc}\n")
        return 2
    sys.stdout.write("jiesu: password changed\n")
    return 0


def add_parser(commands: Any) -> None:
    from models import StaffRole

    users = commands.add_parser("users", help="staff accounts for the dashboard and admin API")
    sub = users.add_subparsers(dest="users_command", required=True)

    add = sub.add_parser("add", help="create a staff account (the first one: --role admin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    add.add_argument("--name", default="", help="the name people see")
    add.add_argument("--unit", default=None, help="unit code, for unit and supervisor accounts")
    add.add_argument("--worker", default=None, help="the worker (id, WeCom userid or name)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=cmd_add)

    listing = sub.add_parser("list", help="staff accounts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)

    token = sub.add_parser("token", help="a new API token for an account (printed once)")
    token.add_argument("username")
    token.add_argument("--label", default="")
    token.set_defaults(func=cmd_token)

    passwd = sub.add_parser("passwd", help="set an account's password")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_passwd)
