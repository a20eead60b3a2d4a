"""What a resident sees of their case's timeline: not the reminders sent to staff."""

from __future__ import annotations

from handlers.district.setup import load_demo_district
from handlers.intake.report import report_case
from handlers.residents.queries import case_timeline
from handlers.timeline import Actor, record_event
from models import CaseAction, Resident
from tests.handlers.intake.test_duplicates import NOW, context


async def test_deadline_warnings_are_left_out(db: str) -> None:
    await load_demo_district()
    resident = await Resident.create(openid="o-1")
    case = (await report_case(resident, "开鲁新村12号楼垃圾箱房没人清运", await context())).case
    for kind, note in (("deadline_warning", "签收期限将至，已提醒承办人"), ("x", "列入督办")):
        await record_event(
            case,
            CaseAction.ANNOTATE,
            Actor.system(),
            NOW,
            from_status=None,
            to_status=None,
            note=note,
            data={"kind": kind},
        )
    shown = await case_timeline(resident, case.number)
    assert "列入督办" in shown and "已提醒承办人" not in shown
