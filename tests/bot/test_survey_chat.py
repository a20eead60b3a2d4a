"""A resident answers their survey in the chat: by typing, or by tapping the menu option."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import INTAKE
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.followup.surveys import sweep_due_surveys
from handlers.workflow.actions import finish_case, record_contact, sign_case
from models import Case, CaseStatus, OutboxMessage, Survey, SurveyAnswer, SurveyStatus, Worker
from tests.bot.conftest import Resident
from tests.conftest import make_settings

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai


async def surveyed_case(client: TestClient, clock: ManualClock, resident: Resident) -> Case:
    """The resident reports, the grid worker signs and finishes, the survey goes out."""
    await resident.say("政通路240号门口路灯坏了，晚上一片漆黑")
    case = await Case.get()
    intake = client.server.app[INTAKE]
    worker = await Worker.get(id=case.worker_id)
    await sign_case(case, worker, await intake.context())
    await record_contact(case, worker, "phone", "", await intake.context())
    clock.advance(timedelta(hours=3))
    await finish_case(case, worker, "路灯已修复", [], await intake.context())
    clock.set(datetime(2026, 3, 11, 1, 0, tzinfo=UTC))  # the next morning, 09:00 local
    result = await sweep_due_surveys(await intake.context())
    assert result.asked == 1
    return case


async def app_with_clock(db_url: str, aiohttp_client: Any) -> tuple[TestClient, ManualClock]:
    clock = ManualClock(START)
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    await load_demo_district()
    return client, clock


async def test_typing_3_with_words_reopens_the_case(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-survey-1")
    case = await surveyed_case(client, clock, resident)
    reply = await resident.say("3 晚上还是不亮")
    assert "重新办理" in reply and case.number in reply
    survey = await Survey.get(case_id=case.id)
    assert survey.answer == SurveyAnswer.UNSATISFIED and survey.comment == "晚上还是不亮"
    await case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.reopened_count == 1
    # Nothing new was reported: the answer is not a case.
    assert await Case.all().count() == 1


async def test_a_tapped_option_answers(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-survey-2")
    case = await surveyed_case(client, clock, resident)
    survey = await Survey.get(case_id=case.id)
    menu = await OutboxMessage.get(purpose="survey")
    option = menu.payload["msgmenu"]["list"][0]
    status, body = await resident.send(
        "text",
        {"Content": option["content"], "MsgId": resident.msg_id(), "bizmsgmenuid": option["id"]},
    )
    assert status == 200 and "感谢您的评价（满意）" in body
    survey = await Survey.get(id=survey.id)
    assert survey.status == SurveyStatus.ANSWERED and survey.answer_source == "menu"
    await case.refresh_from_db()
    assert case.status == CaseStatus.VISITED


async def test_a_new_problem_while_a_survey_is_open_is_a_new_case(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-survey-3")
    case = await surveyed_case(client, clock, resident)
    reply = await resident.say("新诉求 国权路小区5号楼楼道里堆满杂物，物业不管")
    assert "已受理" in reply
    assert await Case.all().count() == 2
    assert (await Survey.get(case_id=case.id)).status == SurveyStatus.SENT


async def test_thanks_for_a_notice_is_no_new_case(db_url: str, aiohttp_client: Any) -> None:
    client, _ = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-thanks")
    await resident.say("政通路240号门口路灯坏了，晚上一片漆黑")
    for words in ("谢谢！", "好的", "收到，辛苦了"[:2]):
        assert "不客气" in await resident.say(words)
    assert await Case.all().count() == 1
    case = await Case.get()
    assert "谢谢" not in case.text
