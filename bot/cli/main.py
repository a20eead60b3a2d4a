"""The ``jiesu`` command line: serve, worker, migrate, chat, work, cases, nlu, hot, recategorise,
assign, workers, district, users, open311 and figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli.board import add_parser as add_board_parser
from bot.cli.dispatch import add_parser as add_dispatch_parser
from bot.cli.district import add_parser as add_district_parser
from bot.cli.figures import add_parser as add_figures_parser
from bot.cli.links import add_link_commands
from bot.cli.nlu import add_parser as add_nlu_parser
from bot.cli.open311 import add_parser as add_open311_parser
from bot.cli.residents import add_parser as add_residents_parser
from bot.cli.users import add_parser as add_users_parser
from bot.cli.workers import add_parser as add_workers_parser
from bot.ops import log_format, log_privacy
from config.settings import Settings, secret_problems
from handlers.clock import local

logger = logging.getLogger("jiesu")

DEV_APPID = "wxdevelopment00000"
DEMO_SURVEY_DELAY_HOURS = 0.0  # quiet hours (JIESU_SURVEY_MORNING/EVENING_HOUR) still apply


def dev_token_path(settings: Settings) -> Path:
    return settings.var_dir / "dev-token"


def development_token(settings: Settings) -> str:
    """A random token kept under var/ so that ``jiesu chat`` can sign like WeChat does."""
    path = dev_token_path(settings)
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token.isalnum() and 3 <= len(token) <= 32:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(0o600)
    return token


def trial_settings(settings: Settings) -> Settings:
    """Fill in what a local trial lacks: a dev token, sandbox outbound, the demo district."""
    updates: dict[str, Any] = {"demo": True}
    if "insecure_http" not in settings.model_fields_set:  # a trial is plain http://127.0.0.1
        updates["insecure_http"] = True
    if "survey_delay_hours" not in settings.model_fields_set:
        # A trial sees the loop close: the survey follows 办结 at the next sweep, not tomorrow.
        updates["survey_delay_hours"] = DEMO_SURVEY_DELAY_HOURS
    # A trial at night need not wait for the morning either: no quiet hours unless set.
    if not {"survey_morning_hour", "survey_evening_hour"} & settings.model_fields_set:
        updates.update(survey_morning_hour=0, survey_evening_hour=24)
    if secret_problems(settings):
        updates.update(
            mp_token=development_token(settings),
            mp_appid=settings.mp_appid or DEV_APPID,
            mp_secret="",
            mp_aes_key="",
            outbound_mode="sandbox",
        )
    return settings.model_copy(update=updates)


async def _prepare_database(settings: Settings) -> None:
    from config.demo_district import FILES
    from handlers.clock import SystemClock
    from handlers.district.setup import load_demo_district
    from handlers.knowledge.files import demo_file, load_demo_knowledge
    from handlers.staff.demo_staff import load_demo_staff
    from models.database import migrate, orm

    await migrate(settings.database_url)
    if settings.demo:
        async with orm(settings.database_url):
            await load_demo_district()
            await load_demo_knowledge(demo_file(FILES / "knowledge.csv"), SystemClock().now())
            await load_demo_staff(development_token(settings), SystemClock().now())
        return
    async with orm(settings.database_url):
        await warn_if_not_set_up()


async def warn_if_not_set_up() -> None:
    """Say what the district lacks: without it every case waits in the dispatch queue."""
    from handlers.district.readiness import missing_core

    for _, what, how in await missing_core():
        logger.warning("the district has %s: %s", what, how)


def check_calendar(settings: Settings, today: date | None = None) -> bool:
    """Load the working calendar now: a broken file is refused naming its line, and the log says
    how far the calendar reaches (and warns while that is within calendar_horizon_days)."""
    from handlers.clock import SystemClock
    from handlers.workflow.calendar import coverage, install_calendar
    from handlers.workflow.calendar_file import CalendarFileError, load_calendar_file

    try:
        calendar = load_calendar_file(settings.calendar_file) if settings.calendar_file else None
    except CalendarFileError as problem:
        sys.stderr.write(f"jiesu: {problem}\n")
        return False
    try:
        install_calendar(calendar, settings.calendar_overrides)
    except ValueError as problem:
        sys.stderr.write(f"jiesu: JIESU_CALENDAR_OVERRIDES: {problem}\n")
        return False
    known = coverage()
    logger.info("%s", known.summary())
    today = today or local(SystemClock().now()).date()
    warning = known.warning(today, settings.calendar_horizon_days)
    if warning is not None:
        logger.warning("%s", warning)
    return True


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import create_app, freeze_startup_objects
    from bot.cli.processes import refusal, supervise
    from bot.ops.slow_clients import serve

    refused = refusal(settings, args.processes)
    if refused is not None:
        sys.stderr.write(f"jiesu: {refused}\n")
        return 2
    if args.demo:
        settings = trial_settings(settings)
    problems = secret_problems(settings)
    if problems and not settings.demo:
        for problem in problems:
            sys.stderr.write(f"jiesu: {problem}\n")
        sys.stderr.write(
            "jiesu: refusing to start without the official account's secrets. "
            "To try jiesu locally, run: jiesu serve --demo\n"
        )
        return 2
    if not check_calendar(settings):
        return 2
    child = args.child is not None  # one of --processes N: the supervisor prepared the database
    if not child:
        asyncio.run(_prepare_database(settings))
    host = args.host or settings.host
    port = args.port or settings.port
    if args.demo and settings.outbound_mode == "sandbox" and not child:
        sys.stdout.write(
            "jiesu: local trial with the demo district; nothing is sent to WeChat.\n"
            f"jiesu: development token: {settings.mp_token}\n"
            "jiesu: dashboard accounts demo-admin, demo-approver and demo-dispatcher sign in "
            "with the development token as password\n"
            f"jiesu: in another terminal, try: jiesu chat --url http://{host}:{port}/wechat/mp\n"
        )
    sys.stdout.flush()
    if args.processes > 1 and not child:
        command = [sys.executable, "-m", "bot"]
        if args.log_level:
            command += ["--log-level", args.log_level]
        command += ["serve", "--host", host, "--port", str(port)]
        return supervise(settings, args.processes, command + (["--demo"] if args.demo else []))
    app = create_app(settings)
    # After every cleanup_ctx has started: aiohttp runs them first, then later startup hooks.
    app.on_startup.append(freeze_startup_objects)
    try:  # like web.run_app, with the slow-client timeouts (bot.ops.slow_clients)
        # The access log masks signed callback URLs (bot.ops.log_privacy).
        access_log = log_privacy.PrivateAccessLogger
        asyncio.run(serve(app, settings, host, port, reuse_port=child, access_log_class=access_log))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were in place
        pass
    return 0


async def _run_worker(settings: Settings) -> None:
    """The sweeps and the outbox drainer, without HTTP, until SIGTERM or SIGINT."""
    import signal

    from aiohttp import web

    from bot.app import create_worker_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(create_worker_app(settings), handle_signals=False)
    await runner.setup()
    logger.info("jiesu worker: running the sweeps and the outbox drainer (pid %d)", os.getpid())
    try:
        await stop.wait()
    finally:
        logger.info("jiesu worker: stopping")
        await runner.cleanup()


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Sweeps and outbox in a process of their own (set JIESU_SERVE_SWEEPS=false on serve)."""
    if args.demo:
        settings = trial_settings(settings)
    problems = secret_problems(settings)
    if problems and not settings.demo and settings.outbound_mode != "sandbox":
        for problem in problems:
            sys.stderr.write(f"jiesu: {problem}\n")
        sys.stderr.write("jiesu: the worker sends through WeChat and needs the same secrets\n")
        return 2
    if not settings.run_background:
        sys.stderr.write("jiesu: JIESU_RUN_BACKGROUND=false leaves a worker nothing to do\n")
        return 2
    if not check_calendar(settings):
        return 2
    asyncio.run(_prepare_database(settings))
    asyncio.run(_run_worker(settings))
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    if args.demo:
        settings = settings.model_copy(update={"demo": True})
    asyncio.run(_prepare_database(settings))
    sys.stdout.write(f"jiesu: database is up to date ({settings.database_url.split('@')[-1]})\n")
    return 0


async def _cases(settings: Settings, limit: int) -> list[dict[str, Any]]:
    from models import Case
    from models.database import orm

    rows: list[dict[str, Any]] = []
    async with orm(settings.database_url):
        query = Case.all().order_by("id").prefetch_related("resident", "grid", "unit")
        if limit:
            query = query.limit(limit)
        for case in await query:
            rows.append(
                {
                    "number": case.number,
                    "status": case.status.value,
                    "status_label": case.status.label,
                    "kind": case.kind,
                    "category": case.category,
                    "urgency": case.urgency,
                    "place": case.place_text,
                    "street": case.street,
                    "compound": case.compound,
                    "address": case.address,
                    "grid": case.grid.code if case.grid else None,
                    "unit": case.unit.name if case.unit else None,
                    "resident_openid": case.resident.openid if case.resident else None,
                    "text": case.text,
                    "attachments": case.attachments,
                    "duplicate_of": case.duplicate_of_id,
                    "created_at": case.created_at.isoformat(),
                }
            )
    return rows


def cmd_cases(args: argparse.Namespace, settings: Settings) -> int:
    rows = asyncio.run(_cases(settings, args.limit))
    if args.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    for row in rows:
        created = local(_parse_time(row["created_at"])).strftime("%m-%d %H:%M")
        sys.stdout.write(
            f"{row['number']}  {created}  {row['status_label']}  {row['category']}  "
            f"{row['place'] or '-'}  {row['unit'] or '待分派'}\n"
        )
    if not rows:
        sys.stdout.write("no cases yet\n")
    return 0


def _parse_time(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.chat import run_chat

    token = args.token or settings.mp_token
    if not token and dev_token_path(settings).exists():
        token = development_token(settings)
    if not token:
        sys.stderr.write("jiesu chat: no token; pass --token or start `jiesu serve --demo` first\n")
        return 2
    return asyncio.run(
        run_chat(args.url, token, args.openid, aes_key=settings.mp_aes_key, appid=settings.mp_appid)
    )


def cmd_work(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.work import run_work

    token = args.token or settings.mp_token
    if not token and dev_token_path(settings).exists():
        token = development_token(settings)
    if not token and not args.worker_token:
        sys.stderr.write(
            "jiesu work: no token; pass --token or --worker-token, or start "
            "`jiesu serve --demo` first\n"
        )
        return 2
    return asyncio.run(run_work(args.url, token, args.who, worker_token=args.worker_token))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jiesu", description="接诉即办: resident feedback on WeChat"
    )
    parser.add_argument(
        "--log-level", default=None, help="DEBUG, INFO, WARNING (default: settings)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the service")
    serve.add_argument("--demo", action="store_true", help="local trial: demo district, dev token")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--processes",
        type=int,
        default=1,
        help="app processes sharing the port (PostgreSQL only; the sweeps run in the first)",
    )
    # One of the processes of --processes N, started by the supervisor (bot.cli.processes).
    serve.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser(
        "worker", help="run the sweeps and the outbox drainer in a process of their own"
    )
    worker.add_argument("--demo", action="store_true", help="local trial: demo district")
    worker.set_defaults(func=cmd_worker)

    migrate = commands.add_parser("migrate", help="create or update the database schema")
    migrate.add_argument("--demo", action="store_true", help="also load the demo district")
    migrate.set_defaults(func=cmd_migrate)

    chat = commands.add_parser("chat", help="play a resident against a running service")
    chat.add_argument("--url", default="http://127.0.0.1:8080/wechat/mp")
    chat.add_argument(
        "--token", default=None, help="the account token (default: settings or dev token)"
    )
    chat.add_argument("--openid", default="o-trial-resident", help="who you are")
    chat.set_defaults(func=cmd_chat)

    work = commands.add_parser(
        "work", help="play a worker against a running service: sign, contact, finish"
    )
    work.add_argument("--url", default="http://127.0.0.1:8080", help="the service")
    work.add_argument(
        "--as",
        dest="who",
        default="wangfang",
        help="the demo worker to play: name or WeCom userid (default: 王芳, grid WJC-01)",
    )
    work.add_argument(
        "--token", default=None, help="the account token (default: settings or dev token)"
    )
    work.add_argument(
        "--worker-token",
        default="",
        help="a worker-API token (jiesu workers token NAME) instead of a demo worker",
    )
    work.set_defaults(func=cmd_work)

    cases = commands.add_parser("cases", help="print stored cases")
    cases.add_argument("--json", action="store_true", help="a JSON array")
    cases.add_argument("--limit", type=int, default=0)
    cases.set_defaults(func=cmd_cases)

    add_nlu_parser(commands)
    add_dispatch_parser(commands)
    add_workers_parser(commands)
    add_district_parser(commands)
    add_users_parser(commands)
    add_link_commands(commands)  # workers link, workers match-wecom, users link
    add_open311_parser(commands)
    add_board_parser(commands)
    add_residents_parser(commands)
    add_figures_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    # The processes of serve --processes N write to one log: each line says whose it is.
    several = getattr(args, "processes", 1) > 1 or getattr(args, "child", None) is not None
    whose = "[%(process)d] " if several else ""
    logging.basicConfig(
        level=(args.log_level or settings.log_level).upper(),
        format=f"%(asctime)s %(levelname)s {whose}%(name)s: %(message)s",
    )
    if settings.log_format == "json":
        log_format.use_json_lines()
    log_privacy.install()
    # jieba attaches its own DEBUG handler; its dictionary chatter is not worth a log line.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    # A line per job run, every few seconds, in every process: the sweeps log what they did.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    from scheduler.runner import SkippedRunFilter

    logging.getLogger("apscheduler.scheduler").addFilter(SkippedRunFilter())
    result: int = args.func(args, settings)
    return result
