"""A proposer in the chat agrees to publication (「同意公开」, with 「署名 …」 or tapped) and
withdraws it (「不同意公开」), which takes a published suggestion down (人民建议征集)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.suggestions.consent import read
from models import Conversation, OutboxMessage, Suggestion, SuggestionEvent
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.test_suggestion_life import bearer

BUS_STOP = "建议在控江路增设一个公交站，附近居民出行太不方便了"
PREFIX = "/api/admin/suggestions"


async def post(client: TestClient, path: str, headers: dict[str, str], body: dict[str, Any]) -> int:
    response = await client.post(path, json=body, headers=headers)
    return response.status


def test_the_words_are_read_strictly() -> None:
    assert read("同意公开") is not None and read("同意公开").give  # type: ignore[union-attr]
    named = read("同意公开，署名：「张三」。")
    assert named is not None and named.give and named.credit_name == "张三"
    assert read("同意公开 署名 张三").credit_name == "张三"  # type: ignore[union-attr]
    assert read("同意公开署名为李阿姨").credit_name == "李阿姨"  # type: ignore[union-attr]
    for refused in ("同意公开 署名 13812345678", "同意公开 署名 3号楼王", "同意公开 署名"):
        words = read(refused)
        assert words is not None and words.bad_name, refused
    for withdrawal in ("不同意公开", "不同意公开。", "取消公开"):
        assert read(withdrawal) is not None and not read(withdrawal).give  # type: ignore[union-attr]
    for other in ("我同意公开这件事吗", "同意公开 谢谢你们", "建议公开公交时刻表", "公开"):
        assert read(other) is None, other
    tapped = read("同意公开", "suggestion-consent:42:yes")
    assert tapped is not None and tapped.give and tapped.suggestion_id == 42
    assert read("x", "suggestion-consent:42:maybe") is None


async def test_consent_given_named_refused_and_withdrawn(make_client: ClientFactory) -> None:
    client = await make_client(mp_template_case_update="tmpl-case-update")
    resident = Resident(client, "o-consent-1")

    # Nothing to publish yet.
    assert "没有可以公开的建议" in await resident.say("同意公开")

    reply = await resident.say(BUS_STOP)
    (suggestion,) = await Suggestion.all()
    assert "同意公开" in reply  # offered, as a tap naming this suggestion
    assert f"msgmenuid=suggestion-consent:{suggestion.id}:yes" in reply

    reply = await resident.say("同意公开")
    assert suggestion.number in reply and "匿名" in reply and "采纳后" in reply
    assert f"suggestion-consent:{suggestion.id}:no" in reply  # withdrawing is one tap
    fresh = await Suggestion.get(id=suggestion.id)
    assert fresh.consent_publish and fresh.credit_name == ""

    assert "不含数字" in await resident.say("同意公开 署名 13812345678")
    assert (await Suggestion.get(id=suggestion.id)).credit_name == ""

    reply = await resident.say("同意公开，署名：张三")
    assert "署名：张三" in reply
    fresh = await Suggestion.get(id=suggestion.id)
    assert fresh.consent_publish and fresh.credit_name == "张三"

    # Adopted (the notice offers no consent: given already), published, then withdrawn.
    office = await bearer("jianyi", "suggestions")
    assert (
        await post(client, f"{PREFIX}/{suggestion.number}/adopt", office, {"units": ["TRAFFIC"]})
        == 200
    )
    adopted = [
        m for m in await OutboxMessage.filter(purpose="suggestion") if "已被采纳" in str(m.payload)
    ]
    assert adopted and "同意公开" not in str(adopted[0].payload)
    assert await post(client, f"{PREFIX}/{suggestion.number}/publish", office, {}) == 200
    public = await client.get(f"/api/public/suggestions/{suggestion.number}")
    assert public.status == 200

    reply = await resident.say("不同意公开")
    assert suggestion.number in reply and "撤下" in reply
    fresh = await Suggestion.get(id=suggestion.id)
    assert not fresh.consent_publish and fresh.published_at is None
    assert (await client.get(f"/api/public/suggestions/{suggestion.number}")).status == 404
    # The office cannot publish it again without consent.
    assert await post(client, f"{PREFIX}/{suggestion.number}/publish", office, {}) == 409

    actions = [
        (e.action, e.actor_type, e.told)
        for e in await SuggestionEvent.filter(suggestion_id=suggestion.id).order_by("id")
    ]
    assert actions == [
        ("receive", "resident", True),
        ("consent", "resident", True),
        ("consent", "resident", True),
        ("adopt", "staff", True),
        ("publish", "staff", True),
        ("unpublish", "resident", False),
        ("consent_withdrawn", "resident", True),
    ]
    timeline = await (await client.get(f"{PREFIX}/{suggestion.number}", headers=office)).json()
    labels = [e["action_label"] for e in timeline["suggestion"]["timeline"]]
    assert "建议人同意公开" in labels and "建议人撤回公开同意" in labels


async def test_the_adoption_notice_offers_consent_and_a_tap_names_the_suggestion(
    make_client: ClientFactory,
) -> None:
    client = await make_client(mp_template_case_update="tmpl-case-update")
    resident = Resident(client, "o-consent-2")
    await resident.say(BUS_STOP)
    await resident.say("建议在国权路增设共享单车停放点，方便居民换乘地铁")
    first, second = await Suggestion.all().order_by("id")
    office = await bearer("jianyi", "suggestions")
    assert (
        await post(client, f"{PREFIX}/{first.number}/adopt", office, {"units": ["TRAFFIC"]}) == 200
    )
    (notice,) = [m for m in await OutboxMessage.filter(purpose="suggestion")]
    assert "回复「同意公开」" in str(notice.payload) and "不同意公开" in str(notice.payload)

    # A dialogue under way goes on; the tap names the first suggestion, not the latest.
    before = await Conversation.get(resident__openid="o-consent-2")
    status, body = await resident.send(
        "text",
        {
            "Content": "同意公开",
            "MsgId": resident.msg_id(),
            "bizmsgmenuid": f"suggestion-consent:{first.id}:yes",
        },
    )
    assert status == 200 and first.number in body and second.number not in body
    assert (await Suggestion.get(id=first.id)).consent_publish
    assert not (await Suggestion.get(id=second.id)).consent_publish
    after = await Conversation.get(resident__openid="o-consent-2")
    assert (after.state, after.data) == (before.state, before.data)

    # Typed words go to the most recent open or adopted one; another resident's is never hit.
    stranger = Resident(client, "o-consent-3")
    reply = await stranger.send(
        "text",
        {
            "Content": "同意公开",
            "MsgId": stranger.msg_id(),
            "bizmsgmenuid": f"suggestion-consent:{second.id}:yes",
        },
    )
    assert "没有可以公开的建议" in reply[1]
    assert not (await Suggestion.get(id=second.id)).consent_publish
    reply_text = await resident.say("同意公开")
    assert second.number in reply_text and re.search(r"JY\d+", reply_text)
    assert (await Suggestion.get(id=second.id)).consent_publish
