"""``/healthz``: the database answers and, where the sweeps run, the scheduler is alive."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import SCHEDULER, SWEEP_MONITOR
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from scheduler.jobs import DEADLINE_SWEEP_JOB
from tests.conftest import make_settings
from tests.handlers.workflow.calendar_fixture import write_made_up_2027


async def started(db_url: str, aiohttp_client: Any, clock: ManualClock) -> TestClient:
    settings = make_settings(db_url, run_background=True)
    client: TestClient = await aiohttp_client(create_app(settings, clock))
    monitor = client.app[SWEEP_MONITOR]
    for _ in range(200):  # the sweeps run once at start
        if all(state.runs for state in monitor.jobs.values()):
            break
        await asyncio.sleep(0.02)
    return client


async def test_healthy_without_sweeps_in_this_process(db_url: str, aiohttp_client: Any) -> None:
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url)))
    await load_demo_district()  # a district that is set up: not degraded
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 200 and body["status"] == "ok" and body["database"] == "ok"
    assert body["scheduler"]["status"] == "off"


async def test_a_stopped_scheduler_is_unhealthy(db_url: str, aiohttp_client: Any) -> None:
    clock = ManualClock(datetime.now(UTC))
    client = await started(db_url, aiohttp_client, clock)
    healthy = await client.get("/healthz")
    body = await healthy.json()
    assert healthy.status == 200, body
    assert body["scheduler"]["status"] == "ok" and body["scheduler"]["running"] is True
    sweep = body["scheduler"]["sweeps"][DEADLINE_SWEEP_JOB]
    assert sweep["last_success_at"] and sweep["runs"] >= 1 and sweep["failures"] == 0

    client.app[SCHEDULER].pause()
    try:
        dead = await client.get("/healthz")
        body = await dead.json()
        assert dead.status == 503 and body["status"] == "error"
        assert body["scheduler"]["problems"] == ["the scheduler is not running"]
    finally:
        client.app[SCHEDULER].resume()


async def test_sweeps_that_stopped_succeeding_are_unhealthy(
    db_url: str, aiohttp_client: Any
) -> None:
    clock = ManualClock(datetime.now(UTC))
    client = await started(db_url, aiohttp_client, clock)
    assert (await client.get("/healthz")).status == 200
    # An hour on the injected clock without a run (they run again only an interval later).
    clock.advance(timedelta(hours=1))
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 503 and body["status"] == "error"
    assert body["scheduler"]["running"] is True
    problems = body["scheduler"]["problems"]
    assert any(DEADLINE_SWEEP_JOB in line and "no successful run" in line for line in problems)


async def test_a_failing_sweep_says_why(db_url: str, aiohttp_client: Any) -> None:
    clock = ManualClock(datetime.now(UTC))
    client = await started(db_url, aiohttp_client, clock)
    monitor = client.app[SWEEP_MONITOR]
    clock.advance(timedelta(hours=1))
    monitor.finished(DEADLINE_SWEEP_JOB, 0.1, "error", "OperationalError: 电话 13812345678 断开")
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 503
    line = next(p for p in body["scheduler"]["problems"] if DEADLINE_SWEEP_JOB in p)
    assert "OperationalError" in line and "13812345678" not in line and "138****5678" in line
    assert body["scheduler"]["sweeps"][DEADLINE_SWEEP_JOB]["failures"] == 1


# The working calendar: reported, and a warning (not an outage) when it ends within 60 days.

DECEMBER_7 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


async def test_health_warns_when_the_calendar_ends_within_60_days(
    db_url: str, aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """2026-12-07 + 60 days is in 2027, which chinese-calendar does not know: the body says so
    and a line is logged (once a day), but the status stays 200 - a load balancer taking every
    process out for a calendar that ends in three weeks would turn a warning into an outage."""
    clock = ManualClock(DECEMBER_7)
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    await load_demo_district()
    with caplog.at_level(logging.WARNING, logger="bot.ops.health"):
        first = await client.get("/healthz")
        again = await client.get("/healthz")
    body = await first.json()
    assert first.status == 200 and again.status == 200, body
    assert body["status"] == "ok"
    calendar = body["calendar"]
    assert calendar["status"] == "warning" and calendar["covered_until"] == "2026-12-31"
    assert "JIESU_CALENDAR_FILE" in calendar["warning"]
    logged = [r for r in caplog.records if "calendar" in r.getMessage()]
    assert len(logged) == 1, [r.getMessage() for r in logged]
    # The next day it is said again.
    clock.advance(timedelta(days=1))
    with caplog.at_level(logging.WARNING, logger="bot.ops.health"):
        await client.get("/healthz")
    assert len([r for r in caplog.records if "calendar" in r.getMessage()]) == 2


async def test_health_is_quiet_when_a_calendar_file_covers_the_next_60_days(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    settings = make_settings(db_url, calendar_file=write_made_up_2027(tmp_path))
    client: TestClient = await aiohttp_client(create_app(settings, ManualClock(DECEMBER_7)))
    await load_demo_district()
    try:
        response = await client.get("/healthz")
        body = await response.json()
    finally:
        await client.close()
        from handlers.workflow.calendar import install_calendar  # not left to the next test

        install_calendar(None)
    assert response.status == 200 and body["status"] == "ok"
    assert body["calendar"]["status"] == "ok" and body["calendar"]["covered_until"] == "2027-12-31"
    assert body["calendar"]["file_years"] == [2027]
    assert "warning" not in body["calendar"]


async def test_a_district_without_units_grids_or_rules_is_degraded(
    db_url: str, aiohttp_client: Any
) -> None:
    """Nothing is wrong with the process, so 200; but no case could reach anybody."""
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url)))
    body = await (response := await client.get("/healthz")).json()
    assert response.status == 200 and body["status"] == "degraded", body
    assert body["database"] == "ok" and body["scheduler"]["status"] == "off"
    missing = body["setup"]["missing"]
    assert body["setup"]["status"] == "incomplete" and len(missing) == 3
    assert any("no units" in m and "jiesu district import" in m for m in missing)
    assert any("no routing rule" in m for m in missing)
    await load_demo_district()
    body = await (await client.get("/healthz")).json()
    assert body["status"] == "ok" and body["setup"] == {"status": "ok", "missing": []}
