"""Every typed ``web.AppKey`` of the app, in one place.

Route modules read shared objects through these keys and never import ``bot.app`` (the factory
imports them, so that would be a circle). This module imports only the types it names.
"""

from __future__ import annotations

import jinja2
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.intake import IntakeService
from bot.ops.metrics import Metrics
from bot.wechat.client import MiniProgramClient, WeChatClient
from bot.wechat.mini_endpoint import MiniEndpoint
from bot.wechat.mp_endpoint import MpEndpoint
from bot.wechat.outbox_drainer import OutboxDrainer
from bot.wechat.wecom_client import WeComClient
from bot.wechat.wecom_endpoint import WecomEndpoint
from config.settings import Settings
from handlers.clock import Clock
from handlers.intake.rate_limits import RequestWindow
from handlers.knowledge.answering import KnowledgeBase
from handlers.residents.media_store import MediaStore
from handlers.staff.sign_in import SignInGuard
from scheduler.monitor import SweepMonitor

# What the factory sets up for every app (``bot.app``).
SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
INTAKE = web.AppKey("intake", IntakeService)
DRAINER = web.AppKey("drainer", OutboxDrainer)
MP_ENDPOINT = web.AppKey("mp_endpoint", MpEndpoint)
MINI_ENDPOINT = web.AppKey("mini_endpoint", MiniEndpoint)
WORK_ENDPOINT = web.AppKey("work_endpoint", WecomEndpoint)
SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)
SWEEP_MONITOR = web.AppKey("sweep_monitor", SweepMonitor)
# The published knowledge base in memory (handlers.knowledge.answering), reloaded on edits.
KNOWLEDGE = web.AppKey("knowledge", KnowledgeBase)
RUNS_SWEEPS = web.AppKey("runs_sweeps", bool)
# Present only when the mini-program is configured (appid and secret) and WeChat is called.
MINI_CLIENT = web.AppKey("mini_client", MiniProgramClient)
METRICS = web.AppKey("metrics", Metrics)
# Present only when WeChat (and WeCom) are called: account links make QR codes and read members.
MP_CLIENT = web.AppKey("mp_client", WeChatClient)
WECOM_CLIENT = web.AppKey("wecom_client", WeComClient)

# Set up by the route modules (``add_*_routes``) whose endpoints use them.
REQUEST_WINDOW = web.AppKey("resident_request_window", RequestWindow)  # bot.api.resident_auth
MEDIA_STORE = web.AppKey("media_store", MediaStore)  # bot.api.resident_photos
DASHBOARD_JINJA = web.AppKey("dashboard_jinja", jinja2.Environment)  # bot.dashboard
PUBLIC_JINJA = web.AppKey("public_jinja", jinja2.Environment)  # bot.public
SIGN_IN_GUARD = web.AppKey("sign_in_guard", SignInGuard)  # bot.api.staff_auth
