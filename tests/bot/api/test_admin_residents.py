"""The staff API for held messages and blocking: who may, what a release does (a case, the
resident told), deciding once, audit."""

from __future__ import annotations

import json
from typing import Any

from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent, Case, HeldMessage, HeldStatus, OutboxMessage, Resident
from tests.bot.api.test_resident import LAMP, START, MakeMini, MiniApp
from tests.bot.api.test_resident import fake_mini as fake_mini  # fixtures
from tests.bot.api.test_resident import make_mini as make_mini

PASSWORD = "correct horse battery"


async def staff(role: str, **columns: Any) -> dict[str, str]:
    user = await create_user(f"{role}1", role, PASSWORD, START, **columns)
    return {"Authorization": f"Bearer {await issue_api_token(user, START, 'test')}"}


async def held_case(app: MiniApp, openid: str = "o-held") -> tuple[dict[str, str], HeldMessage]:
    """A resident's submission the content check holds."""
    headers = await app.sign_in(openid)
    status, answer, _ = await app.submit(headers, f"{LAMP}，违禁词")
    assert status == 202 and answer["held"] is True
    return headers, await HeldMessage.get(status=HeldStatus.HELD)


async def test_a_dispatcher_releases_a_held_case(make_mini: MakeMini) -> None:
    app = await make_mini(content_check=True)
    resident_headers, held = await held_case(app)
    dispatcher = await staff("dispatcher")
    status, page, _ = await app.call("GET", "/api/admin/held", dispatcher)
    assert status == 200 and page["total"] == 1
    (listed,) = page["held"]
    assert listed["id"] == held.id and listed["reason"] == "content_check"
    assert listed["check_result"]["suggest"] == "risky" and listed["kind"] == "case"
    assert listed["resident"]["app"] == "miniprogram" and listed["case"] is None
    status, body, _ = await app.call(
        "POST", f"/api/admin/held/{held.id}/release", dispatcher, json={"note": "误判"}
    )
    assert status == 200, body
    number = body["case"]["number"]
    case = await Case.get(number=number)
    assert case.channel == "miniprogram" and "违禁词" in case.text
    assert body["held"]["status"] == "released" and body["held"]["case"] == number
    assert body["held"]["decided_by"] == "dispatcher1" and number in body["told_resident"]
    told = await OutboxMessage.get(dedup_key=f"held:{held.id}:released")
    assert number in json.dumps(told.payload, ensure_ascii=False)
    assert (await AuditEvent.get(action="held.release")).via == "api"
    # The resident sees it in 我的诉求.
    _, mine, _ = await app.call("GET", "/api/resident/cases", resident_headers)
    assert [c["number"] for c in mine["cases"]] == [number]
    # Deciding again: refused, nothing more made.
    status, again, _ = await app.call("POST", f"/api/admin/held/{held.id}/release", dispatcher)
    assert status == 409 and again["error"]["code"] == "decided"
    assert await Case.all().count() == 1
    status, page, _ = await app.call("GET", "/api/admin/held", dispatcher)
    assert page["total"] == 0
    status, page, _ = await app.call(
        "GET", "/api/admin/held", dispatcher, params={"status": "released"}
    )
    assert [h["case"] for h in page["held"]] == [number]


async def test_discard_needs_a_note(make_mini: MakeMini) -> None:
    app = await make_mini(content_check=True)
    _, held = await held_case(app)
    dispatcher = await staff("dispatcher")
    path = f"/api/admin/held/{held.id}/discard"
    status, body, _ = await app.call("POST", path, dispatcher, json={})
    assert status == 400 and body["error"]["code"] == "invalid_payload"
    status, body, _ = await app.call("POST", path, dispatcher, json={"note": "恶意刷屏"})
    assert status == 200 and body["held"]["status"] == "discarded"
    assert body["held"]["note"] == "恶意刷屏" and await Case.all().count() == 0
    assert (await AuditEvent.get(action="held.discard")).target_id == str(held.id)


async def test_who_may_decide_and_block(make_mini: MakeMini) -> None:
    app = await make_mini(content_check=True)
    _, held = await held_case(app)
    resident = await Resident.get(id=held.resident_id)
    supervisor = await staff("supervisor")
    assert (await app.call("GET", "/api/admin/held"))[0] == 401
    assert (await app.call("GET", "/api/admin/held", supervisor))[0] == 403
    assert (await app.call("POST", f"/api/admin/held/{held.id}/release", supervisor))[0] == 403
    dispatcher = await staff("dispatcher")
    block = f"/api/admin/residents/{resident.id}/block"
    status, body, _ = await app.call("POST", block, dispatcher, json={"reason": "骚扰"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    for path in (
        "/api/admin/held/999/release",
        "/api/admin/held/x/release",
        "/api/admin/held/²/release",
    ):
        assert (await app.call("POST", path, dispatcher, json={}))[0] == 404, path
    status, body, _ = await app.call(
        "GET", "/api/admin/held", dispatcher, params={"status": "maybe"}
    )
    assert status == 400


async def test_an_admin_blocks_and_unblocks(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-abuser")
    resident = await Resident.get(openid="o-abuser")
    admin = await staff("admin")
    block = f"/api/admin/residents/{resident.id}/block"
    assert (await app.call("POST", block, admin, json={}))[0] == 400
    status, body, _ = await app.call("POST", block, admin, json={"reason": "反复辱骂工作人员"})
    assert status == 200 and body["resident"]["blocked"] is True
    assert body["resident"]["blocked_reason"] == "反复辱骂工作人员"
    assert (await app.call("POST", block, admin, json={"reason": "again"}))[1]["error"][
        "code"
    ] == "unchanged"
    entry = await AuditEvent.get(action="resident.block")
    assert entry.target_type == "resident" and entry.target_id == str(resident.id)
    assert entry.detail == {"reason": "反复辱骂工作人员"} and entry.username == "admin1"
    # Blocked: the submission is kept, held, never routed, and the answer says nothing of it.
    status, answer, _ = await app.submit(headers)
    assert status == 202 and answer["held"] is True and answer["case"] is None
    assert "屏蔽" not in answer["reply"] and "核实" in answer["reply"]
    held = await HeldMessage.get()
    assert held.reason == "blocked" and held.channel == "miniprogram"
    assert await Case.all().count() == 0
    assert (await app.call("GET", "/api/resident/me", headers))[1]["blocked"] is True
    unblock = f"/api/admin/residents/{resident.id}/unblock"
    status, body, _ = await app.call("POST", unblock, admin)
    assert status == 200 and body["resident"]["blocked"] is False
    assert (await app.call("POST", unblock, admin))[0] == 409
    assert (await AuditEvent.get(action="resident.unblock")).detail == {"was": "反复辱骂工作人员"}
    assert (await app.submit(headers))[0] == 201
    assert (
        await app.call("POST", "/api/admin/residents/99999/block", admin, json={"reason": "x"})
    )[0] == 404
