"""The chat around a suggestion: 「转为诉求」 typed or tapped right after it makes a case through
the normal report path; the proposer's answer to the office's question goes onto the suggestion
(issue 18)."""

from __future__ import annotations

import re

from bot.keys import INTAKE
from bot.wechat.parsing import parse_xml_fields
from handlers.staff.audit import StaffActor
from handlers.suggestions import office
from models import Case, CaseEvent, StaffUser, Suggestion, SuggestionEvent, SuggestionStatus
from tests.bot.conftest import ClientFactory, Resident

LAMP_AS_SUGGESTION = "建议把国权路上坏了的路灯修一修，晚上太黑了"
BUS_STOP = "建议在控江路增设一个公交站，附近居民出行太不方便了"


async def test_typing_to_case_right_after_makes_a_case(make_client: ClientFactory) -> None:
    client = await make_client()
    resident = Resident(client, "o-sgc-1")
    reply = await resident.say(LAMP_AS_SUGGESTION)
    suggestion = await Suggestion.get()
    assert f'msgmenuid=suggestion-case:{suggestion.id}"' in reply and "转为诉求" in reply
    reply = await resident.say("转为诉求")
    case = await Case.get()
    assert case.number in reply and suggestion.number in reply, reply
    await suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.CONVERTED and suggestion.case_id == case.id
    assert case.text == suggestion.text and case.kind == "complaint"
    notes = await CaseEvent.filter(case_id=case.id).values_list("note", flat=True)
    assert any("居民申请" in n and suggestion.number in n for n in notes)
    event = await SuggestionEvent.get(suggestion_id=suggestion.id, action="to_case")
    assert event.actor_type == "resident" and event.told
    # The dialogue now is the case's: a photo or a word joins it as usual; the word again
    # finds nothing left to turn.
    reply = await resident.say("转为诉求")
    assert "没有可以转为诉求的建议" in reply
    assert await Case.all().count() == 1


async def test_tapping_the_option_works_later_too(make_client: ClientFactory) -> None:
    client = await make_client()
    resident = Resident(client, "o-sgc-2")
    await resident.say(LAMP_AS_SUGGESTION)
    suggestion = await Suggestion.get()
    await resident.say("你好")  # the dialogue moved on
    status, body = await resident.send(
        "text",
        {
            "Content": "转为诉求",
            "MsgId": resident.msg_id(),
            "bizmsgmenuid": f"suggestion-case:{suggestion.id}",
        },
    )
    assert status == 200
    case = await Case.get()
    assert case.number in str(parse_xml_fields(body).get("Content", ""))
    # Someone else's option (a forged id) turns nothing.
    other = Resident(client, "o-sgc-3")
    await other.send(
        "text",
        {
            "Content": "转为诉求",
            "MsgId": other.msg_id(),
            "bizmsgmenuid": f"suggestion-case:{suggestion.id}",
        },
    )
    assert await Case.all().count() == 1


async def test_the_answer_to_the_office_goes_onto_the_suggestion(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    resident = Resident(client, "o-sgc-4")
    reply = await resident.say(BUS_STOP)
    number = re.search(r"JY\d+", reply)
    assert number
    suggestion = await Suggestion.get(number=number.group(0))
    clerk = await StaffUser.create(
        username="jianyi", role="suggestions", created_at=suggestion.created_at
    )
    ctx = await client.app[INTAKE].context()
    await office.ask(suggestion, "请说明具体位置", clerk, StaffActor.of(clerk), ctx)
    reply = await resident.say("控江路靖宇东路路口东侧")
    assert "已将您补充的内容加入建议" in reply and suggestion.number in reply
    await suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.RECEIVED and "靖宇东路" in suggestion.text
    assert await Case.all().count() == 0 and await Suggestion.all().count() == 1
    # Once answered, the next words are read as usual.
    await resident.say("政通路240号门口路灯坏了")
    assert await Case.all().count() == 1
