"""The monthly ranking page and the overview of a closed month (issue 16, points 3 and 9)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.figures.snapshots import close_month
from handlers.staff.accounts import create_user
from handlers.staff.audit import StaffActor
from tests.bot.api.test_ranking import APRIL_FIRST, march
from tests.bot.dashboard.test_pages import NOW, PASSWORD, sign_in
from tests.conftest import make_settings


@pytest.fixture
async def client(db_url: str, aiohttp_client: Any) -> TestClient:
    app = create_app(make_settings(db_url), ManualClock(APRIL_FIRST))
    result: TestClient = await aiohttp_client(app)
    return result


async def test_the_ranking_page_live_then_closed(client: TestClient) -> None:
    world = await march()
    await create_user("admin", "admin", PASSWORD, NOW)
    browser = await sign_in(client, "admin")
    status, text = await browser.get("/dashboard/ranking?month=2026-03")
    assert status == 200, text[:2000]
    assert 'id="live-note"' in text and "月度排名" in text
    assert text.index('data-unit="U-B"') < text.index('data-unit="U-A"')
    assert "99.00" in text and "不参评" in text and "ranking.xlsx?month=2026-03" in text

    await close_month("2026-03", APRIL_FIRST, StaffActor(None, "tester", "admin"))
    status, text = await browser.get("/dashboard/ranking?month=2026-03")
    assert 'id="snapshot-note"' in text and "tester" in text
    status, text = await browser.get("/dashboard/?from=2026-03-01&to=2026-03-31")
    assert status == 200 and 'id="snapshot-note"' in text and "2026-03 已结账" in text
    status, text = await browser.get("/dashboard/?from=2026-03-01&to=2026-03-30")
    assert 'id="snapshot-note"' not in text  # not the whole month: live
    # A bad month is said and the previous month shown.
    status, text = await browser.get("/dashboard/ranking?month=2026-99")
    assert status == 200 and "YYYY-MM" in text and "2026-03" in text

    await create_user("unit-a", "unit", PASSWORD, NOW, unit_id=world["a"].id)
    client.session.cookie_jar.clear()  # signed out: the unit's account signs in
    unit = await sign_in(client, "unit-a")
    status, text = await unit.get("/dashboard/ranking?month=2026-03")
    assert status == 200 and 'data-unit="U-A"' in text and 'data-unit="U-B"' not in text
