"""The aiohttp application: one ``create_app(settings)``, shared objects under typed keys.

Resources start and stop in ``cleanup_ctx`` order: ORM first, then the intake service and the
outbound client, the outbox drainer, and the scheduler last (it needs the ORM context).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from tortoise import connections

import nlu
from bot.intake import IntakeService
from bot.wechat.client import AccessTokenStore, MiniChecker, MiniProgramClient, WeChatClient
from bot.wechat.mini_endpoint import MiniEndpoint
from bot.wechat.mp_endpoint import MpEndpoint
from bot.wechat.outbox_drainer import OutboxDrainer
from bot.wechat.wecom_client import WeComClient
from bot.wechat.wecom_endpoint import WecomEndpoint
from config.demo_district import DISTRICT
from config.settings import Settings
from handlers.clock import Clock, SystemClock
from handlers.district.gazetteer import gazetteer_cache
from handlers.workflow.deadlines import apply_calendar_overrides
from models.database import close_orm, init_orm
from nlu.llm import LlmClient
from scheduler.jobs import DEADLINE_SWEEP_JOB as DEADLINE_SWEEP_JOB  # re-exported for tests
from scheduler.jobs import sweep_jobs
from scheduler.monitor import SweepMonitor
from scheduler.runner import build_scheduler, stop_scheduler

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
INTAKE = web.AppKey("intake", IntakeService)
DRAINER = web.AppKey("drainer", OutboxDrainer)
MP_ENDPOINT = web.AppKey("mp_endpoint", MpEndpoint)
MINI_ENDPOINT = web.AppKey("mini_endpoint", MiniEndpoint)
WORK_ENDPOINT = web.AppKey("work_endpoint", WecomEndpoint)
SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)
SWEEP_MONITOR = web.AppKey("sweep_monitor", SweepMonitor)
RUNS_SWEEPS = web.AppKey("runs_sweeps", bool)
# Present only when the mini-program is configured (appid and secret) and WeChat is called.
MINI_CLIENT = web.AppKey("mini_client", MiniProgramClient)


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def orm_ctx(app: web.Application) -> AsyncIterator[None]:
    await init_orm(app[SETTINGS].database_url)
    yield
    await close_orm()


async def intake_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.calendar_overrides:
        apply_calendar_overrides(settings.calendar_overrides)
    intake = IntakeService(settings=settings, clock=app[CLOCK], gazetteer=gazetteer_cache(DISTRICT))
    if settings.llm_enabled:
        # Its own session: the outbound one closes before the intake drains its refinements.
        intake.llm = LlmClient(settings)
        intake.llm_session = aiohttp.ClientSession()
    if settings.nlu_model is not None:
        # A broken model file stops the start with ModelError naming the problem.
        intake.model = await asyncio.get_running_loop().run_in_executor(
            None, nlu.load_model, settings.nlu_model
        )
        logger.info("category model %s loaded", settings.nlu_model)
    app[INTAKE] = intake
    app[MP_ENDPOINT] = MpEndpoint(settings, intake)
    app[MINI_ENDPOINT] = MiniEndpoint(settings, intake)
    app[WORK_ENDPOINT] = WecomEndpoint(settings, intake)
    # Load the word tables now, off the event loop, not on the first resident's message.
    await asyncio.get_running_loop().run_in_executor(None, nlu.warm_up)
    yield
    await intake.drain_background()
    if intake.llm_session is not None:
        await intake.llm_session.close()


async def freeze_startup_objects(app: web.Application) -> None:
    """Keep the collector's full passes from walking start-up objects inside requests.

    The word tables, model and routing live as long as the serving process. Only a process that
    serves one app for its whole life may freeze (``jiesu serve`` does): frozen objects are never
    collected, so a process that builds many apps (the test suite) would keep every earlier
    app's connections open.
    """
    gc.freeze()


async def outbound_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    owner = process_id()
    timeout = aiohttp.ClientTimeout(total=settings.http_timeout_seconds)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = None
        wecom = None
        mini = None
        if settings.outbound_mode == "wechat":
            tokens = AccessTokenStore(app[CLOCK], owner)
            client = WeChatClient(session, settings, tokens)
            if settings.wecom_enabled:
                wecom = WeComClient(session, settings, tokens)
            if settings.mini_enabled:
                mini = app[MINI_CLIENT] = MiniProgramClient(session, settings, tokens)
                # The mini-program chat's words go through the same content check.
                app[INTAKE].checker = MiniChecker(mini)
        drainer = OutboxDrainer(client, settings, app[CLOCK], owner, wecom=wecom, mini=mini)
        app[DRAINER] = drainer
        stop = asyncio.Event()
        task = None
        if settings.run_background:
            task = asyncio.create_task(drainer.run(stop), name="outbox-drainer")
        yield
        stop.set()
        if task is not None:
            await task


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not (settings.run_background and app[RUNS_SWEEPS]):
        yield
        return
    intake = app[INTAKE]
    running: set[asyncio.Task[None]] = set()
    scheduler = build_scheduler(
        sweep_jobs(settings, intake.context, intake.recover),
        running=running,
        monitor=app[SWEEP_MONITOR],
    )
    app[SCHEDULER] = scheduler
    scheduler.start()
    yield
    await stop_scheduler(scheduler, running)


async def health(request: web.Request) -> web.Response:
    """The database answers and, where this process runs the sweeps, the scheduler is running
    and every sweep succeeded lately or is still at work (``scheduler.monitor``). 503 says what is
    wrong."""
    app = request.app
    body: dict[str, Any] = {"status": "ok", "database": "ok"}
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:
        body.update(status="error", database=str(exc))
    scheduler = app.get(SCHEDULER)
    if scheduler is None:
        body["scheduler"] = {"status": "off", "reason": "the sweeps do not run in this process"}
    else:
        monitor = app[SWEEP_MONITOR]
        running = scheduler.state == STATE_RUNNING
        problems = [] if running else ["the scheduler is not running"]
        problems += monitor.problems(app[CLOCK].now())
        body["scheduler"] = {
            "status": "error" if problems else "ok",
            "running": running,
            "problems": problems,
            "sweeps": monitor.as_dict(),
        }
        if problems:
            body["status"] = "error"
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


async def mp_verify(request: web.Request) -> web.StreamResponse:
    return await request.app[MP_ENDPOINT].verify(request)


async def mp_receive(request: web.Request) -> web.StreamResponse:
    return await request.app[MP_ENDPOINT].receive(request)


async def mini_verify(request: web.Request) -> web.StreamResponse:
    return await request.app[MINI_ENDPOINT].verify(request)


async def mini_receive(request: web.Request) -> web.StreamResponse:
    return await request.app[MINI_ENDPOINT].receive(request)


async def work_verify(request: web.Request) -> web.StreamResponse:
    return await request.app[WORK_ENDPOINT].verify(request)


async def work_receive(request: web.Request) -> web.StreamResponse:
    return await request.app[WORK_ENDPOINT].receive(request)


def _background_app(settings: Settings, clock: Clock | None, runs_sweeps: bool) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes + 1024)
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[RUNS_SWEEPS] = runs_sweeps
    app[SWEEP_MONITOR] = SweepMonitor(app[CLOCK])
    app.cleanup_ctx.extend([orm_ctx, intake_ctx, outbound_ctx, scheduler_ctx])
    return app


def create_worker_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """What ``jiesu worker`` runs: the sweeps and the outbox drainer, no HTTP routes.

    The same resources as the service, started and stopped in the same order; run it with an
    ``AppRunner`` and no site.
    """
    return _background_app(settings, clock, runs_sweeps=True)


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """The service: WeChat endpoints, APIs and, unless ``serve_sweeps`` is off, the sweeps."""
    app = _background_app(settings, clock, runs_sweeps=settings.serve_sweeps)

    app.router.add_get("/wechat/mp", mp_verify)
    app.router.add_post("/wechat/mp", mp_receive)
    app.router.add_get("/wechat/mini", mini_verify)
    app.router.add_post("/wechat/mini", mini_receive)
    app.router.add_get("/wechat/work", work_verify)
    app.router.add_post("/wechat/work", work_receive)
    app.router.add_get("/healthz", health)
    from bot.api.worker import add_worker_routes  # here: the worker API reads this module's keys

    add_worker_routes(app)
    from bot.api.admin import add_admin_routes

    add_admin_routes(app)
    from bot.api.notices import add_notice_routes

    add_notice_routes(app)
    from bot.api.figures import add_figures_routes

    add_figures_routes(app)
    from bot.ops.metrics import install_metrics

    install_metrics(app)
    from bot.api.admin_cases import add_admin_case_routes
    from bot.dashboard import add_dashboard_routes

    add_admin_case_routes(app)
    add_dashboard_routes(app)
    from bot.api.resident import add_resident_routes

    add_resident_routes(app)
    from bot.api.admin_residents import add_admin_resident_routes

    add_admin_resident_routes(app)
    from bot.api.open311 import add_open311_routes

    add_open311_routes(app)
    from bot.api.openapi import add_openapi_route

    add_openapi_route(app)
    return app
