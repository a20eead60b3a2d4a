"""Replies to a themed call in the chat, as a resident sees them: the keyword alone or a tap on the
call's menu (a custom-menu button too) asks the question and takes the next words; chatter in
between is answered as chatter; a call not taking chat replies leaves its keyword an ordinary
word; a closed call's keyword alone is told it is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.staff.accounts import create_user
from handlers.staff.audit import StaffActor
from handlers.suggestions.calls import CallIn, close_call, create_call, open_call
from models import Conversation, Suggestion, SuggestionCall
from tests.bot.conftest import ClientFactory, Resident

NOW = datetime.now(UTC)


async def opened(code: str, keyword: str, channels: tuple[str, ...]) -> SuggestionCall:
    user = await create_user(f"office-{code}", "suggestions", "correct horse battery", NOW)
    actor = StaffActor.of(user, via="api")
    given = CallIn(
        title=f"{keyword}征集",
        question="您希望小区里增加哪些便民设施？",
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(days=7),
        keyword=keyword,
        channels=channels,
        code=code,
    )
    return await open_call((await create_call(given, actor, NOW)).code, actor, NOW)


async def test_the_keyword_alone_and_the_menu_ask_then_take_the_next_words(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    call = await opened("CHAT-1", "金点子", ("chat", "menu"))
    resident = Resident(client, "o-cc-1")
    prompt = await resident.say("#金点子")
    assert "您希望小区里增加哪些便民设施" in prompt
    assert (await Conversation.get(resident__openid="o-cc-1")).state == "call"
    await resident.say("你好")  # chatter is answered as chatter, the call still waits
    assert await Suggestion.all().count() == 0
    assert (await Conversation.get(resident__openid="o-cc-1")).state == "call"
    reply = await resident.say("小区门口可以装一个快递柜")
    (suggestion,) = await Suggestion.all()
    assert suggestion.call_id == call.id and suggestion.number in reply
    assert suggestion.text == "小区门口可以装一个快递柜"
    assert (await Conversation.get(resident__openid="o-cc-1")).state == "idle"

    # A custom-menu button CALL:<code>.
    other = Resident(client, "o-cc-2")
    status, body = await other.send("event", {"Event": "CLICK", "EventKey": "CALL:CHAT-1"})
    assert status == 200 and "您希望小区里增加哪些便民设施" in body
    assert "JY" in await other.say("楼下空地建议改成口袋公园")
    assert await Suggestion.filter(call_id=call.id).count() == 2


async def test_calls_that_do_not_take_the_chat_and_calls_that_are_over(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    await opened("MINI-1", "好点子", ("mini",))
    resident = Resident(client, "o-cc-3")
    await resident.say("#好点子 建议在控江路增设一个公交站")
    assert await Suggestion.filter(call_id__isnull=False).count() == 0
    closed = await opened("OVER-1", "金点子", ("chat",))
    user = await create_user("closer", "admin", "correct horse battery", NOW)
    await close_call(closed.code, StaffActor.of(user), NOW)
    reply = await resident.say("金点子")
    assert "结束" in reply and "金点子征集" in reply
