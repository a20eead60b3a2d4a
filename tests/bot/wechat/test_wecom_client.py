"""The WeCom client against the fake WeCom server over real HTTP: token, sends, card updates,
and each way the API can fail (token rejected or expired, busy, limits, HTTP 5xx, timeout,
unknown worker, untrusted IP, a used response code)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.wechat.client import AccessTokenStore, WeChatApiError, WeChatUnavailable
from bot.wechat.wecom_client import WeComApiError, WeComClient
from config.settings import Settings
from handlers.clock import ManualClock
from models import AccessToken
from tests.fake_wecom import (
    BAD_RESPONSE_CODE,
    GETTOKEN,
    MESSAGE_SEND,
    UPDATE_TEMPLATE_CARD,
    FakeWeCom,
)

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
TEXT = {"msgtype": "text", "text": {"content": "新工单：政通路路灯不亮"}}
CARD = {
    "msgtype": "template_card",
    "template_card": {
        "card_type": "button_interaction",
        "main_title": {"title": "路灯不亮"},
        "task_id": "2603100001-0",
        "button_list": [{"text": "签收", "style": 1, "key": "sign:2603100001"}],
    },
}


def wecom_settings(database_url: str, base: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "work_api_base": base,
        "work_corp_id": "wwfakecorp",
        "work_agent_id": "1000002",
        "work_secret": "fakeworksecret",
        "outbound_mode": "wechat",
        "http_timeout_seconds": 5.0,
        "run_background": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def fake() -> FakeWeCom:
    return FakeWeCom(users={"wangfang", "liqiang"})


@pytest.fixture
async def wecom_base(fake: FakeWeCom) -> AsyncIterator[str]:
    async with fake.running() as url:
        yield url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def make_client(
    session: aiohttp.ClientSession,
    db: str,
    base: str,
    clock: ManualClock,
    owner: str = "proc-a",
    **overrides: Any,
) -> WeComClient:
    return WeComClient(
        session, wecom_settings(db, base, **overrides), AccessTokenStore(clock, owner)
    )


@pytest.fixture
def client(
    session: aiohttp.ClientSession, db: str, wecom_base: str, clock: ManualClock
) -> WeComClient:
    return make_client(session, db, wecom_base, clock)


async def test_sends_text_and_card_with_one_shared_token(
    client: WeComClient, fake: FakeWeCom
) -> None:
    text = await client.send_message("wangfang", TEXT)
    card = await client.send_message("liqiang", CARD)

    assert fake.token_requests == 1
    assert fake.messages_to("wangfang") == [{"touser": "wangfang", "agentid": 1000002, **TEXT}]
    assert fake.cards_to("liqiang") == [CARD["template_card"]]
    assert "response_code" in card and "response_code" not in text
    row = await AccessToken.get(name="wecom:wwfakecorp:1000002")
    assert row.token == fake.sent[0].access_token and row.lease_until is None


async def test_mp_and_wecom_tokens_live_side_by_side(
    client: WeComClient, fake: FakeWeCom, clock: ManualClock
) -> None:
    await AccessToken.create(name="mp:wxfake", token="mp-token")
    await client.send_message("wangfang", TEXT)
    names = sorted(await AccessToken.all().values_list("name", flat=True))
    assert names == ["mp:wxfake", "wecom:wwfakecorp:1000002"]
    assert (await AccessToken.get(name="mp:wxfake")).token == "mp-token"


async def test_card_update_uses_the_response_code_once(
    client: WeComClient, fake: FakeWeCom
) -> None:
    code = fake.new_response_code()
    update = {"response_code": code, "button": {"replace_name": "已签收·王芳 03-10 10:00"}}
    await client.update_template_card("wangfang", update)
    assert fake.card_updates() == [{"userids": ["wangfang"], "agentid": 1000002, **update}]

    with pytest.raises(WeComApiError) as info:
        await client.update_template_card("wangfang", update)
    assert info.value.errcode == BAD_RESPONSE_CODE and not info.value.retryable


@pytest.mark.parametrize("how", ["invalid", "expired"])
async def test_rejected_token_is_fetched_again_once(
    client: WeComClient, fake: FakeWeCom, how: str
) -> None:
    await client.send_message("wangfang", TEXT)
    if how == "invalid":
        fake.invalidate_tokens()  # 40014
    else:
        fake.expire_tokens()  # 42001, though our clock says the token is fresh

    await client.send_message("wangfang", TEXT)

    assert fake.token_requests == 2
    assert len(fake.messages_to("wangfang")) == 2
    assert fake.requests.count(MESSAGE_SEND) == 3  # one rejected, then the repeat
    row = await AccessToken.get(name="wecom:wwfakecorp:1000002")
    assert row.token == fake.sent[1].access_token != fake.sent[0].access_token


async def test_token_rejected_twice_gives_up_retryable(
    client: WeComClient, fake: FakeWeCom
) -> None:
    fake.fail_next(MESSAGE_SEND, 40014, times=2)
    with pytest.raises(WeComApiError) as info:
        await client.send_message("wangfang", TEXT)
    assert info.value.errcode == 40014 and info.value.retryable
    # Fetched again once (WeCom hands back the same, still valid token), then no more tries.
    assert fake.token_requests == 2 and fake.requests.count(MESSAGE_SEND) == 2
    assert fake.sent == []


@pytest.mark.parametrize(
    ("errcode", "retryable", "hint"),
    [
        (-1, True, "busy"),
        (45009, True, "frequency limit"),
        (45033, True, "at once"),
        (60020, False, "企业可信IP"),
        (81013, False, "可见范围"),
        (40003, False, "userid"),
        (60111, False, "userid"),
        (40056, False, "JIESU_WORK_AGENT_ID"),
    ],
)
async def test_api_errors_say_whether_to_retry(
    client: WeComClient, fake: FakeWeCom, errcode: int, retryable: bool, hint: str
) -> None:
    fake.fail_next(MESSAGE_SEND, errcode, "from the fake")
    with pytest.raises(WeComApiError) as info:
        await client.send_message("wangfang", TEXT)
    assert isinstance(info.value, WeChatApiError)  # the drainer handles both families alike
    assert info.value.errcode == errcode and info.value.retryable is retryable
    message = str(info.value)
    assert message.startswith(f"WeCom API {MESSAGE_SEND} returned errcode {errcode}")
    assert hint in message


async def test_unknown_worker_is_a_permanent_error(client: WeComClient, fake: FakeWeCom) -> None:
    with pytest.raises(WeComApiError) as info:
        await client.send_message("nobody", TEXT)
    assert info.value.errcode == 81013 and not info.value.retryable
    assert fake.sent == []


async def test_invaliduser_in_a_successful_answer_is_an_error(
    client: WeComClient, fake: FakeWeCom, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "wangfang"}

    monkeypatch.setattr(client, "call", answer)
    with pytest.raises(WeComApiError, match="invaliduser wangfang") as info:
        await client.send_message("wangfang", TEXT)
    assert info.value.errcode == 81013 and not info.value.retryable


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_http_errors_are_retryable(client: WeComClient, fake: FakeWeCom, status: int) -> None:
    fake.fail_http_next(MESSAGE_SEND, status)
    with pytest.raises(WeChatUnavailable) as info:
        await client.send_message("wangfang", TEXT)
    assert info.value.retryable and info.value.status == status
    assert str(info.value).startswith(f"WeCom API {MESSAGE_SEND} unavailable: HTTP {status}")


async def test_timeout_is_retryable(
    session: aiohttp.ClientSession,
    db: str,
    wecom_base: str,
    fake: FakeWeCom,
    clock: ManualClock,
) -> None:
    client = make_client(session, db, wecom_base, clock, http_timeout_seconds=0.2)
    fake.delay = 0.5
    with pytest.raises(WeChatUnavailable) as info:
        await client.send_message("wangfang", TEXT)
    assert info.value.retryable and "JIESU_HTTP_TIMEOUT_SECONDS" in str(info.value)


async def test_unreachable_server_names_the_setting(
    session: aiohttp.ClientSession, db: str, clock: ManualClock
) -> None:
    client = make_client(session, db, "http://127.0.0.1:9", clock)
    with pytest.raises(WeChatUnavailable) as info:
        await client.send_message("wangfang", TEXT)
    assert info.value.retryable and "JIESU_WORK_API_BASE" in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "errcode", "setting"),
    [
        ({"work_secret": "stale"}, 40001, "JIESU_WORK_SECRET"),
        ({"work_corp_id": "wwother"}, 40013, "JIESU_WORK_CORP_ID"),
    ],
)
async def test_wrong_credentials_say_what_to_fix(
    session: aiohttp.ClientSession,
    db: str,
    wecom_base: str,
    fake: FakeWeCom,
    clock: ManualClock,
    overrides: dict[str, str],
    errcode: int,
    setting: str,
) -> None:
    client = make_client(session, db, wecom_base, clock, **overrides)
    with pytest.raises(WeComApiError) as info:
        await client.send_message("wangfang", TEXT)
    assert info.value.errcode == errcode and info.value.path == GETTOKEN
    assert setting in str(info.value) and not info.value.retryable
    row = await AccessToken.get(name=client.token_name)
    assert row.lease_owner is None and row.lease_until is None


async def test_card_update_failures_are_classified_too(
    client: WeComClient, fake: FakeWeCom
) -> None:
    fake.fail_next(UPDATE_TEMPLATE_CARD, -1)
    with pytest.raises(WeComApiError) as info:
        await client.update_template_card("wangfang", {"response_code": "x", "button": {}})
    assert info.value.retryable and info.value.path == UPDATE_TEMPLATE_CARD
