"""The staff API for themed calls (征集活动) and for suggestions entered by staff: the way from a
draft to results over HTTP with bearer tokens, who may do what, and refusals that change
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import (
    AuditEvent,
    Notice,
    NoticeStatus,
    Resident,
    Station,
    Suggestion,
    SuggestionCall,
    SuggestionEvent,
)
from tests.bot.conftest import ClientFactory
from tests.bot.conftest import Resident as ChatResident

NOW = datetime.now(UTC)
BASE = "/api/admin/suggestion-calls"
PASSWORD = "correct horse battery"


class Staff:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = await self.client.request(method, path, json=body, headers=self.headers)
        return response.status, await response.json()


async def staff(client: TestClient, username: str, role: str) -> Staff:
    user = await create_user(username, role, PASSWORD, NOW)
    return Staff(client, await issue_api_token(user, NOW, "test"))


def call_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "社区微更新金点子",
        "question": "您希望小区里增加哪些便民设施？",
        "starts_at": (NOW - timedelta(minutes=5)).isoformat(),
        "ends_at": (NOW + timedelta(days=14)).isoformat(),
        "keyword": "#金点子",
        "audience": {"kind": "residents", "streets": ["五角场街道"]},
    }
    body.update(changes)
    return body


async def test_from_a_draft_to_results(make_client: ClientFactory) -> None:
    client = await make_client()
    office = await staff(client, "office", "suggestions")
    status, body = await office.call("POST", BASE, call_body(code="WMG-2026"))
    assert status == 201, body
    call = body["call"]
    assert call["status"] == "draft" and call["status_label"] == "草稿"
    assert call["keyword"] == "金点子" and call["notice"] is None and call["replies"] == 0
    assert "#金点子" in call["announcement"]

    status, body = await office.call("PUT", f"{BASE}/WMG-2026", call_body(title="微更新金点子"))
    assert status == 200 and body["call"]["title"] == "微更新金点子"
    status, body = await office.call("GET", BASE)
    assert status == 200 and [c["code"] for c in body["calls"]] == ["WMG-2026"]
    assert (await office.call("GET", f"{BASE}?status=open"))[1]["calls"] == []

    status, body = await office.call("POST", f"{BASE}/WMG-2026/open")
    assert status == 200, body
    notice = body["call"]["notice"]
    assert body["call"]["status"] == "open" and notice["status"] == "draft"
    stored = await Notice.get(id=notice["id"])
    assert stored.created_by == "office" and "微更新金点子" in stored.content["text"]
    assert (await office.call("POST", f"{BASE}/WMG-2026/open"))[0] == 409

    # Residents reply in the chat within the period.
    for openid, words in (
        ("o-wmg-1", "#金点子 建议小区多装几个电动车充电桩"),
        ("o-wmg-2", "金点子：小区应该增设电动自行车充电桩"),
    ):
        reply = await ChatResident(client, openid).say(words)
        assert "JY" in reply and "微更新金点子" in reply
    status, body = await office.call("GET", f"{BASE}/WMG-2026/results")
    assert status == 200, body
    assert body["replies"] == 2 and body["residents"] == 2 and body["call"]["replies"] == 2
    assert body["groups"][0]["size"] == 2 and "充电桩" in body["groups"][0]["key_words"]
    assert body["by_channel"] == {"mp": 2} and sum(d["count"] for d in body["by_day"]) == 2

    status, body = await office.call("POST", f"{BASE}/WMG-2026/close")
    assert status == 200 and body["call"]["status"] == "closed"
    assert (await Notice.get(id=notice["id"])).status == NoticeStatus.CANCELLED
    actions = [
        e.action for e in await AuditEvent.filter(target_type="suggestion_call").order_by("id")
    ]
    assert actions == [
        "suggestion_call.create",
        "suggestion_call.update",
        "suggestion_call.open",
        "suggestion_call.close",
    ]


async def test_refusals_change_nothing(make_client: ClientFactory) -> None:
    client = await make_client()
    office = await staff(client, "office", "suggestions")
    dispatcher = await staff(client, "dispatcher", "dispatcher")
    unit = await staff(client, "supervisor", "supervisor")
    status, body = await dispatcher.call("POST", BASE, call_body())
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (await unit.call("GET", BASE))[0] == 403
    for bad in (
        call_body(ends_at="tomorrow"),
        call_body(starts_at="2026-03-10T09:00:00"),  # no time zone
        call_body(keyword="金"),
        call_body(audience={"kind": "workers", "units": ["ST-WJC"]}),
        call_body(channels=["sms"]),
        call_body(code="a b"),
        call_body(title="\x00"),
        call_body(extra=1),
    ):
        status, body = await office.call("POST", BASE, bad)
        assert status == 400, (bad, body)
    assert await SuggestionCall.all().count() == 0
    for method, path in (
        ("GET", f"{BASE}/NOPE"),
        ("POST", f"{BASE}/NOPE/open"),
        ("GET", f"{BASE}/NOPE/results"),
        ("GET", f"{BASE}/..%2F..%2Fetc"),
    ):
        status, body = await office.call(method, path)
        assert status == 404 and body["error"]["code"] == "not_found", path
    assert (await office.call("GET", f"{BASE}?status=bogus"))[0] == 400
    # One open call per keyword.
    await office.call("POST", BASE, call_body(code="A1"))
    await office.call("POST", BASE, call_body(code="A2", audience={}))
    assert (await office.call("POST", f"{BASE}/A1/open"))[0] == 200
    status, body = await office.call("POST", f"{BASE}/A2/open")
    assert status == 409 and "金点子" in body["error"]["message"]
    assert (await SuggestionCall.get(code="A2")).status == "draft"


async def test_staff_enter_suggestions_by_phone_letter_and_station(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    dispatcher = await staff(client, "dispatcher", "dispatcher")
    unit = await staff(client, "supervisor", "supervisor")
    station = await Station.create(
        code="KJ-01", name="控江路街道人民建议征集联系点", kind="station", created_at=NOW
    )
    await Station.create(code="OLD", name="旧联系点", active=False, created_at=NOW)
    status, body = await dispatcher.call(
        "POST",
        "/api/admin/suggestions",
        {
            "text": "建议在控江路增设一个公交站，附近居民出行太不方便了",
            "via": "visit",
            "station": "KJ-01",
            "name": "王女士",
            "phone": "13812345678",
            "consent_publish": True,
        },
    )
    assert status == 201, body
    number = body["suggestion"]["number"]
    assert number.startswith("JY") and body["suggestion"]["channel"] == "station"
    suggestion = await Suggestion.get(number=number)
    assert suggestion.resident_id is None and suggestion.station_id == station.id
    assert suggestion.contact_phone == "13812345678" and suggestion.consent_publish
    (event,) = await SuggestionEvent.filter(suggestion_id=suggestion.id)
    assert event.actor_type == "staff" and event.actor_id == "dispatcher"
    assert "来访" in event.note and "王女士" in event.note and not event.told
    assert event.data["via"] == "visit" and event.data["station"] == "KJ-01"
    status, body = await dispatcher.call(
        "POST", "/api/admin/suggestions", {"text": "建议社区多开展一些老年人活动", "via": "letter"}
    )
    assert status == 201 and body["suggestion"]["channel"] == "staff"
    assert await Resident.all().count() == 0  # no account for a proposer by letter
    for bad in (
        {"text": "建议……", "station": "NOPE"},
        {"text": "建议……", "station": "OLD"},
        {"text": "建议……", "call": "NOPE"},
        {"text": "建议……", "via": "fax"},
        {"text": ""},
        {"text": "建议……", "phone": "call me"},
    ):
        status, body = await dispatcher.call("POST", "/api/admin/suggestions", bad)
        assert status == 400, (bad, body)
    assert (await unit.call("POST", "/api/admin/suggestions", {"text": "建议……"}))[0] == 403
    assert await Suggestion.all().count() == 2
    audits = await AuditEvent.filter(action="suggestion.enter").count()
    assert audits == 2
