"""``GET /healthz``: what a load balancer and an operator ask of a process."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from apscheduler.schedulers.base import STATE_RUNNING
from tortoise import connections

from bot.keys import CLOCK, SCHEDULER, SWEEP_MONITOR


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


def add_health_route(app: web.Application) -> None:
    app.router.add_get("/healthz", health)
