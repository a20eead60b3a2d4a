"""A suggestion's submission held back (the content check, a blocked sender) becomes a suggestion
when a dispatcher releases it, not a case: the mini-program's suggestion form and a request to
Open311's suggestion service. Urgent words in the form are still a case."""

from __future__ import annotations

from models import (
    AuditEvent,
    Case,
    HeldMessage,
    OutboxMessage,
    Resident,
    Suggestion,
    SuggestionStatus,
)
from tests.bot.api.test_open311 import Client311, api  # noqa: F401 (fixtures)
from tests.bot.api.test_resident import MakeMini, fake_mini, make_mini  # noqa: F401 (fixtures)
from tests.bot.api.test_resident_suggestions import IDEA, suggest
from tests.bot.dashboard.test_pages import NOW, PASSWORD, sign_in
from tests.bot.test_suggestion_life import bearer


async def test_a_held_suggestion_form_is_released_as_a_suggestion(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini(content_check=True)
    headers = await app.sign_in("o-held-sg")
    status, answer, _ = await suggest(
        app, headers, f"{IDEA}，违禁词", consent_publish=True, credit_name="张三"
    )
    assert status == 202 and answer["held"] is True
    status, _, _ = await suggest(app, headers, "小区楼道里煤气泄漏了，违禁词")
    assert status == 202
    idea, urgent = await HeldMessage.all().order_by("id")
    dispatcher = await bearer("d1", "dispatcher")

    status, body, _ = await app.call(
        "POST", f"/api/admin/held/{idea.id}/release", dispatcher, json={"note": "内容正常"}
    )
    assert status == 200, body
    number = body["suggestion"]
    assert number.startswith("JY") and body["case"] is None
    assert body["held"]["suggestion"] == number and body["held"]["case"] is None
    assert number in body["told_resident"]
    suggestion = await Suggestion.get(number=number)
    assert suggestion.status == SuggestionStatus.RECEIVED and suggestion.channel == "miniprogram"
    assert suggestion.consent_publish and suggestion.credit_name == "张三"
    assert suggestion.resident_id == (await Resident.get(openid="o-held-sg")).id
    assert not await Case.exists()
    told = await OutboxMessage.get(dedup_key=f"held:{idea.id}:released")
    assert number in str(told.payload) and told.case_id is None
    entry = await AuditEvent.get(action="held.release")
    assert entry.detail["suggestion"] == number
    status, mine, _ = await app.call("GET", "/api/resident/suggestions", headers)
    assert status == 200 and number in str(mine)

    # Urgent words were never a suggestion: released, they are a case.
    status, body, _ = await app.call(
        "POST", f"/api/admin/held/{urgent.id}/release", dispatcher, json={}
    )
    assert status == 200 and body["suggestion"] is None and body["case"]["number"]
    assert await Suggestion.all().count() == 1

    # The held page names the suggestion it became.
    from handlers.staff.accounts import create_user

    await create_user("dispatcher1", "dispatcher", PASSWORD, NOW)
    browser = await sign_in(app.client, "dispatcher1")
    status, page = await browser.get(f"/dashboard/held?status=released&done={idea.id}")
    assert status == 200 and f'href="/dashboard/suggestions/{number}"' in page
    assert 'id="released-suggestion"' in page and "人民建议" in page


async def test_a_blocked_reporters_suggestion_request_is_held_then_a_suggestion(
    api: Client311,  # noqa: F811
) -> None:
    from bot.keys import INTAKE
    from handlers.intake.held_messages import release
    from handlers.staff.audit import StaffActor

    first = await api.filed(email="loud@example.org")
    await Resident.filter(id=first.resident_id).update(blocked=True, blocked_reason="滥用")
    status, body, _ = await api.post(
        email="loud@example.org", service_code="suggestion", description=IDEA
    )
    assert status == 200, body
    assert "service_request_id" not in body[0]
    token = body[0]["token"]
    status, answer = await api.json(f"tokens/{token}.json")
    assert status == 200 and answer == [{"token": token}]  # no request yet
    assert not await Suggestion.exists()
    held = await HeldMessage.get()
    assert held.payload["service_code"] == "suggestion"

    ctx = await api.client.app[INTAKE].context()
    dispatcher = StaffActor(user_id=None, username="d1", role="dispatcher", via="api")
    released = await release(held, dispatcher, ctx)
    assert released.case is None and released.suggestion is not None
    number = released.suggestion.number
    assert token.startswith(f"{number}-")  # the number kept when it was held
    suggestion = await Suggestion.get(number=number)
    assert suggestion.channel == "open311" and suggestion.text == IDEA
    assert await Case.all().count() == 1  # only the first, earlier request
    status, answer = await api.json(f"tokens/{token}.json")
    assert answer == [{"service_request_id": number, "token": token}]
    status, found = await api.json(f"requests/{number}.json")
    assert status == 200 and found[0]["service_code"] == "suggestion"
    assert found[0]["status"] == "open"
