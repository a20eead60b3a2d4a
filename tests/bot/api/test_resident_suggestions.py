"""The mini-program's suggestion form (我有建议), its suggestions and the open themed calls, used as
the mini-program uses them: taken exactly as cases are (exactly once, limits, content check),
hostile inputs refused, another resident's suggestion not there."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from handlers.staff.accounts import create_user
from handlers.staff.audit import StaffActor
from handlers.suggestions.calls import CallIn, create_call, open_call
from models import (
    Case,
    HeldMessage,
    InboundMessage,
    InboundStatus,
    StaffUser,
    Suggestion,
    SuggestionCall,
    SuggestionStatus,
)
from tests.bot.api.test_resident import (  # noqa: F401 (fixtures)
    START,
    MakeMini,
    MiniApp,
    fake_mini,
    make_mini,
    png_bytes,
)

IDEA = "建议在控江路增设一个公交站，附近居民出行太不方便了"
PATH = "/api/resident/suggestions"


async def suggest(app: MiniApp, headers: dict[str, str], text: str = IDEA, **fields: Any) -> Any:
    body = {"request_id": str(uuid.uuid4()), "text": text, **fields}
    return await app.call("POST", PATH, headers, json=body)


async def office() -> StaffActor:
    user = await StaffUser.get_or_none(username="office")
    if user is None:
        user = await create_user("office", "suggestions", "correct horse battery", START)
    return StaffActor.of(user, via="api")


def fresh() -> str:
    return str(uuid.uuid4())


async def a_call(app: MiniApp, *, draft: bool = False, **changes: Any) -> SuggestionCall:
    actor = await office()
    fields: dict[str, Any] = {
        "title": "社区微更新金点子",
        "question": "您希望小区里增加哪些便民设施？",
        "starts_at": START,
        "ends_at": START + timedelta(days=7),
        "keyword": "金点子",
        **changes,
    }
    given = CallIn(**fields)
    call = await create_call(given, actor, START)
    return call if draft else await open_call(call.code, actor, START)


async def test_a_suggestion_with_photos_and_read_it_back(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini()
    headers = await app.sign_in("o-sg-mini")
    status, photo = await app.upload(headers, png_bytes())
    assert status == 201
    body = {
        "request_id": str(uuid.uuid4()),
        "text": IDEA,
        "photos": [photo["key"]],
        "consent_publish": True,
        "credit_name": "控江路居民王女士",
    }
    status, answer, _ = await app.call("POST", PATH, headers, json=body)
    assert status == 201, answer
    number = answer["suggestion"]["number"]
    assert number.startswith("JY") and number in answer["reply"] and answer["case"] is None
    assert "人民建议征集办公室" in answer["reply"] and answer["held"] is False
    suggestion = await Suggestion.get(number=number)
    assert suggestion.channel == "miniprogram" and suggestion.consent_publish
    assert suggestion.credit_name == "控江路居民王女士" and suggestion.call_id is None
    assert [a["media_key"] for a in suggestion.attachments] == [photo["key"]]
    assert await Case.all().count() == 0
    stored = await InboundMessage.get(channel="resident_api")
    assert stored.status == InboundStatus.ANSWERED and stored.msg_type == "suggestion"
    # The same request_id again: the first answer, nothing new.
    status, again, _ = await app.call("POST", PATH, headers, json=body)
    assert status == 201 and again == answer and await Suggestion.all().count() == 1
    status, page, _ = await app.call("GET", PATH, headers)
    assert status == 200 and [s["number"] for s in page["suggestions"]] == [number]
    assert page["suggestions"][0]["status_label"] == "已收到" and page["total"] == 1
    status, detail, _ = await app.call("GET", f"{PATH}/{number}", headers)
    assert status == 200 and detail["text"] == IDEA and detail["consent_publish"] is True
    assert [e["action_label"] for e in detail["timeline"]] == ["已收到建议"]
    assert detail["photos"][0]["media_key"] == photo["key"]


async def test_the_case_form_keeps_suggestion_words_a_case(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini()
    headers = await app.sign_in("o-sg-case")
    status, answer, _ = await app.submit(headers, IDEA)
    assert status == 201 and answer["case"]["number"]
    assert await Suggestion.all().count() == 0 and await Case.all().count() == 1


async def test_another_residents_suggestion_is_not_there(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini()
    alice = await app.sign_in("o-sg-alice")
    bob = await app.sign_in("o-sg-bob")
    _, answer, _ = await suggest(app, alice)
    number = answer["suggestion"]["number"]
    theirs = await app.call("GET", f"{PATH}/{number}", bob)
    nobody = await app.call("GET", f"{PATH}/JY2699999999", bob)
    assert theirs[0] == nobody[0] == 404 and theirs[1] == nobody[1]
    assert number not in json.dumps(theirs[1])
    weird = await app.call("GET", f"{PATH}/{'9' * 40}", bob)
    assert weird[0] == 404 and weird[1] == nobody[1]
    assert (await app.call("GET", PATH, bob))[1]["total"] == 0


async def test_hostile_suggestions_are_refused_and_nothing_is_kept(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini()
    headers = await app.sign_in("o-sg-bad")
    other = await app.sign_in("o-sg-other")
    _, theirs = await app.upload(other, png_bytes())
    await a_call(app, draft=True, code="DRAFT-1")
    bad: list[dict[str, Any]] = [
        {"text": IDEA},  # no request_id
        {"request_id": "x", "text": IDEA},
        {"request_id": fresh(), "text": "   "},
        {"request_id": fresh(), "text": "a\x00b"},
        {"request_id": fresh(), "text": IDEA, "extra": 1},
        {"request_id": fresh(), "text": IDEA, "call": "../../etc"},
        {"request_id": fresh(), "text": IDEA, "call": 7},
        {"request_id": fresh(), "text": IDEA, "consent_publish": "yes"},
        {"request_id": fresh(), "text": IDEA, "credit_name": "名" * 33},
        {"request_id": fresh(), "text": IDEA, "photos": ["a" * 32] * 10},
        {"request_id": fresh(), "text": IDEA, "photos": "not-a-list"},
        {"request_id": fresh(), "text": ["words"]},
    ]
    for body in bad:
        status, answer, _ = await app.call("POST", PATH, headers, json=body)
        assert status == 400 and answer["error"]["code"] == "invalid_payload", body
    status, answer, _ = await suggest(app, headers, "长" * 2001)
    assert status == 400 and "2000" in answer["error"]["message"]
    for code in ("NO-SUCH-CALL", "DRAFT-1"):  # a draft is no call to residents yet
        status, answer, _ = await suggest(app, headers, call=code)
        assert status == 400 and answer["error"]["code"] == "invalid_request"
    status, answer, _ = await suggest(app, headers, photos=[theirs["key"]])
    assert status == 400 and answer["error"]["code"] == "invalid_request"
    response = await app.client.post(PATH, data=b"{not json", headers=headers)
    assert response.status == 400
    assert await Suggestion.all().count() == 0 and await InboundMessage.all().count() == 0
    assert (await app.call("POST", PATH, {}, json={"request_id": fresh(), "text": IDEA}))[0] == 401


async def test_suggestions_count_in_the_residents_limits(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini(resident_cases_per_hour=2)
    headers = await app.sign_in("o-sg-busy")
    assert (await app.submit(headers))[0] == 201  # a case
    assert (await suggest(app, headers))[0] == 201
    status, answer, response = await suggest(app, headers, "建议社区多开展一些老年人活动")
    assert status == 429 and answer["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    # Neither a case nor another suggestion may be made now.
    assert (await app.submit(headers, "控江路1500号门口垃圾没人清"))[0] == 429
    assert await Suggestion.all().count() == 1


async def test_risky_words_are_held_and_never_a_suggestion(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini(content_check=True)
    headers = await app.sign_in("o-sg-check")
    status, answer, _ = await suggest(app, headers, f"{IDEA}，违禁词")
    assert status == 202 and answer["held"] is True
    assert answer["suggestion"] is None and answer["case"] is None
    status, answer, _ = await suggest(app, headers, IDEA, credit_name="违禁词先生")
    assert status == 202  # the name to be published is checked too
    held = await HeldMessage.all()
    assert len(held) == 2 and all(h.payload["kind"] == "suggestion" for h in held)
    assert await Suggestion.all().count() == 0


async def test_open_calls_and_replies_to_them(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini()
    call = await a_call(app)
    hidden = await a_call(app, draft=True, code="CHAT-ONLY", keyword="好点子", channels=("chat",))
    await open_call(hidden.code, await office(), START)
    # The list is public: the app shows it before signing in; chat-only calls are not in it.
    response = await app.client.get("/api/resident/calls")
    listed = (await response.json())["calls"]
    assert response.status == 200 and [c["code"] for c in listed] == [call.code]
    assert listed[0]["question"] == "您希望小区里增加哪些便民设施？"
    headers = await app.sign_in("o-sg-call")
    # A reply to the call is a suggestion under it, whatever the words read as.
    status, answer, _ = await suggest(
        app, headers, "公园里的长椅太少了，老人走累了没地方坐", call=call.code
    )
    assert status == 201 and answer["suggestion"]["call"] == {
        "code": call.code,
        "title": call.title,
    }
    assert "社区微更新金点子" in answer["reply"]
    # Urgent words are a case.
    status, answer, _ = await suggest(
        app, headers, "楼道里煤气味很重，老人一个人在家", call=call.code
    )
    assert status == 201 and answer["suggestion"] is None and answer["case"]["number"]
    assert "119" in answer["reply"] or "燃气" in answer["reply"]
    # After the period: an ordinary suggestion, and the resident is told the call is over.
    app.clock.advance(timedelta(days=8))
    status, answer, _ = await suggest(app, headers, "建议小区多装几个电动车充电桩", call=call.code)
    assert status == 201 and answer["suggestion"]["call"] is None
    assert "已于" in answer["reply"] and "结束" in answer["reply"]
    under = await Suggestion.filter(call_id=call.id)
    assert len(under) == 1 and under[0].status == SuggestionStatus.RECEIVED
    assert (await (await app.client.get("/api/resident/calls")).json())["calls"] == []
