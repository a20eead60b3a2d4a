"""The WeChat client and the shared token store, against the fake WeChat server over real HTTP.

The database fixtures here are self-contained on purpose (one fresh database per test, on
SQLite and on PostgreSQL); test_outbox_drainer imports them. They can move to tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.wechat.client import AccessTokenStore, WeChatApiError, WeChatClient, WeChatUnavailable
from config.settings import Settings
from handlers.clock import ManualClock
from models import AccessToken
from tests.fake_wechat import CUSTOM_SEND, STABLE_TOKEN, FakeWeChat

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
TEXT = {"msgtype": "text", "text": {"content": "您的诉求已受理，编号 2503010001。"}}


@pytest.fixture
async def outbound_db(db: str) -> str:
    """A fresh, migrated database (SQLite and PostgreSQL, from tests/conftest.py), ORM ready."""
    return db


@pytest.fixture
def fake() -> FakeWeChat:
    return FakeWeChat(appid="wxfake", secret="fakesecret")


@pytest.fixture
async def wechat_base(fake: FakeWeChat) -> AsyncIterator[str]:
    async with fake.running() as url:
        yield url


def outbound_settings(database_url: str, wechat_base: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "wechat_api_base": wechat_base,
        "mp_appid": "wxfake",
        "mp_secret": "fakesecret",
        "outbound_mode": "wechat",
        "http_timeout_seconds": 5.0,
        "run_background": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(outbound_db: str, wechat_base: str) -> Settings:
    return outbound_settings(outbound_db, wechat_base)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def client(session: aiohttp.ClientSession, settings: Settings, clock: ManualClock) -> WeChatClient:
    return WeChatClient(session, settings, AccessTokenStore(clock, "proc-a"))


async def test_token_is_fetched_once_and_shared(client: WeChatClient, fake: FakeWeChat) -> None:
    await client.send_custom_message("o-1", TEXT)
    await client.send_custom_message("o-2", TEXT)

    assert fake.token_requests == 1
    assert [m.body["touser"] for m in fake.sent] == ["o-1", "o-2"]
    assert fake.sent[0].access_token == fake.sent[1].access_token
    row = await AccessToken.get(name="mp:wxfake")
    assert row.token == fake.sent[0].access_token
    assert row.lease_until is None and row.expires_at is not None
    assert row.expires_at > START + timedelta(hours=1)


async def test_chinese_arrives_as_raw_utf8(client: WeChatClient, fake: FakeWeChat) -> None:
    # The fake, like WeChat, does not decode \\u escapes: only raw UTF-8 reads correctly.
    await client.send_custom_message("o-1", TEXT)
    assert fake.messages_to("o-1") == [{"touser": "o-1", **TEXT}]


async def test_each_send_method_uses_its_path(client: WeChatClient, fake: FakeWeChat) -> None:
    template = {"template_id": "T1", "url": "https://example.org/c/1", "data": {"k": {"v": "1"}}}
    answer = await client.send_template_message("o-1", template)
    await client.send_subscribe_message("o-1", {"template_id": "S1", "data": {}})
    mass = await client.mass_send({"filter": {"is_to_all": True}, "msgtype": "text", **TEXT})

    assert "msgid" in answer and "msg_id" in mass
    assert [m.path for m in fake.sent] == [
        "/cgi-bin/message/template/send",
        "/cgi-bin/message/subscribe/bizsend",
        "/cgi-bin/message/mass/sendall",
    ]
    assert fake.sent[0].body == {"touser": "o-1", **template}


@pytest.mark.parametrize("how", ["invalid", "expired"])
async def test_rejected_token_is_refreshed_once_and_retried(
    client: WeChatClient, fake: FakeWeChat, how: str
) -> None:
    await client.send_custom_message("o-1", TEXT)
    if how == "invalid":
        fake.invalidate_tokens()  # 40001: someone else refreshed it
    else:
        fake.expire_tokens()  # 42001: expired by WeChat's clock, though ours says fresh

    await client.send_custom_message("o-2", TEXT)

    assert fake.token_requests == 2
    assert [m.body["touser"] for m in fake.sent] == ["o-1", "o-2"]
    row = await AccessToken.get(name="mp:wxfake")
    assert row.token == fake.sent[1].access_token != fake.sent[0].access_token


async def test_token_rejected_twice_gives_up(client: WeChatClient, fake: FakeWeChat) -> None:
    fake.fail_next(CUSTOM_SEND, 40001, times=2)
    with pytest.raises(WeChatApiError) as info:
        await client.send_custom_message("o-1", TEXT)
    assert info.value.errcode == 40001 and info.value.retryable
    assert fake.token_requests == 2 and fake.sent == []


async def test_concurrent_processes_share_one_refresh(
    session: aiohttp.ClientSession, settings: Settings, clock: ManualClock, fake: FakeWeChat
) -> None:
    # Two stores with their own caches and owner ids stand for two processes.
    clients = [
        WeChatClient(session, settings, AccessTokenStore(clock, owner))
        for owner in ("proc-a", "proc-b")
    ]

    async def burst(tag: str) -> None:
        await asyncio.gather(
            *(clients[i % 2].send_custom_message(f"o-{tag}-{i}", TEXT) for i in range(20))
        )

    await burst("first")
    assert fake.token_requests == 1
    assert len(fake.sent) == 20

    fake.invalidate_tokens()
    await burst("second")
    assert fake.token_requests == 2
    assert len(fake.sent) == 40
    assert len({m.access_token for m in fake.sent[20:]}) == 1


async def test_token_is_renewed_before_it_expires(
    client: WeChatClient, fake: FakeWeChat, clock: ManualClock
) -> None:
    await client.send_custom_message("o-1", TEXT)
    clock.advance(timedelta(seconds=7200 - 200))  # inside the 300 s margin

    await client.send_custom_message("o-2", TEXT)
    await client.send_custom_message("o-3", TEXT)

    assert fake.token_requests == 2
    row = await AccessToken.get(name="mp:wxfake")
    assert row.refreshed_at == clock.now()


@pytest.mark.parametrize(
    ("errcode", "retryable"),
    [
        (-1, True),
        (45009, True),
        (45011, True),
        (43004, False),
        (40003, False),
        (43101, False),
        (45015, False),
    ],
)
async def test_api_errors_say_whether_to_retry(
    client: WeChatClient, fake: FakeWeChat, errcode: int, retryable: bool
) -> None:
    fake.fail_next(CUSTOM_SEND, errcode, "from the fake")
    with pytest.raises(WeChatApiError) as info:
        await client.send_custom_message("o-1", TEXT)
    assert info.value.errcode == errcode
    assert info.value.retryable is retryable
    assert str(errcode) in str(info.value) and CUSTOM_SEND in str(info.value)


async def test_http_error_is_retryable(client: WeChatClient, fake: FakeWeChat) -> None:
    fake.fail_http_next(CUSTOM_SEND, 502)
    with pytest.raises(WeChatUnavailable) as info:
        await client.send_custom_message("o-1", TEXT)
    assert info.value.retryable and info.value.status == 502
    assert "HTTP 502" in str(info.value)


async def test_timeout_is_retryable(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    fake: FakeWeChat,
    clock: ManualClock,
) -> None:
    settings = outbound_settings(outbound_db, wechat_base, http_timeout_seconds=0.2)
    client = WeChatClient(session, settings, AccessTokenStore(clock, "proc-a"))
    fake.delay = 0.5
    with pytest.raises(WeChatUnavailable) as info:
        await client.send_custom_message("o-1", TEXT)
    assert info.value.retryable and "JIESU_HTTP_TIMEOUT_SECONDS" in str(info.value)


async def test_wrong_secret_says_what_to_fix_and_frees_the_lease(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    fake: FakeWeChat,
    clock: ManualClock,
) -> None:
    settings = outbound_settings(outbound_db, wechat_base, mp_secret="stale-secret")
    client = WeChatClient(session, settings, AccessTokenStore(clock, "proc-a"))
    with pytest.raises(WeChatApiError) as info:
        await client.send_custom_message("o-1", TEXT)
    assert info.value.errcode == 40125 and info.value.path == STABLE_TOKEN
    assert "JIESU_MP_SECRET" in str(info.value)
    row = await AccessToken.get(name="mp:wxfake")
    assert row.lease_owner is None and row.lease_until is None


async def test_waits_for_the_process_holding_the_lease(
    clock: ManualClock, outbound_db: str
) -> None:
    store = AccessTokenStore(clock, "proc-b", lease_seconds=5)
    until = clock.now() + timedelta(seconds=5)
    await AccessToken.create(name="n", token="", lease_owner="proc-a", lease_until=until)
    fetched: list[str] = []

    async def fetch() -> tuple[str, int]:
        fetched.append("b")
        return "from-b", 7200

    async def other_process_finishes() -> None:
        await asyncio.sleep(0.2)
        await AccessToken.filter(name="n").update(
            token="from-a",
            expires_at=clock.now() + timedelta(hours=2),
            refreshed_at=clock.now(),
            lease_owner=None,
            lease_until=None,
        )

    token, _ = await asyncio.gather(store.get("n", fetch), other_process_finishes())
    assert token == "from-a" and fetched == []


async def test_lease_of_a_crashed_process_runs_out(clock: ManualClock, outbound_db: str) -> None:
    until = clock.now() + timedelta(seconds=1)
    await AccessToken.create(name="n", token="", lease_owner="dead", lease_until=until)

    async def fetch() -> tuple[str, int]:
        return "fresh", 7200

    with pytest.raises(WeChatUnavailable, match="dead"):
        await AccessTokenStore(clock, "proc-b", lease_seconds=0.1).get("n", fetch)
    clock.advance(timedelta(seconds=2))
    assert await AccessTokenStore(clock, "proc-b").get("n", fetch) == "fresh"


async def test_invalid_only_refreshes_if_still_stored(clock: ManualClock, outbound_db: str) -> None:
    calls: list[int] = []

    async def fetch() -> tuple[str, int]:
        calls.append(1)
        return f"token-{len(calls)}", 7200

    first, second = AccessTokenStore(clock, "a"), AccessTokenStore(clock, "b")
    assert await first.get("n", fetch) == "token-1"
    assert await second.get("n", fetch) == "token-1"
    assert await first.get("n", fetch, invalid="token-1") == "token-2"
    # The second process saw token-1 rejected too, but token-2 is already stored.
    assert await second.get("n", fetch, invalid="token-1") == "token-2"
    assert len(calls) == 2


async def test_mass_sends_are_idempotent_by_clientmsgid(
    client: WeChatClient, fake: FakeWeChat
) -> None:
    body = {"msgtype": "text", **TEXT, "clientmsgid": "jiesu-test-1"}
    first = await client.mass_send_to({"touser": ["o-1", "o-2"], **body})
    again = await client.mass_send_to({"touser": ["o-1", "o-2"], **body})
    # WeChat refuses the repeat with 45065 and names the first job: the same send, not a second.
    assert again["errcode"] == 45065 and again["msg_id"] == first["msg_id"]
    assert fake.received == {"o-1": 1, "o-2": 1} and fake.duplicate_mass_sends == 1
    with pytest.raises(WeChatApiError) as lone:
        await client.mass_send_to({"touser": ["o-3"], **body, "clientmsgid": "jiesu-test-2"})
    assert lone.value.errcode == 40130 and not lone.value.retryable
    preview = await client.mass_preview("o-9", {"msgtype": "text", **TEXT})
    assert "msg_id" in preview and fake.received["o-9"] == 1


async def test_a_follower_gets_at_most_the_monthly_quota_of_mass_sends(
    client: WeChatClient, fake: FakeWeChat
) -> None:
    fake.followers = {"o-1", "o-2"}
    for i in range(5):
        await client.mass_send(
            {"filter": {"is_to_all": True}, "msgtype": "text", **TEXT, "clientmsgid": f"all-{i}"}
        )
    assert fake.received == {"o-1": 4, "o-2": 4}
    last = max(fake.jobs.values(), key=lambda job: job.msg_id)
    assert last.total == 2 and last.sent == 0


def closed_port() -> int:
    """A local port nobody listens on: a connection to it is refused before anything is sent."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("failure", "maybe_delivered"),
    [
        ("connection refused", False),
        ("unknown host", False),
        ("token request timed out", False),
        ("HTTP 400", False),
        ("HTTP 502", True),
        ("answer after the timeout", True),
    ],
)
async def test_failures_say_whether_the_message_may_have_arrived(
    session: aiohttp.ClientSession,
    outbound_db: str,
    wechat_base: str,
    fake: FakeWeChat,
    clock: ManualClock,
    failure: str,
    maybe_delivered: bool,
) -> None:
    """The outbox may repeat a send only when the request surely never reached WeChat: no
    connection (refused, DNS), the token request failing before the message left, or a 4xx.
    A 5xx or an answer that came too late leaves it open whether WeChat acted on it."""
    base = {
        "connection refused": f"http://127.0.0.1:{closed_port()}",
        "unknown host": "http://api.jiesu-test.invalid",
    }.get(failure, wechat_base)
    settings = outbound_settings(outbound_db, base, http_timeout_seconds=0.3)
    client = WeChatClient(session, settings, AccessTokenStore(clock, "proc-a"))
    if base == wechat_base and failure != "token request timed out":
        await client.send_custom_message("o-warm", TEXT)  # the token is at hand
    if failure == "token request timed out":
        fake.delay = 0.6
    elif failure == "HTTP 400":
        fake.fail_http_next(CUSTOM_SEND, 400)
    elif failure == "HTTP 502":
        fake.fail_http_next(CUSTOM_SEND, 502)
    elif failure == "answer after the timeout":
        fake.answer_delay = 0.6

    with pytest.raises(WeChatUnavailable) as info:
        await client.send_custom_message("o-1", TEXT)

    assert info.value.retryable
    assert info.value.maybe_delivered is maybe_delivered, str(info.value)
    if failure == "token request timed out":
        assert STABLE_TOKEN in str(info.value)
        await asyncio.sleep(0.4)  # the fake answers the token request to nobody
        assert fake.messages_to("o-1") == []
    if failure == "answer after the timeout":
        assert fake.messages_to("o-1") == [{"touser": "o-1", **TEXT}]
