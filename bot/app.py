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

import aiohttp
from aiohttp import web

import nlu
from bot.api.admin import add_admin_routes
from bot.api.admin_board import add_board_routes
from bot.api.admin_case_knowledge import add_admin_case_knowledge_routes
from bot.api.admin_case_links import add_admin_case_link_routes
from bot.api.admin_cases import add_admin_case_routes
from bot.api.admin_district import add_admin_district_routes
from bot.api.admin_followup import add_followup_routes
from bot.api.admin_hot_items import add_admin_hot_item_routes
from bot.api.admin_hot_warnings import add_hot_warning_routes
from bot.api.admin_knowledge import add_admin_knowledge_routes
from bot.api.admin_links import add_admin_link_routes
from bot.api.admin_requests import add_admin_request_routes
from bot.api.admin_residents import add_admin_resident_routes
from bot.api.admin_stations import add_admin_station_routes
from bot.api.admin_suggestion_calls import add_admin_suggestion_call_routes
from bot.api.admin_suggestions import add_admin_suggestion_routes
from bot.api.figures import add_figures_routes
from bot.api.media import add_media_routes
from bot.api.notices import add_notice_routes
from bot.api.open311 import add_open311_routes
from bot.api.openapi import add_openapi_route
from bot.api.public_suggestions import add_public_suggestion_routes
from bot.api.ranking import add_ranking_routes
from bot.api.resident import add_resident_routes
from bot.api.resident_questions import add_question_routes
from bot.api.resident_suggestions import add_resident_suggestion_routes
from bot.api.sandbox import add_sandbox_routes
from bot.api.suggestion_figures import add_suggestion_figure_routes
from bot.api.suggestion_publication import add_suggestion_publication_routes
from bot.api.worker import add_worker_routes
from bot.burst import Burst
from bot.dashboard import add_dashboard_routes
from bot.intake import IntakeService
from bot.keys import (
    CLOCK,
    DRAINER,
    INTAKE,
    KNOWLEDGE,
    MEDIA_STORE,
    METRICS,
    MINI_CLIENT,
    MINI_ENDPOINT,
    MP_CLIENT,
    MP_ENDPOINT,
    RUNS_SWEEPS,
    SCHEDULER,
    SETTINGS,
    SWEEP_MONITOR,
    WECOM_CLIENT,
    WORK_ENDPOINT,
)
from bot.ops.headers import response_headers
from bot.ops.health import add_health_route
from bot.ops.metrics import install_metrics
from bot.ops.slow_clients import install_slow_client_limits
from bot.public import add_public_routes
from bot.wechat.client import AccessTokenStore, MiniChecker, MiniProgramClient, WeChatClient
from bot.wechat.mini_endpoint import MiniEndpoint
from bot.wechat.mp_endpoint import MpEndpoint
from bot.wechat.outbox_drainer import OutboxDrainer
from bot.wechat.routes import add_wechat_routes
from bot.wechat.wecom_client import WeComClient
from bot.wechat.wecom_endpoint import WecomEndpoint
from bot.wechat.wecom_photos import WecomPhotos
from config.demo_district import DISTRICT
from config.settings import Settings
from handlers.clock import Clock, SystemClock
from handlers.district.gazetteer import gazetteer_cache
from handlers.knowledge.answering import KnowledgeBase
from handlers.knowledge.reranking import LlmReranker
from handlers.refreshing import RefreshingCache
from handlers.workflow.calendar import install_calendar
from handlers.workflow.calendar_file import load_calendar_file
from handlers.workflow.routing import load_routing_table
from handlers.workflow.sla_table import load_sla_table
from models.database import close_orm, init_orm
from nlu.llm import LlmClient
from scheduler.jobs import sweep_jobs
from scheduler.monitor import SweepMonitor
from scheduler.runner import build_scheduler, stop_scheduler

logger = logging.getLogger(__name__)


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def orm_ctx(app: web.Application) -> AsyncIterator[None]:
    await init_orm(app[SETTINGS].database_url)
    yield
    await close_orm()


async def intake_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # The district's calendar file (a broken one stops the start, naming its line) and overrides.
    calendar = load_calendar_file(settings.calendar_file) if settings.calendar_file else None
    install_calendar(calendar, settings.calendar_overrides)
    every = settings.reference_cache_seconds  # admin edits in other processes show within it
    intake = IntakeService(
        settings=settings,
        clock=app[CLOCK],
        gazetteer=gazetteer_cache(DISTRICT, every),
        routing=RefreshingCache(load_routing_table, every),
        sla=RefreshingCache(load_sla_table, every),
        burst=Burst.of(settings, app[CLOCK]),
        knowledge=app[KNOWLEDGE],
    )
    if settings.llm_enabled:
        # Its own session: the outbound one closes before the intake drains its refinements.
        intake.llm = LlmClient(settings)
        intake.llm_session = aiohttp.ClientSession()
        # The knowledge base's second opinion on questions its rule hesitates over.
        app[KNOWLEDGE].reranker = LlmReranker(
            intake.llm,
            intake.llm_session,
            timeout=settings.llm_rerank_timeout_seconds,
            slots=settings.llm_max_concurrency,
        )
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
    assert intake.burst is not None
    intake.burst.queue.start(intake.process)
    yield
    await intake.burst.queue.stop()
    await intake.drain_background()
    if intake.llm_session is not None:
        app[KNOWLEDGE].reranker = None
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
            client = app[MP_CLIENT] = WeChatClient(session, settings, tokens)
            if settings.wecom_enabled:
                wecom = app[WECOM_CLIENT] = WeComClient(session, settings, tokens)
                store = app.get(MEDIA_STORE)
                if store is not None:  # photos workers send the app go with their cases
                    app[WORK_ENDPOINT].photos = WecomPhotos(wecom, store, settings, app[INTAKE])
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
    logger.info("sweeps: running in this process (pid %d)", os.getpid())
    yield
    await stop_scheduler(scheduler, running)


def _background_app(settings: Settings, clock: Clock | None, runs_sweeps: bool) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes + 1024)
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[RUNS_SWEEPS] = runs_sweeps
    app[SWEEP_MONITOR] = SweepMonitor(app[CLOCK])
    app[KNOWLEDGE] = KnowledgeBase()
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
    # Outermost but for the metrics: nosniff and no-store on every answer, then the body's
    # deadline (the head's is jiesu serve's runner, bot.ops.slow_clients).
    app.middlewares.append(response_headers)
    install_slow_client_limits(app, settings)

    add_wechat_routes(app)
    add_health_route(app)
    add_worker_routes(app)
    add_admin_routes(app)
    add_notice_routes(app)
    add_figures_routes(app)
    add_ranking_routes(app)
    add_hot_warning_routes(app)
    # Before any /api/admin/suggestions/{number} route: figures, year and credits are no numbers.
    add_suggestion_figure_routes(app)
    add_suggestion_publication_routes(app)
    add_public_suggestion_routes(app)
    add_public_routes(app)
    app[METRICS] = install_metrics(app, app[SWEEP_MONITOR])
    add_admin_case_routes(app)
    add_admin_case_link_routes(app)
    add_followup_routes(app)
    add_admin_request_routes(app)
    add_dashboard_routes(app)
    add_resident_routes(app)
    add_question_routes(app)  # the resident API's questions to the knowledge base
    add_resident_suggestion_routes(app)
    add_media_routes(app)
    add_admin_resident_routes(app)
    add_admin_link_routes(app)
    add_admin_district_routes(app)
    add_admin_knowledge_routes(app)
    add_admin_case_knowledge_routes(app)
    add_admin_suggestion_routes(app)
    add_admin_suggestion_call_routes(app)
    add_admin_station_routes(app)
    add_admin_hot_item_routes(app)
    add_board_routes(app)
    add_open311_routes(app)
    add_sandbox_routes(app)  # sandbox mode only: what jiesu chat and jiesu work need
    add_openapi_route(app)
    return app
