"""The admin API for broadcast notices: the way from a draft to WeChat's report over HTTP, with
bearer tokens; who may do what; errors; every action in the audit trail."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.keys import DRAINER, INTAKE
from handlers.broadcasts.delivery import sweep_broadcasts
from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent, InboundMessage, StaffUser
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.wechat.test_client import fake, wechat_base  # noqa: F401 (fixtures)
from tests.fake_wechat import FakeWeChat
from tests.handlers.broadcasts.test_notices import NOW, PASSWORD, PLACES, TEXT, Town, make_town

BASE = "/api/admin/notices"
TEMPLATE = {"template_id": "TPL", "data": {"first": "停水通知"}}


class Staff:
    """Calls the API as one staff member, with a bearer token."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        response = await self.client.request(
            method, BASE + path, json=body if body is not None else {}, headers=self.headers
        )
        return response.status, await response.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        return await self.call("POST", path, body)

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        response = await self.client.get(BASE + path, headers=self.headers)
        return response.status, await response.json()


async def as_staff(client: TestClient, username: str) -> Staff:
    user = await StaffUser.get(username=username)
    return Staff(client, await issue_api_token(user, NOW, "test"))


@pytest.fixture
async def api(make_client: ClientFactory, wechat_base: str) -> tuple[TestClient, Town]:  # noqa: F811
    client = await make_client(
        demo=False,
        outbound_mode="wechat",
        wechat_api_base=wechat_base,
        mp_appid="wxfake",
        mp_secret="fakesecret",
    )
    town = await make_town()
    await create_user("unit1", "unit", PASSWORD, NOW, unit_id=town.street.id)
    return client, town


def draft(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "停水通知",
        "kind": "text",
        "channel": "mp_mass",
        "audience": PLACES,
        "content": TEXT,
    }
    body.update(changes)
    return body


async def sweep_and_drain(client: TestClient) -> None:
    await sweep_broadcasts(await client.app[INTAKE].context())
    while await client.app[DRAINER].drain_once():
        pass
    await sweep_broadcasts(await client.app[INTAKE].context())


async def test_from_draft_to_wechats_report(
    api: tuple[TestClient, Town],
    fake: FakeWeChat,  # noqa: F811
) -> None:
    client, _ = api
    author = await as_staff(client, "author")
    approver = await as_staff(client, "approver")

    status, body = await author.post("", draft())
    assert status == 201, body
    notice = body["notice"]
    assert notice["status"] == "draft" and notice["status_label"] == "草稿"
    nid = notice["id"]

    status, body = await author.post(
        "/audience", {k: draft()[k] for k in ("kind", "channel", "audience")}
    )
    assert status == 200 and body["audience"]["to_send"] == 3
    assert body["audience"]["skipped_sample"][0]["reason"] == "居民已取消关注"

    status, body = await author.post(f"/{nid}/submit")
    assert status == 400 and "预览" in body["error"]["message"]
    assert (await author.post(f"/{nid}/preview"))[0] == 200
    status, body = await author.post(f"/{nid}/submit")
    assert status == 200 and body["notice"]["status"] == "awaiting_approval"

    status, body = await author.post(f"/{nid}/approve", {"note": "我自己批"})
    assert status == 403 and "另一位管理员" in body["error"]["message"]
    status, body = await approver.post(f"/{nid}/approve", {"note": "同意发送"})
    assert status == 200 and body["notice"]["approved_by"] == "approver"
    status, body = await approver.post(f"/{nid}/approve")
    assert status == 409 and body["error"]["code"] == "illegal_state"

    await sweep_and_drain(client)
    (mass,) = fake.mass_sends()
    assert sorted(mass["touser"]) == ["o-r1", "o-r2", "o-r3"]
    status, body = await approver.get(f"/{nid}")
    assert status == 200 and body["notice"]["status"] == "done"
    progress = body["progress"]
    assert progress["counts"]["sent"] == 3 and progress["counts"]["skipped"] == 1
    assert progress["skipped_reasons"] == [{"reason": "居民已取消关注", "count": 1}]

    # WeChat's MASSSENDJOBFINISH arrives on /wechat/mp and completes the record.
    (msg_id,) = fake.jobs
    status, _ = await Resident(client, "mphelper").send("event", fake.mass_job_event(msg_id))
    assert status == 200
    _, body = await approver.get(f"/{nid}")
    assert body["notice"]["wechat_result"]["sent"] == 3
    assert body["notice"]["wechat_result"]["status"] == "send success"

    actions = [
        (e.action, e.username, e.via)
        for e in await AuditEvent.filter(target_type="notice", target_id=str(nid)).order_by("id")
    ]
    assert actions == [
        ("notice.create", "author", "api"),
        ("notice.preview", "author", "api"),
        ("notice.submit", "author", "api"),
        ("notice.approve", "approver", "api"),
    ]
    status, body = await approver.get("?status=done")
    assert status == 200 and [n["id"] for n in body["notices"]] == [nid]


async def test_cancel_mid_way_through_the_api(api: tuple[TestClient, Town]) -> None:
    client, town = api
    author = await as_staff(client, "author")
    approver = await as_staff(client, "approver")
    from tests.handlers.broadcasts.test_notices import more_residents

    await more_residents(town, 6)
    _, body = await author.post("", draft(channel="mp_template", kind="template", content=TEMPLATE))
    nid = body["notice"]["id"]
    await author.post(f"/{nid}/preview")
    await author.post(f"/{nid}/submit")
    await approver.post(f"/{nid}/approve")
    await sweep_broadcasts(await client.app[INTAKE].context())
    await asyncio.sleep(0.1)  # rows fall due at the outbound rate (50 a second)
    await client.app[DRAINER].drain_once(limit=3)  # the preview and two residents
    status, body = await approver.post(f"/{nid}/cancel")
    assert status == 200 and body["notice"]["status"] == "cancelled"
    counts = body["progress"]["counts"]
    assert counts["sent"] == 2 and counts["cancelled"] == 5 and counts["pending"] == 0
    while await client.app[DRAINER].drain_once():
        pass
    _, body = await approver.get(f"/{nid}")
    assert body["progress"]["counts"]["sent"] == 2


async def test_who_may_do_what(api: tuple[TestClient, Town]) -> None:
    client, _ = api
    author = await as_staff(client, "author")
    dispatcher = await as_staff(client, "dispatcher")
    unit = await as_staff(client, "unit1")

    status, body = await unit.post("", draft())
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (await unit.get(""))[0] == 403
    status, body = await dispatcher.post("", draft(title="调度起草"))
    assert status == 201
    nid = body["notice"]["id"]
    status, body = await author.call("PATCH", f"/{nid}", {"title": "改别人的"})
    assert status == 403 and "起草人" in body["error"]["message"]

    _, mine = await author.post("", draft())
    mid = mine["notice"]["id"]
    await author.post(f"/{mid}/preview")
    await author.post(f"/{mid}/submit")
    status, body = await dispatcher.post(f"/{mid}/approve")
    assert status == 403  # dispatchers compose, only admins approve
    status, body = await dispatcher.post(f"/{mid}/reject", {"reason": "不行"})
    assert status == 403
    assert (await unit.post(f"/{mid}/cancel"))[0] == 403
    assert (await client.get(BASE)).status == 401


async def test_errors_say_what_is_wrong(api: tuple[TestClient, Town]) -> None:
    client, _ = api
    author = await as_staff(client, "author")
    status, body = await author.post("", {"title": "缺内容"})
    assert status == 400 and body["error"]["code"] == "invalid_payload"
    assert {p["field"] for p in body["error"]["problems"]} >= {"kind", "channel"}
    status, body = await author.post("", draft(audience={"kind": "tag", "tags": [1, 2]}))
    assert status == 400 and body["error"]["code"] == "invalid_notice"
    assert "一个微信标签" in body["error"]["message"]
    status, body = await author.post("", draft(scheduled_at="2026-03-10T09:00:00"))
    assert status == 400  # a time without its zone is ambiguous
    response = await client.post(
        BASE, data=b"{not json", headers=author.headers | {"Content-Type": "application/json"}
    )
    assert response.status == 400 and (await response.json())["error"]["code"] == "invalid_json"
    assert (await author.get("/999999"))[0] == 404
    approver = await as_staff(client, "approver")
    status, body = await approver.post("/999999/approve")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await approver.post("/999999/reject", {"reason": ""})
    assert status == 400


async def test_two_job_reports_in_one_second_are_both_kept(api: tuple[TestClient, Town]) -> None:
    client, _ = api
    helper = Resident(client, "mphelper")
    for msg_id in (1001, 1002):  # two batches of one notice, finished in the same second
        fields = {"Event": "MASSSENDJOBFINISH", "MsgID": msg_id, "Status": "send success"}
        status, _ = await helper.send("event", fields, create_time=1_800_000_000)
        assert status == 200
    assert await InboundMessage.filter(event="masssendjobfinish").count() == 2
