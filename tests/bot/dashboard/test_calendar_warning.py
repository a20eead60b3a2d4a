"""The overview tells an admin, in time, that the working calendar is about to end (and how to
extend it); nobody else is asked to do what only the deployment can."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import create_user
from tests.bot.dashboard.test_pages import PASSWORD, sign_in
from tests.conftest import make_settings
from tests.handlers.workflow.calendar_fixture import write_made_up_2027

DECEMBER_7 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SEPTEMBER_1 = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
WARNING = 'id="calendar-warning"'


async def overview_for(
    db_url: str, aiohttp_client: Any, role: str, now: datetime, **settings: Any
) -> str:
    app = create_app(make_settings(db_url, **settings), ManualClock(now))
    client: TestClient = await aiohttp_client(app)
    await load_demo_district()
    await create_user(f"cal-{role}", role, PASSWORD, now)
    browser = await sign_in(client, f"cal-{role}")
    status, text = await browser.get("/dashboard/")
    assert status == 200, text[:2000]
    return text


async def test_an_admin_is_warned_when_the_calendar_ends_within_60_days(
    db_url: str, aiohttp_client: Any
) -> None:
    text = await overview_for(db_url, aiohttp_client, "admin", DECEMBER_7)
    assert WARNING in text
    warning = text[text.index(WARNING) : text.index("</div>", text.index(WARNING))]
    assert "2026-12-31" in warning and "JIESU_CALENDAR_FILE" in warning and "春节" in warning


async def test_no_warning_months_ahead(db_url: str, aiohttp_client: Any) -> None:
    text = await overview_for(db_url, aiohttp_client, "admin", SEPTEMBER_1)
    assert WARNING not in text


async def test_no_warning_once_a_file_covers_the_next_year(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    from handlers.workflow.calendar import install_calendar

    try:
        text = await overview_for(
            db_url,
            aiohttp_client,
            "admin",
            DECEMBER_7,
            calendar_file=write_made_up_2027(tmp_path),
        )
    finally:
        install_calendar(None)
    assert WARNING not in text


async def test_a_dispatcher_is_not_asked_to_fix_the_deployment(
    db_url: str, aiohttp_client: Any
) -> None:
    text = await overview_for(db_url, aiohttp_client, "dispatcher", DECEMBER_7)
    assert WARNING not in text
