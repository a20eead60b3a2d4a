"""Broadcast notices: the way to approval, audiences, quotas, fan-out in batches, crashes,
cancelling and progress (handlers only; the checks around each send and WeChat's reports are in
tests/handlers/broadcasts/test_sending.py, sending through the fake server in
tests/bot/wechat/test_broadcast_sending.py, the HTTP API in tests/bot/api/test_notices.py)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from config import broadcasts as texts
from handlers.broadcasts import delivery, sending
from handlers.broadcasts.notices import (
    approve_notice,
    audience_preview,
    cancel_notice,
    create_notice,
    notice_progress,
    preview_notice,
    reject_notice,
    submit_notice,
    update_notice,
)
from handlers.broadcasts.rules import (
    InvalidNotice,
    NoticeForbidden,
    NoticeStateError,
    check_notice,
)
from handlers.staff.accounts import create_user
from handlers.staff.audit import StaffActor
from models import (
    AuditEvent,
    Case,
    Grid,
    Notice,
    NoticeDelivery,
    NoticeStatus,
    OutboxMessage,
    OutboxStatus,
    Resident,
    ResidentApp,
    StaffUser,
    Unit,
    Worker,
    WorkerRole,
)
from tests.handlers.workflow.test_actions import context

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
PASSWORD = "correct horse battery"
NUMBERS = itertools.count(1)
TEXT = {"text": "明天（3月11日）9:00-15:00 甲街道停水，请提前储水。"}
PLACES = {"kind": "residents", "streets": ["甲街道"]}


@dataclass
class Town:
    street: Unit
    other: Unit
    g1: Grid
    g2: Grid
    g3: Grid
    residents: dict[str, Resident]
    workers: dict[str, Worker]
    author: StaffActor
    approver: StaffActor
    dispatcher: StaffActor


async def resident_with_case(
    openid: str, street: str, compound: str, grid: Grid, **columns: Any
) -> Resident:
    resident = await Resident.create(openid=openid, nickname=openid, subscribed=True, **columns)
    await Case.create(
        number=f"26030{next(NUMBERS):05d}",
        resident_id=resident.id,
        street=street,
        compound=compound,
        grid_id=grid.id,
        text="楼道灯坏了",
        created_at=NOW - timedelta(days=3),
    )
    return resident


async def staff(username: str, role: str, worker: Worker | None = None) -> StaffActor:
    user = await create_user(username, role, PASSWORD, NOW, worker_id=worker.id if worker else None)
    return StaffActor.of(user, via="api")


async def make_town() -> Town:
    street = await Unit.create(code="ST-A", name="甲街道办事处", kind="street")
    other = await Unit.create(code="ST-C", name="丙街道办事处", kind="street")
    g1 = await Grid.create(code="A-01", name="一网格", street="甲街道", unit_id=street.id)
    g2 = await Grid.create(code="A-02", name="二网格", street="甲街道", unit_id=street.id)
    g3 = await Grid.create(code="C-01", name="丙网格", street="丙街道", unit_id=other.id)
    residents = {
        "r1": await resident_with_case("o-r1", "甲街道", "一号小区", g1),
        "r2": await resident_with_case("o-r2", "甲街道", "一号小区", g1, consent_template=True),
        "r3": await resident_with_case("o-r3", "甲街道", "二号小区", g2),
        "r4": await resident_with_case("o-r4", "丙街道", "三号小区", g3),
        "gone": await resident_with_case(
            "o-gone", "甲街道", "二号小区", g2, unsubscribed_at=NOW - timedelta(days=1)
        ),
    }
    await Resident.filter(id=residents["gone"].id).update(subscribed=False)
    # r1 wrote twice: still one recipient.
    await Case.create(
        number=f"26030{next(NUMBERS):05d}",
        resident_id=residents["r1"].id,
        street="甲街道",
        grid_id=g1.id,
        created_at=NOW - timedelta(days=1),
    )

    async def worker(name: str, unit: Unit, grid: Grid | None, userid: str | None) -> Worker:
        return await Worker.create(
            name=name,
            role=WorkerRole.GRID_WORKER,
            unit_id=unit.id,
            grid_id=grid.id if grid else None,
            wecom_userid=userid,
        )

    workers = {
        "w1": await worker("王芳", street, g1, "wangfang"),
        "w2": await worker("李强", street, g2, None),
        "w3": await worker("张敏", other, g3, "zhangmin"),
        "editor": await Worker.create(
            name="编辑", role=WorkerRole.DISPATCHER, openid="o-author", wecom_userid="author-wx"
        ),
        "checker": await Worker.create(name="审核", role=WorkerRole.DISPATCHER, openid="o-checker"),
    }
    return Town(
        street=street,
        other=other,
        g1=g1,
        g2=g2,
        g3=g3,
        residents=residents,
        workers=workers,
        author=await staff("author", "admin", workers["editor"]),
        approver=await staff("approver", "admin", workers["checker"]),
        dispatcher=await staff("dispatcher", "dispatcher"),
    )


@pytest.fixture
async def town(db: str) -> Town:
    return await make_town()


async def approved_notice(
    town: Town,
    *,
    channel: str = "mp_mass",
    audience: dict[str, Any] | None = None,
    kind: str = "text",
    content: dict[str, Any] | None = None,
    scheduled_at: datetime | None = None,
    now: datetime = NOW,
    **settings: Any,
) -> Notice:
    """A notice by the author, previewed, submitted and approved by the second admin."""
    ctx = await context(now, **settings)
    notice = await create_notice(
        town.author,
        now,
        title="停水通知",
        kind=kind,
        channel=channel,
        audience=audience or PLACES,
        content=content or TEXT,
        scheduled_at=scheduled_at,
    )
    await preview_notice(notice.id, town.author, now)
    await submit_notice(notice.id, town.author, now, ctx.settings)
    approved, _ = await approve_notice(notice.id, town.approver, now, ctx.settings)
    return approved


async def deliveries(notice: Notice) -> dict[str, NoticeDelivery]:
    return {d.recipient: d for d in await NoticeDelivery.filter(notice_id=notice.id)}


async def notice_rows(notice: Notice) -> list[OutboxMessage]:
    return await OutboxMessage.filter(dedup_key__startswith=f"notice:{notice.id}:").order_by("id")


async def sweep(now: datetime = NOW, **settings: Any) -> delivery.BroadcastSweepResult:
    return await delivery.sweep_broadcasts(await context(now, **settings))


async def settle(notice: Notice, now: datetime = NOW) -> None:
    """As a drainer would: every queued row of the notice sent (WeChat accepted it)."""
    for row in await notice_rows(notice):
        if row.status != OutboxStatus.PENDING:
            continue
        plan, _ = await sending.before_send(row, NOW)
        assert plan is sending.SendPlan.SEND
        await OutboxMessage.filter(id=row.id).update(status=OutboxStatus.SENT, sent_at=now)
        await sending.after_send(row, {"errcode": 0, "msg_id": 9000 + row.id}, now)


# The way to approval


async def test_compose_preview_submit_and_a_second_admin_approves(town: Town) -> None:
    ctx = await context()
    notice = await create_notice(
        town.author,
        NOW,
        title="停水通知",
        kind="text",
        channel="mp_mass",
        audience=PLACES,
        content=TEXT,
    )
    assert notice.status == NoticeStatus.DRAFT and notice.clientmsgid
    assert notice.created_by == "author"

    with pytest.raises(InvalidNotice, match="预览"):
        await submit_notice(notice.id, town.author, NOW, ctx.settings)
    row = await preview_notice(notice.id, town.author, NOW)
    # WeChat's preview API, to the author's own openid: it spends nobody's quota.
    assert row.channel == "mp_mass" and row.recipient == "o-author"
    assert row.payload["mass_api"] == "preview" and row.payload["text"]["content"] == TEXT["text"]
    with pytest.raises(NoticeForbidden):  # someone else's draft
        await submit_notice(notice.id, town.dispatcher, NOW, ctx.settings)
    submitted, audience = await submit_notice(notice.id, town.author, NOW, ctx.settings)
    assert submitted.status == NoticeStatus.AWAITING_APPROVAL
    assert audience.total == 4 and audience.to_send == 3  # the one who unfollowed is skipped

    with pytest.raises(NoticeForbidden, match="另一位管理员"):
        await approve_notice(notice.id, town.author, NOW, ctx.settings)
    approved, _ = await approve_notice(notice.id, town.approver, NOW, ctx.settings, note="同意")
    assert approved.status == NoticeStatus.APPROVED and approved.approved_by == "approver"
    assert approved.decision_note == "同意" and approved.approved_at == NOW
    with pytest.raises(NoticeStateError):
        await approve_notice(notice.id, town.approver, NOW, ctx.settings)

    audit = [
        (e.action, e.username)
        for e in await AuditEvent.filter(target_type="notice", target_id=str(notice.id)).order_by(
            "id"
        )
    ]
    assert audit == [
        ("notice.create", "author"),
        ("notice.preview", "author"),
        ("notice.submit", "author"),
        ("notice.approve", "approver"),
    ]


async def test_rejection_needs_a_reason_and_an_edit_needs_a_new_preview(town: Town) -> None:
    ctx = await context()
    notice = await create_notice(
        town.author,
        NOW,
        title="停水通知",
        kind="text",
        channel="mp_mass",
        audience=PLACES,
        content=TEXT,
    )
    await preview_notice(notice.id, town.author, NOW)
    await submit_notice(notice.id, town.author, NOW, ctx.settings)
    with pytest.raises(InvalidNotice, match="原因"):
        await reject_notice(notice.id, town.approver, NOW, "  ")
    rejected = await reject_notice(notice.id, town.approver, NOW, "时间写错了")
    assert rejected.status == NoticeStatus.REJECTED and rejected.decision_note == "时间写错了"

    edited = await update_notice(
        notice.id, town.author, NOW, content={"text": "3月12日 9:00-15:00 停水"}
    )
    assert edited.status == NoticeStatus.DRAFT and edited.preview_sent_at is None
    with pytest.raises(InvalidNotice, match="预览"):
        await submit_notice(notice.id, town.author, NOW, ctx.settings)
    await preview_notice(notice.id, town.author, NOW)
    again, _ = await submit_notice(notice.id, town.author, NOW, ctx.settings)
    assert again.status == NoticeStatus.AWAITING_APPROVAL and again.decision_note == ""
    with pytest.raises(NoticeStateError, match="待审批"):
        await update_notice(notice.id, town.author, NOW, title="改标题")


async def test_previews_go_only_to_the_authors_own_address(town: Town) -> None:
    notice = await create_notice(
        town.dispatcher,
        NOW,
        title="通知",
        kind="text",
        channel="mp_mass",
        audience=PLACES,
        content=TEXT,
    )
    with pytest.raises(InvalidNotice, match="关联"):  # no linked worker: nowhere to preview
        await preview_notice(notice.id, town.dispatcher, NOW)
    work = await create_notice(
        town.author,
        NOW,
        title="网格员通知",
        kind="text",
        channel="work_app",
        audience={"kind": "workers", "units": ["ST-A"]},
        content=TEXT,
    )
    row = await preview_notice(work.id, town.author, NOW)
    assert row.channel == "work_app" and row.recipient == "author-wx"
    assert "enable_duplicate_check" not in row.payload  # a second preview must arrive too


def test_what_a_notice_may_be() -> None:
    with pytest.raises(InvalidNotice, match="一个微信标签"):
        check_notice("t", "text", "mp_mass", {"kind": "tag", "tags": [1, 2]}, TEXT)
    with pytest.raises(InvalidNotice, match="企业微信"):
        check_notice("t", "text", "mp_mass", {"kind": "workers", "units": ["ST-A"]}, TEXT)
    with pytest.raises(InvalidNotice, match="模板消息只能发"):
        check_notice("t", "text", "mp_template", PLACES, TEXT)
    with pytest.raises(InvalidNotice, match="media_id"):
        check_notice("t", "news", "mp_mass", PLACES, {"title": "图文"})
    with pytest.raises(InvalidNotice, match="街道、小区或网格"):
        check_notice("t", "text", "mp_mass", {"kind": "residents"}, TEXT)
    spec = check_notice(
        "t",
        "template",
        "mp_template",
        PLACES,
        {"template_id": "TPL", "data": {"first": "停水"}, "url": "https://x.example/n/1"},
    )
    assert spec.content == {
        "template_id": "TPL",
        "data": {"first": "停水"},
        "url": "https://x.example/n/1",
    }


# Audiences


async def test_residents_of_streets_compounds_and_grids(town: Town) -> None:
    ctx = await context()

    async def who(audience: dict[str, Any], channel: str = "mp_mass") -> dict[str, str]:
        preview = await audience_preview(
            audience,
            channel,
            "text" if channel == "mp_mass" else "template",
            TEXT,
            NOW,
            ctx.settings,
        )
        assert preview.total == preview.to_send + sum(preview.skipped.values())
        return {s["recipient"]: s["reason"] for s in preview.samples} | {
            "to_send": str(preview.to_send)
        }

    assert await who(PLACES) == {"o-gone": texts.SKIP_UNFOLLOWED, "to_send": "3"}
    assert (await who({"kind": "residents", "compounds": ["一号小区"]}))["to_send"] == "2"
    assert (await who({"kind": "residents", "grids": ["A-02", "C-01"]}))["to_send"] == "2"
    both = await who({"kind": "residents", "compounds": ["三号小区"], "grids": ["A-01"]})
    assert both["to_send"] == "3"
    # Template messages: only those who agreed to them.
    template = await who(PLACES, "mp_template")
    assert template["to_send"] == "1" and template["o-r1"] == texts.SKIP_NO_TEMPLATE_CONSENT


async def test_residents_of_the_mini_program_or_open311_get_no_official_account_notice(
    town: Town,
) -> None:
    """Their openids are not the official account's: a mass send would name strangers."""
    ctx = await context()
    for app, openid in ((ResidentApp.MINIPROGRAM, "o-mini"), (ResidentApp.OPEN311, "o311:x")):
        await resident_with_case(openid, "甲街道", "一号小区", town.g1, app=app)
    preview = await audience_preview(PLACES, "mp_mass", "text", TEXT, NOW, ctx.settings)
    reasons = {s["recipient"]: s["reason"] for s in preview.samples}
    assert reasons["o-mini"] == reasons["o311:x"] == texts.SKIP_NOT_FOLLOWER
    assert preview.to_send == 3


async def test_workers_by_unit_or_grid_over_wecom(town: Town) -> None:
    notice = await approved_notice(
        town, channel="work_app", audience={"kind": "workers", "units": ["ST-A"], "grids": ["C-01"]}
    )
    await sweep()
    got = await deliveries(notice)
    assert set(got) == {"wangfang", "zhangmin", f"worker:{town.workers['w2'].id}"}
    assert got[f"worker:{town.workers['w2'].id}"].reason == texts.SKIP_NO_WECOM
    rows = await notice_rows(notice)
    assert sorted(r.recipient for r in rows) == ["wangfang", "zhangmin"]
    assert all(r.payload["enable_duplicate_check"] == 1 for r in rows)


async def test_all_followers_and_a_tag_are_one_request_each(town: Town) -> None:
    everyone = await approved_notice(town, audience={"kind": "all"})
    tagged = await approved_notice(town, audience={"kind": "tag", "tag_id": 101})
    await sweep()
    (all_row,) = await notice_rows(everyone)
    assert all_row.payload["filter"] == {"is_to_all": True}
    assert all_row.payload["clientmsgid"] == everyone.clientmsgid
    (tag_row,) = await notice_rows(tagged)
    assert tag_row.payload["filter"] == {"is_to_all": False, "tag_id": 101}
    assert set(await deliveries(tagged)) == {"tag:101"}
    await everyone.refresh_from_db()
    assert everyone.fanned_out and everyone.recipients_total == 4  # the followers we know of


# WeChat's quota, told before sending


async def spend_quota(resident: Resident, count: int, at: datetime) -> None:
    """Mass sends the resident got from earlier notices (one delivery row each)."""
    for _ in range(count):
        old = await Notice.create(title="旧通知", status=NoticeStatus.DONE)
        await NoticeDelivery.create(
            notice_id=old.id,
            recipient=resident.openid,
            status="sent",
            channel="mp_mass",
            resident_id=resident.id,
            sent_at=at,
        )


async def test_the_quota_warning_comes_before_sending_and_those_over_are_skipped(
    town: Town,
) -> None:
    ctx = await context()
    await spend_quota(town.residents["r1"], 4, NOW - timedelta(days=2))  # this month
    await spend_quota(town.residents["r2"], 4, NOW - timedelta(days=20))  # last month
    notice = await create_notice(
        town.author,
        NOW,
        title="停水通知",
        kind="text",
        channel="mp_mass",
        audience=PLACES,
        content=TEXT,
    )
    await preview_notice(notice.id, town.author, NOW)
    submitted, audience = await submit_notice(notice.id, town.author, NOW, ctx.settings)
    assert audience.over_quota == 1 and audience.to_send == 2
    assert "2026年3月" in submitted.quota_warning and "1人" in submitted.quota_warning
    assert {s["recipient"]: s["reason"] for s in audience.samples}["o-r1"] == (
        texts.SKIP_QUOTA.format(count=4, quota=4)
    )
    approved, _ = await approve_notice(notice.id, town.approver, NOW, ctx.settings)
    assert approved.quota_warning == submitted.quota_warning

    await sweep()
    got = await deliveries(notice)
    assert got["o-r1"].status == "skipped" and "上限" in got["o-r1"].reason
    assert got["o-r2"].status == "pending" and got["o-r3"].status == "pending"
    (row,) = await notice_rows(notice)
    assert sorted(row.payload["touser"]) == ["o-r2", "o-r3"]

    # A higher quota (a setting) lets r1 in.
    preview = await audience_preview(
        PLACES, "mp_mass", "text", TEXT, NOW, (await context(mass_send_monthly_quota=5)).settings
    )
    assert preview.over_quota == 0


async def test_sends_to_all_spend_everyones_quota(town: Town) -> None:
    ctx = await context()
    for _ in range(4):
        old = await Notice.create(title="全体通知", status=NoticeStatus.DONE)
        await NoticeDelivery.create(
            notice_id=old.id,
            recipient="all",
            status="sent",
            channel="mp_mass",
            sent_at=NOW - timedelta(days=1),
        )
    preview = await audience_preview(PLACES, "mp_mass", "text", TEXT, NOW, ctx.settings)
    assert preview.to_send == 0 and preview.over_quota == 3
    everyone = await audience_preview({"kind": "all"}, "mp_mass", "text", TEXT, NOW, ctx.settings)
    assert everyone.over_quota == everyone.total and "微信不会发给他们" in everyone.quota_warning
    # Next month the quota is fresh (the notice scheduled for April is judged for April).
    april = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 April in Shanghai
    later = await audience_preview(PLACES, "mp_mass", "text", TEXT, april, ctx.settings)
    assert later.to_send == 3 and not later.quota_warning


# Fan-out: scheduled, in batches, after crashes, racing


async def test_a_scheduled_notice_waits_for_its_time(town: Town) -> None:
    at = NOW + timedelta(hours=2)
    notice = await approved_notice(town, scheduled_at=at)
    early = await sweep(NOW + timedelta(hours=1))
    assert early.started == 0 and not await deliveries(notice)
    result = await sweep(at)
    assert result.started == 1 and result.rows == 4
    await notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENDING and notice.started_at == at and notice.fanned_out
    (row,) = await notice_rows(notice)
    assert sorted(row.payload["touser"]) == ["o-r1", "o-r2", "o-r3"]
    assert row.payload["clientmsgid"].startswith(notice.clientmsgid)
    # Nothing settles until the row is sent; then the next sweep marks the notice done.
    assert (await sweep(at)).completed == 0
    await settle(notice, at)
    assert (await sweep(at)).completed == 1
    await notice.refresh_from_db()
    assert notice.status == NoticeStatus.DONE and notice.finished_at == at
    progress = await notice_progress(notice)
    assert progress.counts["sent"] == 3 and progress.counts["skipped"] == 1
    assert progress.skipped == [{"reason": texts.SKIP_UNFOLLOWED, "count": 1}]


async def more_residents(town: Town, count: int, *, consent: bool = True) -> None:
    for i in range(count):
        await resident_with_case(
            f"o-more-{i:03d}", "甲街道", "四号小区", town.g1, consent_template=consent
        )


async def test_mass_batches_never_leave_a_single_openid(town: Town) -> None:
    await more_residents(town, 1)  # 4 sendable in 甲街道
    notice = await approved_notice(town)
    await sweep(mass_send_batch_size=3)
    batches = [sorted(r.payload["touser"]) for r in await notice_rows(notice)]
    assert [len(b) for b in batches] == [2, 2]  # not 3 + 1: WeChat wants two at least
    assert len({r.payload["clientmsgid"] for r in await notice_rows(notice)}) == 2
    got = await deliveries(notice)
    assert len(got) == 5 and sum(d.status == "pending" for d in got.values()) == 4


async def test_an_audience_of_one_cannot_be_mass_sent_and_says_so(town: Town) -> None:
    ctx = await context()
    lone = {"kind": "residents", "compounds": ["三号小区"]}
    preview = await audience_preview(lone, "mp_mass", "text", TEXT, NOW, ctx.settings)
    assert preview.to_send == 0 and texts.LONE_WARNING in preview.notes
    notice = await approved_notice(town, audience=lone)
    await sweep()
    (only,) = (await deliveries(notice)).values()
    assert only.status == "skipped" and only.reason == texts.SKIP_LONE_MASS
    assert not await notice_rows(notice)


async def test_a_crash_mid_fan_out_resumes_without_doubles(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    await more_residents(town, 7)  # 11 residents in 甲街道, 8 agreed to template messages
    content = {"template_id": "TPL", "data": {"first": "停水通知"}}
    notice = await approved_notice(town, channel="mp_template", kind="template", content=content)
    ctx = await context(broadcast_batch_size=3)
    assert await delivery.start_due_notices(NOW) == 1
    notice = await Notice.get(id=notice.id)
    assert await delivery.fan_out_step(notice, ctx) == 3  # the first batch commits

    # The process dies while writing the second batch: its transaction rolls back.
    real = NoticeDelivery.bulk_create

    async def die(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(NoticeDelivery, "bulk_create", die)
    with pytest.raises(SystemExit):
        await delivery.fan_out_step(notice, ctx)
    monkeypatch.setattr(NoticeDelivery, "bulk_create", real)
    assert await NoticeDelivery.filter(notice_id=notice.id).count() == 3
    assert len(await notice_rows(notice)) == sum(
        d.status == "pending" for d in (await deliveries(notice)).values()
    )

    # Another process takes over (from the database, not from the dead one's memory).
    result = await delivery.sweep_broadcasts(replace(ctx, now=NOW + timedelta(minutes=1)))
    assert result.batches == 3 and result.lost_races == 0
    got = await deliveries(notice)
    assert len(got) == 11  # r1, r2, r3, gone, seven more: each once
    rows = await notice_rows(notice)
    assert sorted(r.recipient for r in rows) == sorted(
        d.recipient for d in got.values() if d.status == "pending"
    )
    assert len(rows) == len({r.recipient for r in rows}) == 8  # r2 and the seven; r1, r3 not
    await notice.refresh_from_db()
    assert notice.fanned_out and notice.recipients_total == 11


async def test_two_processes_racing_for_one_batch_write_it_once(town: Town) -> None:
    notice = await approved_notice(
        town, channel="work_app", audience={"kind": "workers", "units": ["ST-A", "ST-C"]}
    )
    await delivery.start_due_notices(NOW)
    ctx = await context()
    mine = await Notice.get(id=notice.id)
    theirs = await Notice.get(id=notice.id)  # read by another process at the same moment
    assert await delivery.fan_out_step(mine, ctx) == 3
    with pytest.raises(delivery._LostRace):
        await delivery.fan_out_step(theirs, ctx)
    assert await NoticeDelivery.filter(notice_id=notice.id).count() == 3


async def test_per_recipient_rows_are_paced_at_the_outbound_rate(town: Town) -> None:
    await more_residents(town, 9)
    content = {"template_id": "TPL", "data": {"first": "停水通知"}}
    notice = await approved_notice(town, channel="mp_template", kind="template", content=content)
    await sweep(outbound_rate_per_second=2, broadcast_batch_size=4, broadcast_queue_ahead_seconds=2)
    rows = await notice_rows(notice)
    # Two a second; written only a couple of seconds ahead of their turn, the rest waits.
    assert [r.next_attempt_at - NOW for r in rows[:4]] == [
        timedelta(seconds=s) for s in (0, 0.5, 1, 1.5)
    ]
    assert len(rows) < 10
    await sweep(
        NOW + timedelta(seconds=30),
        outbound_rate_per_second=2,
        broadcast_batch_size=4,
        broadcast_queue_ahead_seconds=2,
    )
    assert len(await notice_rows(notice)) > len(rows)


# Cancelling


async def test_cancel_mid_way_stops_what_has_not_gone_out(town: Town) -> None:
    await more_residents(town, 5)
    content = {"template_id": "TPL", "data": {"first": "停水通知"}}
    notice = await approved_notice(town, channel="mp_template", kind="template", content=content)
    await sweep(broadcast_batch_size=100)
    first, second, *rest = await notice_rows(notice)
    # One went out; a drainer has claimed another and is about to send it.
    assert (await sending.before_send(first, NOW))[0] is sending.SendPlan.SEND
    await OutboxMessage.filter(id=first.id).update(status=OutboxStatus.SENT)
    await sending.after_send(first, {"errcode": 0, "msgid": 77}, NOW)
    await OutboxMessage.filter(id=second.id).update(status=OutboxStatus.SENDING)

    cancelled = await cancel_notice(notice.id, town.dispatcher, NOW + timedelta(minutes=1))
    assert cancelled.status == NoticeStatus.CANCELLED and cancelled.cancelled_by == "dispatcher"
    plan, reason = await sending.before_send(second, NOW)
    assert plan is sending.SendPlan.SKIP and reason == texts.CANCELLED
    for row in rest:
        await row.refresh_from_db()
        assert row.status == OutboxStatus.SKIPPED and row.last_error == texts.CANCELLED
    progress = await notice_progress(cancelled)
    assert progress.counts["sent"] == 1 and progress.counts["pending"] == 0
    assert progress.counts["cancelled"] == 5  # six agreed: one sent, five stopped (one claimed)
    with pytest.raises(NoticeStateError):
        await cancel_notice(notice.id, town.approver, NOW)
    event = await AuditEvent.get(action="notice.cancel")
    assert event.detail == {"was": "sending", "stopped": 5} and event.username == "dispatcher"


async def test_staff_rows_stay_with_their_users(town: Town) -> None:
    # The audit actor of each action is the staff account, not the linked worker.
    notice = await approved_notice(town)
    user = await StaffUser.get(username="approver")
    event = await AuditEvent.get(action="notice.approve", target_id=str(notice.id))
    assert event.user_id == user.id and event.via == "api"


async def test_the_database_refuses_a_second_delivery_to_one_recipient(town: Town) -> None:
    # The last line of defence against doubles; a migration that rebuilt the SQLite table
    # without it would pass every other test.
    from tortoise.exceptions import IntegrityError

    notice = await Notice.create(title="通知")
    await NoticeDelivery.create(notice_id=notice.id, recipient="o-r1", channel="mp_mass")
    with pytest.raises(IntegrityError):
        await NoticeDelivery.create(notice_id=notice.id, recipient="o-r1", channel="mp_mass")
