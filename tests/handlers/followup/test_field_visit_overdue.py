"""Field visits past their 整改时限: reported once to the assignee, the unit's supervisors and
the centre's dispatchers; never when the outcome is recorded in time; once across sweeps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from handlers.followup.answers import answer_survey
from handlers.followup.field_visit_overdue import sweep_overdue_field_visits
from handlers.followup.field_visits import record_field_visit
from handlers.staff.accounts import create_user
from handlers.staff.audit import StaffActor
from models import Case, CaseEvent, FieldVisit, OutboxMessage, Unit, Worker, WorkerRole
from tests.handlers.followup.test_surveys import NEXT_MORNING, finished_case, survey_of, sweep_at
from tests.handlers.workflow.test_actions import NOW, World, context


@pytest.fixture(autouse=True)
def no_review(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("handlers.workflow.actions.needs_review", lambda case, settings: False)


@pytest.fixture
async def world(db: str) -> World:
    from tests.handlers.workflow.test_actions import make_world

    return await make_world()


async def unsatisfied(world: World) -> tuple[Case, FieldVisit]:
    case = await finished_case(world, await context())
    await sweep_at(NEXT_MORNING)
    later = NEXT_MORNING + timedelta(hours=1)
    await answer_survey(
        await survey_of(case), "unsatisfied", "还是不亮", await context(later), source="reply"
    )
    (visit,) = await FieldVisit.filter(case_id=case.id)
    return case, visit


async def test_an_overdue_visit_is_reported_once(world: World) -> None:
    head = await Worker.create(name="钱处", role=WorkerRole.UNIT_HEAD, unit_id=world.dept.id)
    case, visit = await unsatisfied(world)
    assert visit.assignee_id == head.id
    before = await sweep_overdue_field_visits(await context(visit.due_at - timedelta(minutes=1)))
    assert before.reminded == 0
    after = visit.due_at + timedelta(minutes=1)
    result = await sweep_overdue_field_visits(await context(after))
    assert result.reminded == 1 and result.told == 3
    told = await OutboxMessage.filter(purpose="field_visit_overdue").order_by("id")
    assert {row.dedup_key for row in told} == {
        f"fieldvisit-overdue:{visit.id}:{worker.id}"
        for worker in (head, world.dept_supervisor, world.dispatcher)
    }
    text = str(told[0].payload)
    assert case.number in text and "整改时限" in text and "钱处" in text
    events = await CaseEvent.filter(case_id=case.id).order_by("id")
    (event,) = [e for e in events if e.data.get("kind") == "field_visit_overdue"]
    assert "已超过整改时限" in event.note
    await visit.refresh_from_db()
    assert visit.overdue_notified_at == after
    # Later sweeps, and two at once, report nothing more.
    contexts = [await context(after + timedelta(hours=h)) for h in (1, 2)]
    again = await asyncio.gather(*(sweep_overdue_field_visits(c) for c in contexts))
    assert [r.reminded for r in again] == [0, 0]
    assert await OutboxMessage.filter(purpose="field_visit_overdue").count() == 3


async def test_a_visit_recorded_in_time_is_never_reported(world: World) -> None:
    await Unit.filter(kind="center").update(name="杨浦区城运中心")
    case, visit = await unsatisfied(world)
    assert visit.assignee_id is None and visit.assignee_label == "杨浦区城运中心"  # no head
    user = await create_user("disp", "dispatcher", "a-long-password-1", NOW)
    await record_field_visit(
        case,
        visit.id,
        "rectified",
        "已现场核查，路灯已更换",
        [],
        user,
        StaffActor(user.id, "disp", "dispatcher", via="api"),
        await context(visit.due_at - timedelta(hours=1)),
    )
    result = await sweep_overdue_field_visits(await context(visit.due_at + timedelta(days=1)))
    assert result.reminded == 0
    assert not await OutboxMessage.filter(purpose="field_visit_overdue").exists()


async def test_a_batch_says_more_are_waiting(world: World) -> None:
    _, visit = await unsatisfied(world)
    now = visit.due_at + timedelta(minutes=5)
    await FieldVisit.create(
        case_id=visit.case_id, unit_id=visit.unit_id, due_at=visit.due_at, created_at=NOW
    )
    first = await sweep_overdue_field_visits(await context(now), batch=1)
    assert first.reminded == 1 and first.more
    second = await sweep_overdue_field_visits(await context(now), batch=1)
    assert second.reminded == 1 and not second.more
