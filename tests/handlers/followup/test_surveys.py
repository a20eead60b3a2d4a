"""回访: when rounds go out, who is asked and who not, reminders, closing, and what answers do."""

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
    answer_survey,
    menu_id,
    parse_menu_id,
    reply_as_answer,
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
    SurveyAnswer,
    SurveyStatus,
    Worker,
    WorkerRole,
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


# Answers


async def test_satisfied_visits_the_case(world: World) -> None:
    case = await finished_case(world, await context())
    await sweep_at(NEXT_MORNING)
    survey = await survey_of(case)
    reply = await answer_survey(
        survey, SurveyAnswer.SATISFIED, "谢谢", await context(NEXT_MORNING), source="reply"
    )
    assert "感谢" in reply and case.number in reply
    survey = await survey_of(case)
    assert survey.status == SurveyStatus.ANSWERED and survey.answer == SurveyAnswer.SATISFIED
    assert survey.comment == "谢谢" and survey.answer_source == "reply"
    await case.refresh_from_db()
    assert case.status == S.VISITED
    # No reminder and no closing for an answered round; a second answer changes nothing.
    assert (await sweep_at(NEXT_MORNING + timedelta(days=4))).steps == 0
    again = await answer_survey(
        survey, SurveyAnswer.UNSATISFIED, "", await context(NEXT_MORNING), source="reply"
    )
    assert "已评价过" in again
    await case.refresh_from_db()
    assert case.status == S.VISITED and case.reopened_count == 0


async def test_unsatisfied_reopens_and_a_second_time_sends_a_supervisor(world: World) -> None:
    case = await finished_case(world, await context(), worker=world.dept_staff)
    await sweep_at(NEXT_MORNING)
    later = NEXT_MORNING + timedelta(hours=2)
    reply = await answer_survey(
        await survey_of(case), "unsatisfied", "路灯还是不亮", await context(later), source="reply"
    )
    assert "重新办理" in reply
    await case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.reopened_count == 1
    assert case.completion_due_at is not None and case.completion_due_at > later
    assert case.unit_id == world.dept.id and case.worker_id == world.dept_staff.id
    told = await OutboxMessage.filter(case_id=case.id, purpose="reopen").order_by("id")
    assert {row.dedup_key for row in told} == {
        f"reopen:{case.id}:1:{world.dept_staff.id}",
        f"reopen:{case.id}:1:{world.dept_supervisor.id}",
    }
    assert "路灯还是不亮" in told[0].payload["text"]["content"]
    reopen = await CaseEvent.get(case_id=case.id, action=CaseAction.REOPEN.value)
    assert reopen.actor_type == "resident" and "路灯还是不亮" in reopen.note

    # The unit finishes again: a second round follows, and a second 不满意.
    ctx = await context(later + timedelta(hours=5))
    await finish_case(case, world.dept_staff, "已更换灯具", [], ctx)
    second = await survey_of(case, 2)
    assert second.status == SurveyStatus.SCHEDULED
    await Resident.filter(id=world.resident.id).update(last_message_at=second.due_at)
    await sweep_at(second.due_at)
    reply = await answer_survey(
        await survey_of(case, 2), "unsatisfied", "", await context(second.due_at), source="menu"
    )
    assert "实地核查" in reply
    await case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.reopened_count == 2 and case.supervised
    (visit,) = await OutboxMessage.filter(case_id=case.id, purpose="field_visit")
    assert visit.dedup_key == f"fieldvisit:{case.id}:2:{world.dept_supervisor.id}"
    assert "实地" in visit.payload["text"]["content"]
    supervise = await CaseEvent.get(case_id=case.id, action=CaseAction.SUPERVISE.value)
    assert supervise.data["kind"] == "field_visit"


async def test_a_field_visit_goes_to_the_head_when_there_is_no_supervisor(world: World) -> None:
    await world.dept_supervisor.delete()
    head = await Worker.create(name="钱处", role=WorkerRole.UNIT_HEAD, unit_id=world.dept.id)
    case = await finished_case(world, await context())
    for round_ in (1, 2):
        survey = await survey_of(case, round_)
        await sweep_at(survey.due_at)
        await answer_survey(
            await survey_of(case, round_),
            "unsatisfied",
            "",
            await context(survey.due_at),
            source="reply",
        )
        if round_ == 1:
            await case.refresh_from_db()
            await finish_case(case, world.dept_staff, "再次处理", [], await context(survey.due_at))
    (visit,) = await OutboxMessage.filter(case_id=case.id, purpose="field_visit")
    assert visit.dedup_key.endswith(f":{head.id}")


async def test_a_round_not_delivered_can_still_be_answered(world: World) -> None:
    """The mini-program shows the case and its survey even when no message could reach them."""
    case = await finished_case(world, await context())
    await Resident.filter(id=world.resident.id).update(last_message_at=NOW - timedelta(days=3))
    await sweep_at(NEXT_MORNING)
    assert (await survey_of(case)).status == SurveyStatus.UNREACHABLE
    reply = await answer_survey(
        await survey_of(case), "satisfied", "", await context(NEXT_MORNING), source="miniprogram"
    )
    assert "感谢" in reply
    survey = await survey_of(case)
    assert survey.status == SurveyStatus.ANSWERED and survey.answer_source == "miniprogram"
    await case.refresh_from_db()
    assert case.status == S.VISITED


async def test_an_answer_after_the_round_closed_is_kept(world: World) -> None:
    case = await finished_case(world, await context())
    await sweep_at(NEXT_MORNING)
    await sweep_at(NEXT_MORNING + timedelta(hours=72))
    resident = await Resident.get(id=world.resident.id)
    late_ctx = await context(NEXT_MORNING + timedelta(days=5))
    reply = await reply_as_answer(resident, "不满意，灯又坏了", late_ctx)
    assert reply is not None and "已记录" in reply
    survey = await survey_of(case)
    assert survey.status == SurveyStatus.UNRATED and survey.late
    assert survey.answer == SurveyAnswer.UNSATISFIED and survey.comment == "灯又坏了"
    await case.refresh_from_db()
    assert case.status == S.VISITED and case.reopened_count == 0  # kept, not acted on
    late = await CaseEvent.filter(case_id=case.id).order_by("-id").first()
    assert late is not None and late.data["kind"] == "survey_late_answer"
    # Long after, a reply is not taken for an answer any more: it goes to intake.
    long_after = await context(NEXT_MORNING + timedelta(days=60))
    assert await reply_as_answer(resident, "满意", long_after) is None


async def test_replies_that_are_not_answers_go_to_intake(world: World) -> None:
    await finished_case(world, await context())
    await sweep_at(NEXT_MORNING)
    resident = await Resident.get(id=world.resident.id)
    ctx = await context(NEXT_MORNING)
    assert await reply_as_answer(resident, "3号楼门口的垃圾桶满了，一直没人清运", ctx) is None
    assert await reply_as_answer(resident, "我的诉求", ctx) is None
    assert await reply_as_answer(resident, "2", ctx) is not None


async def test_without_an_open_round_words_are_not_answers(world: World) -> None:
    resident = await Resident.get(id=world.resident.id)
    assert await reply_as_answer(resident, "满意", await context()) is None


async def test_a_tapped_menu_option_answers_its_own_round(world: World) -> None:
    case = await finished_case(world, await context())
    await sweep_at(NEXT_MORNING)
    survey = await survey_of(case)
    resident = await Resident.get(id=world.resident.id)
    stranger = await Resident.create(openid="o-stranger", subscribed=True)
    ctx = await context(NEXT_MORNING)
    # Somebody else's menu id is not theirs to answer: it is read as words (and 基本满意 with
    # no open round of their own is no answer at all).
    picked = menu_id(survey.id, "basically")
    assert await reply_as_answer(stranger, "基本满意", ctx, menu=picked) is None
    assert (await survey_of(case)).status == SurveyStatus.SENT
    reply = await reply_as_answer(resident, "基本满意", ctx, menu=menu_id(survey.id, "basically"))
    assert reply is not None and "基本满意" in reply
    survey = await survey_of(case)
    assert survey.answer == SurveyAnswer.BASICALLY and survey.answer_source == "menu"


def test_menu_ids() -> None:
    assert parse_menu_id(menu_id(42, "unsatisfied")) == (42, "unsatisfied")
    for bad in (None, "", "survey:x:satisfied", "survey:1:great", "other:1:satisfied", "1"):
        assert parse_menu_id(bad) is None


async def test_residents_may_opt_out_and_back_in(world: World) -> None:
    resident = await Resident.get(id=world.resident.id)
    ctx = await context()
    assert "不再" in (await reply_as_answer(resident, "不再回访", ctx) or "")
    assert (await Resident.get(id=resident.id)).survey_opt_out
    assert "会再" in (await reply_as_answer(resident, "恢复回访", ctx) or "")
    assert not (await Resident.get(id=resident.id)).survey_opt_out
