"""Staff actions on cases: permissions, the audit row with the action, refusals in words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.staff.audit import StaffActor
from handlers.workflow.actions import InvalidRequest, WorkflowConflict
from handlers.workflow.search import CaseFilters, filters_from_query, search_cases
from handlers.workflow.staff_actions import (
    CaseHidden,
    StaffRefused,
    decide_case_extension,
    reassign_case,
    recategorise_case,
    supervise_case,
    visible_case,
)
from models import (
    AuditEvent,
    CaseEvent,
    CaseStatus,
    CategoryCorrection,
    ExtensionRequest,
    ExtensionStatus,
    IllegalTransition,
    StaffRole,
    StaffUser,
)
from tests.handlers.workflow.test_actions import NOW, World, context, make_case, make_world

S = CaseStatus


@pytest.fixture
async def world(db: str) -> World:
    return await make_world()


async def staff(role: StaffRole, **columns: object) -> tuple[StaffUser, StaffActor]:
    user = await StaffUser.create(
        username=f"{role.value}-{await StaffUser.all().count()}",
        role=role,
        created_at=NOW,
        **columns,
    )
    return user, StaffActor.of(user, ip="10.0.0.1", via="dashboard")


async def test_recategorise_keeps_the_example_and_the_audit_row(world: World) -> None:
    case = await make_case(world)
    user, actor = await staff(StaffRole.DISPATCHER)
    result = await recategorise_case(
        case, "城乡建设/物业管理", user, actor, await context(), "小区内设施"
    )
    assert result.new == "城乡建设/物业管理"
    assert await CategoryCorrection.filter(case_id=case.id).count() == 1
    entry = await AuditEvent.get(action="case.recategorise")
    assert entry.target_id == case.number and entry.detail["reason"] == "小区内设施"
    assert entry.ip == "10.0.0.1"
    with pytest.raises(StaffRefused, match="无需改类"):
        await recategorise_case(case, "城乡建设/物业管理", user, actor, await context())


async def test_roles_without_the_capability_are_refused_and_nothing_is_written(
    world: World,
) -> None:
    case = await make_case(world)
    unit_user, unit_actor = await staff(StaffRole.UNIT, unit_id=world.dept.id)
    with pytest.raises(StaffRefused) as refused:
        await recategorise_case(case, "城乡建设/物业管理", unit_user, unit_actor, await context())
    assert refused.value.status == 403
    other_user, other_actor = await staff(StaffRole.SUPERVISOR, unit_id=world.other.id)
    with pytest.raises(CaseHidden):
        await supervise_case(case, other_user, other_actor, await context())
    with pytest.raises(CaseHidden):
        await visible_case(other_user, case.number)
    assert not await AuditEvent.exists()
    assert not await CategoryCorrection.exists()


async def test_supervise_flags_once(world: World) -> None:
    case = await make_case(world, S.SIGNED)
    user, actor = await staff(StaffRole.SUPERVISOR, unit_id=world.dept.id)
    event = await supervise_case(case, user, actor, await context(), "群众多次反映")
    assert case.supervised and event.actor_id == user.username
    with pytest.raises(StaffRefused, match="已在督办中"):
        await supervise_case(case, user, actor, await context())
    done = await make_case(world, S.VISITED)
    with pytest.raises(IllegalTransition):
        await supervise_case(done, user, actor, await context())
    assert await AuditEvent.filter(action="case.supervise").count() == 1


async def test_reassign_respects_first_responsibility(world: World) -> None:
    user, actor = await staff(StaffRole.ADMIN)
    dispatched = await make_case(world)
    with pytest.raises(StaffRefused, match="原因"):
        await reassign_case(dispatched, world.street.code, None, user, actor, await context())
    with pytest.raises(StaffRefused, match="没有这名在岗工作人员"):
        await reassign_case(
            dispatched, world.street.code, world.dept_staff.id, user, actor, await context(), "x"
        )
    await reassign_case(
        dispatched,
        world.street.code,
        world.grid_worker.id,
        user,
        actor,
        await context(),
        "属街道",
    )
    assert dispatched.unit_id == world.street.id
    assert await AuditEvent.filter(action="case.reassign").count() == 1
    signed = await make_case(world, S.SIGNED)
    with pytest.raises(StaffRefused, match="首接负责"):
        await reassign_case(signed, world.street.code, None, user, actor, await context(), "x")
    queued = await make_case(world, S.ACCEPTED, unit=world.dept)
    await reassign_case(queued, world.street.code, None, user, actor, await context())
    assert queued.status == S.DISPATCHED
    assert await AuditEvent.filter(action="case.dispatch").count() == 1


async def test_extension_decided_by_the_centre_never_by_the_unit(world: World) -> None:
    case = await make_case(world, S.SIGNED, worker=world.dept_staff)
    due = case.completion_due_at
    assert due is not None
    request = await ExtensionRequest.create(
        case_id=case.id,
        worker_id=world.dept_staff.id,
        unit_id=world.dept.id,
        hours=24,
        new_due_at=due + timedelta(hours=24),
        reason="等配件",
        created_at=NOW,
    )
    # The unit's own supervisor (linked to its worker) may no longer approve its extension.
    own, own_actor = await staff(
        StaffRole.SUPERVISOR, unit_id=world.dept.id, worker_id=world.dept_supervisor.id
    )
    with pytest.raises(StaffRefused) as no:
        await decide_case_extension(case, request.id, True, own, own_actor, await context())
    assert no.value.status == 403
    linked, linked_actor = await staff(StaffRole.DISPATCHER, worker_id=world.dispatcher.id)
    decision = await decide_case_extension(
        case, request.id, True, linked, linked_actor, await context(), "同意"
    )
    assert decision.request.status == ExtensionStatus.APPROVED
    stored = await ExtensionRequest.get(id=request.id)
    assert stored.decided_by_id == world.dispatcher.id
    assert stored.decided_by_staff == linked.username
    assert case.completion_due_at == due + timedelta(hours=24)
    assert decision.event.actor_type == "staff"
    assert decision.event.data["decided_by"] == linked.username
    with pytest.raises(WorkflowConflict, match="已经审核过"):
        await decide_case_extension(case, request.id, True, linked, linked_actor, await context())

    second = await ExtensionRequest.create(
        case_id=case.id,
        worker_id=world.dept_staff.id,
        unit_id=world.dept.id,
        hours=8,
        new_due_at=due + timedelta(hours=32),
        reason="再等等",
        created_at=NOW,
    )
    admin, admin_actor = await staff(StaffRole.ADMIN)
    with pytest.raises(InvalidRequest, match="理由"):
        await decide_case_extension(case, second.id, False, admin, admin_actor, await context())
    refused = await decide_case_extension(
        case, second.id, False, admin, admin_actor, await context(), "时间够了"
    )
    assert refused.request.status == ExtensionStatus.REFUSED
    assert (await ExtensionRequest.get(id=second.id)).decided_by_id is None
    actions = [e.action for e in await AuditEvent.all().order_by("id")]
    assert actions == ["extension.approve", "extension.refuse"]
    assert await CaseEvent.filter(case_id=case.id, actor_type="staff").count() == 3  # + deadline


async def test_search_scope_filters_and_words(world: World) -> None:
    lamp = await make_case(world, title="路灯坏了", text="政通路路灯坏了，电话13812345678")
    water = await make_case(
        world,
        S.SIGNED,
        unit=world.other,
        grid=world.g3,
        title="停水",
        text="停水两天",
        contact_phone="13900001111",
        supervised=True,
        urgency="急",
        completion_due_at=NOW - timedelta(hours=1),
    )
    admin, _ = await staff(StaffRole.ADMIN)

    async def numbers(user: StaffUser, **query: str) -> set[str]:
        found = await search_cases(user, filters_from_query(query), NOW)
        return {case.number for case in found.cases}

    assert await numbers(admin) == {lamp.number, water.number}
    assert await numbers(admin, q="路灯") == {lamp.number}
    assert await numbers(admin, q="1111") == {water.number}
    assert await numbers(admin, q=lamp.number) == {lamp.number}
    assert await numbers(admin, overdue="1") == {water.number}
    assert await numbers(admin, supervised="1", urgency="急") == {water.number}
    assert await numbers(admin, unit=world.dept.code) == {lamp.number}
    assert await numbers(admin, grid=world.g3.code, status="signed") == {water.number}
    assert await numbers(admin, status="open", category="城乡建设") == {
        lamp.number,
        water.number,
    }
    unit_user, _ = await staff(StaffRole.UNIT, unit_id=world.dept.id)
    assert await numbers(unit_user) == {lamp.number}
    assert await numbers(unit_user, unit=world.other.code) == set()
    page = await search_cases(admin, CaseFilters(page=2), NOW, page_size=1)
    assert page.total == 2 and page.pages == 2 and len(page.cases) == 1
    assert CaseFilters(q="x", overdue=True).query_items(page=3) == [
        ("overdue", "1"),
        ("q", "x"),
        ("page", "3"),
    ]
