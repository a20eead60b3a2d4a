"""A themed call (征集活动) from its broadcast to its grouped results, through the public interfaces
only, with the clock moved: the office writes and opens the call (admin API), its notice is
previewed, submitted and approved by a second admin and sent through the fake WeChat when the
call starts; residents reply by keyword and by the menu in the chat, and through the
mini-program; one writes before the start and one after the end (neither is gathered); the
results count the replies and group the similar ideas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import DRAINER, INTAKE
from handlers.broadcasts.delivery import sweep_broadcasts
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import create_user, issue_api_token
from models import StaffUser, Suggestion
from tests.bot.api.test_schemathesis import add_resident_session
from tests.bot.conftest import Resident
from tests.bot.wechat.test_client import fake, wechat_base  # noqa: F401 (fixtures)
from tests.conftest import make_settings
from tests.fake_wechat import FakeWeChat

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Shanghai
PASSWORD = "correct horse battery"
CALLS = "/api/admin/suggestion-calls"


class Api:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = await self.client.request(method, path, json=body, headers=self.headers)
        return response.status, await response.json()


async def staff(client: TestClient, username: str, role: str, openid: str | None) -> Api:
    user = await create_user(username, role, PASSWORD, START)
    if openid:  # the WeChat their notice previews go to
        await StaffUser.filter(id=user.id).update(openid=openid)
    return Api(client, await issue_api_token(user, START, "test"))


async def send_due_notices(client: TestClient) -> None:
    await sweep_broadcasts(await client.app[INTAKE].context())
    while await client.app[DRAINER].drain_once():
        pass
    await sweep_broadcasts(await client.app[INTAKE].context())


async def test_a_call_from_broadcast_to_grouped_results(
    db_url: str,
    aiohttp_client: Any,
    fake: FakeWeChat,  # noqa: F811
    wechat_base: str,  # noqa: F811
) -> None:
    clock = ManualClock(START)
    settings = make_settings(
        db_url,
        outbound_mode="wechat",
        wechat_api_base=wechat_base,
        mp_appid="wxfake",
        mp_secret="fakesecret",
    )
    client: TestClient = await aiohttp_client(create_app(settings, clock))
    await load_demo_district()
    fake.followers = {"o-e2e-1", "o-e2e-2", "o-e2e-3", "o-e2e-late", "o-office"}
    office = await staff(client, "office", "suggestions", "o-office")
    approver = await staff(client, "approver", "admin", None)

    # The office writes the call and opens it: its notice is drafted for all followers,
    # to go when the call starts at 10:00.
    status, body = await office.call(
        "POST",
        CALLS,
        {
            "title": "社区微更新金点子",
            "question": "您希望小区里增加哪些便民设施？",
            "starts_at": (START + timedelta(hours=1)).isoformat(),
            "ends_at": (START + timedelta(days=3)).isoformat(),
            "keyword": "金点子",
            "audience": {"kind": "all"},
            "code": "WMG-E2E",
        },
    )
    assert status == 201, body
    status, body = await office.call("POST", f"{CALLS}/WMG-E2E/open")
    assert status == 200, body
    notice_id = body["call"]["notice"]["id"]
    # The notice's own way: preview to oneself, submit, a second admin approves.
    assert (await office.call("POST", f"/api/admin/notices/{notice_id}/preview"))[0] == 200
    assert (await office.call("POST", f"/api/admin/notices/{notice_id}/submit"))[0] == 200
    status, body = await office.call("POST", f"/api/admin/notices/{notice_id}/approve")
    assert status == 403  # never the author
    status, body = await approver.call("POST", f"/api/admin/notices/{notice_id}/approve")
    assert status == 200, body

    # Before the call starts nothing goes out, and a keyword reply is not gathered.
    await send_due_notices(client)
    assert fake.mass_sends() == []
    early = await Resident(client, "o-e2e-late").say("#金点子 建议小区门口增设一个快递柜")
    assert "将于" in early and "开始" in early

    # 10:01: the call starts and its notice is sent.
    clock.set(START + timedelta(hours=1, minutes=1))
    await send_due_notices(client)
    (mass,) = fake.mass_sends()
    assert mass["filter"] == {"is_to_all": True}
    assert "#金点子" in mass["text"]["content"] and "便民设施" in mass["text"]["content"]

    # Replies within the period: by keyword, by the menu, and through the mini-program.
    first = await Resident(client, "o-e2e-1").say("#金点子 建议小区多装几个电动车充电桩")
    second = await Resident(client, "o-e2e-2").say("金点子：小区应该增设电动自行车充电桩")
    assert "JY" in first and "社区微更新金点子" in first and "JY" in second
    tapper = Resident(client, "o-e2e-3")
    status, prompt = await tapper.send(
        "text", {"Content": "我要提建议", "MsgId": tapper.msg_id(), "bizmsgmenuid": "call:WMG-E2E"}
    )
    assert status == 200 and "您希望小区里增加哪些便民设施" in prompt
    third = await tapper.say("电动车充电桩太少了，晚上充电要排队")
    assert "JY" in third
    clock.advance(timedelta(days=1))
    await add_resident_session("o-e2e-mini", "jsr_e2e-mini", clock.now())
    response = await client.post(
        "/api/resident/suggestions",
        json={
            "request_id": "e2e-mini-0001",
            "text": "公园里多放一些长椅供老人休息",
            "call": "WMG-E2E",
        },
        headers={"Authorization": "Bearer jsr_e2e-mini"},
    )
    assert response.status == 201, await response.text()

    # After the end: told the call is over; the words are not gathered under it.
    clock.set(START + timedelta(days=3, hours=1))
    late = await Resident(client, "o-e2e-late").say("#金点子 建议增加公交线路的班次")
    assert "已于" in late and "结束" in late

    status, body = await office.call("GET", f"{CALLS}/WMG-E2E/results")
    assert status == 200, body
    assert body["call"]["status"] == "closed"  # closed by the first look after its end
    assert body["replies"] == 4 and body["residents"] == 4
    assert [d["count"] for d in body["by_day"]] == [3, 1]
    assert body["by_channel"] == {"mp": 3, "miniprogram": 1}
    top, other = body["groups"]
    assert top["size"] == 3 and "充电桩" in top["key_words"]
    assert other["size"] == 1 and other["samples"][0]["text"] == "公园里多放一些长椅供老人休息"
    gathered = {s.number for s in await Suggestion.filter(call__code="WMG-E2E")}
    assert all(n in gathered for g in body["groups"] for n in g["numbers"])
    outside = await Suggestion.filter(call_id=None).values_list("text", flat=True)
    assert "建议增加公交线路的班次" not in "".join(
        str(t) for t in await Suggestion.filter(call__code="WMG-E2E").values_list("text", flat=True)
    )
    assert all("金点子" not in str(t) for t in outside)  # the keyword never stays in the words
