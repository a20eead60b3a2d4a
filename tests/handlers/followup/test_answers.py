"""回访 answers: 满意 visits the case, 不满意 reopens it (twice: a field visit), late answers,
menu taps, replies that are no answers, and opting out of surveys."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.followup.answers import answer_survey, reply_as_answer
from handlers.followup.surveys import menu_id
from handlers.workflow.actions import finish_case
from models import (
    CaseAction,
    CaseEvent,
    CaseStatus,
    FieldVisit,
    FieldVisitStatus,
    OutboxMessage,
    Resident,
    SurveyAnswer,
    SurveyStatus,
    Worker,
    WorkerRole,
)
from tests.handlers.followup.test_surveys import (
    NEXT_MORNING,
    finished_case,
    survey_of,
    sweep_at,
)
from tests.handlers.workflow.test_actions import NOW, World, context

S = CaseStatus


@pytest.fixture(autouse=True)
def no_review(monkeypatch: pytest.MonkeyPatch) -> None:
    """These rounds follow 办结 at once: the review of reopened results (its default) is off."""
    monkeypatch.setattr("handlers.workflow.actions.needs_review", lambda case, settings: False)


@pytest.fixture
async def world(db: str) -> World:
    from tests.handlers.workflow.test_actions import make_world

    return await make_world()


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


async def test_unsatisfied_reopens_sends_a_field_visit_and_a_second_time_supervises(
    world: World,
) -> None:
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
    # The first 不满意 already sends the field visit (四不两直), a task with its 整改时限.
    (task,) = await FieldVisit.filter(case_id=case.id)
    assert task.status == FieldVisitStatus.OPEN and not task.supervised
    assert task.due_at > later and not case.supervised
    (first_visit,) = await OutboxMessage.filter(case_id=case.id, purpose="field_visit")
    assert first_visit.dedup_key == f"fieldvisit:{case.id}:1:{world.dept_supervisor.id}"

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
    visit = (
        await OutboxMessage.filter(case_id=case.id, purpose="field_visit").order_by("-id").first()
    )
    assert visit is not None
    assert visit.dedup_key == f"fieldvisit:{case.id}:2:{world.dept_supervisor.id}"
    assert "督办" in visit.payload["text"]["content"]
    supervise = await CaseEvent.get(case_id=case.id, action=CaseAction.SUPERVISE.value)
    assert supervise.data["kind"] == "field_visit_supervised"
    (task,) = await FieldVisit.filter(case_id=case.id)
    assert task.supervised and task.status == FieldVisitStatus.OPEN


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
    visits = await OutboxMessage.filter(case_id=case.id, purpose="field_visit")
    assert len(visits) == 2 and all(v.dedup_key.endswith(f":{head.id}") for v in visits)
    (task,) = await FieldVisit.filter(case_id=case.id)
    assert task.assignee_id == head.id and task.supervised


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


async def test_residents_may_opt_out_and_back_in(world: World) -> None:
    resident = await Resident.get(id=world.resident.id)
    ctx = await context()
    assert "不再" in (await reply_as_answer(resident, "不再回访", ctx) or "")
    assert (await Resident.get(id=resident.id)).survey_opt_out
    assert "会再" in (await reply_as_answer(resident, "恢复回访", ctx) or "")
    assert not (await Resident.get(id=resident.id)).survey_opt_out
