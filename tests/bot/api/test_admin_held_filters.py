"""The held list's reason filter and urgency flag: ``GET /api/admin/held?reason=`` narrows to
one cause (an unknown one is a 400), each item says whether its words read as urgent, and the
items match the OpenAPI document's ``HeldMessage``."""

from __future__ import annotations

from typing import Any

import jsonschema
from aiohttp.test_utils import TestClient

from bot.api.openapi import openapi_document
from bot.keys import INTAKE
from handlers.intake.held_messages import hold_chat_message
from handlers.intake.incoming import IncomingMessage
from handlers.staff.accounts import create_user, issue_api_token
from models import HeldMessage, HeldReason, Resident
from nlu.urgency import urgency_reasons
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD

PATH = "/api/admin/held"
GAS = "楼道里煤气味很重，老人一个人在家"
LAMP = "政通路100号路灯坏了，电话13812345678"


async def keep(client: TestClient, openid: str, text: str, reason: HeldReason) -> HeldMessage:
    resident, _ = await Resident.get_or_create(openid=openid)
    ctx = await client.app[INTAKE].context()
    message = IncomingMessage(openid=openid, msg_type="text", content=text)
    return await hold_chat_message(resident, message, "mp", ctx, reason=reason)


async def bearer(role: str) -> dict[str, str]:
    user = await create_user(f"{role}1", role, PASSWORD, NOW)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


async def listed(
    client: TestClient, headers: dict[str, str], **params: str
) -> tuple[int, dict[str, Any]]:
    response = await client.get(PATH, headers=headers, params=params)
    return response.status, await response.json()


async def test_reason_filter_and_urgent_flag(make_client: ClientFactory) -> None:
    client = await make_client()
    limited = await keep(client, "o-1", LAMP, HeldReason.RATE_LIMITED)
    blocked = await keep(client, "o-2", GAS, HeldReason.BLOCKED)
    checked = await keep(client, "o-3", "广场舞太吵", HeldReason.CONTENT_CHECK)
    headers = await bearer("dispatcher")

    status, body = await listed(client, headers)
    assert status == 200 and body["total"] == 3
    assert [h["id"] for h in body["held"]] == [limited.id, blocked.id, checked.id]
    by_id = {h["id"]: h for h in body["held"]}
    assert by_id[blocked.id]["urgent"] is True
    # The reasons are nlu.urgency's words (its lexicon may grow), gas among them.
    assert by_id[blocked.id]["urgency_reasons"] == list(urgency_reasons(GAS))
    assert any("煤气" in word for word in by_id[blocked.id]["urgency_reasons"])
    assert by_id[limited.id]["urgent"] is False and by_id[limited.id]["urgency_reasons"] == []
    assert "13812345678" not in by_id[limited.id]["text"]

    for reason, expected in (
        ("rate_limited", [limited.id]),
        ("blocked", [blocked.id]),
        ("content_check", [checked.id]),
    ):
        status, body = await listed(client, headers, reason=reason)
        assert status == 200, body
        assert [h["id"] for h in body["held"]] == expected, reason
        assert body["total"] == 1 and all(h["reason"] == reason for h in body["held"])
    status, body = await listed(client, headers, reason="rate_limited", status="released")
    assert status == 200 and body["held"] == [] and body["total"] == 0
    status, body = await listed(client, headers, reason="rate_limited", status="all")
    assert status == 200 and [h["id"] for h in body["held"]] == [limited.id]
    status, body = await listed(client, headers, reason="")
    assert status == 200 and body["total"] == 3  # empty: any reason


async def test_unknown_reason_is_refused(make_client: ClientFactory) -> None:
    client = await make_client()
    await keep(client, "o-1", LAMP, HeldReason.RATE_LIMITED)
    headers = await bearer("dispatcher")
    for reason in ("limited", "RATE_LIMITED", "rate_limited ", "blocked,content_check", "²"):
        status, body = await listed(client, headers, reason=reason)
        if reason.strip() == "rate_limited":
            assert status == 200  # surrounding space is forgiven, as for status
            continue
        assert status == 400, reason
        assert body["error"]["code"] == "invalid_request" and "reason" in body["error"]["message"]
    supervisor = await bearer("supervisor")
    status, _ = await listed(client, supervisor, reason="blocked")
    assert status == 403


async def test_items_match_the_contract(make_client: ClientFactory) -> None:
    client = await make_client()
    await keep(client, "o-2", GAS, HeldReason.BLOCKED)
    headers = await bearer("admin")
    status, body = await listed(client, headers, reason="blocked")
    assert status == 200
    document = openapi_document()
    # The item schema, with the document's components beside it for its $refs.
    schema = {
        "components": document["components"],
        **document["components"]["schemas"]["HeldMessage"],
    }
    jsonschema.validate(body["held"][0], schema)
    reason_param = next(
        p for p in document["paths"][PATH]["get"]["parameters"] if p["name"] == "reason"
    )
    assert set(reason_param["schema"]["enum"]) == {r.value for r in HeldReason}
