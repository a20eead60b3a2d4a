"""重复诉求 through /wechat/mp: a report about a case closed within the window is linked to it,
and reopens it when the resident says the problem is still there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import INTAKE
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.intake.repeats import repeats_per_unit
from handlers.workflow.actions import finish_case, record_contact, sign_case
from models import Case, CaseEvent, CaseLink, CaseStatus, Worker
from tests.bot.conftest import Resident
from tests.conftest import make_settings

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"


async def app_with_clock(db_url: str, aiohttp_client: Any) -> tuple[TestClient, ManualClock]:
    clock = ManualClock(START)
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    await load_demo_district()
    return client, clock


async def closed_case(client: TestClient, clock: ManualClock, resident: Resident) -> Case:
    """Reported, signed, contacted, finished, and answered 满意: 已回访."""
    await resident.say(LAMP)
    case = await Case.get()
    intake = client.server.app[INTAKE]
    worker = await Worker.get(id=case.worker_id)
    await sign_case(case, worker, await intake.context())
    await record_contact(case, worker, "phone", "", await intake.context())
    clock.advance(timedelta(hours=3))
    await finish_case(case, worker, "路灯已修复", [], await intake.context())
    clock.advance(timedelta(hours=1))
    await resident.say("满意")
    await case.refresh_from_db()
    assert case.status == CaseStatus.VISITED
    return case


async def test_still_broken_after_close_reopens_the_original(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-rep-1")
    case = await closed_case(client, clock, resident)
    clock.advance(timedelta(days=10))
    reply = await resident.say("政通路240号门口路灯还是不亮，晚上一片漆黑")
    assert case.number in reply and "重新办理" in reply, reply
    assert await Case.all().count() == 1
    await case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.reopened_count == 1
    link = await CaseLink.get(case_id=case.id)
    assert link.kind == "repeat" and link.reopened and link.other_id is None
    assert link.unit_id == case.unit_id and link.same_resident
    notes = [e.note for e in await CaseEvent.filter(case_id=case.id)]
    assert any("重复诉求" in n for n in notes)
    counted = await repeats_per_unit(START, START + timedelta(days=31))
    assert counted == {case.unit_id: 1}
    assert await repeats_per_unit(START + timedelta(days=31), START + timedelta(days=60)) == {}


async def test_a_new_report_after_close_is_a_linked_case(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-rep-2")
    case = await closed_case(client, clock, resident)
    clock.advance(timedelta(days=5))
    reply = await resident.say(LAMP)
    assert await Case.all().count() == 2
    new = await Case.exclude(id=case.id).get()
    assert new.number in reply and case.number in reply, reply
    await case.refresh_from_db()
    assert case.status == CaseStatus.VISITED  # not reopened: the words say nothing of that
    link = await CaseLink.get(case_id=case.id)
    assert link.other_id == new.id and not link.reopened
    assert await CaseEvent.filter(case_id=new.id, note__contains=case.number).exists()


async def test_the_window_edge(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    resident = Resident(client, "o-rep-3")
    case = await closed_case(client, clock, resident)
    assert case.completed_at is not None
    clock.set(case.completed_at + timedelta(days=30))  # exactly the window: still a repeat
    await resident.say(LAMP)
    assert await CaseLink.filter(case_id=case.id).count() == 1
    clock.set(case.completed_at + timedelta(days=30, seconds=1))
    other = Resident(client, "o-rep-4")
    await other.say("政通路240号门口路灯还是不亮")
    # Past the window: no link to the first case (the second may merge into the open one).
    assert await CaseLink.filter(case_id=case.id).count() == 1
