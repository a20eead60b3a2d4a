"""Plaintext mode: a signed URL (timestamp + nonce) carries one message, in every process.

The plain ``signature`` does not cover the body, so within the timestamp tolerance a captured
URL could carry any message. The replay cache (``replay_nonces``) remembers each URL a message
was accepted on, with a digest of that body: the same URL with another body is refused (403,
nothing stored); the same URL with the same bytes is a retry and is answered as one (the
inbound log, by MsgId, answers it without doing the work twice); a retry on a freshly signed URL
is answered as before. Rows older than the tolerance allows are deleted as new ones come in.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.wechat.signing import encrypted_request, message_xml, signed_query
from models import Case, InboundMessage, OutboxMessage, Resident
from models.security import ReplayNonce
from tests.bot.conftest import ClientFactory, reply_content
from tests.bot.wechat.test_mini_endpoint import MINI_TOKEN, Format, mini_body
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN

LAMP = message_xml("o-genuine", "text", {"Content": "政通路240号路灯坏了", "MsgId": 51})
FORGED = message_xml("o-victim", "text", {"Content": "我要撤回我的诉求", "MsgId": 52})


async def post_mp(client: TestClient, query: dict[str, str], body: str) -> tuple[int, str]:
    response = await client.post("/wechat/mp", params=query, data=body.encode())
    return response.status, await response.text()


async def post_mini(
    client: TestClient, query: dict[str, str], body: str, fmt: Format = "json"
) -> tuple[int, str]:
    kind = "application/json" if fmt == "json" else "text/xml"
    response = await client.post(
        "/wechat/mini", params=query, data=body.encode(), headers={"Content-Type": kind}
    )
    return response.status, await response.text()


async def assert_victim_untouched() -> None:
    assert not await InboundMessage.filter(openid="o-victim").exists()
    assert not await Resident.filter(openid="o-victim").exists()
    assert not await OutboxMessage.filter(recipient="o-victim").exists()


# The official account


async def test_a_used_url_with_another_body_is_refused(client: TestClient) -> None:
    query = signed_query(TEST_TOKEN)
    assert (await post_mp(client, query, LAMP))[0] == 200
    status, text = await post_mp(client, query, FORGED)
    assert status == 403 and "already" in text, text
    await assert_victim_untouched()
    assert await Case.all().count() == 1


async def test_the_same_delivery_on_the_same_url_is_answered_as_a_retry(
    client: TestClient,
) -> None:
    """If WeChat retries on the URL it first used, the retry is answered, not refused."""
    query = signed_query(TEST_TOKEN)
    answers = [await post_mp(client, query, LAMP) for _ in range(3)]
    assert {status for status, _ in answers} == {200}
    assert len({reply_content(text) for _, text in answers}) == 1
    case = await Case.get()
    assert case.number in reply_content(answers[0][1])
    assert await InboundMessage.all().count() == 1


async def test_a_retry_on_a_freshly_signed_url_is_answered_too(client: TestClient) -> None:
    first = await post_mp(client, signed_query(TEST_TOKEN), LAMP)
    again = await post_mp(client, signed_query(TEST_TOKEN), LAMP)
    assert first[0] == again[0] == 200
    assert reply_content(first[1]) == reply_content(again[1])
    assert await Case.all().count() == 1


async def test_deliveries_on_one_url_at_once_let_one_body_in(client: TestClient) -> None:
    query = signed_query(TEST_TOKEN)
    bodies = [LAMP, FORGED] * 3
    answers = await asyncio.gather(*(post_mp(client, query, body) for body in bodies))
    accepted = {body for body, (status, _) in zip(bodies, answers, strict=True) if status == 200}
    refused = {status for status, _ in answers if status != 200}
    assert len(accepted) == 1 and refused <= {403}
    assert await InboundMessage.all().count() == 1


async def test_the_cache_holds_across_processes(make_client: ClientFactory) -> None:
    """Two app instances on one database: what one accepted, the other refuses."""
    first = await make_client()
    second = await make_client(demo=False)
    query = signed_query(TEST_TOKEN)
    assert (await post_mp(first, query, LAMP))[0] == 200
    status, text = await post_mp(second, query, FORGED)
    assert status == 403, text
    await assert_victim_untouched()


async def test_refused_requests_write_no_nonce(client: TestClient) -> None:
    """Only a verified delivery is remembered: nobody can fill the table without the token."""
    assert (await post_mp(client, signed_query("not-the-token"), LAMP))[0] == 403
    old = signed_query(TEST_TOKEN, timestamp=1_000_000_000)
    assert (await post_mp(client, old, LAMP))[0] == 403
    assert (await post_mp(client, signed_query(TEST_TOKEN), "<xml>"))[0] == 400
    assert await ReplayNonce.all().count() == 0


async def test_a_long_nonce_is_refused(client: TestClient) -> None:
    status, text = await post_mp(client, signed_query(TEST_TOKEN, nonce="7" * 65), LAMP)
    assert status == 400 and "nonce" in text
    assert await InboundMessage.all().count() == 0


async def test_old_nonces_are_purged(client: TestClient) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    await ReplayNonce.create(channel="mp", timestamp=1, nonce="old", seen_at=long_ago)
    recent = datetime.now(UTC) - timedelta(seconds=30)
    await ReplayNonce.create(channel="mp", timestamp=2, nonce="recent", seen_at=recent)
    assert (await post_mp(client, signed_query(TEST_TOKEN), LAMP))[0] == 200
    nonces = set(await ReplayNonce.all().values_list("nonce", flat=True))
    assert "old" not in nonces and "recent" in nonces
    assert len(nonces) == 3  # the recent one, and the URL and body of this delivery


async def test_safe_mode_needs_no_cache(make_client: ClientFactory) -> None:
    """msg_signature covers the ciphertext: a repeat can only be the same message."""
    client = await make_client(mp_aes_key=TEST_AES_KEY)
    query, body = encrypted_request(TEST_TOKEN, TEST_AES_KEY, TEST_APPID, LAMP)
    assert (await post_mp(client, query, body))[0] == 200
    assert (await post_mp(client, query, body))[0] == 200
    assert await ReplayNonce.all().count() == 0
    assert await Case.all().count() == 1


# The mini-program


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_mini_used_url_with_another_body_is_refused(
    make_client: ClientFactory, fmt: Format
) -> None:
    client = await make_client(mini_token=MINI_TOKEN)
    query = signed_query(MINI_TOKEN)
    genuine = mini_body(fmt, "o-genuine", "text", {"Content": "政通路路灯坏了", "MsgId": 53})
    forged = mini_body(fmt, "o-victim", "text", {"Content": "我要撤回我的诉求", "MsgId": 54})
    assert await post_mini(client, query, genuine, fmt) == (200, "success")
    assert await post_mini(client, query, genuine, fmt) == (200, "success")  # a retry
    status, text = await post_mini(client, query, forged, fmt)
    assert status == 403, text
    await assert_victim_untouched()
    assert await InboundMessage.all().count() == 1


async def test_mini_and_official_account_urls_are_separate(make_client: ClientFactory) -> None:
    """The same timestamp and nonce on the other callback is another URL (another token)."""
    client = await make_client(mini_token=MINI_TOKEN)
    mp_query = signed_query(TEST_TOKEN, nonce="1514711492")
    mini_query = signed_query(MINI_TOKEN, timestamp=int(mp_query["timestamp"]), nonce="1514711492")
    assert (await post_mp(client, mp_query, LAMP))[0] == 200
    body = mini_body("json", "o-mini", "text", {"Content": "开鲁新村垃圾满了", "MsgId": 55})
    assert await post_mini(client, mini_query, body) == (200, "success")
