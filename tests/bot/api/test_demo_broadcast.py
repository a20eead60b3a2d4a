"""The demo district's staff come linked to demo openids, so in `jiesu serve --demo` (sandbox
outbound) a broadcast goes all the way: preview to oneself, submit, a second admin approves, and
the outbox delivers it to every recipient (100%)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp.test_utils import TestClient

from bot.keys import DRAINER, INTAKE
from config.demo_staff import DEMO_STAFF
from handlers.broadcasts.delivery import sweep_broadcasts
from handlers.staff.accounts import issue_api_token
from handlers.staff.demo_staff import load_demo_staff
from models import AuditEvent, OutboxMessage, OutboxStatus, StaffRole, StaffUser
from tests.bot.conftest import ClientFactory, Resident

NOW = datetime.now(UTC)
DEV_TOKEN = "0123456789abcdef0123456789abcdef"
BASE = "/api/admin/notices"


async def bearer(username: str) -> dict[str, str]:
    user = await StaffUser.get(username=username)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'demo test')}"}


async def drain(client: TestClient) -> None:
    for _ in range(3):
        await sweep_broadcasts(await client.app[INTAKE].context())
        while await client.app[DRAINER].drain_once():
            pass


async def test_demo_staff_are_linked_and_idempotent(make_client: ClientFactory) -> None:
    await make_client()
    first = await load_demo_staff(DEV_TOKEN, NOW)
    again = await load_demo_staff("another password", NOW)
    assert [u.id for u in first] == [u.id for u in again]
    admins = [u for u in again if u.role == StaffRole.ADMIN]
    assert len(admins) >= 2 and all(u.openid for u in again)
    assert {u.openid for u in again} == {openid for *_, openid in DEMO_STAFF}


async def test_a_demo_broadcast_is_previewed_approved_and_delivered_to_all(
    make_client: ClientFactory,
) -> None:
    client = await make_client()  # sandbox outbound, the demo district
    await load_demo_staff(DEV_TOKEN, NOW)
    for username in ("demo-admin", "demo-approver"):
        response = await client.post(
            "/api/admin/session", json={"username": username, "password": DEV_TOKEN}
        )
        assert response.status == 200, await response.text()
    # Residents who wrote about the demo district's streets (the notice's audience).
    for n, words in enumerate(("王家村路12号门口路灯不亮", "王家村路30号垃圾没人清运")):
        assert await Resident(client, f"o-demo-resident-{n}").say(words)
    author, approver = await bearer("demo-admin"), await bearer("demo-approver")

    draft = {
        "title": "停水通知",
        "kind": "text",
        "channel": "mp_mass",
        "audience": {"kind": "all"},
        "content": {"text": "明天9:00-15:00 王家村停水，请提前储水。"},
    }
    response = await client.post(BASE, json=draft, headers=author)
    body = await response.json()
    assert response.status == 201, body
    nid = body["notice"]["id"]

    response = await client.post(f"{BASE}/{nid}/preview", json={}, headers=author)
    assert response.status == 200, await response.text()
    preview = await OutboxMessage.filter(recipient="o-demo-admin").first()
    assert preview is not None
    response = await client.post(f"{BASE}/{nid}/submit", json={}, headers=author)
    assert response.status == 200, await response.text()
    response = await client.post(f"{BASE}/{nid}/approve", json={"note": "同意"}, headers=approver)
    body = await response.json()
    assert response.status == 200, body
    assert body["notice"]["approved_by"] == "demo-approver"

    await drain(client)
    response = await client.get(f"{BASE}/{nid}", headers=approver)
    body = await response.json()
    assert body["notice"]["status"] == "done", body
    assert body["progress"]["percent"] == 100
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() >= 2  # preview, send
    actions = {e.action for e in await AuditEvent.filter(target_type="notice")}
    assert {"notice.preview", "notice.submit", "notice.approve"} <= actions
