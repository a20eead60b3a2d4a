"""The early warnings in the staff API, and their messages reaching WeCom: a jump at one compound
is found by the sweep, sent to the unit's head and the dispatcher through the outbox, and listed
for the district's staff and the unit's (with its own cases only); bad periods are 400, callers
without the right 401 or 403."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import DRAINER, INTAKE
from handlers.clock import LOCAL_TZ, ManualClock
from handlers.district.setup import load_demo_district
from handlers.hot.warnings import sweep_hot_warnings
from handlers.intake.report import report_case
from handlers.staff.accounts import issue_api_token
from models import Case, Grid, HotWarning, Place, Resident, StaffUser, Unit, Worker, WorkerRole
from tests.conftest import make_settings
from tests.fake_wechat import FakeWeChat
from tests.fake_wecom import FakeWeCom
from tests.handlers.hot.test_warnings import JUMP

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ).astimezone(UTC)  # a Monday
SWEEP = NOW + timedelta(days=2)
PATH = "/api/admin/hot/warnings"


@pytest.fixture
async def wecom() -> AsyncIterator[tuple[FakeWeCom, str]]:
    fake = FakeWeCom()
    wechat = FakeWeChat(appid="wxfake", secret="fakesecret")
    async with fake.running() as url, wechat.running() as wechat_url:
        fake.wechat_url = wechat_url  # type: ignore[attr-defined]
        yield fake, url


@pytest.fixture
async def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def api(
    db_url: str, aiohttp_client: Any, wecom: tuple[FakeWeCom, str], clock: ManualClock
) -> TestClient:
    fake, url = wecom
    settings = make_settings(
        db_url,
        outbound_mode="wechat",
        wechat_api_base=fake.wechat_url,  # type: ignore[attr-defined]
        mp_appid="wxfake",
        mp_secret="fakesecret",
        work_api_base=url,
        work_corp_id=fake.corp_id,
        work_agent_id=str(fake.agent_id),
        work_secret=fake.secret,
        public_url="https://jiesu.example.cn",
    )
    client: TestClient = await aiohttp_client(create_app(settings, clock))
    await load_demo_district()
    grid = await Grid.get(code="YX-01")
    await Place.create(
        name="伊景园滨河苑", kind="compound", street="殷行街道", grid=grid, aliases=["滨河苑"]
    )
    market = await Unit.get(code="MARKET")
    await Worker.create(
        name="市监局长", role=WorkerRole.UNIT_HEAD, unit=market, wecom_userid="shijian"
    )
    return client


async def bearer(name: str, role: str, unit: str | None = None) -> dict[str, str]:
    unit_id = (await Unit.get(code=unit)).id if unit else None
    user = await StaffUser.create(username=name, role=role, unit_id=unit_id, created_at=NOW)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


async def jump(api: TestClient, clock: ManualClock) -> list[Case]:
    """Four residents about the compound's lift this week, then the sweep on Wednesday."""
    cases = []
    for n, text in enumerate(JUMP):
        clock.set(NOW + timedelta(hours=n))
        resident, _ = await Resident.get_or_create(openid=f"o-api-{n}")
        ctx = await api.app[INTAKE].context()
        cases.append((await report_case(resident, text, ctx)).case)
    clock.set(SWEEP)
    result = await sweep_hot_warnings(await api.app[INTAKE].context())
    assert result.warned == 1
    return cases


async def get(api: TestClient, headers: dict[str, str], **query: str) -> tuple[int, Any]:
    response = await api.get(PATH, params=query, headers=headers)
    return response.status, await response.json()


async def test_the_warning_reaches_wecom_and_the_list(
    api: TestClient, clock: ManualClock, wecom: tuple[FakeWeCom, str]
) -> None:
    fake, _ = wecom
    cases = await jump(api, clock)
    await api.app[DRAINER].drain_once()
    for userid in ("shijian", "zhuting"):  # the unit's head, the centre's dispatcher
        (message,) = [
            m
            for m in fake.messages_to(userid)
            if "热点预警" in m.get("text", {}).get("content", "")
        ]
        text = message["text"]["content"]
        assert text.startswith("【热点预警】伊景园滨河苑") and "近7天 4 件" in text
        assert "https://jiesu.example.cn/dashboard/hot?days=7" in text
    # Swept again: nothing more reaches anyone.
    await sweep_hot_warnings(await api.app[INTAKE].context())
    await api.app[DRAINER].drain_once()
    assert len([m for m in fake.messages_to("zhuting") if "热点预警" in str(m)]) == 1

    status, body = await get(api, await bearer("admin", "admin"))
    assert status == 200 and body["scope"] == "district" and not body["more"]
    (row,) = body["warnings"]
    warning = await HotWarning.get()
    assert row["id"] == warning.id and row["label"].startswith("伊景园滨河苑")
    assert row["count"] == 4 and row["residents"] == 4 and row["week"] == "2026-11-23"
    assert set(row["numbers"]) == {case.number for case in cases}
    assert row["unit"]["code"] == "MARKET" and row["item_id"] is None
    status, body = await get(api, await bearer("dispatcher", "dispatcher"))
    assert status == 200 and len(body["warnings"]) == 1

    # The unit's account sees its warning with its own cases; another unit's sees none.
    status, body = await get(api, await bearer("market", "unit", "MARKET"))
    assert status == 200 and body["scope"] == "unit"
    (own,) = body["warnings"]
    market = await Unit.get(code="MARKET")
    assert set(own["numbers"]) == {c.number for c in cases if c.unit_id == market.id}
    status, body = await get(api, await bearer("cb", "supervisor", "ST-CB"))
    assert status == 200 and body["warnings"] == []

    # Periods: before the warning, none; the given days are [from, to).
    admin = await bearer("admin-2", "admin")
    status, body = await get(api, admin, **{"from": "2026-11-01", "to": "2026-11-25"})
    assert status == 200 and body["warnings"] == []
    status, body = await get(api, admin, **{"from": "2026-11-25", "to": "2026-11-26"})
    assert status == 200 and len(body["warnings"]) == 1


@pytest.mark.parametrize(
    "query, code",
    [
        ({"from": "yesterday"}, "invalid_date"),
        ({"to": "2026-13-01"}, "invalid_date"),
        ({"from": "2026-11-25", "to": "2026-11-25"}, "invalid_period"),
        ({"from": "2026-11-25", "to": "2026-11-01"}, "invalid_period"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "invalid_period"),
        ({"from": "9" * 5000}, "invalid_date"),
    ],
)
async def test_bad_periods_are_refused(api: TestClient, query: dict[str, str], code: str) -> None:
    status, body = await get(api, await bearer("admin", "admin"), **query)
    assert status == 400 and body["error"]["code"] == code


async def test_callers_without_the_right_are_refused(api: TestClient) -> None:
    status, body = await get(api, {})
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _ = await get(api, {"Authorization": "Bearer jsa_nosuchtoken"})
    assert status == 401
    for role in ("worker", "suggestions"):
        status, body = await get(api, await bearer(f"x-{role}", role))
        assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await get(api, await bearer("no-unit", "unit"))
    assert status == 403 and "未关联承办单位" in body["error"]["message"]
