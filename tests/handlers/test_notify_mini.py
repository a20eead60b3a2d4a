"""notify_resident by the resident's app: the mini-program's channels for its residents, none for
Open311 reporters, and the official account's unchanged for its followers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handlers.followup.surveys import sweep_due_surveys
from handlers.notify import (
    REASON_MINI_NO_CONSENT,
    REASON_MINI_NOTHING_CONFIGURED,
    REASON_NO_WECHAT,
    CaseUpdate,
    mini_phrase,
    mini_subscribe_payload,
    mini_time,
    notify_resident,
)
from models import OutboxMessage, OutboxStatus, Resident, ResidentApp, Survey, SurveyStatus
from tests.conftest import make_settings
from tests.handlers.followup.test_surveys import NEXT_MORNING, finished_case
from tests.handlers.workflow.test_actions import NOW, World, context, make_world

TEMPLATE = "MINI-TPL"
UPDATE = CaseUpdate(number="2603100001", status="已办结", at=NOW)
MENU = {"msgtype": "msgmenu", "msgmenu": {"head_content": "请评价", "list": []}}


def settings(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "mini_subscribe_case_update": TEMPLATE,
        "mp_template_case_update": "MP-TEMPLATE",
        "mp_subscribe_case_update": "MP-SUBSCRIBE",
    }
    return make_settings("sqlite://:memory:", **(values | overrides))


async def mini_resident(**columns: Any) -> Resident:
    return await Resident.create(openid="o-mini", app=ResidentApp.MINIPROGRAM, **columns)


@pytest.fixture
async def world(db: str) -> World:
    return await make_world()


async def test_inside_the_window_a_customer_service_message(db: str) -> None:
    resident = await mini_resident(last_message_at=NOW - timedelta(hours=47))
    row = await notify_resident(resident, "已受理", NOW, purpose="reply", dedup_key="k1")
    assert row.channel == "mini_custom" and row.status == OutboxStatus.PENDING
    assert row.payload == {"msgtype": "text", "text": {"content": "已受理"}}
    again = await notify_resident(resident, "已受理", NOW, purpose="reply", dedup_key="k1")
    assert again.id == row.id and await OutboxMessage.all().count() == 1


async def test_a_menu_becomes_text_and_a_link_stays(db: str) -> None:
    resident = await mini_resident(last_message_at=NOW)
    menu = await notify_resident(
        resident, "请回复1、2、3", NOW, purpose="survey", custom_payload=MENU
    )
    assert menu.payload == {"msgtype": "text", "text": {"content": "请回复1、2、3"}}
    link = {"msgtype": "link", "link": {"title": "诉求", "url": "https://x.example/c/1"}}
    kept = await notify_resident(resident, "诉求", NOW, purpose="notice", custom_payload=link)
    assert kept.payload == link


async def test_entering_the_chat_opens_a_short_quota(db: str) -> None:
    resident = await mini_resident()
    row = await notify_resident(resident, "您好", NOW, purpose="reply", session_open=True)
    assert row.channel == "mini_custom" and row.status == OutboxStatus.PENDING


async def test_outside_the_window_a_consented_mini_subscription(db: str) -> None:
    resident = await mini_resident(
        last_message_at=NOW - timedelta(hours=49),
        consent_template=True,
        consent_subscribe={TEMPLATE: "accept", "MP-SUBSCRIBE": "accept"},
    )
    row = await notify_resident(
        resident,
        "诉求 2603100001 已办结：路灯已修复，灯泡已更换，夜间照明恢复正常",
        NOW,
        purpose="case_finished",
        settings=settings(),
        update=UPDATE,
        dedup_key="case:1:finished",
    )
    assert row.channel == "mini_subscribe" and row.recipient == "o-mini"
    assert row.payload == {
        "template_id": TEMPLATE,
        "page": "pages/case/detail?number=2603100001",
        "data": {
            "character_string1": {"value": "2603100001"},
            "phrase2": {"value": "已办结"},
            "time3": {"value": "2026年3月10日 10:00"},
            "thing4": {"value": "诉求 2603100001 已办结：路…"},
        },
    }
    assert len(row.payload["data"]["thing4"]["value"]) == 20


@pytest.mark.parametrize(
    ("consent", "overrides", "reason"),
    [
        ({}, {}, REASON_MINI_NO_CONSENT),
        ({TEMPLATE: "reject"}, {}, REASON_MINI_NO_CONSENT),
        ({TEMPLATE: "accept"}, {"mini_subscribe_case_update": ""}, REASON_MINI_NOTHING_CONFIGURED),
    ],
    ids=["no-consent", "rejected", "not-configured"],
)
async def test_otherwise_recorded_unsent_never_an_official_account_message(
    db: str, consent: dict[str, str], overrides: dict[str, Any], reason: str
) -> None:
    resident = await mini_resident(
        last_message_at=NOW - timedelta(days=3),
        consent_template=True,
        consent_subscribe={"MP-SUBSCRIBE": "accept", **consent},
        subscribed=True,
    )
    row = await notify_resident(
        resident,
        "已办结",
        NOW,
        purpose="case_finished",
        settings=settings(**overrides),
        update=UPDATE,
        dedup_key="case:1:finished",
    )
    assert row.status == OutboxStatus.SKIPPED and row.channel == "mini_custom"
    assert row.last_error == reason and row.dedup_key == "case:1:finished"
    assert not await OutboxMessage.filter(channel__startswith="mp_").exists()
    again = await notify_resident(
        resident, "已办结", NOW, purpose="case_finished", dedup_key="case:1:finished"
    )
    assert again.id == row.id


async def test_open311_reporters_have_no_wechat_channel(db: str) -> None:
    reporter = await Resident.create(
        openid="open311-7", app=ResidentApp.OPEN311, last_message_at=NOW, consent_template=True
    )
    row = await notify_resident(
        reporter, "已办结", NOW, purpose="case_finished", settings=settings(), update=UPDATE
    )
    assert row.status == OutboxStatus.SKIPPED and row.last_error == REASON_NO_WECHAT
    assert row.channel == "open311"


async def test_official_account_followers_are_unchanged(db: str) -> None:
    follower = await Resident.create(openid="o-mp", last_message_at=NOW, subscribed=True)
    assert follower.app == ResidentApp.MP
    row = await notify_resident(follower, "已受理", NOW, purpose="reply", custom_payload=MENU)
    assert row.channel == "mp_custom" and row.payload == MENU
    await Resident.filter(id=follower.id).update(last_message_at=NOW - timedelta(days=3))
    follower = await Resident.get(id=follower.id)
    follower.consent_template = True
    template = await notify_resident(
        follower, "已办结", NOW, purpose="case_finished", settings=settings(), update=UPDATE
    )
    assert template.channel == "mp_template"


def test_mini_fields_keep_their_limits() -> None:
    assert mini_phrase("已办结") == "已办结"
    assert mini_phrase("待评价(2)") == "待评价"
    assert mini_phrase("处理中，请稍候") == "处理中请稍"
    assert mini_phrase("OK") == "已更新"
    assert mini_time(NOW) == "2026年3月10日 10:00"
    payload = mini_subscribe_payload(TEMPLATE, "x" * 50, UPDATE)
    assert len(payload["data"]["thing4"]["value"]) == 20
    assert "://" not in payload["page"]


# Surveys (回访) of mini-program residents: a question they can answer by typing 1, 2 or 3


async def test_a_mini_residents_survey_is_plain_text(world: World) -> None:
    await Resident.filter(id=world.resident.id).update(
        app=ResidentApp.MINIPROGRAM, last_message_at=NEXT_MORNING - timedelta(hours=2)
    )
    world.resident = await Resident.get(id=world.resident.id)
    case = await finished_case(world, await context())
    result = await sweep_due_surveys(await context(NEXT_MORNING))
    assert result.asked == 1
    (row,) = await OutboxMessage.filter(purpose="survey")
    assert row.channel == "mini_custom" and row.payload["msgtype"] == "text"
    question = row.payload["text"]["content"]
    assert case.number in question and "1 满意" in question and "3 不满意" in question
    survey = await Survey.get(case_id=case.id)
    assert survey.status == SurveyStatus.SENT


async def test_an_unreachable_mini_resident_is_recorded(world: World) -> None:
    await Resident.filter(id=world.resident.id).update(
        app=ResidentApp.MINIPROGRAM, last_message_at=NOW - timedelta(days=5)
    )
    world.resident = await Resident.get(id=world.resident.id)
    case = await finished_case(world, await context())
    await sweep_due_surveys(await context(NEXT_MORNING))
    survey = await Survey.get(case_id=case.id)
    assert survey.status == SurveyStatus.UNREACHABLE
    assert not await OutboxMessage.filter(channel__startswith="mp_", purpose="survey").exists()
