"""A suggestion's whole life through the public interfaces, the clock moving: a resident's chat
message → the office sees it in its screening queue, overdue after two working days → adopts it
for the traffic committee (API) → the committee answers (API) → 批示 and 落地 recorded (API). At
each step what the proposer was sent (the outbox), on the channel open at that moment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import issue_api_token
from models import OutboxMessage, Resident, StaffUser, Unit, Worker, WorkerRole
from tests.bot.conftest import Resident as Chat
from tests.conftest import make_settings

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai
PREFIX = "/api/admin/suggestions"


async def bearer(name: str, role: str, unit: str | None = None) -> dict[str, str]:
    unit_id = (await Unit.get(code=unit)).id if unit else None
    user = await StaffUser.create(username=name, role=role, unit_id=unit_id, created_at=START)
    return {"Authorization": f"Bearer {await issue_api_token(user, START, 'test')}"}


async def told(number: str) -> list[OutboxMessage]:
    rows = await OutboxMessage.filter(purpose="suggestion").order_by("id")
    return [row for row in rows if number in str(row.payload)]


async def test_from_a_chat_message_to_its_result(db_url: str, aiohttp_client: Any) -> None:
    clock = ManualClock(START)
    settings = make_settings(db_url, mp_template_case_update="tmpl-case-update")
    client: TestClient = await aiohttp_client(create_app(settings, clock))
    await load_demo_district()
    traffic_unit = await Unit.get(code="TRAFFIC")
    await Worker.create(
        name="交通委王处", role=WorkerRole.UNIT_HEAD, unit_id=traffic_unit.id, openid="o-jtw-head"
    )
    office = await bearer("jianyi", "suggestions")
    traffic = await bearer("jtw", "unit", "TRAFFIC")

    async def post(path: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=body, headers=headers)
        answer: dict[str, Any] = await response.json()
        assert response.status == 200, answer
        return answer

    # Day 0: the resident writes in the chat; the reply tells the number.
    chat = Chat(client, "o-life-1")
    reply = await chat.say("建议在控江路增设一个公交站，附近居民出行太不方便了")
    found = re.search(r"JY\d+", reply)
    assert found and "人民建议征集办公室" in reply
    number = found.group(0)
    await Resident.filter(openid="o-life-1").update(consent_template=True)

    # Day 1: in the office's queue, not yet overdue; day 3 (two working days on): overdue.
    clock.advance(timedelta(days=1))
    listed = await (await client.get(f"{PREFIX}?status=screening", headers=office)).json()
    assert [(s["number"], s["overdue"]) for s in listed["suggestions"]] == [(number, False)]
    clock.advance(timedelta(days=2))
    listed = await (await client.get(f"{PREFIX}?overdue=1", headers=office)).json()
    assert [s["number"] for s in listed["suggestions"]] == [number]

    # Adopted for the traffic committee: the committee's head hears of it, the proposer too
    # (the 48-hour window has closed: by the case-update template they agreed to).
    body = await post(f"{PREFIX}/{number}/adopt", office, {"units": ["TRAFFIC"]})
    due = body["suggestion"]["adoptions"][0]["due_at"]
    assert due and datetime.fromisoformat(due) > clock.now() + timedelta(days=19)
    (adopted,) = await told(number)
    assert adopted.channel == "mp_template" and "已被采纳" in str(adopted.payload)
    assert "区交通委员会" in str(adopted.payload)
    tasks = await OutboxMessage.filter(purpose="suggestion_task")
    assert [t.recipient for t in tasks] == ["o-jtw-head"] and number in str(tasks[0].payload)

    # Day 13: the committee answers; the proposer is told the answer.
    clock.advance(timedelta(days=10))
    answer = {"kind": "project", "answer": "已纳入公交站点优化项目", "date": "2026-06-01"}
    body = await post(f"{PREFIX}/{number}/adoptions/TRAFFIC/answer", traffic, answer)
    assert body["suggestion"]["status"] == "answered"
    answered = (await told(number))[-1]
    assert "区交通委员会（纳入项目）：已纳入公交站点优化项目，2026年6月1日起实施" in str(
        answered.payload
    )

    # The resident writes again (the window opens): the next notices go as chat messages.
    clock.advance(timedelta(days=30))
    await chat.say("谢谢")
    await post(f"{PREFIX}/{number}/instruction", office, {"text": "请交通委加快推进"})
    clock.advance(timedelta(hours=2))
    body = await post(f"{PREFIX}/{number}/implemented", office, {"result": "控江路新站已启用"})
    assert body["suggestion"]["status"] == "implemented"
    messages = await told(number)
    assert [m.channel for m in messages] == ["mp_template", "mp_template", "mp_custom", "mp_custom"]
    instructed, implemented = messages[2], messages[3]
    assert "批示" in str(instructed.payload) and "加快推进" not in str(instructed.payload)
    assert "已落地：控江路新站已启用" in str(implemented.payload)
    timeline = (await (await client.get(f"{PREFIX}/{number}", headers=office)).json())[
        "suggestion"
    ]["timeline"]
    assert [(e["action"], e["told"]) for e in timeline] == [
        ("receive", True),
        ("adopt", True),
        ("answer", False),
        ("answered", True),
        ("instruct", True),
        ("implement", True),
    ]
