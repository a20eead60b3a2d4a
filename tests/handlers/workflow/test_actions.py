"""A worker's actions on a case: effects, events, who may act, illegal moves, the resident told."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.notify import REASON_NO_CONSENT, REASON_NOTHING_CONFIGURED, REASON_UNFOLLOWED
from handlers.timeline import Actor, ConcurrentChange
from handlers.workflow.actions import (
    InvalidRequest,
    NotAllowed,
    WorkflowConflict,
    add_progress,
    finish_case,
    hash_token,
    issue_token,
    may_handle,
    may_see,
    record_contact,
    reopen_case,
    request_extension,
    return_case,
    revoke_tokens,
    sign_case,
    tell_resident,
    worker_for_token,
)
from handlers.workflow.assign import Target, assign
from handlers.workflow.routing import load_routing_table
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    Grid,
    IllegalTransition,
    OutboxMessage,
    OutboxStatus,
    Resident,
    Unit,
    UnitSpell,
    Worker,
    WorkerRole,
    WorkerToken,
)
from models.case_status import TRANSITIONS
from tests.conftest import make_settings

A, S = CaseAction, CaseStatus
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
NUMBERS = itertools.count(1)
PHOTO = {"type": "image", "url": "https://img.example/1.jpg"}


@dataclass
class World:
    street: Unit  # 街道: owns grids G1 and G2
    dept: Unit  # a department cases are routed to
    other: Unit  # another street with its own grid
    g1: Grid
    g2: Grid
    g3: Grid
    grid_worker: Worker  # street, G1
    neighbour: Worker  # street, G2
    far_grid_worker: Worker  # other street, G3
    dept_staff: Worker
    dept_colleague: Worker
    dept_supervisor: Worker
    street_supervisor: Worker
    dispatcher: Worker
    resident: Resident


async def make_world() -> World:
    street = await Unit.create(code="ST-A", name="甲街道办事处", kind="street")
    dept = await Unit.create(code="DEPT-B", name="乙局", kind="department")
    other = await Unit.create(code="ST-C", name="丙街道办事处", kind="street")
    center = await Unit.create(code="CENTER", name="区城市运行管理中心", kind="center")
    g1 = await Grid.create(code="A-01", name="一网格", street="甲街道", unit_id=street.id)
    g2 = await Grid.create(code="A-02", name="二网格", street="甲街道", unit_id=street.id)
    g3 = await Grid.create(code="C-01", name="丙网格", street="丙街道", unit_id=other.id)

    async def worker(name: str, role: WorkerRole, unit: Unit, grid: Grid | None = None) -> Worker:
        return await Worker.create(
            name=name, role=role, unit_id=unit.id, grid_id=grid.id if grid else None
        )

    return World(
        street=street,
        dept=dept,
        other=other,
        g1=g1,
        g2=g2,
        g3=g3,
        grid_worker=await worker("王芳", WorkerRole.GRID_WORKER, street, g1),
        neighbour=await worker("李强", WorkerRole.GRID_WORKER, street, g2),
        far_grid_worker=await worker("张敏", WorkerRole.GRID_WORKER, other, g3),
        dept_staff=await worker("赵工", WorkerRole.UNIT_STAFF, dept),
        dept_colleague=await worker("钱工", WorkerRole.UNIT_STAFF, dept),
        dept_supervisor=await worker("孙科", WorkerRole.SUPERVISOR, dept),
        street_supervisor=await worker("周涛", WorkerRole.SUPERVISOR, street),
        dispatcher=await worker("朱婷", WorkerRole.DISPATCHER, center),
        resident=await Resident.create(
            openid="o-resident", subscribed=True, last_message_at=NOW - timedelta(hours=1)
        ),
    )


async def make_case(
    world: World,
    status: CaseStatus = S.DISPATCHED,
    *,
    unit: Unit | None = None,
    worker: Worker | None = None,
    grid: Grid | None = None,
    resident: Resident | None = None,
    **columns: Any,
) -> Case:
    values: dict[str, Any] = {
        "number": f"26031{next(NUMBERS):05d}",
        "resident_id": (resident or world.resident).id,
        "status": status,
        "category": "城乡建设/市政设施",
        "title": "路灯坏了",
        "text": "政通路路灯坏了，电话13812345678",
        "contact_phone": "13812345678",
        "grid_id": (grid or world.g1).id,
        "unit_id": (unit or world.dept).id,
        "worker_id": (worker or world.grid_worker).id,
        "dispatched_at": NOW - timedelta(hours=1),
        "sign_due_at": NOW + timedelta(hours=3),
        "first_contact_due_at": NOW + timedelta(hours=23),
        "completion_due_at": NOW + timedelta(days=7),
        "created_at": NOW - timedelta(hours=1),
    }
    if status in (S.SIGNED, S.CONTACTED, S.IN_PROGRESS, S.COMPLETED, S.VISITED, S.ARCHIVED):
        values["signed_at"] = NOW - timedelta(minutes=30)
    values.update(columns)
    return await Case.create(**values)


async def context(now: datetime = NOW, **settings: Any) -> HandlerContext:
    return HandlerContext(
        now=now,
        settings=make_settings("sqlite://:memory:", **settings),
        gazetteer=await load_gazetteer(),
        routing=await load_routing_table(),
    )


@pytest.fixture
async def world(db: str) -> World:
    return await make_world()


async def events_of(case: Case, action: CaseAction | None = None) -> list[CaseEvent]:
    query = CaseEvent.filter(case_id=case.id)
    if action is not None:
        query = query.filter(action=action.value)
    return await query.order_by("id")


async def outbox_of(case: Case) -> list[OutboxMessage]:
    return await OutboxMessage.filter(case_id=case.id).order_by("id")


# Seeing and handling


async def test_who_may_see_and_handle(world: World) -> None:
    case = await make_case(world)  # routed to the department, its grid worker assigned
    assert may_see(world.grid_worker, case) and may_handle(world.grid_worker, case)
    assert may_see(world.dept_staff, case) and may_handle(world.dept_staff, case)
    assert may_see(world.dept_supervisor, case)
    assert may_see(world.dispatcher, case) and not may_handle(world.dispatcher, case)
    # Another grid of the same street: not the grid, not the unit, not assigned.
    assert not may_see(world.neighbour, case)
    assert not may_see(world.far_grid_worker, case)
    assert not may_see(world.street_supervisor, case)
    # A grid worker sees the cases of their grid, but only handles those assigned or their unit's.
    other_handler = await make_case(world, worker=world.dept_staff)
    assert may_see(world.grid_worker, other_handler)
    assert not may_handle(world.grid_worker, other_handler)
    world.dept_staff.active = False
    assert not may_see(world.dept_staff, case) and not may_handle(world.dept_staff, case)


# Each action's effect and event


async def test_sign_makes_the_signer_the_handler(world: World) -> None:
    ctx = await context()
    case = await make_case(world)
    event = await sign_case(case, world.dept_staff, ctx)
    await case.refresh_from_db()
    assert case.status == S.SIGNED and case.signed_at == NOW
    assert case.unit_id == world.dept.id and case.worker_id == world.dept_staff.id
    assert case.version == 1
    assert (event.action, event.from_status, event.to_status) == ("sign", "dispatched", "signed")
    assert event.actor_type == "worker" and event.actor_id == str(world.dept_staff.id)
    assert event.at == NOW and event.data["unit"] == "DEPT-B"
    assert "乙局" in event.note and "赵工" in event.note
    assert await outbox_of(case) == []  # accepted was told at intake


async def test_only_the_cases_unit_or_worker_signs(world: World) -> None:
    ctx = await context()
    case = await make_case(world, worker=world.dept_staff)
    for outsider in (world.far_grid_worker, world.street_supervisor, world.neighbour):
        with pytest.raises(NotAllowed):
            await sign_case(case, outsider, ctx)
    # The grid's worker sees the case but it is neither assigned to her nor her unit's.
    with pytest.raises(NotAllowed, match="承办单位"):
        await sign_case(case, world.grid_worker, ctx)
    with pytest.raises(NotAllowed):
        await sign_case(case, world.dispatcher, ctx)
    await case.refresh_from_db()
    assert case.status == S.DISPATCHED and await events_of(case) == []


async def test_first_responsibility_after_signing(world: World) -> None:
    """首接负责: once the department signs, the grid worker first assigned no longer acts."""
    ctx = await context()
    case = await make_case(world)  # assigned to the street's grid worker
    await sign_case(case, world.dept_staff, ctx)
    with pytest.raises(NotAllowed):
        await record_contact(case, world.grid_worker, "phone", "", ctx)
    with pytest.raises(NotAllowed):
        await return_case(case, world.far_grid_worker, "不归我们管", ctx)
    # A colleague of the signing unit may carry on.
    await record_contact(case, world.dept_colleague, "visit", "上门查看", ctx)
    await case.refresh_from_db()
    assert case.status == S.CONTACTED and case.unit_id == world.dept.id


async def test_contact_is_timed_once_and_told_once(world: World) -> None:
    ctx = await context()
    case = await make_case(world, S.SIGNED, worker=world.dept_staff)
    event = await record_contact(case, world.dept_staff, "phone", "已电话联系，约明天上门", ctx)
    await case.refresh_from_db()
    assert case.status == S.CONTACTED and case.first_contact_at == NOW
    assert event.data == {"method": "phone", "first": True, "worker": world.dept_staff.id}
    assert event.note == "电话联系居民：已电话联系，约明天上门"
    later = await context(NOW + timedelta(hours=2))
    again = await record_contact(case, world.dept_staff, "visit", "", later)
    await case.refresh_from_db()
    assert case.first_contact_at == NOW and again.data["first"] is False
    rows = await outbox_of(case)
    assert len(rows) == 1 and rows[0].channel == "mp_custom" and rows[0].status == "pending"
    content = rows[0].payload["text"]["content"]
    assert case.number in content and "乙局" in content and "电话" in content
    with pytest.raises(InvalidRequest, match="联系方式"):
        await record_contact(case, world.dept_staff, "carrier-pigeon", "", ctx)


async def test_progress_with_photos(world: World) -> None:
    ctx = await context()
    case = await make_case(world, S.CONTACTED, worker=world.dept_staff, first_contact_at=NOW)
    event = await add_progress(case, world.dept_staff, "已联系施工队", [PHOTO], ctx)
    await case.refresh_from_db()
    assert case.status == S.IN_PROGRESS
    assert event.note == "已联系施工队" and event.data["attachments"] == [PHOTO]
    photos_only = await add_progress(case, world.dept_staff, "", [{"media_id": "m1"}], ctx)
    assert photos_only.data["attachments"] == [{"type": "image", "media_id": "m1"}]
    with pytest.raises(InvalidRequest):
        await add_progress(case, world.dept_staff, "  ", [], ctx)
    with pytest.raises(InvalidRequest, match="9"):
        await add_progress(case, world.dept_staff, "照片", [PHOTO] * 10, ctx)
    with pytest.raises(InvalidRequest, match="image"):
        await add_progress(case, world.dept_staff, "视频", [{"type": "video", "url": "x"}], ctx)
    with pytest.raises(InvalidRequest, match="url"):
        await add_progress(case, world.dept_staff, "照片", [{"type": "image"}], ctx)


async def test_finish_records_the_result_and_tells_every_resident(world: World) -> None:
    ctx = await context()
    case = await make_case(
        world, S.IN_PROGRESS, worker=world.dept_staff, result_attachments=[{"type": "image"}]
    )
    neighbour = await Resident.create(
        openid="o-neighbour", last_message_at=NOW - timedelta(hours=2)
    )
    merged = await make_case(
        world, S.MERGED, resident=neighbour, duplicate_of_id=case.id, unit_id=None, worker_id=None
    )
    with pytest.raises(InvalidRequest, match="办理结果"):
        await finish_case(case, world.dept_staff, "   ", [], ctx)
    event = await finish_case(case, world.dept_staff, "路灯已修复", [PHOTO], ctx)
    await case.refresh_from_db()
    assert case.status == S.COMPLETED and case.completed_at == NOW and case.result == "路灯已修复"
    assert case.result_attachments == [{"type": "image"}, PHOTO]
    assert event.data["result"] == "路灯已修复" and event.data["attachments"] == [PHOTO]
    [told] = await outbox_of(case)
    assert told.recipient == "o-resident" and "路灯已修复" in told.payload["text"]["content"]
    [told_too] = await outbox_of(merged)
    assert told_too.recipient == "o-neighbour" and merged.number in str(told_too.payload)


async def test_reopen_goes_back_to_the_owning_unit_and_tells_again(world: World) -> None:
    ctx = await context()
    case = await make_case(world, S.IN_PROGRESS, worker=world.dept_staff)
    await finish_case(case, world.dept_staff, "已修复", [], ctx)
    later = await context(NOW + timedelta(days=2))
    with pytest.raises(InvalidRequest):
        await reopen_case(case, Actor("resident", "o-resident"), "", later)
    event = await reopen_case(case, Actor("resident", "o-resident"), "路灯又不亮了", later)
    await case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.reopened_count == 1
    assert case.unit_id == world.dept.id and case.worker_id == world.dept_staff.id
    assert case.completed_at is None and case.result == ""
    assert case.completion_due_at is not None and case.completion_due_at > later.now
    assert event.data["previous_result"] == "已修复" and event.note == "重办：路灯又不亮了"
    await finish_case(case, world.dept_staff, "更换了灯具", [], later)
    # A reopened case's result is reviewed first (review_results' default): nobody told yet.
    assert case.review_state == "pending"
    finished = [row for row in await outbox_of(case) if row.purpose == "case_finished"]
    assert [row.dedup_key for row in finished] == [f"case:{case.id}:finished:0"]
    with pytest.raises(IllegalTransition):
        await reopen_case(await make_case(world), Actor.system(), "原因", later)


async def test_return_is_asked_and_nothing_changes(world: World) -> None:
    """退单 is a request to the centre: the case stays with the unit until it approves."""
    ctx = await context()
    for status in (S.DISPATCHED, S.SIGNED):
        case = await make_case(world, status, worker=world.dept_staff, returned_count=1)
        with pytest.raises(InvalidRequest, match="退单原因"):
            await return_case(case, world.dept_staff, " ", ctx)
        with pytest.raises(InvalidRequest, match="建议的承办单位"):
            await return_case(case, world.dept_staff, "不归我们", ctx, "NO-SUCH")
        asked = await return_case(case, world.dept_staff, "不属于本单位职责", ctx, "ST-A")
        await case.refresh_from_db()
        assert case.status == status and case.returned_count == 1
        assert case.unit_id == world.dept.id and case.worker_id == world.dept_staff.id
        assert asked.status == ExtensionStatus.PENDING and asked.unit_id == world.dept.id
        assert asked.suggested_unit_id == world.street.id and asked.reason == "不属于本单位职责"
        [event] = await events_of(case)
        assert event.action == "annotate" and event.data["kind"] == "return_requested"
        assert event.note == "乙局申请退单：不属于本单位职责（建议改派甲街道办事处）"
        with pytest.raises(WorkflowConflict, match="待审核"):
            await return_case(case, world.dept_colleague, "再退一次", ctx)
        assert may_see(world.dept_staff, case)
    # A case being handled cannot be returned: the unit owns it (首接负责).
    contacted = await make_case(world, S.CONTACTED, worker=world.dept_staff)
    with pytest.raises(IllegalTransition, match="contacted"):
        await return_case(contacted, world.dept_staff, "太难了", ctx)


async def test_a_stale_copy_loses_the_race(world: World) -> None:
    ctx = await context()
    case = await make_case(world, worker=world.dept_staff)
    stale = await Case.get(id=case.id)
    await sign_case(case, world.dept_staff, ctx)
    with pytest.raises(ConcurrentChange):
        await return_case(stale, world.dept_staff, "重复", ctx)
    assert [e.action for e in await events_of(case)] == ["sign"]


async def test_two_at_once_one_wins(world: World) -> None:
    """Two requests racing on separate copies: one pending extension, one signature."""
    ctx = await context()
    case = await make_case(world, S.SIGNED, worker=world.dept_staff)
    copies = [await Case.get(id=case.id), await Case.get(id=case.id)]
    results = await asyncio.gather(
        request_extension(copies[0], world.dept_staff, NOW + timedelta(days=8), "等待配件", ctx),
        request_extension(copies[1], world.dept_colleague, NOW + timedelta(days=9), "审批", ctx),
        return_exceptions=True,
    )
    assert sum(isinstance(r, ExtensionRequest) for r in results) == 1
    assert sum(isinstance(r, ConcurrentChange | WorkflowConflict) for r in results) == 1
    assert await ExtensionRequest.filter(case_id=case.id).count() == 1

    waiting = await make_case(world, worker=world.dept_staff)
    copies = [await Case.get(id=waiting.id), await Case.get(id=waiting.id)]
    results = await asyncio.gather(
        sign_case(copies[0], world.dept_staff, ctx),
        sign_case(copies[1], world.dept_colleague, ctx),
        return_exceptions=True,
    )
    assert sum(isinstance(r, CaseEvent) for r in results) == 1
    assert sum(isinstance(r, ConcurrentChange | IllegalTransition) for r in results) == 1
    assert len(await events_of(waiting, A.SIGN)) == 1


# Every transition the worker actions expose, legal and illegal

WorkerCall = Callable[[Case, Worker, HandlerContext], Awaitable[object]]
CALLS: dict[CaseAction, WorkerCall] = {
    A.SIGN: lambda case, worker, ctx: sign_case(case, worker, ctx),
    A.CONTACT: lambda case, worker, ctx: record_contact(case, worker, "phone", "已联系", ctx),
    A.PROGRESS: lambda case, worker, ctx: add_progress(case, worker, "进展", [], ctx),
    A.FINISH: lambda case, worker, ctx: finish_case(case, worker, "已办结", [], ctx),
}
LEGAL = sorted((a, s) for (a, s) in TRANSITIONS if a in CALLS)
ILLEGAL = sorted((a, s) for a in CALLS for s in CaseStatus if (a, s) not in TRANSITIONS)


@pytest.mark.parametrize(("action", "status"), LEGAL, ids=[f"{a}-{s}" for a, s in LEGAL])
async def test_legal_transition(world: World, action: CaseAction, status: CaseStatus) -> None:
    case = await make_case(world, status, worker=world.dept_staff)
    await CALLS[action](case, world.dept_staff, await context())
    await case.refresh_from_db()
    assert case.status == TRANSITIONS[(action, status)]
    [event] = await events_of(case)
    assert event.action == action.value and event.from_status == status.value


@pytest.mark.parametrize(("action", "status"), ILLEGAL, ids=[f"{a}-{s}" for a, s in ILLEGAL])
async def test_illegal_transition_is_refused(
    world: World, action: CaseAction, status: CaseStatus
) -> None:
    case = await make_case(world, status, worker=world.dept_staff)
    with pytest.raises(IllegalTransition) as refused:
        await CALLS[action](case, world.dept_staff, await context())
    message = str(refused.value)
    assert action.value in message and status.value in message and "allowed from here" in message
    await case.refresh_from_db()
    assert case.status == status and case.version == 0
    assert await events_of(case) == [] and await outbox_of(case) == []


async def test_reopen_opens_a_new_spell_for_the_same_unit(world: World) -> None:
    """The unit's own deadlines: contact and 办结 are charged to the open spell; 重办 closes it
    and opens another for the same unit, owing only the new completion."""
    case = await make_case(world, S.ACCEPTED, worker=world.dept_staff)
    await assign(case, Target(world.dept, world.dept_staff), Actor.system(), "", await context())
    await sign_case(case, world.dept_staff, await context(NOW + timedelta(hours=1)))
    contact = await context(NOW + timedelta(hours=2))
    await record_contact(case, world.dept_staff, "phone", "", contact)
    await finish_case(case, world.dept_staff, "已修复", [], await context(NOW + timedelta(hours=3)))
    later = await context(NOW + timedelta(days=2))
    event = await reopen_case(case, Actor.system(), "居民不满意", later)
    first, second = await UnitSpell.filter(case_id=case.id).order_by("id")
    assert first.first_contact_at == contact.now
    assert first.completed_at == NOW + timedelta(hours=3)
    assert (first.ended_at, first.end_reason) == (later.now, "reopened")
    assert (second.unit_id, second.started_at, second.ended_at) == (world.dept.id, later.now, None)
    assert second.sign_due_at is None and second.first_contact_due_at is None
    assert second.completion_due_at == case.completion_due_at
    assert event.data["deadlines"]["completion"] == case.completion_due_at.isoformat()


# Extensions (the centre's decisions: tests/handlers/workflow/test_centre_requests.py)


async def test_extension_rules(world: World) -> None:
    ctx = await context()
    later = NOW + timedelta(days=8)
    dispatched = await make_case(world, worker=world.dept_staff)
    with pytest.raises(WorkflowConflict, match="已派单"):
        await request_extension(dispatched, world.dept_staff, later, "原因", ctx)
    signed = await make_case(world, S.SIGNED, worker=world.dept_staff)
    for when, why in (
        (NOW - timedelta(hours=1), "已经过去"),
        (NOW + timedelta(days=6), "晚于现在的办结期限"),
        (NOW + timedelta(days=7 + 31), "最多30天"),
        (datetime(2026, 3, 20, 17, 30), "时区"),
    ):
        with pytest.raises(InvalidRequest, match=why):
            await request_extension(signed, world.dept_staff, when, "原因", ctx)
    with pytest.raises(InvalidRequest):
        await request_extension(signed, world.dept_staff, later, "", ctx)
    with pytest.raises(NotAllowed):
        await request_extension(signed, world.far_grid_worker, later, "原因", ctx)
    assert await ExtensionRequest.filter(case_id=signed.id).count() == 0
    asked = await request_extension(signed, world.dept_staff, later, "原因", ctx)
    assert asked.status == ExtensionStatus.PENDING and asked.hours == 24 and not asked.late
    assert asked.unit_id == world.dept.id and asked.new_due_at == later
    with pytest.raises(WorkflowConflict, match="待审批"):
        await request_extension(signed, world.dept_colleague, later, "再等等", ctx)
    await signed.refresh_from_db()
    assert signed.completion_due_at == NOW + timedelta(days=7)  # nothing changes until decided


# The resident kept informed


async def contact_outside_window(
    world: World, resident: Resident, **settings: Any
) -> OutboxMessage:
    case = await make_case(world, S.SIGNED, worker=world.dept_staff, resident=resident)
    await record_contact(case, world.dept_staff, "phone", "", await context(**settings))
    [row] = await outbox_of(case)
    return row


async def test_template_message_outside_the_window_with_consent(world: World) -> None:
    resident = await Resident.create(
        openid="o-old",
        subscribed=True,
        consent_template=True,
        last_message_at=NOW - timedelta(days=3),
    )
    row = await contact_outside_window(
        world,
        resident,
        mp_template_case_update="TPL-CASE",
        public_url="https://jiesu.example/",
    )
    assert row.channel == "mp_template" and row.status == OutboxStatus.PENDING
    assert row.recipient == "o-old"
    payload = row.payload
    number = payload["data"]["keyword1"]["value"]
    assert payload["template_id"] == "TPL-CASE"
    assert payload["url"] == f"https://jiesu.example/cases/{number}"
    assert payload["data"]["keyword2"]["value"] == "已联系"
    assert payload["data"]["keyword3"]["value"] == "2026-03-10 10:00"
    assert "已由乙局联系" in payload["data"]["first"]["value"]


async def test_subscription_message_when_only_that_is_consented(world: World) -> None:
    resident = await Resident.create(
        openid="o-sub", consent_subscribe={"SUB-CASE": "accept"}, last_message_at=None
    )
    row = await contact_outside_window(
        world, resident, mp_template_case_update="TPL-CASE", mp_subscribe_case_update="SUB-CASE"
    )
    assert row.channel == "mp_subscribe" and row.status == OutboxStatus.PENDING
    data = row.payload["data"]
    assert row.payload["template_id"] == "SUB-CASE" and "page" not in row.payload
    assert data["phrase2"]["value"] == "已联系" and len(data["thing4"]["value"]) <= 20


@pytest.mark.parametrize(
    ("resident_values", "settings", "reason"),
    [
        ({"consent_template": False}, {"mp_template_case_update": "TPL"}, REASON_NO_CONSENT),
        (
            {"consent_subscribe": {"SUB": "reject"}},
            {"mp_subscribe_case_update": "SUB"},
            REASON_NO_CONSENT,
        ),
        ({"consent_template": True}, {}, REASON_NOTHING_CONFIGURED),
        (
            {"consent_template": True, "subscribed": False, "unsubscribed_at": NOW},
            {"mp_template_case_update": "TPL"},
            REASON_UNFOLLOWED,
        ),
    ],
)
async def test_not_sent_with_the_reason(
    world: World, resident_values: dict[str, Any], settings: dict[str, Any], reason: str
) -> None:
    resident = await Resident.create(
        openid="o-quiet", last_message_at=NOW - timedelta(hours=49), **resident_values
    )
    row = await contact_outside_window(world, resident, **settings)
    assert row.status == OutboxStatus.SKIPPED and row.last_error == reason


async def test_a_retried_change_sends_once(world: World) -> None:
    ctx = await context()
    case = await make_case(world, S.SIGNED, worker=world.dept_staff)

    class Crash(Exception):
        pass

    with pytest.raises(Crash):
        async with in_transaction():
            await record_contact(case, world.dept_staff, "phone", "", ctx)
            raise Crash
    assert await outbox_of(case) == [] and await events_of(case) == []
    fresh = await Case.get(id=case.id)
    await record_contact(fresh, world.dept_staff, "phone", "", ctx)
    # Telling again about the same milestone (a retried sweep, a second tap) adds nothing.
    await tell_resident(fresh, "再说一次", "contacted", ctx)
    [row] = await outbox_of(case)
    assert row.dedup_key == f"case:{case.id}:contacted:0"
    # Skipped notices are idempotent too.
    quiet = await Resident.create(openid="o-quiet")
    skipped = await make_case(world, S.SIGNED, worker=world.dept_staff, resident=quiet)
    await record_contact(skipped, world.dept_staff, "phone", "", ctx)
    await tell_resident(skipped, "再说一次", "contacted", ctx)
    assert len(await outbox_of(skipped)) == 1


# Tokens for the worker API


async def test_tokens_are_stored_hashed_and_can_be_revoked(world: World) -> None:
    token = await issue_token(world.dept_staff, NOW, "手机")
    row = await WorkerToken.get()
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.label == "手机" and row.last_used_at is None
    found = await worker_for_token(token, NOW)
    assert found is not None and found.id == world.dept_staff.id
    assert (await WorkerToken.get()).last_used_at == NOW
    assert await worker_for_token(token + "x", NOW) is None
    assert await worker_for_token("", NOW) is None
    await Worker.filter(id=world.dept_staff.id).update(active=False)
    assert await worker_for_token(token, NOW) is None
    await Worker.filter(id=world.dept_staff.id).update(active=True)
    assert await revoke_tokens(world.dept_staff, NOW) == 1
    assert await worker_for_token(token, NOW) is None
