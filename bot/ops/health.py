"""``GET /healthz``: what a load balancer and an operator ask of a process.

The working calendar is reported too (``calendar``: how far it reaches) and warned about while it
does not reach ``calendar_horizon_days`` ahead - in the body and once a day in the log, with the
status left at 200. A calendar that ends in a few weeks is the operator's to fix, not a reason for
a load balancer to take every process out at once and turn a warning into an outage.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from aiohttp import web
from apscheduler.schedulers.base import STATE_RUNNING
from tortoise import connections

from bot.keys import CLOCK, SCHEDULER, SETTINGS, SWEEP_MONITOR
from handlers.clock import local
from handlers.district.readiness import missing_core
from handlers.workflow.calendar import coverage

logger = logging.getLogger(__name__)


class DailyWarning:
    """Says a warning in the log at most once a (local) day, however often health is asked."""

    def __init__(self) -> None:
        self.last_day: date | None = None

    def due(self, today: date) -> bool:
        if self.last_day == today:
            return False
        self.last_day = today
        return True


def calendar_health(request: web.Request, warned: DailyWarning) -> dict[str, Any]:
    today = local(request.app[CLOCK].now()).date()
    known = coverage()
    found: dict[str, Any] = {
        "status": "ok",
        "covered_until": known.covered_until.isoformat(),
        "library_last_year": known.library[1],
        "file_years": list(known.file_years),
    }
    warning = known.warning(today, request.app[SETTINGS].calendar_horizon_days)
    if warning is not None:
        found.update(status="warning", warning=warning)
        if warned.due(today):
            logger.warning("%s", warning)
    return found


async def health(request: web.Request, warned: DailyWarning | None = None) -> web.Response:
    """The database answers and, where this process runs the sweeps, the scheduler is running
    and every sweep succeeded lately or is still at work (``scheduler.monitor``). 503 says what is
    wrong. The calendar's warning does not change the status; a district without units, grids or
    a routing rule is ``degraded`` (still 200: every process is equally fine) with the reasons."""
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
    body["calendar"] = calendar_health(request, warned or DailyWarning())
    if body["database"] == "ok":
        missing = await missing_core()
        body["setup"] = {
            "status": "incomplete" if missing else "ok",
            "missing": [f"{what}: {how}" for _, what, how in missing],
        }
        if missing and body["status"] == "ok":
            body["status"] = "degraded"  # the process is fine; no case can reach anybody
    return web.json_response(body, status=503 if body["status"] == "error" else 200)


def add_health_route(app: web.Application) -> None:
    warned = DailyWarning()  # this app's, so that each process logs its own warning once a day

    async def healthz(request: web.Request) -> web.Response:
        return await health(request, warned)

    healthz.__doc__ = health.__doc__
    app.router.add_get("/healthz", healthz)
