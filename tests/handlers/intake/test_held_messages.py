"""Held messages and blocking: a dispatcher releases (a case, the resident told) or discards, an
admin blocks and unblocks; each decision once, each audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from handlers.context import HandlerContext
from handlers.district.setup import load_demo_district
from handlers.intake.held_messages import (
    AlreadyDecided,
    Unchanged,
    block_resident,
    discard,
    hold_chat_message,
    message_dict,
    message_of,
    release,
    unblock_resident,
)
from handlers.intake.incoming import IncomingMessage
from handlers.residents.cases import Submission, keep_held, make_case
from handlers.staff.audit import StaffActor
from models import (
    AuditEvent,
    Case,
    CaseStatus,
    HeldMessage,
    HeldReason,
    HeldStatus,
    OutboxMessage,
    Resident,
    ResidentApp,
)
from tests.handlers.workflow.test_actions import NOW, context

DISPATCHER = StaffActor(user_id=None, username="dispatcher1", role="dispatcher", via="api")
ADMIN = StaffActor(user_id=None, username="admin1", role="admin", via="api")
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"


@pytest.fixture
async def ctx(db: str) -> HandlerContext:
    await load_demo_district()
    return await context(NOW)


async def mini_resident(openid: str = "o-held-1") -> Resident:
    return await Resident.create(
        openid=openid, app=ResidentApp.MINIPROGRAM, last_message_at=NOW - timedelta(hours=1)
    )


async def held_submission(resident: Resident, ctx: HandlerContext, text: str = LAMP) -> HeldMessage:
    return await keep_held(
        resident,
        channel="miniprogram",
        reason=HeldReason.CONTENT_CHECK,
        text=text,
        payload={"kind": "case", "request_id": "req-00001", "submission": {"text": text}},
        ctx=ctx,
        check_result={"suggest": "review"},
    )


async def test_release_makes_the_case_and_tells_the_resident(ctx: HandlerContext) -> None:
    resident = await mini_resident()
    held = await held_submission(resident, ctx)
    assert await Case.all().count() == 0
    released = await release(held, DISPATCHER, ctx, "内容正常")
    assert released.case is not None
    case = await Case.get(id=released.case.id)
    assert case.channel == "miniprogram" and case.resident_id == resident.id
    assert case.status == CaseStatus.DISPATCHED and "路灯" in case.text
    row = await HeldMessage.get(id=held.id)
    assert row.status == HeldStatus.RELEASED and row.case_id == case.id
    assert row.decided_by == "dispatcher1" and row.decided_at == NOW and row.note == "内容正常"
    told = await OutboxMessage.get(dedup_key=f"held:{held.id}:released")
    assert case.number in json.dumps(told.payload, ensure_ascii=False)
    assert told.case_id == case.id and case.number in released.reply
    entry = await AuditEvent.get(action="held.release")
    assert entry.target_id == str(held.id) and entry.detail["case"] == case.number
    with pytest.raises(AlreadyDecided):
        await release(held, DISPATCHER, ctx)
    with pytest.raises(AlreadyDecided):
        await discard(held, DISPATCHER, ctx, "晚了")
    assert await Case.all().count() == 1


async def test_discard_keeps_it_unrouted(ctx: HandlerContext) -> None:
    held = await held_submission(await mini_resident(), ctx)
    await discard(held, DISPATCHER, ctx, "广告")
    row = await HeldMessage.get(id=held.id)
    assert row.status == HeldStatus.DISCARDED and row.note == "广告" and row.case_id is None
    assert await Case.all().count() == 0 and await OutboxMessage.all().count() == 0
    assert (await AuditEvent.get(action="held.discard")).detail["note"] == "广告"


async def test_a_held_chat_message_round_trips_and_releases(ctx: HandlerContext) -> None:
    resident = await Resident.create(openid="o-chat-held", subscribed=True)
    photo = IncomingMessage(
        openid=resident.openid,
        msg_type="image",
        msg_id="9001",
        media_id="media-1",
        picture_url="http://mmbiz.example/1.jpg",
        extra=(("bizmsgmenuid", "x"),),
    )
    assert message_of(message_dict(photo)) == photo
    text = IncomingMessage(openid=resident.openid, msg_type="text", content=LAMP, msg_id="9002")
    held_photo = await hold_chat_message(resident, photo, "mp", ctx)
    held_text = await hold_chat_message(resident, text, "mp", ctx)
    assert held_text.reason == HeldReason.BLOCKED and held_text.text == LAMP
    released = await release(held_text, DISPATCHER, ctx)
    assert released.case is not None
    assert released.case.channel == "mp" and released.case.text == LAMP
    shown = await release(held_photo, DISPATCHER, ctx)
    assert shown.case is not None
    assert shown.case.attachments[0]["media_id"] == "media-1"


async def test_a_held_addition_joins_its_case(ctx: HandlerContext) -> None:
    resident = await mini_resident()
    async with in_transaction():
        made = await make_case(resident, Submission(text=LAMP), ctx)
    held = await keep_held(
        resident,
        channel="miniprogram",
        reason=HeldReason.CONTENT_CHECK,
        text="灯杆也歪了",
        payload={
            "kind": "info",
            "case": made.case.number,
            "addition": {"text": "灯杆也歪了", "photos": []},
        },
        ctx=ctx,
    )
    released = await release(held, DISPATCHER, ctx)
    assert released.case is not None
    assert released.case.id == made.case.id
    assert "灯杆也歪了" in (await Case.get(id=made.case.id)).text
    assert made.case.number in released.reply


async def test_block_and_unblock_are_audited_once(ctx: HandlerContext) -> None:
    resident = await mini_resident()
    await block_resident(resident, " 反复发送辱骂内容 ", ADMIN, ctx)
    row = await Resident.get(id=resident.id)
    assert row.blocked and row.blocked_at == NOW and row.blocked_reason == "反复发送辱骂内容"
    with pytest.raises(Unchanged):
        await block_resident(resident, "again", ADMIN, ctx)
    await unblock_resident(row, ADMIN, ctx)
    row = await Resident.get(id=resident.id)
    assert not row.blocked and row.blocked_at is None and row.blocked_reason == ""
    with pytest.raises(Unchanged):
        await unblock_resident(row, ADMIN, ctx)
    actions = await AuditEvent.all().order_by("id").values_list("action", "detail")
    assert actions == [
        ("resident.block", {"reason": "反复发送辱骂内容"}),
        ("resident.unblock", {"was": "反复发送辱骂内容"}),
    ]
