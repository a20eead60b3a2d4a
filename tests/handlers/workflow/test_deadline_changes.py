"""Every deadline change is a record with who and why, on the spell that owes it (issue 16):
派单, 改派, an approved 延期, 重办, 不予受理 and 恢复受理 (the intake's own deadlines and the LLM's
re-grading are in ``tests/handlers/intake/test_refine.py``), and the admin API's timeline shows
each under the event that made it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.api.admin_cases import case_detail
from handlers.staff.audit import StaffActor
from handlers.timeline import Actor
from handlers.workflow.actions import (
    finish_case,
    record_contact,
    reopen_case,
    request_extension,
    sign_case,
)
from handlers.workflow.assign import Target, assign
from handlers.workflow.centre_requests import Decider, decide_extension
from handlers.workflow.invalid import invalidate_case, restore_case
from models import Case, CaseStatus, DeadlineChange, StaffRole, StaffUser, UnitSpell
from tests.handlers.workflow.test_actions import NOW, World, context, make_case, make_world

DISPATCHER = Actor("staff", "dispatcher")


@pytest.fixture
async def world(db: str) -> World:
    return await make_world()


async def changes(case: Case, cause: str) -> dict[str, DeadlineChange]:
    rows = await DeadlineChange.filter(case_id=case.id, cause=cause).order_by("id")
    return {row.deadline: row for row in rows}


async def test_dispatch_reassign_extension_and_reopen_each_record_their_deadlines(
    world: World,
) -> None:
    case = await make_case(world, CaseStatus.ACCEPTED)
    await assign(case, Target(world.dept, world.dept_staff), DISPATCHER, "", await context())
    first = await UnitSpell.get(case_id=case.id)
    dispatched = await changes(case, "dispatch")
    assert set(dispatched) == {"sign", "first_contact", "completion"}
    assert all(c.spell_id == first.id and c.actor_id == "dispatcher" for c in dispatched.values())
    assert dispatched["completion"].new_at == first.completion_due_at
    assert "派往" in dispatched["completion"].reason

    later = NOW + timedelta(days=1)
    await assign(
        case, Target(world.street, world.grid_worker), DISPATCHER, "属地管理", await context(later)
    )
    second = await UnitSpell.get(case_id=case.id, ended_at=None)
    moved = await changes(case, "reassign")
    assert set(moved) == {"sign", "first_contact", "completion"}
    assert moved["completion"].old_at == first.completion_due_at
    assert moved["completion"].new_at == second.completion_due_at
    assert all(c.spell_id == second.id for c in moved.values())
    assert "属地管理" in moved["completion"].reason

    await sign_case(case, world.grid_worker, await context(later + timedelta(hours=1)))
    due = second.completion_due_at
    assert due is not None
    asked = await request_extension(
        case, world.grid_worker, due + timedelta(days=5), "需协调多个部门", await context(later)
    )
    decider = Decider(Actor("staff", "centre"), "centre")
    await decide_extension(asked, True, "", decider, await context(later + timedelta(hours=2)))
    [extended] = (await changes(case, "annotate")).values()
    assert (extended.deadline, extended.old_at, extended.new_at) == (
        "completion", due, due + timedelta(days=5),
    )  # fmt: skip
    assert extended.spell_id == second.id and extended.actor_id == "centre"
    assert "需协调多个部门" in extended.reason

    await case.refresh_from_db()
    done = await context(later + timedelta(1))
    await record_contact(case, world.grid_worker, "phone", "已联系", done)
    await finish_case(case, world.grid_worker, "已修复", [], done)
    await reopen_case(case, DISPATCHER, "复查未修好", await context(later + timedelta(days=2)))
    third = await UnitSpell.get(case_id=case.id, ended_at=None)
    [reopened] = (await changes(case, "reopen")).values()
    assert reopened.deadline == "completion" and reopened.spell_id == third.id
    assert reopened.old_at == due + timedelta(days=5) and "复查未修好" in reopened.reason

    # The admin API's timeline: each event with the deadline changes it made.
    detail = await case_detail(case, later + timedelta(days=3))
    shown = {
        (entry["action"], change["deadline"], change["reason"])
        for entry in detail["timeline"]
        for change in entry["deadlines"]
    }
    assert ("reassign", "completion", moved["completion"].reason) in shown
    assert ("annotate", "completion", extended.reason) in shown
    assert ("reopen", "completion", reopened.reason) in shown


async def test_an_invalid_close_and_its_undoing_record_their_deadlines(world: World) -> None:
    case = await make_case(world, CaseStatus.ACCEPTED)
    user = await StaffUser.create(username="admin-1", role=StaffRole.ADMIN, created_at=NOW)
    actor = StaffActor.of(user, ip="10.0.0.1", via="dashboard")
    await invalidate_case(case, "no_content", "无实际诉求", user, actor, await context())
    closed = await changes(case, "invalidate")
    assert set(closed) == {"sign", "first_contact", "completion"}
    assert all(c.new_at is None and c.actor_type == "staff" for c in closed.values())
    await case.refresh_from_db()
    await restore_case(case, "误判", user, actor, await context(NOW + timedelta(hours=1)))
    restored = await changes(case, "restore")
    assert all(c.old_at is None and c.new_at is not None for c in restored.values())
    assert all("误判" in c.reason for c in restored.values())
