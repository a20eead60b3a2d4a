"""The conversation a resident expects (issue 14), played through /wechat/mp as WeChat sends it:
one problem one case, the survey answered when the resident speaks, danger answered first,
chatter that makes no case, and replies that are complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

import bot.conversation_router as router
from bot.app import create_app
from bot.conversation_words import choice_menu_id
from bot.keys import INTAKE
from config import replies
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.followup.surveys import sweep_due_surveys
from handlers.workflow.actions import finish_case, record_contact, sign_case
from models import (
    Case,
    CaseStatus,
    Conversation,
    OutboxMessage,
    Survey,
    SurveyAnswer,
    SurveyStatus,
    Worker,
)
from nlu.sameness import Sameness
from tests.bot.conftest import ClientFactory, Resident
from tests.conftest import make_settings

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai
LAMP = "国权路小区5号楼楼下路灯坏了，晚上很黑"


async def app_with_clock(db_url: str, aiohttp_client: Any) -> tuple[TestClient, ManualClock]:
    clock = ManualClock(START)
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    await load_demo_district()
    return client, clock


# --- one problem, one case --------------------------------------------------------------------


async def test_another_problem_within_the_half_hour_is_a_case_of_its_own(
    make_client: ClientFactory,
) -> None:
    resident = Resident(await make_client(), "o-two-problems")
    assert "已受理" in await resident.say(LAMP)
    answer = await resident.say("另外政通路240号的烧烤店每天半夜还在营业，油烟和噪音很大")
    cases = await Case.all().order_by("id")
    assert len(cases) == 2, answer
    assert "烧烤" not in cases[0].text and "烧烤" in cases[1].text
    assert cases[1].number in answer
    # Detail for the second problem joins the second case.
    assert "已补充" in await resident.say("已经持续一个多月了")
    await cases[1].refresh_from_db()
    assert "一个多月" in cases[1].text


async def test_detail_in_other_words_joins_the_case(make_client: ClientFactory) -> None:
    resident = Resident(await make_client(), "o-detail")
    await resident.say(LAMP)
    for detail in ("已经一个星期了", "晚上根本看不见路", "还是没人来修", "电话13800001234"):
        assert "已补充" in await resident.say(detail)
    assert await Case.all().count() == 1


@pytest.fixture
def unclear(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every follow-up reads as possibly another problem: the bot must ask."""
    monkeypatch.setattr(
        router.sameness, "compare", lambda *a, **k: Sameness("unclear", 0.5, "test")
    )


@pytest.mark.usefixtures("unclear")
async def test_when_unclear_the_bot_asks_and_a_typed_2_makes_a_new_case(
    make_client: ClientFactory,
) -> None:
    resident = Resident(await make_client(), "o-unclear-new")
    await resident.say(LAMP)
    case = await Case.get()
    question = await resident.say("小区门口的垃圾桶也满了")
    assert f"补充到{case.number}" in question and "作为新诉求" in question
    assert "weixin://bizmsgmenu" in question  # both options can be tapped
    assert await Case.all().count() == 1
    answer = await resident.say("2")
    cases = await Case.all().order_by("id")
    assert len(cases) == 2 and "垃圾桶" in cases[1].text and cases[1].number in answer
    assert "垃圾桶" not in cases[0].text


@pytest.mark.usefixtures("unclear")
async def test_when_unclear_a_tapped_option_joins_the_case(make_client: ClientFactory) -> None:
    resident = Resident(await make_client(), "o-unclear-join")
    await resident.say(LAMP)
    case = await Case.get()
    await resident.say("旁边那盏也不亮")
    menu_id = choice_menu_id(case, "join")
    status, body = await resident.send(
        "text",
        {"Content": f"补充到{case.number}", "MsgId": resident.msg_id(), "bizmsgmenuid": menu_id},
    )
    assert status == 200 and "已补充" in body
    await case.refresh_from_db()
    assert "旁边那盏也不亮" in case.text and await Case.all().count() == 1
    conversation = await Conversation.get()
    assert conversation.state == "collecting"


@pytest.mark.usefixtures("unclear")
async def test_when_unclear_a_photo_keeps_the_question_open(make_client: ClientFactory) -> None:
    resident = Resident(await make_client(), "o-unclear-photo")
    await resident.say(LAMP)
    await resident.say("小区门口的垃圾桶也满了")
    status, _ = await resident.send(
        "image",
        {"PicUrl": "https://example.invalid/p.jpg", "MediaId": "m1", "MsgId": resident.msg_id()},
    )
    assert status == 200
    answer = await resident.say("作为新诉求")
    cases = await Case.all().order_by("id")
    assert len(cases) == 2 and "垃圾桶" in cases[1].text, answer


# --- the survey when the resident speaks ------------------------------------------------------


async def finished_case(client: TestClient, clock: ManualClock, resident: Resident) -> Case:
    await resident.say("政通路240号3楼有人群租，住了十几个人，楼道里堆满杂物")
    case = await Case.get()
    intake = client.server.app[INTAKE]
    worker = await Worker.get(id=case.worker_id)
    await sign_case(case, worker, await intake.context())
    await record_contact(case, worker, "phone", "", await intake.context())
    clock.advance(timedelta(hours=3))
    await finish_case(case, worker, "已责令整改", [], await intake.context())
    notice = await OutboxMessage.filter(purpose="case_finished").first()
    assert notice is not None and "不满意" in str(notice.payload)
    return case


async def test_unsatisfied_right_after_the_finish_notice_reopens_at_once(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-at-once")
    case = await finished_case(client, clock, resident)
    clock.advance(timedelta(minutes=5))
    reply = await resident.say("不满意，群租还在，根本没人来管")
    assert "重新办理" in reply and case.number in reply
    await case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and await Case.all().count() == 1
    survey = await Survey.get(case_id=case.id)
    assert survey.status == SurveyStatus.ANSWERED and survey.answer == SurveyAnswer.UNSATISFIED
    # The round that was scheduled for the next morning is not sent.
    clock.set(datetime(2026, 3, 11, 1, 0, tzinfo=UTC))
    assert (await sweep_due_surveys(await client.server.app[INTAKE].context())).asked == 0
    assert not await OutboxMessage.filter(purpose="survey").exists()


async def test_satisfied_right_after_the_finish_notice_is_the_answer(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-happy")
    case = await finished_case(client, clock, resident)
    reply = await resident.say("满意，谢谢")
    assert "感谢您的评价（满意）" in reply
    await case.refresh_from_db()
    assert case.status == CaseStatus.VISITED


async def test_the_problem_still_there_after_the_finish_reopens(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-still")
    case = await finished_case(client, clock, resident)
    reply = await resident.say("群租还在，3楼还是住着十几个人")
    assert "重新办理" in reply
    await case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and await Case.all().count() == 1


# --- urgent never waits -----------------------------------------------------------------------


async def test_gas_smell_is_told_what_to_do_and_whom_to_call(make_client: ClientFactory) -> None:
    resident = Resident(await make_client(), "o-gas")
    answer = await resident.say("控江路1000弄12号楼楼道里煤气味很重，老人一个人在家")
    assert answer.index("962777") < answer.index("已受理")
    assert "已按紧急件处理" in answer
    case = await Case.get()
    assert case.urgency == "急"


async def test_the_utility_lines_come_from_settings(make_client: ClientFactory) -> None:
    resident = Resident(await make_client(gas_emergency_line="12345-6"), "o-gas-line")
    assert "12345-6" in await resident.say("楼道里一股很浓的燃气味，好像漏气了")


# --- not a case, and no words lost ------------------------------------------------------------


async def test_a_greeting_makes_no_case_and_the_report_after_it_keeps_its_words(
    make_client: ClientFactory,
) -> None:
    resident = Resident(await make_client(), "o-hello")
    for chatter in ("你好", "在吗", "测试"):
        answer = await resident.say(chatter)
        assert "已受理" not in answer and answer
    assert await Case.all().count() == 0
    answer = await resident.say(LAMP)
    assert "已受理" in answer
    case = await Case.get()
    assert "路灯" in case.text and case.place_text != LAMP


# --- replies complete and clean ---------------------------------------------------------------


async def test_the_place_in_a_second_message_gets_the_full_reply(
    make_client: ClientFactory,
) -> None:
    resident = Resident(await make_client(), "o-place-later")
    assert "还差地点" in await resident.say("楼下路灯坏了")
    answer = await resident.say("国权路小区5号楼")
    case = await Case.get()
    assert case.status == CaseStatus.DISPATCHED
    for part in ("我们的理解", case.category, "办结", "联系", case.number):
        assert part in answer, (part, answer)


async def test_a_policy_question_is_not_asked_for_a_place(make_client: ClientFactory) -> None:
    resident = Resident(await make_client(), "o-question")
    answer = await resident.say("请问高龄津贴怎么申请？需要什么材料")
    assert "还差地点" not in answer and "咨询" in answer
    case = await Case.get()
    assert case.kind == "question"


async def test_the_place_is_never_written_twice(make_client: ClientFactory) -> None:
    resident = Resident(await make_client(), "o-twice")
    answer = await resident.say("控江路1000弄12号楼楼道灯坏了一个月")
    assert "控江路1000弄控江路1000弄" not in answer


async def test_help_explains_new_cases_my_cases_cancel_and_photos(
    make_client: ClientFactory,
) -> None:
    resident = Resident(await make_client(), "o-help")
    answer = await resident.say("帮助")
    for words in ("新诉求", "我的诉求", "撤销", "照片"):
        assert words in answer
    assert answer == replies.HELP


async def test_an_english_message_gets_a_polite_english_note_and_is_kept(
    make_client: ClientFactory,
) -> None:
    resident = Resident(await make_client(), "o-english")
    answer = await resident.say(
        "Hello, the street light outside building 5 of Guoquan Road compound has been broken "
        "for a week and it is very dark at night."
    )
    assert answer.startswith("Thank you for your message")
    assert await Case.all().count() == 1
    hello = await resident.say("hello")
    assert "Hello" in hello and await Case.all().count() == 1
