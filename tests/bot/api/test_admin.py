"""Signing in to the admin API: the cookie, its CSRF token, bearer tokens, the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent
from tests.bot.conftest import ClientFactory

PASSWORD = "correct horse battery"


async def signed_in(client: TestClient) -> str:
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    response = await client.post(
        "/api/admin/session", json={"username": "admin", "password": PASSWORD}
    )
    assert response.status == 200, await response.text()
    cookie = response.cookies["jiesu_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    body = await response.json()
    assert body["user"]["role"] == "admin" and "notices.approve" in body["user"]["capabilities"]
    return str(body["csrf_token"])


async def test_sign_in_read_me_and_sign_out_with_csrf(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    csrf = await signed_in(client)
    me = await client.get("/api/admin/me")
    assert me.status == 200 and (await me.json())["user"]["username"] == "admin"
    # An unsafe request with the cookie but without the CSRF token is refused.
    refused = await client.delete("/api/admin/session")
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "csrf"
    wrong = await client.delete("/api/admin/session", headers={"X-CSRF-Token": "nope"})
    assert wrong.status == 403
    out = await client.delete("/api/admin/session", headers={"X-CSRF-Token": csrf})
    assert out.status == 200
    assert (await client.get("/api/admin/me")).status == 401
    actions = [e.action for e in await AuditEvent.all().order_by("id")]
    assert actions == ["session.start", "session.end"]
    start = await AuditEvent.get(action="session.start")
    assert start.username == "admin" and start.ip == "127.0.0.1" and start.via == "dashboard"


async def test_wrong_passwords_say_nothing_about_names(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    answers = []
    for username in ("admin", "nobody"):
        response = await client.post(
            "/api/admin/session", json={"username": username, "password": "wrong wrong"}
        )
        answers.append((response.status, (await response.json())["error"]["message"]))
    assert answers[0] == answers[1] and answers[0][0] == 401
    assert await AuditEvent.filter(action="session.failed").count() == 2
    bad = await client.post("/api/admin/session", data=b"{not json")
    assert bad.status == 400


async def test_machines_use_bearer_tokens_without_csrf(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    user = await create_user("robot", "dispatcher", PASSWORD, datetime.now(UTC))
    token = await issue_api_token(user, datetime.now(UTC), "test")
    me = await client.get("/api/admin/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200 and (await me.json())["via"] == "api"
    nobody = await client.get("/api/admin/me", headers={"Authorization": "Bearer jsa_nope"})
    assert nobody.status == 401 and (await nobody.json())["error"]["code"] == "unauthorized"
