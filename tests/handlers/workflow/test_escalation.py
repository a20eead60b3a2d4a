"""The deadline sweep: one warning before each deadline, 督办 at the first miss, the unit head at
the second; never twice, whether sweeps run together, again, or after downtime."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from config import escalation as ladder_config
from config import sla
from handlers.clock import LOCAL_TZ, ManualClock
from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.workflow.deadlines import deadlines_for
from handlers.workflow.escalation import SweepResult, sweep_deadlines, sweep_until_done
from handlers.workflow.routing import RoutingTable
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    OutboxMessage,
    Unit,
    Worker,
    WorkerRole,
)
from tests.conftest import make_settings

START = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)  # a Monday morning
MINUTE = timedelta(minutes=1)
NUMBERS = iter(range(2611230001, 2611239999))


@dataclass
class District:
    unit: Unit
    worker: Worker  # the grid worker cases are routed to
    staff: Worker
    supervisor: Worker
    head: Worker


async def district(code: str = "ST-A") -> District:
    unit = await Unit.create(code=code, name="五角场街道", kind="street")

    async def person(name: str, role: WorkerRole) -> Worker:
        return await Worker.create(
            name=name, role=role, unit=unit, wecom_userid=f"{code}-{role.value}"
        )

    return District(
        unit=unit,
        worker=await person("王芳", WorkerRole.GRID_WORKER),
        staff=await person("李强", WorkerRole.UNIT_STAFF),
        supervisor=await person("周涛", WorkerRole.SUPERVISOR),
        head=await person("马骏", WorkerRole.UNIT_HEAD),
    )


async def dispatched(
    place: District,
    *,
    urgency: str = "一般",
    status: CaseStatus = CaseStatus.DISPATCHED,
    at: datetime = START,
    worker: Worker | None = None,
    **values: Any,
) -> Case:
    due = deadlines_for("complaint", urgency, False, at)
    fields: dict[str, Any] = {
        "number": str(next(NUMBERS)),
        "status": status,
        "urgency": urgency,
        "title": "楼道灯坏了",
        "unit": place.unit,
        "worker": worker or place.worker,
        "dispatched_at": at,
        "sign_due_at": due.sign,
        "first_contact_due_at": due.first_contact,
        "completion_due_at": due.completion,
    }
    fields.update(values)
    return await Case.create(**fields)


def wecom_settings(db: str) -> Any:
    return make_settings(
        db, work_corp_id="ww-test", work_agent_id="1000002", work_secret="work-secret"
    )


class Sweeper:
    """Runs the sweep at the clock's time, as the scheduler job would."""

    def __init__(self, db: str, start: datetime = START) -> None:
        self.clock = ManualClock(start)
        self.settings = wecom_settings(db)

    async def context(self) -> HandlerContext:
        return HandlerContext(
            now=self.clock.now(),
            settings=self.settings,
            gazetteer=await load_gazetteer(),
            routing=RoutingTable(),
        )

    async def at(self, when: datetime, **kw: Any) -> SweepResult:
        self.clock.set(when)
        return await sweep_deadlines(await self.context(), **kw)


async def notices(case: Case, purpose: str | None = None) -> list[OutboxMessage]:
    rows = OutboxMessage.filter(case_id=case.id)
    if purpose is not None:
        rows = rows.filter(purpose=purpose)
    return list(await rows.order_by("id"))


async def sweep_events(case: Case) -> list[CaseEvent]:
    return [
        event
        for event in await CaseEvent.filter(case_id=case.id, actor_type="system").order_by("id")
        if event.data.get("kind") in ("deadline_warning", "escalation")
    ]


def text_of(row: OutboxMessage) -> str:
    return str(row.payload["text"]["content"])


async def test_one_sign_warning_before_the_deadline(db: str) -> None:
    place = await district()
    case = await dispatched(place)  # sign-for by 13:00
    sweep = Sweeper(db)
    assert (await sweep.at(START + timedelta(hours=2, minutes=59))).steps == 0

    first = await sweep.at(START + timedelta(hours=3, minutes=1))
    assert (first.warnings, first.notices, first.supervised) == (1, 1, 0)
    assert (await sweep.at(START + timedelta(hours=3, minutes=1))).steps == 0
    assert (await sweep.at(START + timedelta(hours=3, minutes=40))).steps == 0

    [row] = await notices(case)
    assert row.recipient == place.worker.wecom_userid and row.channel == "work_app"
    assert row.purpose == ladder_config.WARNING_PURPOSE
    assert row.dedup_key == f"warn:{case.id}:sign:202611230500:{place.worker.id}"
    text = text_of(row)
    assert text.startswith("【即将超时】诉求 " + case.number)
    assert "签收期限 11月23日 13:00" in text and "楼道灯坏了" in text
    [event] = await sweep_events(case)
    assert event.action == CaseAction.ANNOTATE.value and event.actor_id == "jiesu"
    assert event.data["kind"] == "deadline_warning" and event.data["clock"] == "sign"
    assert event.data["to"] == [place.worker.id]
    fresh = await Case.get(id=case.id)
    assert fresh.version == case.version and not fresh.supervised  # a warning changes nothing


async def test_missing_the_sign_deadline_is_supervised(db: str) -> None:
    place = await district()
    case = await dispatched(place)
    sweep = Sweeper(db)
    result = await sweep.at(START + timedelta(hours=4, minutes=1))
    assert (result.supervised, result.escalated, result.notices) == (1, 0, 1)
    assert (await sweep.at(START + timedelta(hours=4, minutes=2))).steps == 0

    fresh = await Case.get(id=case.id)
    assert fresh.supervised and fresh.escalation_level == 1
    assert fresh.version == case.version + 1 and fresh.status == CaseStatus.DISPATCHED
    [row] = await notices(case, ladder_config.ESCALATION_PURPOSE)
    assert row.recipient == place.supervisor.wecom_userid
    assert row.dedup_key == f"escalate:{case.id}:1:{place.supervisor.id}"
    assert text_of(row).startswith(f"【督办】诉求 {case.number}「楼道灯坏了」已超过签收期限")
    assert "五角场街道" in text_of(row)
    [event] = await sweep_events(case)
    assert event.action == CaseAction.SUPERVISE.value and event.actor_type == "system"
    assert event.data["level"] == 1 and event.data["clock"] == "sign"
    assert event.data["to"] == [place.supervisor.id]
    # Nobody warns about a deadline that has passed; the unit head has not heard yet.
    assert not await notices(case, ladder_config.WARNING_PURPOSE)
    assert not await OutboxMessage.filter(recipient=place.head.wecom_userid).exists()


async def test_a_second_miss_reaches_the_unit_head(db: str) -> None:
    place = await district()
    case = await dispatched(place)  # nobody signs: first contact is missed too
    sweep = Sweeper(db)
    await sweep.at(START + timedelta(hours=4, minutes=1))
    result = await sweep.at(START + timedelta(hours=24, minutes=1))
    assert (result.supervised, result.escalated) == (0, 1)
    assert (await sweep.at(START + timedelta(hours=30))).steps == 0

    fresh = await Case.get(id=case.id)
    assert fresh.escalation_level == 2 and fresh.supervised
    [row] = await OutboxMessage.filter(case_id=case.id, recipient=place.head.wecom_userid)
    assert text_of(row).startswith(f"【二次超时】诉求 {case.number}")
    assert "已超过先行联系期限（11月24日 09:00）" in text_of(row)
    levels = [e.data["level"] for e in await sweep_events(case) if e.data["kind"] == "escalation"]
    assert levels == [1, 2]
    last = (await sweep_events(case))[-1]
    assert last.action == CaseAction.ANNOTATE.value and last.data["to"] == [place.head.id]


async def test_completion_overdue_long_enough_is_a_second_miss(db: str) -> None:
    place = await district()
    # Signed and contacted in time: only the completion deadline (2 December 17:30) is missed.
    case = await dispatched(
        place,
        status=CaseStatus.CONTACTED,
        signed_at=START + timedelta(hours=1),
        first_contact_at=START + timedelta(hours=2),
    )
    assert case.completion_due_at is not None
    sweep = Sweeper(db)
    first = await sweep.at(case.completion_due_at + MINUTE)
    assert (first.supervised, first.escalated) == (1, 0)
    assert (await sweep.at(case.completion_due_at + timedelta(hours=23))).steps == 0
    second = await sweep.at(case.completion_due_at + timedelta(hours=24, minutes=1))
    assert (second.supervised, second.escalated) == (0, 1)
    [head_notice] = await OutboxMessage.filter(recipient=place.head.wecom_userid)
    assert "办结期限（12月02日 17:30）已过24小时仍未办结" in text_of(head_notice)


async def test_closed_signed_and_queued_cases_are_left_alone(db: str) -> None:
    place = await district()
    signed = await dispatched(place, status=CaseStatus.SIGNED, signed_at=START + MINUTE)
    sweep = Sweeper(db)
    # In the sign warning window and past the sign deadline: the signed case owes nothing.
    assert (await sweep.at(START + timedelta(hours=3, minutes=30))).steps == 0
    assert (await sweep.at(START + timedelta(hours=4, minutes=30))).steps == 0
    assert not await notices(signed)

    finished = await dispatched(place, status=CaseStatus.COMPLETED, completed_at=START)
    cancelled = await dispatched(place, status=CaseStatus.CANCELLED)
    merged = await dispatched(place, status=CaseStatus.MERGED)
    visited = await dispatched(place, status=CaseStatus.VISITED)
    queued = await dispatched(place, status=CaseStatus.ACCEPTED, unit=None, worker=None)
    for when in (timedelta(hours=3, minutes=30), timedelta(days=3), timedelta(days=20)):
        sweep.clock.set(START + when)
        await sweep_until_done(sweep.context)
    for case in (finished, cancelled, merged, visited, queued):
        assert not await notices(case) and not await sweep_events(case), case.status
        assert (await Case.get(id=case.id)).escalation_level == 0


async def test_concurrent_sweeps_send_each_notice_once(db: str) -> None:
    place = await district()
    warned = [await dispatched(place) for _ in range(4)]  # in the sign warning window
    overdue = [await dispatched(place, at=START - timedelta(hours=5)) for _ in range(4)]
    sweep = Sweeper(db, START + timedelta(hours=3, minutes=30))
    contexts = [await sweep.context() for _ in range(3)]
    results = await asyncio.gather(*(sweep_deadlines(ctx) for ctx in contexts))
    assert sum(r.warnings for r in results) == 4
    assert sum(r.supervised for r in results) == 4
    for case in warned:
        assert len(await notices(case)) == 1 and len(await sweep_events(case)) == 1
    for case in overdue:
        [row] = await notices(case)
        assert row.recipient == place.supervisor.wecom_userid
        assert len(await sweep_events(case)) == 1
        fresh = await Case.get(id=case.id)
        assert fresh.escalation_level == 1 and fresh.version == case.version + 1


async def test_after_downtime_each_step_fires_once(db: str) -> None:
    place = await district()
    cases = [await dispatched(place) for _ in range(5)]
    completion = cases[0].completion_due_at
    assert completion is not None
    sweep = Sweeper(db)
    # Down from before the first warning until two hours before the completion deadline: the
    # sign and first-contact deadlines passed meanwhile (two misses), completion is near.
    sweep.clock.set(completion - timedelta(hours=2))
    rounds: list[SweepResult] = []
    while not rounds or rounds[-1].more:
        rounds.append(await sweep_deadlines(await sweep.context(), batch=3))
    assert len(rounds) > 2  # paged through the backlog
    assert sum(r.warnings for r in rounds) == 5
    assert sum(r.supervised for r in rounds) == 5
    assert sum(r.escalated for r in rounds) == 5
    assert (await sweep_until_done(sweep.context)).steps == 0
    for case in cases:
        kinds = [(e.data["kind"], e.data["clock"]) for e in await sweep_events(case)]
        assert sorted(kinds) == [
            ("deadline_warning", "completion"),
            ("escalation", "first_contact"),
            ("escalation", "sign"),
        ]
        assert len(await notices(case)) == 3  # worker, supervisor, unit head
    # Later still, past completion and more: the top of the ladder was reached, nothing repeats.
    sweep.clock.set(completion + timedelta(days=3))
    assert (await sweep_until_done(sweep.context)).steps == 0


async def test_warnings_follow_the_ladder_of_the_urgency(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    place = await district()
    urgent = await dispatched(place, urgency="急")  # sign-for by 09:30
    general = await dispatched(place)  # sign-for by 13:00
    sweep = Sweeper(db)
    assert (await sweep.at(START + timedelta(minutes=19))).steps == 0
    assert (await sweep.at(START + timedelta(minutes=21))).warnings == 1
    assert len(await notices(urgent)) == 1 and not await notices(general)
    assert "签收期限 11月23日 09:30" in text_of((await notices(urgent))[0])

    # A deployment that wants three hours' warning for general cases gets it.
    custom = ladder_config.Ladder(
        warn_before={**ladder_config.GENERAL.warn_before, "sign": timedelta(hours=3)},
        second_miss_after=ladder_config.GENERAL.second_miss_after,
    )
    monkeypatch.setitem(ladder_config.LADDERS, "一般", custom)
    assert (await sweep.at(START + timedelta(minutes=59))).warnings == 0
    assert (await sweep.at(START + timedelta(hours=1, minutes=1))).warnings == 1
    assert len(await notices(general)) == 1


def test_every_warning_comes_before_its_deadline_is_due() -> None:
    """Warning leads are shorter than the hour limits they warn about (or nothing is early)."""
    for urgency, policy in (("急", sla.URGENT), ("一般", sla.GENERAL)):
        ladder = ladder_config.LADDERS[urgency]
        assert set(ladder.warn_before) == set(ladder_config.CLOCKS)
        for clock in ladder_config.CLOCKS:
            limit: sla.Limit = getattr(policy, clock)
            if limit.hours:
                assert ladder.warn_before[clock] < timedelta(hours=limit.hours), (urgency, clock)
    assert ladder_config.URGENT.second_miss_after < ladder_config.GENERAL.second_miss_after


async def test_without_a_worker_the_unit_staff_are_warned(db: str) -> None:
    place = await district()
    await Worker.filter(id=place.worker.id).update(active=False)
    inactive = await dispatched(place)
    unassigned = await dispatched(place, worker=None)
    await Case.filter(id=unassigned.id).update(worker_id=None)
    await Sweeper(db).at(START + timedelta(hours=3, minutes=30))
    for case in (inactive, unassigned):
        [row] = await notices(case)
        assert row.recipient == place.staff.wecom_userid


async def test_a_moved_deadline_is_warned_about_again(db: str) -> None:
    place = await district()
    case = await dispatched(place)
    sweep = Sweeper(db)
    await sweep.at(START + timedelta(hours=3, minutes=30))
    assert case.sign_due_at is not None
    await Case.filter(id=case.id).update(
        sign_due_at=case.sign_due_at + timedelta(hours=2), version=case.version + 1
    )
    assert (await sweep.at(START + timedelta(hours=4, minutes=30))).steps == 0
    assert (await sweep.at(START + timedelta(hours=5, minutes=30))).warnings == 1
    assert len(await notices(case)) == 2


async def test_a_unit_without_supervisors_is_still_flagged_once(db: str) -> None:
    place = await district()
    await Worker.filter(id__in=[place.supervisor.id, place.head.id]).delete()
    case = await dispatched(place)
    sweep = Sweeper(db)
    result = await sweep.at(START + timedelta(hours=4, minutes=1))
    assert (result.supervised, result.notices) == (1, 0)
    assert (await sweep.at(START + timedelta(hours=4, minutes=2))).steps == 0
    [event] = await sweep_events(case)
    assert event.action == CaseAction.SUPERVISE.value and event.data["to"] == []
    assert (await Case.get(id=case.id)).supervised


async def test_workers_without_any_channel_are_recorded_once(db: str) -> None:
    """No WeCom, no template: the notice is kept unsent with the reason, and not repeated."""
    place = await district()
    case = await dispatched(place)
    sweep = Sweeper(db)
    sweep.settings = make_settings(db)
    for minutes in (210, 215, 220):
        await sweep.at(START + timedelta(minutes=minutes))
    [row] = await notices(case)
    assert row.status == "skipped" and "无法通知" in row.last_error


async def test_the_app_schedules_the_sweep_with_a_fixed_id(
    db_url: str, aiohttp_client: Any
) -> None:
    from bot.app import create_app
    from bot.keys import SCHEDULER
    from scheduler.jobs import DEADLINE_SWEEP_JOB

    settings = make_settings(db_url, run_background=True, escalation_sweep_seconds=45)
    client = await aiohttp_client(create_app(settings))
    scheduler = client.app[SCHEDULER]
    job = scheduler.get_job(DEADLINE_SWEEP_JOB)
    assert DEADLINE_SWEEP_JOB == "sweep_deadlines"
    assert job is not None and job.trigger.interval == timedelta(seconds=45)
    assert job.max_instances == 1
