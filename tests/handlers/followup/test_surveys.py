"""回访: when rounds go out, who is asked and who not, reminders and closing (what answers do is
in tests/handlers/followup/test_answers.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.clock import local
from handlers.context import HandlerContext
from handlers.followup.schedule import quiet_adjusted, survey_due_time
from handlers.followup.surveys import (
    SKIP_NOT_COMPLETED,
    SKIP_OPTED_OUT,
    SKIP_UNFOLLOWED,
    menu_id,
    parse_menu_id,
    sweep_due_surveys,
)
from handlers.workflow.actions import finish_case
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    OutboxMessage,
    OutboxStatus,
    Resident,
    Survey,
    SurveyStatus,
)
from tests.conftest import make_settings
from tests.handlers.workflow.test_actions import NOW, World, context, make_case

S = CaseStatus
# NOW is Tuesday 2026-03-10 10:00 in Shanghai; the survey goes out the next morning at 09:00.
NEXT_MORNING = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


async def finished_case(world: World, ctx: HandlerContext, **columns: Any) -> Case:
    case = await make_case(world, S.IN_PROGRESS, **columns)
    await finish_case(case, world.dept_staff, "路灯已修复", [], ctx)
    return case


async def survey_of(case: Case, round_: int = 1) -> Survey:
    return await Survey.get(case_id=case.id, round=round_)


async def surveys_sent_to(openid: str, purpose: str = "survey") -> list[OutboxMessage]:
    return await OutboxMessage.filter(recipient=openid, purpose=purpose).order_by("id")


async def sweep_at(when: datetime, **settings: Any) -> Any:
    return await sweep_due_surveys(await context(when, **settings))


@pytest.fixture
async def world(db: str) -> World:
    from tests.handlers.workflow.test_actions import make_world

    return await make_world()


# When a round goes out


def test_the_default_is_the_next_morning() -> None:
    settings = make_settings("sqlite://:memory:")
    assert survey_due_time(NOW, settings) == NEXT_MORNING
    late_evening = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 local
    assert survey_due_time(late_evening, settings) == NEXT_MORNING
    after_midnight = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 01:00 on the 11th, local
    assert local(survey_due_time(after_midnight, settings)).date().day == 12


def test_a_delay_never_lands_at_night() -> None:
    settings = make_settings("sqlite://:memory:", survey_delay_hours=4)
    assert survey_due_time(NOW, settings) == NOW + timedelta(hours=4)  # 14:00 local
    evening = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)  # 19:00 local + 4 h = 23:00
    assert survey_due_time(evening, settings) == NEXT_MORNING
    early = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)  # 03:00 local on the 11th
    assert quiet_adjusted(early, settings) == NEXT_MORNING
    assert quiet_adjusted(NOW, settings) == NOW


async def test_finishing_schedules_one_round(world: World) -> None:
    ctx = await context()
    case = await finished_case(world, ctx)
    survey = await survey_of(case)
    assert survey.status == SurveyStatus.SCHEDULED and survey.due_at == NEXT_MORNING
    assert survey.resident_id == world.resident.id
    await case.refresh_from_db()
    assert case.survey_due_at == NEXT_MORNING


# Asking


async def test_the_survey_goes_out_once_when_due(world: World) -> None:
    case = await finished_case(world, await context())
    before = await sweep_at(NEXT_MORNING - timedelta(minutes=1))
    assert before.steps == 0 and not await surveys_sent_to("o-resident")

    world.resident.last_message_at = NEXT_MORNING - timedelta(hours=2)
    await world.resident.save()
    result = await sweep_at(NEXT_MORNING)
    assert result.asked == 1
    (row,) = await surveys_sent_to("o-resident")
    assert row.channel == "mp_custom" and row.payload["msgtype"] == "msgmenu"
    menu = row.payload["msgmenu"]
    assert case.number in menu["head_content"] and "路灯已修复" in menu["head_content"]
    survey = await survey_of(case)
    assert [item["id"] for item in menu["list"]] == [
        menu_id(survey.id, answer) for answer in ("satisfied", "basically", "unsatisfied")
    ]
    assert survey.status == SurveyStatus.SENT and survey.sent_at == NEXT_MORNING
    assert survey.reminder_due_at == NEXT_MORNING + timedelta(hours=24)
    assert survey.closes_at == NEXT_MORNING + timedelta(hours=72)
    assert (await sweep_at(NEXT_MORNING + timedelta(minutes=5))).steps == 0
    assert len(await surveys_sent_to("o-resident")) == 1
    sent = [e for e in await CaseEvent.filter(case_id=case.id) if e.data.get("kind")]
    assert [e.data["kind"] for e in sent][-1] == "survey_sent"


async def test_outside_the_window_a_consented_template_is_used(world: World) -> None:
    case = await finished_case(world, await context())
    await Resident.filter(id=world.resident.id).update(
        last_message_at=NOW - timedelta(days=3), consent_template=True
    )
    await sweep_at(NEXT_MORNING, mp_template_case_update="tmpl-case")
    (row,) = await surveys_sent_to("o-resident")
    assert row.channel == "mp_template" and row.payload["template_id"] == "tmpl-case"
    assert case.number == row.payload["data"]["keyword1"]["value"]
    assert row.payload["data"]["keyword2"]["value"] == "待评价"


async def test_without_any_channel_the_round_is_unreachable(world: World) -> None:
    case = await finished_case(world, await context())
    await Resident.filter(id=world.resident.id).update(last_message_at=NOW - timedelta(days=3))
    result = await sweep_at(NEXT_MORNING)
    assert result.unreachable == 1 and result.asked == 0
    survey = await survey_of(case)
    assert survey.status == SurveyStatus.UNREACHABLE and "48小时" in survey.skip_reason
    (row,) = await surveys_sent_to("o-resident")
    assert row.status == OutboxStatus.SKIPPED
    # Nobody is reminded of a survey they never got, and the round does not close as 未评价.
    assert (await sweep_at(NEXT_MORNING + timedelta(days=5))).steps == 0


@pytest.mark.parametrize("why", ["opted_out", "unfollowed", "reopened", "no_resident"])
async def test_who_gets_no_survey(world: World, why: str) -> None:
    ctx = await context()
    case = await finished_case(world, ctx)
    if why == "opted_out":
        await Resident.filter(id=world.resident.id).update(survey_opt_out=True)
    elif why == "unfollowed":
        await Resident.filter(id=world.resident.id).update(subscribed=False, unsubscribed_at=NOW)
    elif why == "reopened":
        await Case.filter(id=case.id).update(status=S.IN_PROGRESS)
    else:
        await Survey.filter(case_id=case.id).update(resident_id=None)
    result = await sweep_at(NEXT_MORNING)
    assert result.skipped == 1 and result.asked == 0
    survey = await survey_of(case)
    assert survey.status == SurveyStatus.SKIPPED
    expected = {
        "opted_out": SKIP_OPTED_OUT,
        "unfollowed": SKIP_UNFOLLOWED,
        "reopened": SKIP_NOT_COMPLETED.format(status="处理中"),
        "no_resident": "没有关联居民",
    }[why]
    assert expected in survey.skip_reason
    assert not await surveys_sent_to("o-resident")


async def test_merged_cases_are_surveyed_with_the_case_they_joined(world: World) -> None:
    ctx = await context()
    other = await Resident.create(openid="o-neighbour", subscribed=True, last_message_at=NOW)
    parent = await make_case(world, S.IN_PROGRESS)
    merged = await make_case(world, S.MERGED, resident=other, duplicate_of_id=parent.id)
    await finish_case(parent, world.dept_staff, "路灯已修复", [], ctx)
    assert await Survey.filter(case_id=parent.id).count() == 1
    assert not await Survey.exists(case_id=merged.id)


# Reminder and closing


async def test_one_reminder_then_the_round_closes_unrated(world: World) -> None:
    case = await finished_case(world, await context())
    await sweep_at(NEXT_MORNING)
    # The resident wrote again meanwhile, so the reminder can go inside the 48-hour window.
    await Resident.filter(id=world.resident.id).update(
        last_message_at=NEXT_MORNING + timedelta(hours=20)
    )
    reminded = await sweep_at(NEXT_MORNING + timedelta(hours=24))
    assert reminded.reminded == 1
    (reminder,) = await surveys_sent_to("o-resident", "survey_reminder")
    assert case.number in reminder.payload["msgmenu"]["head_content"]
    assert (await sweep_at(NEXT_MORNING + timedelta(hours=30))).steps == 0
    closed = await sweep_at(NEXT_MORNING + timedelta(hours=72))
    assert closed.closed == 1
    survey = await survey_of(case)
    assert survey.status == SurveyStatus.UNRATED and survey.answer is None
    await case.refresh_from_db()
    assert case.status == S.VISITED
    (visit,) = await CaseEvent.filter(case_id=case.id, action=CaseAction.VISIT.value)
    assert "未评价" in visit.note and visit.actor_type == "system"
    assert len(await surveys_sent_to("o-resident", "survey_reminder")) == 1


async def test_after_downtime_everything_due_is_done_once(world: World) -> None:
    cases = [await finished_case(world, await context()) for _ in range(3)]
    much_later = NEXT_MORNING + timedelta(days=2)
    await Resident.filter(id=world.resident.id).update(last_message_at=much_later)
    first = await sweep_at(much_later)
    again = await sweep_at(much_later)
    assert first.asked == 3 and again.steps == 0
    for case in cases:
        assert len(await OutboxMessage.filter(case_id=case.id, purpose="survey")) == 1


async def test_concurrent_sweeps_ask_each_resident_once(world: World) -> None:
    residents = [
        await Resident.create(openid=f"o-r{i}", subscribed=True, last_message_at=NOW)
        for i in range(12)
    ]
    ctx = await context()
    for resident in residents:
        case = await make_case(world, S.IN_PROGRESS, resident=resident)
        await finish_case(case, world.dept_staff, "已处理", [], ctx)
    results = await asyncio.gather(*(sweep_at(NEXT_MORNING) for _ in range(3)))
    assert sum(r.asked for r in results) == 12
    for resident in residents:
        assert len(await surveys_sent_to(resident.openid)) == 1
    assert await Survey.filter(status=SurveyStatus.SENT).count() == 12


def test_menu_ids() -> None:
    assert parse_menu_id(menu_id(42, "unsatisfied")) == (42, "unsatisfied")
    for bad in (None, "", "survey:x:satisfied", "survey:1:great", "other:1:satisfied", "1"):
        assert parse_menu_id(bad) is None
