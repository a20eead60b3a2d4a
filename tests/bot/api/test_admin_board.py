"""``POST /api/admin/board/messages``: who may, what is refused, and a message brought twice."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from models import AuditEvent, Case, Unit
from tests.bot.api.test_figures import token
from tests.conftest import make_settings
from tests.handlers.intake.test_duplicates import NOW

PATH = "/api/admin/board/messages"
LAMP = {"ref": "360101", "user": "A0001", "title": "路灯不亮", "text": "政通路上的路灯坏了好几天"}


@pytest.fixture
async def api(db_url: str, aiohttp_client: Any) -> TestClient:
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), ManualClock(NOW)))
    return client


async def test_messages_become_cases_once_and_their_votes_follow(api: TestClient) -> None:
    await load_demo_district()
    admin = await token("admin")
    made = await api.post(PATH, json={"messages": [{**LAMP, "up": 5}]}, headers=admin)
    assert made.status == 200, await made.text()
    (number,) = (await made.json())["created"]
    again = await api.post(PATH, json={"messages": [{**LAMP, "up": 7, "down": 1}]}, headers=admin)
    assert (await again.json()) == {"created": [], "updated": [number], "unchanged": []}
    case = await Case.get(number=number)
    assert (case.votes_up, case.votes_down, case.channel) == (7, 1, "board")
    assert await AuditEvent.filter(action="board.import").count() == 2


async def test_who_may_and_what_is_refused(api: TestClient) -> None:
    await load_demo_district()
    assert (await api.post(PATH, json={"messages": [LAMP]})).status == 401
    somewhere = await Unit.first()
    assert somewhere is not None
    unit = await token("unit", somewhere.id, "unit-1")
    assert (await api.post(PATH, json={"messages": [LAMP]}, headers=unit)).status == 403
    admin = await token("admin")
    bad: list[Any] = [
        {"messages": []},
        {"messages": [{**LAMP, "up": -1}]},
        {"messages": [{**LAMP, "ref": "x" * 41}]},
        {"messages": [{**LAMP, "ref": "a b"}]},
        {"messages": [{**LAMP, "extra": 1}]},
        {"messages": [LAMP, LAMP]},
        {"messages": [{**LAMP, "title": "", "text": ""}]},
        {"messages": [{"ref": str(n), "user": "u", "text": "t"} for n in range(501)]},
        {"messages": [{**LAMP, "text": "漏\u0000水"}]},
    ]
    for body in bad:
        response = await api.post(PATH, json=body, headers=admin)
        assert response.status == 400, body
        assert (await response.json())["error"]["code"] in {"invalid_payload", "rejected"}
    json_type = {**admin, "Content-Type": "application/json"}
    broken = await api.post(PATH, data=b"{not json", headers=json_type)
    assert broken.status == 400
    # A body past JIESU_MAX_BODY_BYTES is refused before it is read.
    huge = {"messages": [{**LAMP, "ref": str(n), "text": "漏水" * 900} for n in range(60)]}
    assert (await api.post(PATH, json=huge, headers=admin)).status == 413
    assert await Case.all().count() == 0
