"""Worker commands: ``jiesu workers list``, ``token`` (for the worker API) and ``revoke``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from config.settings import Settings
from handlers.clock import SystemClock


class WorkerNotFound(LookupError):
    pass


async def find_worker(who: str) -> Any:
    """A worker by id, WeCom userid or name; a name two workers share must be given as an id."""
    from models import Worker

    if who.isdigit():
        worker = await Worker.get_or_none(id=int(who))
        if worker is not None:
            return worker
    by_userid = await Worker.get_or_none(wecom_userid=who)
    if by_userid is not None:
        return by_userid
    named = await Worker.filter(name=who).order_by("id")
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(str(w.id) for w in named)
        raise WorkerNotFound(f"{len(named)} workers are called {who} (ids {ids}); give the id")
    raise WorkerNotFound(f"no worker {who!r}; see `jiesu workers list`")


async def _list(settings: Settings) -> list[dict[str, Any]]:
    from models import Grid, Unit, Worker, WorkerToken
    from models.database import orm

    rows: list[dict[str, Any]] = []
    async with orm(settings.database_url):
        units = {u.id: u for u in await Unit.all()}
        grids = {g.id: g for g in await Grid.all()}
        for worker in await Worker.all().order_by("id"):
            unit = units.get(worker.unit_id) if worker.unit_id else None
            grid = grids.get(worker.grid_id) if worker.grid_id else None
            rows.append(
                {
                    "id": worker.id,
                    "name": worker.name,
                    "role": worker.role.value,
                    "unit": unit.name if unit else None,
                    "grid": grid.code if grid else None,
                    "wecom_userid": worker.wecom_userid,
                    "active": worker.active,
                    "tokens": await WorkerToken.filter(
                        worker_id=worker.id, revoked_at=None
                    ).count(),
                }
            )
    return rows


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = asyncio.run(_list(settings))
    if args.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    for row in rows:
        sys.stdout.write(
            f"{row['id']:>4}  {row['name']}  {row['role']}  {row['unit'] or '-'}  "
            f"{row['grid'] or '-'}  tokens {row['tokens']}"
            + ("" if row["active"] else "  (inactive)")
            + "\n"
        )
    if not rows:
        sys.stdout.write("no workers yet\n")
    return 0


async def _token(settings: Settings, who: str, label: str) -> tuple[Any, str]:
    from handlers.workflow.actions import issue_token
    from models.database import orm

    async with orm(settings.database_url):
        worker = await find_worker(who)
        if not worker.active:
            raise WorkerNotFound(f"worker {worker.name} (id {worker.id}) is inactive")
        return worker, await issue_token(worker, SystemClock().now(), label)


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    try:
        worker, token = asyncio.run(_token(settings, args.worker, args.label))
    except WorkerNotFound as error:
        sys.stderr.write(f"jiesu workers token: {error}\n")
        return 2
    sys.stderr.write(
        f"token for {worker.name} (id {worker.id}); it is shown only now, keep it safe.\n"
        "Use it as the header  Authorization: Bearer <token>\n"
    )
    sys.stdout.write(token + "\n")
    return 0


async def _revoke(settings: Settings, who: str) -> tuple[Any, int]:
    from handlers.workflow.actions import revoke_tokens
    from models.database import orm

    async with orm(settings.database_url):
        worker = await find_worker(who)
        return worker, await revoke_tokens(worker, SystemClock().now())


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    try:
        worker, count = asyncio.run(_revoke(settings, args.worker))
    except WorkerNotFound as error:
        sys.stderr.write(f"jiesu workers revoke: {error}\n")
        return 2
    sys.stdout.write(f"revoked {count} token(s) of {worker.name} (id {worker.id})\n")
    return 0


def add_parser(commands: Any) -> None:
    workers = commands.add_parser("workers", help="workers and their worker-API tokens")
    actions = workers.add_subparsers(dest="workers_command", required=True)

    listing = actions.add_parser("list", help="print the workers")
    listing.add_argument("--json", action="store_true", help="a JSON array")
    listing.set_defaults(func=cmd_list)

    token = actions.add_parser("token", help="issue a worker-API token (printed once)")
    token.add_argument("worker", help="the worker's id, WeCom userid or name")
    token.add_argument("--label", default="", help="what the token is for, e.g. a phone")
    token.set_defaults(func=cmd_token)

    revoke = actions.add_parser("revoke", help="revoke every token of a worker")
    revoke.add_argument("worker", help="the worker's id, WeCom userid or name")
    revoke.set_defaults(func=cmd_revoke)
