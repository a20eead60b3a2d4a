"""Linking accounts from the command line (audited, via cli):

- ``jiesu workers link WORKER`` and ``jiesu users link USERNAME``: a one-time link, printed
  once: the chat code ("绑定 ABCD2345") and, when WeChat is called, the QR code's image URL.
- ``jiesu workers match-wecom [--apply] [--pick WORKER_ID=USERID ...]``: the WeCom address book
  matched against the workers without a userid. Without ``--apply`` it only prints; with it, the
  proposed matches and the picked ones (how a person settles an ambiguous one) are applied.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from config.settings import Settings
from handlers.clock import SystemClock


class LinkCliError(Exception):
    pass


@asynccontextmanager
async def api_clients(settings: Settings) -> AsyncIterator[tuple[Any, Any]]:
    """The official account's and WeCom's clients, or None where they are not called."""
    import os
    import socket

    import aiohttp

    from bot.wechat.client import AccessTokenStore, WeChatClient
    from bot.wechat.wecom_client import WeComClient

    if settings.outbound_mode != "wechat":
        yield None, None
        return
    timeout = aiohttp.ClientTimeout(total=settings.http_timeout_seconds)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        tokens = AccessTokenStore(SystemClock(), f"{socket.gethostname()}:{os.getpid()}")
        wecom = WeComClient(session, settings, tokens) if settings.wecom_enabled else None
        yield WeChatClient(session, settings, tokens), wecom


async def _link(settings: Settings, kind: str, who: str) -> dict[str, Any]:
    from bot.cli.users import cli_actor
    from bot.cli.workers import WorkerNotFound, find_worker
    from bot.wechat.link_qr import offer_link
    from models import StaffUser
    from models.database import orm

    async with orm(settings.database_url), api_clients(settings) as (client, _):
        if kind == "worker":
            try:
                person = await find_worker(who)
            except WorkerNotFound as error:
                raise LinkCliError(str(error)) from None
        else:
            person = await StaffUser.get_or_none(username=who.strip().lower())
            if person is None:
                raise LinkCliError(f"no staff account {who!r}; see `jiesu users list`")
        if not person.active:
            raise LinkCliError(f"{who} is inactive")
        offer = await offer_link(person, cli_actor(), SystemClock().now(), client, settings)
        return offer.as_json()


def _print_link(link: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(link, ensure_ascii=False, indent=2) + "\n")
        return
    sys.stdout.write(
        f"link for {link['name']} ({link['target']} {link['person_id']}), "
        f"until {link['expires_at']}; shown only now:\n"
        f"  QR code:   {link['qr_image_url'] or '-'}\n"
        f"  chat code: {link['chat_text']}\n"
    )
    if link["note"]:
        sys.stdout.write(f"  note:      {link['note']}\n")


def cmd_link_worker(args: argparse.Namespace, settings: Settings) -> int:
    return _run_link(args, settings, "worker", args.worker)


def cmd_link_user(args: argparse.Namespace, settings: Settings) -> int:
    return _run_link(args, settings, "staff", args.username)


def _run_link(args: argparse.Namespace, settings: Settings, kind: str, who: str) -> int:
    try:
        link = asyncio.run(_link(settings, kind, who))
    except LinkCliError as error:
        sys.stderr.write(f"jiesu: {error}\n")
        return 2
    _print_link(link, args.json)
    return 0


def parse_pick(value: str) -> tuple[int, str]:
    worker, _, userid = value.partition("=")
    if not worker.strip().isdigit() or not userid.strip():
        raise argparse.ArgumentTypeError(f"{value!r}: write WORKER_ID=USERID")
    return int(worker), userid.strip()


async def _match(
    settings: Settings, apply: bool, picks: list[tuple[int, str]]
) -> tuple[dict[str, Any], list[Any]]:
    from bot.cli.users import cli_actor
    from handlers.accounts.wecom_match import MatchRefused, apply_matches, match_members
    from models import Worker
    from models.database import orm

    async with orm(settings.database_url), api_clients(settings) as (_, wecom):
        if wecom is None:
            raise LinkCliError(
                "no WeCom app is configured (JIESU_WORK_CORP_ID, _AGENT_ID, _SECRET)"
            )
        directory = await wecom.members()
        report = match_members(await Worker.all().order_by("id"), directory)
        done: list[Any] = []
        if apply:
            pairs = [(m.worker_id, m.candidates[0].member.userid) for m in report.proposed]
            picked = {worker_id for worker_id, _ in picks}
            pairs = [p for p in pairs if p[0] not in picked] + picks
            try:
                done = await apply_matches(pairs, directory, cli_actor(), SystemClock().now())
            except MatchRefused as refused:
                raise LinkCliError(f"nothing applied: {refused}") from None
        return report.as_json(), done


def cmd_match_wecom(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wechat.client import WeChatApiError

    try:
        report, done = asyncio.run(_match(settings, args.apply, args.pick))
    except (LinkCliError, WeChatApiError) as error:
        sys.stderr.write(f"jiesu: {error}\n")
        return 2
    if args.json:
        applied = [{"worker_id": w.id, "userid": w.wecom_userid} for w in done]
        sys.stdout.write(json.dumps({**report, "applied": applied}, ensure_ascii=False) + "\n")
        return 0
    out = sys.stdout.write
    out(f"{report['members']} WeCom members without a worker\n")
    for match in report["proposed"]:
        c = match["candidates"][0]
        who = f"{match['worker_id']:>5} {match['worker_name']}"
        out(f"proposed   {who} -> {c['userid']} ({c['why']})\n")
    for match in report["ambiguous"]:
        options = ", ".join(f"{c['userid']} {c['name']} ({c['why']})" for c in match["candidates"])
        who = f"{match['worker_id']:>5} {match['worker_name']}"
        out(f"ambiguous  {who}: {match['problem']}: {options}\n")
    for match in report["unmatched"]:
        out(f"unmatched  {match['worker_id']:>5} {match['worker_name']}\n")
    if args.apply:
        out(f"applied {len(done)} match(es)\n")
    elif report["proposed"]:
        out("nothing applied; run with --apply (and --pick WORKER_ID=USERID for ambiguous ones)\n")
    return 0


def _commands_of(parser: argparse.ArgumentParser) -> Any:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def add_link_commands(commands: Any) -> None:
    """``link`` and ``match-wecom`` under ``jiesu workers``, ``link`` under ``jiesu users``."""
    workers = _commands_of(commands.choices["workers"])
    link = workers.add_parser("link", help="a one-time link (QR code, chat code) for WeChat")
    link.add_argument("worker", help="the worker's id, WeCom userid or name")
    link.add_argument("--json", action="store_true")
    link.set_defaults(func=cmd_link_worker)

    match = workers.add_parser("match-wecom", help="match workers to the WeCom address book")
    match.add_argument("--apply", action="store_true", help="apply the proposed and picked ones")
    match.add_argument(
        "--pick",
        action="append",
        default=[],
        type=parse_pick,
        metavar="WORKER_ID=USERID",
        help="settle an ambiguous match (with --apply); repeat for several",
    )
    match.add_argument("--json", action="store_true")
    match.set_defaults(func=cmd_match_wecom)

    users = _commands_of(commands.choices["users"])
    user_link = users.add_parser("link", help="a one-time link (QR code, chat code) for WeChat")
    user_link.add_argument("username")
    user_link.add_argument("--json", action="store_true")
    user_link.set_defaults(func=cmd_link_user)
