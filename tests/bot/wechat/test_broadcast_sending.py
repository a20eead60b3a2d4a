"""Broadcast notices sent by the real outbox drainer through the fake WeChat and WeCom servers:
mass sends with clientmsgid, a sender that dies after WeChat accepted a batch, timeouts,
template messages whose outcome is unknown, WeCom's duplicate check, previews, cancelling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.wechat.client import AccessTokenStore, WeChatClient
from bot.wechat.outbox_drainer import OutboxDrainer
from bot.wechat.wecom_client import WeComClient
from config import broadcasts as texts
from config.settings import Settings
from handlers.broadcasts import sending
from handlers.broadcasts.notices import cancel_notice, notice_progress
from handlers.clock import ManualClock
from models import Notice, NoticeDelivery, NoticeStatus, OutboxMessage, OutboxStatus
from tests.bot.wechat import test_client as shared
from tests.bot.wechat.test_wecom_client import wecom_settings
from tests.fake_wechat import MASS_PREVIEW, MASS_SEND_TO, TEMPLATE_SEND, FakeWeChat
from tests.fake_wecom import FakeWeCom
from tests.handlers.broadcasts.test_notices import (
    NOW,
    Town,
    approved_notice,
    deliveries,
    make_town,
    more_residents,
    notice_rows,
    sweep,
)

outbound_db = shared.outbound_db
fake = shared.fake
wechat_base = shared.wechat_base
session = shared.session
TEMPLATE = {"template_id": "TPL", "data": {"first": "停水通知"}}
PREVIEWERS = frozenset({"o-author", "o-checker", "author-wx"})


def reached(server: FakeWeChat | FakeWeCom) -> dict[str, int]:
    """Messages per member of the audience (the staff's previews left out)."""
    return {k: v for k, v in server.received.items() if k not in PREVIEWERS}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def settings(outbound_db: str, wechat_base: str) -> Settings:
    return shared.outbound_settings(outbound_db, wechat_base, http_timeout_seconds=2.0)


@pytest.fixture
async def town(outbound_db: str) -> Town:
    return await make_town()


def drainer_for(
    session: aiohttp.ClientSession,
    settings: Settings,
    clock: ManualClock,
    owner: str = "proc-a",
    wecom: WeComClient | None = None,
) -> OutboxDrainer:
    client = WeChatClient(session, settings, AccessTokenStore(clock, owner))
    return OutboxDrainer(client, settings, clock, owner, claim_seconds=60, wecom=wecom)


@pytest.fixture
def drainer(
    session: aiohttp.ClientSession, settings: Settings, clock: ManualClock
) -> OutboxDrainer:
    return drainer_for(session, settings, clock)


async def drain_all(drainer: OutboxDrainer) -> int:
    handled = 0
    while (step := await drainer.drain_once()) > 0:
        handled += step
    return handled


def audience_sends(server: FakeWeChat | FakeWeCom) -> int:
    """Requests recorded for the notice's audience (a staff preview is not one of them)."""
    return sum(
        1
        for m in server.sent
        if not (isinstance(m.body.get("touser"), str) and m.body["touser"] in PREVIEWERS)
    )


async def die_while_wechat_answers(drainer: OutboxDrainer, server: FakeWeChat) -> None:
    """The sending process dies after WeChat has accepted and recorded the message, before the
    answer reaches it: nothing of the send is recorded on our side."""
    before = audience_sends(server)
    server.answer_delay = 5.0
    task = asyncio.create_task(drainer.drain_once())
    for _ in range(500):
        if audience_sends(server) > before:
            break
        await asyncio.sleep(0.01)
    assert audience_sends(server) > before, "the fake never got a request for the audience"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    server.answer_delay = 0.0


async def test_a_notice_goes_out_through_wechat_and_its_report_completes_it(
    town: Town, drainer: OutboxDrainer, fake: FakeWeChat, clock: ManualClock
) -> None:
    notice = await approved_notice(town)
    await sweep()
    assert await drain_all(drainer) == 2  # the author's preview, and one mass send
    (mass,) = fake.mass_sends()
    assert sorted(mass["touser"]) == ["o-r1", "o-r2", "o-r3"]
    assert mass["clientmsgid"].startswith(notice.clientmsgid) and "mass_api" not in mass
    assert reached(fake) == {"o-r1": 1, "o-r2": 1, "o-r3": 1}
    got = await deliveries(notice)
    (msg_id,) = {d.wechat_msg_id for d in got.values() if d.status == "sent"}
    assert got["o-gone"].status == "skipped"

    assert (await sweep()).completed == 1
    report = {k: str(v) for k, v in fake.mass_job_event(msg_id).items()}
    await sending.record_mass_job_finish(msg_id, report, NOW)
    await notice.refresh_from_db()
    assert notice.status == NoticeStatus.DONE
    assert notice.wechat_result["sent"] == 3 and notice.wechat_result["total"] == 3
    progress = (await notice_progress(notice)).as_json()
    assert progress["counts"]["sent"] == 3 and progress["percent"] == 100.0


async def test_a_batch_accepted_before_the_sender_died_reaches_nobody_twice(
    town: Town,
    session: aiohttp.ClientSession,
    settings: Settings,
    fake: FakeWeChat,
    clock: ManualClock,
) -> None:
    await more_residents(town, 5)
    notice = await approved_notice(town)
    await sweep(mass_send_batch_size=4)
    dying = drainer_for(session, settings, clock, "proc-dead")
    await die_while_wechat_answers(dying, fake)
    statuses = sorted(d.status for d in (await deliveries(notice)).values())
    assert "sending" in statuses  # WeChat took the batch; we never heard

    clock.advance(timedelta(minutes=5))  # the dead drainer's claims run out
    survivor = drainer_for(session, settings, clock, "proc-b")
    await drain_all(survivor)
    assert fake.duplicate_mass_sends >= 1  # the resend was recognised by its clientmsgid
    assert len(fake.jobs) == 2  # two batches, each one job
    assert set(reached(fake).values()) == {1} and len(reached(fake)) == 8
    got = await deliveries(notice)
    assert sum(d.status == "sent" for d in got.values()) == 8
    rows = await notice_rows(notice)
    assert {r.status for r in rows} == {OutboxStatus.SENT}


async def test_a_timed_out_mass_send_is_retried_with_the_same_clientmsgid(
    town: Town,
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    fake: FakeWeChat,
    clock: ManualClock,
) -> None:
    settings = shared.outbound_settings(outbound_db, wechat_base, http_timeout_seconds=0.3)
    drainer = drainer_for(session, settings, clock)
    notice = await approved_notice(town)
    await sweep()
    fake.answer_delay = 1.0  # WeChat takes the batch, but answers after our timeout
    await drainer.drain_once()
    (row,) = await notice_rows(notice)
    assert row.status == OutboxStatus.PENDING and "no answer within" in row.last_error
    # It may have arrived: the deliveries stay "sending" until the retry settles them.
    assert {d.status for d in (await deliveries(notice)).values()} == {"sending", "skipped"}
    await asyncio.sleep(1.0)  # the fake finishes its answer to nobody
    fake.answer_delay = 0.0
    clock.advance(timedelta(hours=2))
    await drain_all(drainer)
    assert fake.duplicate_mass_sends == 1 and len(fake.jobs) == 1
    assert reached(fake) == {"o-r1": 1, "o-r2": 1, "o-r3": 1}
    (job,) = fake.jobs
    got = await deliveries(notice)
    assert {d.wechat_msg_id for d in got.values() if d.status == "sent"} == {str(job)}


async def test_an_unclear_template_send_is_never_repeated(
    town: Town,
    session: aiohttp.ClientSession,
    settings: Settings,
    fake: FakeWeChat,
    clock: ManualClock,
) -> None:
    await more_residents(town, 2)
    notice = await approved_notice(town, channel="mp_template", kind="template", content=TEMPLATE)
    await sweep()
    await die_while_wechat_answers(drainer_for(session, settings, clock, "proc-dead"), fake)
    clock.advance(timedelta(minutes=5))
    await drain_all(drainer_for(session, settings, clock, "proc-b"))
    # Every resident who agreed got it once; the one in flight is "unknown", not resent.
    assert set(reached(fake).values()) == {1}
    got = await deliveries(notice)
    unknown = [d for d in got.values() if d.status == "unknown"]
    assert len(unknown) >= 1 and all(d.reason == texts.AWAITING_REPORT for d in unknown)
    assert (await sweep()).completed == 0  # they wait for WeChat's report
    # The one the fake recorded arrived; others cut off with it (sends run side by side) may
    # still have been on the wire: at most once each, and never resent meanwhile.
    assert all(fake.received[d.recipient] <= 1 for d in unknown)
    lost = sum(fake.received[d.recipient] == 0 for d in unknown)
    assert lost < len(unknown)
    sent = [m for m in fake.sent if m.path == TEMPLATE_SEND and m.body["touser"] not in PREVIEWERS]
    assert len(sent) == 3 - lost
    # WeChat's report of each message settles it.
    for i, d in enumerate(unknown):
        await sending.record_template_job_finish(d.recipient, f"88000{i}", "success", NOW)
    got = await deliveries(notice)
    assert sum(d.status == "sent" for d in got.values()) == 3  # r2 and the two more
    assert (await sweep()).completed == 1


@pytest.fixture
def fake_wecom() -> FakeWeCom:
    return FakeWeCom()


@pytest.fixture
async def wecom_base(fake_wecom: FakeWeCom) -> AsyncIterator[str]:
    async with fake_wecom.running() as url:
        yield url


async def test_wecom_drops_the_resend_after_a_crash(
    town: Town,
    session: aiohttp.ClientSession,
    outbound_db: str,
    wecom_base: str,
    fake_wecom: FakeWeCom,
    clock: ManualClock,
) -> None:
    settings = wecom_settings(outbound_db, wecom_base, http_timeout_seconds=2.0)

    def drainer(owner: str) -> OutboxDrainer:
        tokens = AccessTokenStore(clock, owner)
        wecom = WeComClient(session, settings, tokens)
        return OutboxDrainer(None, settings, clock, owner, claim_seconds=60, wecom=wecom)

    notice = await approved_notice(
        town, channel="work_app", audience={"kind": "workers", "units": ["ST-A", "ST-C"]}
    )
    await sweep()
    first = drainer("proc-dead")
    await first.drain_once()  # sends both: now make one of them look unfinished
    row = (await notice_rows(notice))[0]
    await OutboxMessage.filter(id=row.id).update(
        status=OutboxStatus.SENDING, claimed_by="dead", claimed_until=clock.now()
    )
    await NoticeDelivery.filter(outbox_id=row.id).update(status="sending")
    clock.advance(timedelta(minutes=5))
    await drainer("proc-b").drain_once()
    assert fake_wecom.duplicates_dropped == 1
    assert reached(fake_wecom) == {"wangfang": 1, "zhangmin": 1}
    assert sum(d.status == "sent" for d in (await deliveries(notice)).values()) == 2


async def test_a_preview_uses_wechats_preview_api(
    town: Town, drainer: OutboxDrainer, fake: FakeWeChat
) -> None:
    await approved_notice(town)  # previewed by its author on the way
    await drain_all(drainer)
    (preview,) = [m for m in fake.sent if m.path == MASS_PREVIEW]
    assert preview.body["touser"] == "o-author" and preview.body["msgtype"] == "text"
    assert "clientmsgid" not in preview.body
    assert not [m for m in fake.sent if m.path == MASS_SEND_TO]  # not yet swept


async def test_cancelled_before_the_drainer_came_nothing_goes(
    town: Town, drainer: OutboxDrainer, fake: FakeWeChat
) -> None:
    await more_residents(town, 4)
    notice = await approved_notice(town, channel="mp_template", kind="template", content=TEMPLATE)
    await sweep()
    await cancel_notice(notice.id, town.approver, NOW)
    await drain_all(drainer)
    assert not reached(fake)  # only the author's preview went out
    rows = await notice_rows(notice)
    assert rows and {r.status for r in rows} == {OutboxStatus.SKIPPED}
    assert (await Notice.get(id=notice.id)).status == NoticeStatus.CANCELLED
