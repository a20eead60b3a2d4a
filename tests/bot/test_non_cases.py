"""Messages that are no report make no case, get the help text, and are kept (issue 15, 4)."""

from __future__ import annotations

from typing import Any

import pytest

from config import replies
from models import Case, InboundMessage, Survey, SurveyAnswer, SurveyStatus
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.test_survey_chat import app_with_clock, surveyed_case

AD = "加微信abc123领红包，代办信用卡，日赚500"

NON_CASES = [
    ("你好", "这里是"),
    ("谢谢", "不客气"),
    ("谢谢你们", "不客气"),
    ("👍", ""),
    ("🙏", ""),
    ("1", "服务正常"),
    ("？", "发送"),
    ("嗯", ""),
    ("测试", "服务正常"),
    (AD, "没有登记"),
]


@pytest.mark.parametrize(("text", "expected"), NON_CASES)
async def test_a_non_case_makes_no_case_gets_help_and_is_kept(
    make_client: ClientFactory, text: str, expected: str
) -> None:
    resident = Resident(await make_client(), "o-noncase")
    answer = await resident.say(text)
    assert answer and "已受理" not in answer
    assert expected in answer
    assert "直接发送" in answer or "发送文字" in answer or replies.SERVICE_NAME in answer
    assert await Case.all().count() == 0
    row = await InboundMessage.get(openid="o-noncase")
    assert text in row.body and row.case_id is None


async def test_an_ad_reported_by_a_resident_is_a_case(make_client: ClientFactory) -> None:
    resident = Resident(await make_client(), "o-adreport")
    answer = await resident.say("小区门口天天有人发小广告，说加微信领红包，代办信用卡，请管管")
    assert "已受理" in answer
    assert await Case.all().count() == 1


async def test_thanks_while_a_survey_is_open_is_the_answer(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-thanks-survey")
    case = await surveyed_case(client, clock, resident)
    reply = await resident.say("谢谢")
    assert "感谢您的评价" in reply and "不客气" not in reply
    survey = await Survey.get(case_id=case.id)
    assert survey.status == SurveyStatus.ANSWERED
    assert survey.answer in (SurveyAnswer.SATISFIED, SurveyAnswer.BASICALLY)
    assert await Case.all().count() == 1
