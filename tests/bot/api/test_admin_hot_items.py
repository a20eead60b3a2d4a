"""Governance items through the admin API: the whole life of one (made from residents' cases, a
new matching case linked as it arrives through the WeChat intake, notes, a milestone, the close,
the residents told through an approved broadcast that reaches exactly them at the fake WeChat
server), the ledger and its exports, and hostile callers (wrong role, another unit, the past,
unknown units and cases, twice, in parallel, oversized)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from bot.keys import DRAINER, INTAKE
from handlers.broadcasts.delivery import sweep_broadcasts
from handlers.clock import local
from handlers.hot.topics import case_topics
from handlers.staff.accounts import create_user, issue_api_token
from models import (
    AuditEvent,
    Case,
    CaseEvent,
    HotItem,
    HotItemCase,
    HotItemNote,
    StaffUser,
    Unit,
    Worker,
    WorkerRole,
)
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.wechat.test_client import fake, wechat_base  # noqa: F401 (fixtures)
from tests.fake_wechat import FakeWeChat

BASE = "/api/admin/hot/items"
PASSWORD = "correct horse battery"
NOW = datetime.now(UTC)
LIFT = "开鲁新村12号楼电梯经常坏，老人上下楼很困难，希望尽快维修电梯"
LIFT_AGAIN = "开鲁新村12号楼的电梯又坏了，困了好几次人，请尽快修电梯"
LIFT_OTHER_BUILDING = "开鲁新村5号楼电梯坏了好几天了没人修"
LAMP_SAME_PLACE = "开鲁新村门口的路灯不亮"
LIFT_OTHER_PLACE = "国权路小区电梯坏了好几天了没人修"


class Staff:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        response = await self.client.request(
            method, BASE + path, json=body if body is not None else {}, headers=self.headers
        )
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()

    async def get(self, path: str = "") -> tuple[int, Any]:
        response = await self.client.get(BASE + path, headers=self.headers)
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        return await self.call("POST", path, body)


async def staff(client: TestClient, username: str, role: str, unit: str | None = None) -> Staff:
    unit_id = (await Unit.get(code=unit)).id if unit else None
    worker_id = None
    if username == "author":  # a preview goes to the author's own WeChat
        worker = await Worker.create(name="编辑", role=WorkerRole.DISPATCHER, openid="o-author")
        worker_id = worker.id
    user = await create_user(username, role, PASSWORD, NOW, unit_id=unit_id, worker_id=worker_id)
    return Staff(client, await issue_api_token(user, NOW, "test"))


def today() -> str:
    return local(NOW).date().isoformat()


def days(n: int) -> str:
    return (local(NOW).date() + timedelta(days=n)).isoformat()


async def from_hot_issue(numbers: list[str]) -> dict[str, Any]:
    """The hidden fields the hot page sends for an issue made of ``numbers``."""
    topics, _ = await case_topics(NOW - timedelta(days=1), NOW + timedelta(days=1))
    mine = [t for t in topics if t.number in numbers]
    words = list(dict.fromkeys(w for t in mine for w in t.words))[:6]
    return {
        "numbers": numbers,
        "topic_words": words,
        "place_key": mine[0].place_key,
        "place_label": mine[0].place_name,
        "category": mine[0].category,
        "heat": {"residents": 2, "growth": 1.0},
    }


def item_body(hot: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "开鲁新村电梯反复故障",
        "kind": "proactive",
        "owner_unit": "ST-YX",
        "co_units": ["MARKET"],
        "plan": "联系维保单位全面检修，更换老旧部件",
        "deadline": days(30),
        "milestones": [
            {"title": "现场排查", "due": days(3)},
            {"title": "完成维修", "due": days(20)},
        ],
        **hot,
    }
    body.update(changes)
    return body


async def drain(client: TestClient) -> None:
    for _ in range(3):
        await sweep_broadcasts(await client.app[INTAKE].context())
        while await client.app[DRAINER].drain_once():
            pass


async def case_number(openid: str) -> str:
    case = await Case.filter(resident__openid=openid).order_by("-id").first()
    assert case is not None
    return case.number


@pytest.fixture
async def app(make_client: ClientFactory, wechat_base: str) -> TestClient:  # noqa: F811
    return await make_client(
        outbound_mode="wechat",
        wechat_api_base=wechat_base,
        mp_appid="wxfake",
        mp_secret="fakesecret",
    )


async def test_the_life_of_an_item(app: TestClient, fake: FakeWeChat) -> None:  # noqa: F811
    client = app
    intake = client.app[INTAKE]
    author = await staff(client, "author", "admin")
    approver = await staff(client, "approver", "admin")
    owner = await staff(client, "yx", "unit", "ST-YX")
    helper = await staff(client, "market", "unit", "MARKET")
    await Resident(client, "o-r0").say(LIFT)
    await Resident(client, "o-r1").say(LIFT_AGAIN)  # merged into r0's case
    first = await case_number("o-r0")
    duplicate = await Case.get(number=await case_number("o-r1"))
    assert duplicate.duplicate_of_id is not None
    await intake.drain_background()

    status, body = await author.post("", item_body(await from_hot_issue([first])))
    assert status == 201, body
    item = body["item"]
    number = item["number"]
    assert number == f"RD{local(NOW):%y%m}0001"
    assert {c["number"] for c in item["case_list"]} == {first, duplicate.number}  # with its dup
    assert item["milestones"] == 2 and item["owner_unit"] == "殷行街道办事处"
    assert item["timeline"][0]["action"] == "created"
    events = await CaseEvent.filter(case__number=first, action="annotate")
    assert [e.data["how"] for e in events if e.data.get("hot_item") == number] == ["hot"]

    # New cases through the real intake: the matching one is linked, the others are not.
    await Resident(client, "o-r2").say(LIFT_OTHER_BUILDING)
    await Resident(client, "o-r3").say(LAMP_SAME_PLACE)
    await Resident(client, "o-r4").say(LIFT_OTHER_PLACE)
    await intake.drain_background()
    linked = set(
        await HotItemCase.filter(item__number=number).values_list("case__number", flat=True)
    )
    assert await case_number("o-r2") in linked
    assert await case_number("o-r3") not in linked and await case_number("o-r4") not in linked
    assert await HotItemCase.filter(item__number=number, how="auto").count() == 1
    assert (
        await HotItemNote.filter(item__number=number, action="linked", actor="system").count() == 1
    )

    # The owner unit reports and ticks; the co-unit only notes.
    status, body = await helper.post(f"/{number}/notes", {"text": "已约谈维保单位"})
    assert status == 201, body
    milestone = body["item"]["milestone_list"][0]["id"]
    status, body = await helper.post(f"/{number}/milestones/{milestone}/done", {})
    assert status == 403
    version = (await owner.get(f"/{number}"))[1]["item"]["version"]
    status, body = await owner.post(
        f"/{number}/milestones/{milestone}/done", {"note": "已排查", "version": version}
    )
    assert status == 200, body
    assert body["item"]["milestones_done"] == 1
    status, body = await owner.post(f"/{number}/milestones/{milestone}/done", {})
    assert status == 409  # twice
    status, body = await owner.post(f"/{number}/notice", {})
    assert status == 403  # telling residents is the centre's
    status, body = await owner.post(
        f"/{number}/close", {"outcome": "solved", "result": "已更换电梯主板并加装远程监测"}
    )
    assert status == 200, body
    assert body["item"]["status"] == "closed" and body["item"]["may"]["note"] is False
    status, body = await owner.post(f"/{number}/notes", {"text": "晚了"})
    assert status == 409

    # Tell the residents: one notice, approved by a second admin, reaching exactly them.
    status, body = await author.post(f"/{number}/notice", {})
    assert status == 201, body
    nid = body["notice"]["id"]
    assert body["item"]["notice"]["id"] == nid
    status, again = await author.post(f"/{number}/notice", {})
    assert status == 409, again
    notices = client.app.router  # noqa: F841 (the notice goes the usual way)
    headers = author.headers
    response = await client.post(f"/api/admin/notices/{nid}/preview", json={}, headers=headers)
    assert response.status == 200, await response.text()
    response = await client.post(f"/api/admin/notices/{nid}/submit", json={}, headers=headers)
    assert response.status == 200, await response.text()
    response = await client.post(
        f"/api/admin/notices/{nid}/approve", json={"note": "同意"}, headers=approver.headers
    )
    assert response.status == 200, await response.text()
    await drain(client)
    (mass,) = fake.mass_sends()
    assert sorted(mass["touser"]) == ["o-r0", "o-r1", "o-r2"]
    assert "已更换电梯主板" in mass["text"]["content"]

    actions = [
        e.action
        for e in await AuditEvent.filter(target_type="hot_item", target_id=number).order_by("id")
    ]
    assert actions == [
        "hot_item.create",
        "hot_item.progress",
        "hot_item.milestone_done",
        "hot_item.close",
        "hot_item.notice",
    ]


async def test_ledger_filters_and_exports(app: TestClient) -> None:
    client = app
    dispatcher = await staff(client, "disp", "dispatcher")
    unit = await staff(client, "yx", "unit", "ST-YX")
    other = await staff(client, "cb", "unit", "ST-CB")
    a = (await dispatcher.post("", item_body({}, title="甲事项")))[1]["item"]["number"]
    b = (
        await dispatcher.post(
            "",
            item_body(
                {},
                title="=乙事项",
                kind="monthly",
                month="2026-05",
                owner_unit="ST-CB",
                co_units=[],
            ),
        )
    )[1]["item"]["number"]
    status, body = await dispatcher.get("?kind=monthly")
    assert status == 200 and [i["number"] for i in body["items"]] == [b]
    status, body = await dispatcher.get("?owner=ST-YX&q=甲")
    assert [i["number"] for i in body["items"]] == [a]
    status, body = await dispatcher.get("?co_unit=MARKET")
    assert [i["number"] for i in body["items"]] == [a]
    status, body = await dispatcher.get("?page_size=1&page=2")
    assert body["total"] == 2 and len(body["items"]) == 1 and not body["has_more"]
    assert (await dispatcher.get("?status=nonsense"))[0] == 400
    assert (await dispatcher.get("?owner=NOPE"))[0] == 400
    # A unit sees its own items only; another unit's is as if there were none.
    assert [i["number"] for i in (await unit.get())[1]["items"]] == [a]
    assert (await other.get(f"/{a}"))[0] == 404
    assert (await unit.get(f"/{b}"))[0] == 404

    status, data = await dispatcher.get(".csv")
    assert status == 200
    text = data.decode("utf-8-sig")
    assert (
        text.splitlines()[0]
        == "编号,类型,标题,地点,牵头单位,协办单位,立项时间,期限,状态,进度,关联诉求数,结果"
    )
    assert "'=乙事项" in text and "0/2" in text
    status, data = await dispatcher.get(".xlsx?kind=proactive")
    assert status == 200
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and rows[1][0] == a and len(rows) == 2
    exports = await AuditEvent.filter(action="hot_item.export").count()
    assert exports == 2


async def test_hostile_callers_change_nothing(app: TestClient) -> None:
    client = app
    dispatcher = await staff(client, "disp", "dispatcher")
    unit = await staff(client, "yx", "unit", "ST-YX")
    office = await staff(client, "office", "suggestions")
    assert (await unit.post("", item_body({})))[0] == 403
    assert (await office.get(""))[0] == 403
    assert (await dispatcher.post("", item_body({}, deadline=days(-1))))[0] == 400
    status, body = await dispatcher.post("", item_body({}, owner_unit="NOPE"))
    assert status == 400 and "NOPE" in body["error"]["message"]
    status, body = await dispatcher.post("", item_body({"numbers": ["2601019999"]}))
    assert status == 400 and "2601019999" in body["error"]["message"]
    assert (await dispatcher.post("", item_body({}, title="长" * 200)))[0] == 400
    assert (await dispatcher.post("", item_body({}, plan="长" * 5000)))[0] == 400
    assert (await dispatcher.post("", item_body({}, kind="monthly")))[0] == 400  # no month
    assert (await dispatcher.post("", item_body({}, heat={"x": "长" * 5000})))[0] == 400
    milestones = [{"title": "x", "due": days(-2)}]
    assert (await dispatcher.post("", item_body({}, milestones=milestones)))[0] == 400
    assert await HotItem.all().count() == 0
    assert (await dispatcher.get("/RD99999999"))[0] == 404

    # Every monthly item of a unit and month once.
    monthly = item_body({}, kind="monthly", month="2026-06")
    assert (await dispatcher.post("", monthly))[0] == 201
    status, body = await dispatcher.post("", monthly)
    assert status == 409 and "每月一题" in body["error"]["message"]

    # In parallel: two items get two numbers; two edits of one version, one wins.
    results = await asyncio.gather(*(dispatcher.post("", item_body({})) for _ in range(2)))
    assert [s for s, _ in results] == [201, 201]
    numbers = {b["item"]["number"] for _, b in results}
    assert len(numbers) == 2
    number = sorted(numbers)[0]
    version = (
        results[0][1]["item"]["version"]
        if results[0][1]["item"]["number"] == number
        else (results[1][1]["item"]["version"])
    )
    edits = await asyncio.gather(
        dispatcher.call("PATCH", f"/{number}", {"plan": "方案甲", "version": version}),
        dispatcher.call("PATCH", f"/{number}", {"plan": "方案乙", "version": version}),
    )
    assert sorted(s for s, _ in edits) == [200, 409]
    # A deadline moved needs its reason, and is noted with it.
    status, body = await dispatcher.call("PATCH", f"/{number}", {"deadline": days(40)})
    assert status == 400
    status, body = await dispatcher.call(
        "PATCH", f"/{number}", {"deadline": days(40), "deadline_reason": "需等待配件"}
    )
    assert status == 200 and body["item"]["deadline"] == days(40)
    assert "需等待配件" in body["item"]["timeline"][-1]["text"]
    assert (
        await dispatcher.call("PATCH", f"/{number}", {"deadline": days(-1), "deadline_reason": "x"})
    )[0] == 400
    # Unknown case to link, a case not linked to unlink, a stale version.
    assert (await dispatcher.post(f"/{number}/cases", {"number": "2601019999"}))[0] == 400
    assert (await dispatcher.call("DELETE", f"/{number}/cases/2601019999"))[0] == 400
    assert (await dispatcher.post(f"/{number}/notes", {"text": "x", "version": 0}))[0] == 409
    assert (await dispatcher.post(f"/{number}/notes", {"text": "x" * 3000}))[0] == 400
    # Withdraw, then nothing more; the notice needs a closed item.
    assert (await dispatcher.post(f"/{number}/notice", {}))[0] == 409
    assert (await dispatcher.post(f"/{number}/withdraw", {"reason": "重复立项"}))[0] == 200
    assert (await dispatcher.post(f"/{number}/withdraw", {"reason": "重复立项"}))[0] == 409
    assert (await dispatcher.post(f"/{number}/close", {"outcome": "solved", "result": "x"}))[
        0
    ] == 409
    assert await StaffUser.filter(username="disp").exists()
