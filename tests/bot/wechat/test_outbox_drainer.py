"""The outbox drainer, end to end: rows in the database, messages at the fake WeChat server."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot.wechat import outbox_drainer, outbox_pacing
from bot.wechat.client import AccessTokenStore, WeChatClient
from bot.wechat.outbox_drainer import OutboxDrainer
from bot.wechat.outbox_pacing import TokenBucket, retry_delay
from bot.wechat.wecom_client import WeComClient
from config.settings import Settings
from handlers.clock import ManualClock
from handlers.outbox import enqueue
from models import OutboxMessage, OutboxStatus, Worker
from tests.bot.wechat import test_client as shared
from tests.bot.wechat.test_client import closed_port, outbound_settings
from tests.bot.wechat.test_wecom_client import wecom_settings
from tests.fake_wechat import CUSTOM_SEND, SUBSCRIBE_SEND, FakeWeChat
from tests.fake_wecom import MESSAGE_SEND, FakeWeCom

# The fixtures live with the client tests until they move to tests/conftest.py.
outbound_db = shared.outbound_db
fake = shared.fake
wechat_base = shared.wechat_base
settings = shared.settings
clock = shared.clock
session = shared.session


def text(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def make_drainer(
    session: aiohttp.ClientSession, settings: Settings, clock: ManualClock, owner: str
) -> OutboxDrainer:
    client = WeChatClient(session, settings, AccessTokenStore(clock, owner))
    return OutboxDrainer(client, settings, clock, owner)


@pytest.fixture
def drainer(
    session: aiohttp.ClientSession, settings: Settings, clock: ManualClock
) -> OutboxDrainer:
    return make_drainer(session, settings, clock, "proc-a")


async def queue_custom(clock: ManualClock, count: int, prefix: str = "o") -> list[OutboxMessage]:
    return [
        await enqueue("mp_custom", f"{prefix}-{i}", text(f"第{i}条回复"), clock.now())
        for i in range(count)
    ]


async def test_sends_pending_messages_and_marks_them_sent(
    drainer: OutboxDrainer, clock: ManualClock, fake: FakeWeChat
) -> None:
    rows = await queue_custom(clock, 3)

    assert await drainer.drain_once() == 3

    assert sorted(m.body["touser"] for m in fake.sent) == ["o-0", "o-1", "o-2"]
    assert fake.messages_to("o-1") == [{"touser": "o-1", **text("第1条回复")}]
    for row in rows:
        await row.refresh_from_db()
        assert row.status == OutboxStatus.SENT
        assert row.sent_at == clock.now() and row.attempts == 1
        assert row.response == {"errcode": 0, "errmsg": "ok"}
        assert row.claimed_by is not None and row.claimed_by.startswith("proc-a#")
    assert await drainer.drain_once() == 0
    assert len(fake.sent) == 3


async def test_each_channel_reaches_its_api(
    drainer: OutboxDrainer, clock: ManualClock, fake: FakeWeChat
) -> None:
    now = clock.now()
    await enqueue("mp_template", "o-1", {"template_id": "T", "data": {}}, now)
    await enqueue("mp_subscribe", "o-2", {"template_id": "S", "data": {}}, now)
    await enqueue("mp_mass", "tag:all", {"filter": {"is_to_all": True}, **text("停水通知")}, now)

    assert await drainer.drain_once() == 3

    assert sorted(m.path for m in fake.sent) == [
        "/cgi-bin/message/mass/sendall",
        "/cgi-bin/message/subscribe/bizsend",
        "/cgi-bin/message/template/send",
    ]
    template = await OutboxMessage.get(channel="mp_template")
    assert template.status == OutboxStatus.SENT and template.response is not None
    assert "msgid" in template.response


@pytest.mark.parametrize("failure", ["errcode", "http"])
async def test_retryable_error_backs_off_then_sends(
    drainer: OutboxDrainer, clock: ManualClock, fake: FakeWeChat, failure: str
) -> None:
    (row,) = await queue_custom(clock, 1)
    if failure == "errcode":
        fake.fail_next(CUSTOM_SEND, -1, "system error")
    else:
        fake.fail_http_next(CUSTOM_SEND, 429)  # refused as it came: surely not delivered

    assert await drainer.drain_once() == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at > clock.now()
    assert row.claimed_until is None
    assert ("errcode -1" if failure == "errcode" else "HTTP 429") in row.last_error

    assert await drainer.drain_once() == 0  # not due yet
    clock.advance(timedelta(hours=1, seconds=1))
    assert await drainer.drain_once() == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2 and row.last_error == ""
    assert len(fake.messages_to("o-0")) == 1


async def test_permanent_error_fails_at_once(
    drainer: OutboxDrainer, clock: ManualClock, fake: FakeWeChat
) -> None:
    (row,) = await queue_custom(clock, 1)
    fake.fail_next(CUSTOM_SEND, 43004, "require subscribe")

    await drainer.drain_once()

    await row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert "43004" in row.last_error and "unfollowed" in row.last_error
    clock.advance(timedelta(days=1))
    assert await drainer.drain_once() == 0


async def test_gives_up_after_max_attempts(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    clock: ManualClock,
    fake: FakeWeChat,
) -> None:
    settings = outbound_settings(outbound_db, wechat_base, outbox_max_attempts=3)
    drainer = make_drainer(session, settings, clock, "proc-a")
    (row,) = await queue_custom(clock, 1)
    fake.fail_next(CUSTOM_SEND, 45009, "reach max api daily quota limit", times=3)

    for _ in range(3):
        assert await drainer.drain_once() == 1
        clock.advance(timedelta(hours=2))

    await row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and row.attempts == 3
    assert "gave up after 3 attempts" in row.last_error and "45009" in row.last_error
    assert fake.sent == []


async def test_two_drainers_never_send_a_row_twice(
    session: aiohttp.ClientSession, settings: Settings, clock: ManualClock, fake: FakeWeChat
) -> None:
    await queue_custom(clock, 200)
    first = make_drainer(session, settings, clock, "proc-a")
    second = make_drainer(session, settings, clock, "proc-b")
    fake.delay = 0.001  # let the two interleave on the wire

    handled = Counter[str]()
    while True:
        a, b = await asyncio.gather(first.drain_once(limit=30), second.drain_once(limit=30))
        handled.update({"a": a, "b": b})
        if a == b == 0:
            break

    per_recipient = Counter(m.body["touser"] for m in fake.sent)
    assert len(per_recipient) == 200 and set(per_recipient.values()) == {1}
    assert handled["a"] + handled["b"] == 200
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 200
    assert fake.token_requests == 1


async def test_abandoned_claim_is_taken_over_once(
    drainer: OutboxDrainer, clock: ManualClock, fake: FakeWeChat
) -> None:
    crashed, busy = await queue_custom(clock, 2)
    minute = timedelta(minutes=1)
    await OutboxMessage.filter(id=crashed.id).update(
        status=OutboxStatus.SENDING, claimed_by="dead#1", claimed_until=clock.now() - minute
    )
    await OutboxMessage.filter(id=busy.id).update(
        status=OutboxStatus.SENDING, claimed_by="alive#1", claimed_until=clock.now() + minute
    )

    assert await drainer.drain_once() == 1
    assert await drainer.drain_once() == 0

    assert [m.body["touser"] for m in fake.sent] == ["o-0"]
    await crashed.refresh_from_db()
    await busy.refresh_from_db()
    assert crashed.status == OutboxStatus.SENT
    assert busy.status == OutboxStatus.SENDING and busy.claimed_by == "alive#1"


async def test_result_is_not_recorded_over_another_claim(
    drainer: OutboxDrainer,
    clock: ManualClock,
    fake: FakeWeChat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (row,) = await queue_custom(clock, 1)
    send = drainer._send

    async def send_then_lose_claim(claimed: OutboxMessage) -> dict[str, Any]:
        await OutboxMessage.filter(id=claimed.id).update(claimed_by="other#1")
        return await send(claimed)

    monkeypatch.setattr(drainer, "_send", send_then_lose_claim)
    await drainer.drain_once()

    await row.refresh_from_db()
    assert row.status == OutboxStatus.SENDING and row.claimed_by == "other#1"


async def test_claim_is_renewed_for_rows_that_waited(
    drainer: OutboxDrainer,
    clock: ManualClock,
    fake: FakeWeChat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = await queue_custom(clock, 2)
    monkeypatch.setattr(outbox_drainer, "SEND_CONCURRENCY", 1)
    send = drainer._send

    claim_seen_at_send = []

    async def slow_send(claimed: OutboxMessage) -> dict[str, Any]:
        if claimed.id == first.id:
            clock.advance(timedelta(seconds=45))  # 15 s of the 60 s claim left for the second
        else:
            stored = await OutboxMessage.get(id=claimed.id)
            claim_seen_at_send.append(stored.claimed_until)
        return await send(claimed)

    monkeypatch.setattr(drainer, "_send", slow_send)
    assert await drainer.drain_once() == 2

    assert claim_seen_at_send == [clock.now() + timedelta(seconds=60)]
    await second.refresh_from_db()
    assert second.status == OutboxStatus.SENT
    assert len(fake.sent) == 2


@pytest.mark.parametrize("mode", ["sandbox setting", "no client"])
async def test_sandbox_sends_nothing_and_marks_sent(
    outbound_db: str,
    wechat_base: str,
    clock: ManualClock,
    fake: FakeWeChat,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    if mode == "sandbox setting":
        settings = outbound_settings(outbound_db, wechat_base, outbound_mode="sandbox")
        drainer = make_drainer(session, settings, clock, "proc-a")
    else:
        drainer = OutboxDrainer(None, outbound_settings(outbound_db, wechat_base), clock, "p")
    (row,) = await queue_custom(clock, 1)
    await enqueue("work_app", "worker-7", text("新工单"), clock.now())

    with caplog.at_level(logging.INFO, logger="bot.wechat.outbox_drainer"):
        assert await drainer.drain_once() == 2

    assert fake.sent == [] and fake.token_requests == 0
    await row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.response == {"sandbox": True}
    assert "o-0" in caplog.text and "第0条回复" in caplog.text
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 2


async def test_unknown_and_unready_channels_fail_clearly(
    drainer: OutboxDrainer, clock: ManualClock, fake: FakeWeChat
) -> None:
    unknown = await enqueue("sms", "13800000000", text("x"), clock.now())
    wecom = await enqueue("work_app", "worker-7", text("新工单"), clock.now())

    assert await drainer.drain_once() == 2

    await unknown.refresh_from_db()
    await wecom.refresh_from_db()
    assert unknown.status == OutboxStatus.FAILED and "unknown outbox channel 'sms'" in (
        unknown.last_error
    )
    assert wecom.status == OutboxStatus.FAILED
    assert wecom.last_error == outbox_drainer.WORK_APP_NOT_CONFIGURED
    assert fake.sent == []


async def test_run_keeps_going_after_errors_and_stops_on_request(
    outbound_db: str,
    wechat_base: str,
    clock: ManualClock,
    fake: FakeWeChat,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = outbound_settings(outbound_db, wechat_base, outbox_poll_seconds=0.02)
    drainer = make_drainer(session, settings, clock, "proc-a")
    await queue_custom(clock, 2)
    drain_once = drainer.drain_once
    calls = Counter[str]()

    async def flaky_drain(limit: int | None = None) -> int:
        calls["drain"] += 1
        if calls["drain"] == 1:
            raise RuntimeError("database went away")
        return await drain_once(limit)

    monkeypatch.setattr(drainer, "drain_once", flaky_drain)
    stop = asyncio.Event()
    task = asyncio.create_task(drainer.run(stop))
    for _ in range(200):
        if len(fake.sent) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=2)

    assert len(fake.sent) == 2 and calls["drain"] >= 2
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 2


# Failure modes, one by one


@pytest.mark.parametrize(
    ("errcode", "hint"),
    [
        (43004, "unfollowed"),
        (40003, "openid does not belong"),
        (43101, "not accepted this subscription"),
    ],
)
async def test_permanent_errors_end_the_delivery_with_a_hint(
    drainer: OutboxDrainer, clock: ManualClock, fake: FakeWeChat, errcode: int, hint: str
) -> None:
    row = await enqueue("mp_subscribe", "o-1", {"template_id": "S", "data": {}}, clock.now())
    fake.fail_next(SUBSCRIBE_SEND, errcode)

    assert await drainer.drain_once() == 1

    await row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert f"errcode {errcode}" in row.last_error and hint in row.last_error
    clock.advance(timedelta(days=1))
    assert await drainer.drain_once() == 0
    assert fake.requests.count(SUBSCRIBE_SEND) == 1


@pytest.mark.parametrize("failure", ["-1", "45009", "http 429", "token timeout"])
async def test_transient_failures_come_back_after_a_jittered_backoff(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    clock: ManualClock,
    fake: FakeWeChat,
    failure: str,
) -> None:
    settings = outbound_settings(outbound_db, wechat_base, http_timeout_seconds=0.3)
    drainer = make_drainer(session, settings, clock, "proc-a")
    if failure != "token timeout":
        await drainer._client.send_custom_message("o-warm", text("先取令牌"))  # type: ignore[union-attr]
    (row,) = await queue_custom(clock, 1)
    if failure == "http 429":
        fake.fail_http_next(CUSTOM_SEND, 429)
    elif failure == "token timeout":
        fake.delay = 0.6  # the token request gets no answer: the message never left
    else:
        fake.fail_next(CUSTOM_SEND, int(failure))

    assert await drainer.drain_once() == 1
    fake.delay = 0.0

    await row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    wait = (row.next_attempt_at - clock.now()).total_seconds()
    base = outbox_pacing.BACKOFF_BASE_SECONDS
    assert base / 2 <= wait <= base  # first retry: half to all of the base, never at once
    clock.advance(timedelta(seconds=base + 1))
    assert await drainer.drain_once() == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2


def test_backoff_grows_is_capped_and_is_jittered() -> None:
    rng = random.Random(7)
    base, cap = outbox_pacing.BACKOFF_BASE_SECONDS, outbox_pacing.BACKOFF_CAP_SECONDS
    for attempts in range(1, 15):
        ceiling = min(cap, base * 2 ** (attempts - 1))
        delays = {retry_delay(attempts, rng).total_seconds() for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: a burst of failures does not retry in lockstep


async def test_token_bucket_paces_acquisitions() -> None:
    bucket = TokenBucket(rate=50, burst=5)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(*(bucket.acquire() for _ in range(15)))
    elapsed = loop.time() - start
    assert elapsed >= 10 / 50 * 0.9  # the burst of 5 at once, then 10 at 50 a second


async def test_sends_are_rate_limited_per_account(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    clock: ManualClock,
    fake: FakeWeChat,
) -> None:
    settings = outbound_settings(outbound_db, wechat_base, outbound_rate_per_second=40)
    drainer = make_drainer(session, settings, clock, "proc-a")
    await queue_custom(clock, 60)
    loop = asyncio.get_running_loop()
    start = loop.time()

    assert await drainer.drain_once() == 60

    assert loop.time() - start >= 20 / 40 * 0.9  # 40 at once, 20 more at 40 a second
    assert len(fake.sent) == 60
    assert set(drainer._buckets) == {"mp"}
    assert drainer.bucket("work") is not drainer.bucket("mp")


# The WeCom app (channel work_app)


@pytest.fixture
def fake_wecom() -> FakeWeCom:
    return FakeWeCom(users={"wangfang", "liqiang"})


@pytest.fixture
async def wecom_base(fake_wecom: FakeWeCom) -> AsyncIterator[str]:
    async with fake_wecom.running() as url:
        yield url


def wecom_drainer(
    session: aiohttp.ClientSession, database_url: str, wecom_base: str, clock: ManualClock
) -> OutboxDrainer:
    settings = wecom_settings(database_url, wecom_base)
    tokens = AccessTokenStore(clock, "proc-a")
    return OutboxDrainer(
        None, settings, clock, "proc-a", wecom=WeComClient(session, settings, tokens)
    )


async def test_work_app_rows_reach_wecom(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wecom_base: str,
    clock: ManualClock,
    fake_wecom: FakeWeCom,
) -> None:
    drainer = wecom_drainer(session, outbound_db, wecom_base, clock)
    now = clock.now()
    card = {
        "msgtype": "template_card",
        "template_card": {"card_type": "button_interaction", "task_id": "2603100001-0"},
    }
    await enqueue("work_app", "wangfang", text("新工单"), now)
    sent_card = await enqueue("work_app", "liqiang", card, now)
    code = fake_wecom.new_response_code()
    update = {"kind": "update_card", "response_code": code, "button": {"replace_name": "已签收"}}
    await enqueue("work_app", "liqiang", update, now)

    assert await drainer.drain_once() == 3

    # App messages ask for WeCom's duplicate check: a resend after an unclear attempt is
    # dropped if the first arrived. Card updates have no such check.
    checked = {"enable_duplicate_check": 1, "duplicate_check_interval": 4 * 3600}
    assert fake_wecom.messages_to("wangfang") == [
        {"touser": "wangfang", "agentid": 1000002, **text("新工单"), **checked}
    ]
    assert fake_wecom.cards_to("liqiang") == [card["template_card"]]
    assert fake_wecom.card_updates() == [
        {
            "userids": ["liqiang"],
            "agentid": 1000002,
            "response_code": code,
            "button": {"replace_name": "已签收"},
        }
    ]
    await sent_card.refresh_from_db()
    assert sent_card.status == OutboxStatus.SENT and sent_card.response is not None
    assert sent_card.response["response_code"]  # kept: the card can be updated with it
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 3


async def test_work_app_failures_are_classified(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wecom_base: str,
    clock: ManualClock,
    fake_wecom: FakeWeCom,
) -> None:
    drainer = wecom_drainer(session, outbound_db, wecom_base, clock)
    unknown = await enqueue("work_app", "nobody", text("新工单"), clock.now())
    assert await drainer.drain_once() == 1
    await unknown.refresh_from_db()
    assert unknown.status == OutboxStatus.FAILED and unknown.attempts == 1
    assert "81013" in unknown.last_error and "可见范围" in unknown.last_error

    busy = await enqueue("work_app", "wangfang", text("新工单"), clock.now())
    fake_wecom.fail_next(MESSAGE_SEND, -1)
    assert await drainer.drain_once() == 1
    await busy.refresh_from_db()
    assert busy.status == OutboxStatus.PENDING and "errcode -1" in busy.last_error
    clock.advance(timedelta(minutes=1))
    assert await drainer.drain_once() == 1
    await busy.refresh_from_db()
    assert busy.status == OutboxStatus.SENT and busy.attempts == 2
    assert len(fake_wecom.messages_to("wangfang")) == 1


async def test_work_app_without_wecom_fails_saying_what_to_set(
    drainer: OutboxDrainer, clock: ManualClock
) -> None:
    row = await enqueue("work_app", "wangfang", text("新工单"), clock.now())
    await drainer.drain_once()
    await row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and "JIESU_WORK_SECRET" in row.last_error


async def test_a_long_wait_for_the_rate_limit_never_sends_on_a_lapsed_claim(
    drainer: OutboxDrainer,
    clock: ManualClock,
    fake: FakeWeChat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (row,) = await queue_custom(clock, 1)
    bucket = drainer.bucket("mp")

    async def slow_turn() -> None:
        clock.advance(timedelta(minutes=5))  # far beyond the claim

    monkeypatch.setattr(bucket, "acquire", slow_turn)
    assert await drainer.drain_once() == 1

    await row.refresh_from_db()
    assert fake.sent == [] and row.status == OutboxStatus.SENDING  # left to the next claim
    monkeypatch.undo()
    clock.advance(timedelta(seconds=1))
    assert await drainer.drain_once() == 1
    assert len(fake.sent) == 1


# Sends whose outcome is unknown: at most once, unless a repeat is harmless


def slow_settings(database_url: str, base: str, **overrides: Any) -> Settings:
    """A client that gives up after 0.3 s, so a fake answering after 1 s answers too late."""
    return outbound_settings(database_url, base, http_timeout_seconds=0.3, **overrides)


@pytest.mark.parametrize("failure", ["answer after the timeout", "HTTP 500"])
async def test_a_reply_answered_too_late_is_sent_once_and_left_unknown(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    clock: ManualClock,
    fake: FakeWeChat,
    failure: str,
) -> None:
    drainer = make_drainer(session, slow_settings(outbound_db, wechat_base), clock, "proc-a")
    row = await enqueue("mp_custom", "o-1", text("您的诉求已受理"), clock.now(), purpose="reply")
    if failure == "HTTP 500":
        fake.fail_http_next(CUSTOM_SEND, 500)
    else:
        fake.answer_delay = 1.0  # WeChat takes it, then answers after our timeout

    assert await drainer.drain_once() == 1
    fake.answer_delay = 0.0

    await row.refresh_from_db()
    assert row.status == OutboxStatus.UNKNOWN and row.attempts == 1
    assert ("no answer within" if failure != "HTTP 500" else "HTTP 500") in row.last_error
    assert "not sent again" in row.last_error
    for _ in range(3):  # later passes, long after any backoff
        clock.advance(timedelta(hours=2))
        assert await drainer.drain_once() == 0
    assert len(fake.messages_to("o-1")) == (0 if failure == "HTTP 500" else 1)
    assert await OutboxMessage.all().count() == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.UNKNOWN


async def test_a_reply_in_flight_when_its_drainer_died_is_not_sent_again(
    session: aiohttp.ClientSession, settings: Settings, clock: ManualClock, fake: FakeWeChat
) -> None:
    """WeChat took the message; the process died before the answer came (SIGKILL): once its
    claim lapses, the next drainer finds the row was handed over and does not send it again."""
    row = await enqueue("mp_custom", "o-1", text("您的诉求已受理"), clock.now(), purpose="reply")
    dying = make_drainer(session, settings, clock, "proc-dead")
    fake.answer_delay = 5.0
    task = asyncio.create_task(dying.drain_once())
    for _ in range(500):
        if fake.messages_to("o-1"):
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    fake.answer_delay = 0.0
    await row.refresh_from_db()
    assert row.status == OutboxStatus.SENDING and len(fake.messages_to("o-1")) == 1

    clock.advance(timedelta(minutes=5))  # the dead drainer's claim runs out
    survivor = make_drainer(session, settings, clock, "proc-b")
    assert await survivor.drain_once() == 1
    clock.advance(timedelta(hours=2))
    assert await survivor.drain_once() == 0

    assert len(fake.messages_to("o-1")) == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.UNKNOWN and "not sent again" in row.last_error


async def asked_survey(session: aiohttp.ClientSession, settings: Settings) -> tuple[Any, ...]:
    """A finished case whose survey round has just been queued (a menu in the 48-hour window),
    a drainer on a clock at that moment, and the round."""
    from handlers.followup.surveys import sweep_due_surveys
    from models import Survey
    from tests.handlers.followup.test_surveys import NEXT_MORNING, finished_case
    from tests.handlers.workflow.test_actions import context, make_world

    world = await make_world()
    case = await finished_case(world, await context())
    world.resident.last_message_at = NEXT_MORNING - timedelta(hours=2)
    await world.resident.save()
    assert (await sweep_due_surveys(await context(NEXT_MORNING))).asked == 1
    # The resident was told of 办结 earlier: only the survey is left to send.
    await OutboxMessage.exclude(purpose="survey").update(status=OutboxStatus.SENT)
    clock = ManualClock(NEXT_MORNING)
    survey = await Survey.get(case_id=case.id)
    return make_drainer(session, settings, clock, "proc-a"), clock, survey


async def test_a_survey_answered_too_late_is_asked_again_once_after_the_wait(
    session: aiohttp.ClientSession, outbound_db: str, wechat_base: str, fake: FakeWeChat
) -> None:
    """Asking twice is harmless, never asking is not: a survey whose send is unclear goes once
    more after JIESU_OUTBOX_RESEND_WAIT_SECONDS, and never a third time."""
    settings = slow_settings(outbound_db, wechat_base, outbox_resend_wait_seconds=1800)
    drainer, clock, _ = await asked_survey(session, settings)
    fake.answer_delay = 1.0  # every answer comes too late, the resend's too

    assert await drainer.drain_once() == 1
    first = await OutboxMessage.get(purpose="survey", status=OutboxStatus.UNKNOWN)
    assert "no answer within" in first.last_error and "one more copy goes at" in first.last_error
    assert len(fake.messages_to("o-resident")) == 1

    clock.advance(timedelta(minutes=29))
    assert await drainer.drain_once() == 0  # not before the wait
    assert len(fake.messages_to("o-resident")) == 1
    clock.advance(timedelta(minutes=1))
    assert await drainer.drain_once() == 1
    assert len(fake.messages_to("o-resident")) == 2

    for _ in range(3):
        clock.advance(timedelta(hours=3))
        assert await drainer.drain_once() == 0
    fake.answer_delay = 0.0
    assert len(fake.messages_to("o-resident")) == 2
    rows = await OutboxMessage.filter(purpose="survey")
    assert {row.status for row in rows} == {OutboxStatus.UNKNOWN}


async def test_a_survey_answered_during_the_wait_is_not_asked_again(
    session: aiohttp.ClientSession, outbound_db: str, wechat_base: str, fake: FakeWeChat
) -> None:
    from models import Survey, SurveyStatus

    settings = slow_settings(outbound_db, wechat_base, outbox_resend_wait_seconds=1800)
    drainer, clock, survey = await asked_survey(session, settings)
    fake.answer_delay = 1.0
    assert await drainer.drain_once() == 1
    fake.answer_delay = 0.0
    # The resident tapped 满意: the first one arrived after all.
    await Survey.filter(id=survey.id).update(status=SurveyStatus.ANSWERED)

    clock.advance(timedelta(hours=1))
    await drainer.drain_once()
    clock.advance(timedelta(hours=1))
    assert await drainer.drain_once() == 0

    assert len(fake.messages_to("o-resident")) == 1
    statuses = {row.status for row in await OutboxMessage.filter(purpose="survey")}
    assert OutboxStatus.PENDING not in statuses and OutboxStatus.SENDING not in statuses


async def test_a_refused_connection_is_retried_and_sent_once_when_wechat_is_back(
    session: aiohttp.ClientSession, outbound_db: str, clock: ManualClock
) -> None:
    """Nothing left this machine: the row is retried with backoff as before, and sent once."""
    port = closed_port()
    settings = outbound_settings(outbound_db, f"http://127.0.0.1:{port}")
    drainer = make_drainer(session, settings, clock, "proc-a")
    row = await enqueue("mp_custom", "o-1", text("您的诉求已受理"), clock.now(), purpose="reply")

    assert await drainer.drain_once() == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "ClientConnectorError" in row.last_error

    back = FakeWeChat(appid="wxfake", secret="fakesecret")
    async with back.running(port=port):
        clock.advance(timedelta(hours=1))
        assert await drainer.drain_once() == 1
        clock.advance(timedelta(days=1))
        assert await drainer.drain_once() == 0
    await row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2 and row.last_error == ""
    assert back.messages_to("o-1") == [{"touser": "o-1", **text("您的诉求已受理")}]


async def test_a_task_card_answered_too_late_reaches_the_worker_once(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wecom_base: str,
    clock: ManualClock,
    fake_wecom: FakeWeCom,
) -> None:
    """WeCom's duplicate check makes the resend of a card harmless: it is sent again at once
    and WeCom drops it if the first arrived."""
    settings = wecom_settings(outbound_db, wecom_base, http_timeout_seconds=0.3)
    tokens = AccessTokenStore(clock, "proc-a")
    drainer = OutboxDrainer(
        None, settings, clock, "proc-a", wecom=WeComClient(session, settings, tokens)
    )
    await drainer._wecom.send_message("liqiang", text("先取令牌"))  # type: ignore[union-attr]
    card = {
        "msgtype": "template_card",
        "template_card": {"card_type": "button_interaction", "task_id": "2603100001-3"},
    }
    row = await enqueue(
        "work_app", "wangfang", card, clock.now(), purpose="task", dedup_key="task:2603100001:3"
    )
    fake_wecom.answer_delay = 1.0  # WeCom takes the card, then answers after our timeout

    assert await drainer.drain_once() == 1
    fake_wecom.answer_delay = 0.0
    clock.advance(timedelta(minutes=1))
    assert await drainer.drain_once() == 1

    assert len(fake_wecom.cards_to("wangfang")) == 1
    await row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2


async def test_unknown_rows_are_counted_in_the_metrics(
    clock: ManualClock, outbound_db: str
) -> None:
    from bot.ops.metrics import read_snapshot

    row = await enqueue("mini_custom", "o-1", text("x"), clock.now(), purpose="reply")
    await OutboxMessage.filter(id=row.id).update(status=OutboxStatus.UNKNOWN)
    snapshot = await read_snapshot()
    assert snapshot.outbox[("mini_custom", "unknown")] == 1


@pytest.mark.parametrize("signed_meanwhile", [False, True])
async def test_a_task_template_answered_too_late_goes_once_more_while_unsigned(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    clock: ManualClock,
    fake: FakeWeChat,
    signed_meanwhile: bool,
) -> None:
    """Without WeCom a worker's task is an official-account template, which WeChat cannot
    recognise when repeated: it goes once more after the wait only if the case still waits
    for that worker to sign."""
    from models import Case, CaseStatus
    from tests.handlers.workflow.test_actions import make_case, make_world

    world = await make_world()
    await Worker.filter(id=world.grid_worker.id).update(openid="o-worker")
    case = await make_case(world, CaseStatus.DISPATCHED)
    template = {"template_id": "WORKER-TASK", "data": {"keyword1": {"value": case.number}}}
    await enqueue("mp_template", "o-worker", template, clock.now(), purpose="task", case_id=case.id)
    settings = slow_settings(outbound_db, wechat_base, outbox_resend_wait_seconds=600)
    drainer = make_drainer(session, settings, clock, "proc-a")
    fake.answer_delay = 1.0
    assert await drainer.drain_once() == 1
    fake.answer_delay = 0.0
    if signed_meanwhile:
        await Case.filter(id=case.id).update(status=CaseStatus.SIGNED)

    clock.advance(timedelta(minutes=10))
    assert await drainer.drain_once() == 1
    clock.advance(timedelta(hours=2))
    assert await drainer.drain_once() == 0

    assert len(fake.messages_to("o-worker")) == (1 if signed_meanwhile else 2)
    first, again = await OutboxMessage.filter(purpose="task").order_by("id")
    assert first.status == OutboxStatus.UNKNOWN
    assert again.status == (OutboxStatus.SKIPPED if signed_meanwhile else OutboxStatus.SENT)


def test_what_each_message_does_when_its_outcome_is_unclear() -> None:
    """The per-purpose promise (handlers/outbox_unclear.py), row by row."""
    from handlers.outbox_unclear import Unclear, after_unclear

    now = clock_start = shared.START
    margin = timedelta(seconds=40)

    def decide(
        channel: str, purpose: str, payload: dict[str, Any] | None = None, **row: Any
    ) -> Unclear:
        message = OutboxMessage(
            channel=channel, recipient="x", payload=payload or text("x"), purpose=purpose, **row
        )
        return after_unclear(message, clock_start, now, margin)

    keep, later, resend = Unclear.KEEP_UNKNOWN, Unclear.ONCE_LATER, Unclear.RESEND
    assert decide("mp_custom", "reply") is keep
    assert decide("mini_custom", "reply") is keep
    assert decide("mp_template", "case_finished") is keep
    assert decide("mini_subscribe", "case_contacted") is keep
    assert decide("mp_template", "deadline_warning") is keep
    assert decide("mp_mass", "notice_preview", {"msgtype": "text"}) is keep
    assert decide("mp_custom", "survey") is later
    assert decide("mini_subscribe", "survey_reminder") is later
    assert decide("mp_template", "task") is later
    assert decide("mp_custom", "survey", dedup_key="survey:1:ask:again") is keep  # never thrice
    assert decide("mp_mass", "", {"msgtype": "text", "clientmsgid": "k"}) is resend
    assert decide("work_app", "task") is resend  # WeCom's duplicate check
    assert decide("work_app", "digest") is resend
    assert decide("work_app", "task_card", {"kind": "update_card"}) is resend
    assert decide("work_app", "notice_preview") is keep  # previews go without the check
    now = clock_start + timedelta(hours=4)  # past WeCom's window: a repeat could double it
    assert decide("work_app", "task") is keep
