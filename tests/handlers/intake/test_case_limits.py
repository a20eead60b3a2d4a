"""The caps on what one case takes in: the cut and its mark, how much of a case's text its
additions are, the one note that counts what was kept out, and Open311's own limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from handlers.context import HandlerContext
from handlers.district.setup import load_demo_district
from handlers.intake.case_limits import (
    KEPT_OUT_PREFIX,
    added_chars,
    addition_start,
    clip,
    room_of,
    words_room,
)
from handlers.intake.detail import add_attachments, add_text
from handlers.intake.report import report_case
from handlers.open311.clients import create_client
from handlers.open311.requests import file_request, parse_submission
from models import Case, CaseEvent, Resident
from tests.handlers.workflow.test_actions import NOW, context

REPORT = "五角场街道国权路小区3号楼楼道里堆满杂物，物业一直不管"


def test_clip_keeps_short_words_and_marks_the_cut() -> None:
    assert clip("路灯坏了", 200).text == "路灯坏了" and not clip("路灯坏了", 200).cut
    long = "灯" * 5000
    cut = clip(long, 2000)
    assert cut.cut and cut.sent == 5000 and len(cut.text) <= 2000
    assert cut.text.startswith("灯" * 1900) and cut.text.endswith("未录入，原文已保存】")
    kept = len(cut.text) - len(cut.text.lstrip("灯"))
    assert f"以下{5000 - kept}字未录入" in cut.text


def test_added_chars_start_at_the_first_addition() -> None:
    first = addition_start(NOW)
    assert added_chars(REPORT) == 0
    text = REPORT + first + "三楼也有" + addition_start(NOW + timedelta(minutes=5)) + "四楼"
    assert added_chars(text) == len(text) - len(REPORT)


async def test_an_open311_description_keeps_the_specs_length(db: str) -> None:
    await load_demo_district()
    client, _ = await create_client("city-app", NOW)
    description = "政通路240号门口路灯坏了，" + "晚上一片漆黑" * 600  # about 3,600 characters
    submission = parse_submission(
        {
            "service_code": ["cxjs-szss"],
            "description": [description],
            "address_string": ["政通路240号"],
        }
    )
    async with in_transaction():
        filed = await file_request(client, submission, await context(NOW))
    case = await Case.get(id=filed.case.id)
    assert case.text == description


async def test_words_past_the_cap_are_counted_on_one_note(db: str) -> None:
    await load_demo_district()
    ctx: HandlerContext = await context(NOW, case_added_max_chars=1000)
    resident = await Resident.create(openid="o-limits")
    async with in_transaction():
        report = await report_case(resident, REPORT, ctx)
    case = report.case
    replies = []
    for i in range(4):
        async with in_transaction():
            replies.append(await add_text(case, resident, f"{i}" + "补" * 450, ctx))
    await case.refresh_from_db()
    assert added_chars(case.text) <= 1000
    assert words_room(room_of(case, ctx.settings), NOW) == 0
    assert "没有并入" in replies[-1]
    notes = await CaseEvent.filter(case_id=case.id, note__startswith=KEPT_OUT_PREFIX)
    assert len(notes) == 1 and notes[0].data["count"] == sum("没有并入" in r for r in replies)


async def test_attachments_past_the_cap_are_counted(db: str) -> None:
    await load_demo_district()
    ctx = await context(NOW, case_attachments_max=2)
    resident = await Resident.create(openid="o-files")
    photos = [{"type": "image", "media_id": f"m{i}"} for i in range(3)]
    async with in_transaction():
        report = await report_case(resident, REPORT, ctx, attachments=photos)
    assert "多出的1个" in report.reply
    case = await Case.get(id=report.case.id)
    assert [a["media_id"] for a in case.attachments] == ["m0", "m1"]
    async with in_transaction():
        reply = await add_attachments(case, resident, [{"type": "image", "media_id": "m3"}], ctx)
    assert "上限" in reply
    note = await CaseEvent.get(case_id=case.id, note__startswith=KEPT_OUT_PREFIX)
    assert note.data["attachments"] == 2 and note.data["count"] == 2


@pytest.mark.parametrize("limit", [200, 2500])
def test_the_message_cap_leaves_room_for_the_mark(limit: int) -> None:
    assert len(clip("字" * 100_000, limit).text) <= limit
