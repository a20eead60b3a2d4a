"""Publication through the APIs: the office publishes (consent and adoption checked, 409 with a
clear error otherwise), edits the wording, takes it down (twice is 409); anyone reads the
published suggestions as JSON (cached, paginated, hostile paging refused, unknown numbers 404);
the mini-program marks the resident's own; the certificate escapes what it shows; the credits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent, OutboxMessage, Suggestion, SuggestionEvent, Unit
from tests.bot.api.test_schemathesis import add_resident_session
from tests.bot.conftest import ClientFactory
from tests.handlers.suggestions.test_publication import adopted_suggestion

PASSWORD = "correct horse battery"
HOSTILE = "<script>alert(1)</script>控江路公交站"


async def bearer(role: str, name: str) -> dict[str, str]:
    now = datetime.now(UTC)
    unit = await Unit.get(code="ST-WJC") if role == "unit" else None
    user = await create_user(name, role, PASSWORD, now, unit_id=unit.id if unit else None)
    return {"Authorization": f"Bearer {await issue_api_token(user, now, 'test')}"}


async def call(
    client: TestClient, method: str, path: str, headers: dict[str, str] | None, body: Any = None
) -> tuple[int, Any]:
    response = await client.request(method, path, headers=headers or {}, json=body)
    return response.status, await response.json()


async def test_the_office_publishes_and_anyone_reads_it(make_client: ClientFactory) -> None:
    client = await make_client()
    office = await bearer("suggestions", "office")
    named = await adopted_suggestion("JY2605010011", credit="张伟")
    refused = await adopted_suggestion("JY2605010012", consent=False)
    base = "/api/admin/suggestions"

    status, body = await call(client, "GET", f"{base}/{refused.number}/publication", office)
    assert status == 200 and body["publication"]["publishable"] is False
    assert "没有同意公开" in body["publication"]["refusal"]
    status, body = await call(client, "POST", f"{base}/{refused.number}/publish", office)
    assert status == 409 and body["error"]["code"] == "no_consent", body
    assert "征得建议人同意" in body["error"]["message"]
    status, body = await call(client, "POST", f"{base}/JY0000000000/publish", office)
    assert status == 404 and body["error"]["code"] == "not_found"
    unit = await bearer("unit", "unit-staff")
    status, body = await call(client, "POST", f"{base}/{named.number}/publish", unit)
    assert status == 403

    status, body = await call(client, "GET", f"{base}/{named.number}/publication", office)
    draft = body["publication"]["draft"]
    assert "13812345678" not in draft["text"] and "张伟" not in draft["title"]
    status, body = await call(
        client, "POST", f"{base}/{named.number}/publish", office, {"title": HOSTILE}
    )
    assert status == 200 and body["publication"]["published"], body
    assert body["publication"]["wording"] == {"title": HOSTILE, "text": draft["text"]}
    assert await OutboxMessage.filter(purpose="suggestion").count() == 1
    entry = await AuditEvent.get(action="suggestion.publish")
    assert entry.target_id == named.number and entry.username == "office"

    response = await client.get("/api/public/suggestions")  # no credentials at all
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    listed = await response.json()
    assert listed["total"] == 1 and listed["page"] == 1 and listed["per_page"] == 20
    shown = listed["suggestions"][0]
    assert shown["number"] == named.number and shown["title"] == HOSTILE
    assert shown["credit"] == "张伟" and shown["departments"] == ["区交通委员会"]
    assert "resident_id" not in shown and "mine" not in shown
    assert shown["answers"][0]["kind_label"] == "列入项目"
    response = await client.get(f"/api/public/suggestions/{named.number}")
    assert response.status == 200 and (await response.json())["suggestion"]["title"] == HOSTILE

    # The mini-program: the proposer sees it as their own, someone else does not.
    now = datetime.now(UTC)
    await add_resident_session(f"o-{named.number}", "jsr_test-proposer", now)
    await add_resident_session("o-someone-else", "jsr_test-other", now)
    mine = {"Authorization": "Bearer jsr_test-proposer"}
    other = {"Authorization": "Bearer jsr_test-other"}
    status, body = await call(client, "GET", "/api/resident/public-suggestions", mine)
    assert status == 200 and body["suggestions"][0]["mine"] is True, body
    path = f"/api/resident/public-suggestions/{named.number}"
    status, body = await call(client, "GET", path, other)
    assert status == 200 and body["suggestion"]["mine"] is False
    status, body = await call(client, "GET", path, None)
    assert status == 401

    # Taken down: gone from the public; taking it down again is a conflict.
    status, body = await call(
        client, "POST", f"{base}/{named.number}/unpublish", office, {"reason": "建议人要求"}
    )
    assert status == 200 and body["publication"]["published"] is False
    status, body = await call(client, "POST", f"{base}/{named.number}/unpublish", office)
    assert status == 409 and body["error"]["code"] == "not_published"
    response = await client.get(f"/api/public/suggestions/{named.number}")
    assert response.status == 404 and response.headers["Cache-Control"] == "no-store"
    assert await SuggestionEvent.filter(action="unpublish").count() == 1


async def test_hostile_paging_and_numbers(make_client: ClientFactory) -> None:
    client = await make_client()
    for query in (
        "page=0",
        "page=abc",
        "page=99999999",
        "per_page=0",
        "per_page=100000",
        "per_page=１",
        "per_page=-1",
        "page=1_0",
    ):
        response = await client.get(f"/api/public/suggestions?{query}")
        assert response.status == 400, query
        assert (await response.json())["error"]["code"] == "invalid_request"
        assert response.headers["Cache-Control"] == "no-store"
    for number in ("JY1", "x" * 500, "%00", "..%2F..", "<b>"):
        response = await client.get(f"/api/public/suggestions/{number}")
        assert response.status in (404,), number
    response = await client.get("/api/public/suggestions?per_page=50&page=3")
    assert response.status == 200 and (await response.json())["suggestions"] == []


async def test_the_certificate_and_the_credits(make_client: ClientFactory) -> None:
    client = await make_client()
    office = await bearer("suggestions", "office")
    named = await adopted_suggestion("JY2605010021", credit="<b>张伟</b>")
    waiting = await adopted_suggestion("JY2605010022", adopted_at=None)
    base = "/api/admin/suggestions"
    response = await client.get(f"{base}/{named.number}/certificate", headers=office)
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert "&lt;b&gt;张伟&lt;/b&gt;：" in page and "<b>张伟" not in page
    assert "感谢信" in page and named.number in page and "区交通委员会" in page
    assert "<script" not in page
    response = await client.get(f"{base}/{named.number}/certificate?format=text", headers=office)
    assert response.content_type == "text/plain" and "<b>张伟</b>：" in await response.text()
    status, body = await call(
        client, "GET", f"{base}/{named.number}/certificate?format=pdf", office
    )
    assert status == 400
    status, body = await call(client, "GET", f"{base}/{waiting.number}/certificate", office)
    assert status == 409 and body["error"]["code"] == "not_adopted"

    status, body = await call(client, "GET", f"{base}/credits?year=2026", office)
    assert status == 200 and [c["number"] for c in body["credits"]] == [named.number]
    assert body["credits"][0]["name"] == "<b>张伟</b>" and not body["credits"][0]["published"]
    for year in ("abc", "99999", "1969", "２０２６"):
        status, body = await call(client, "GET", f"{base}/credits?year={year}", office)
        assert status == 400, year
    assert await Suggestion.filter(published_at__isnull=False).count() == 0
