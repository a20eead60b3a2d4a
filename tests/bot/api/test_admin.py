"""Signing in to the admin API: the cookie, its CSRF token, bearer tokens, the audit trail."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from config.settings import Settings
from handlers.staff import accounts
from handlers.staff.accounts import create_user, issue_api_token, session_for
from models import AuditEvent, StaffSession
from tests.bot.conftest import ClientFactory, clear_of_sign_in_window_end
from tests.conftest import TEST_APPID, TEST_TOKEN

PASSWORD = "correct horse battery"


async def signed_in(client: TestClient) -> str:
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    response = await client.post(
        "/api/admin/session", json={"username": "admin", "password": PASSWORD}
    )
    assert response.status == 200, await response.text()
    cookie = response.cookies["jiesu_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    body = await response.json()
    assert body["user"]["role"] == "admin" and "notices.approve" in body["user"]["capabilities"]
    return str(body["csrf_token"])


async def test_sign_in_read_me_and_sign_out_with_csrf(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    csrf = await signed_in(client)
    me = await client.get("/api/admin/me")
    assert me.status == 200 and (await me.json())["user"]["username"] == "admin"
    # An unsafe request with the cookie but without the CSRF token is refused.
    refused = await client.delete("/api/admin/session")
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "csrf"
    wrong = await client.delete("/api/admin/session", headers={"X-CSRF-Token": "nope"})
    assert wrong.status == 403
    out = await client.delete("/api/admin/session", headers={"X-CSRF-Token": csrf})
    assert out.status == 200
    assert (await client.get("/api/admin/me")).status == 401
    actions = [e.action for e in await AuditEvent.all().order_by("id")]
    assert actions == ["session.start", "session.end"]
    start = await AuditEvent.get(action="session.start")
    assert start.username == "admin" and start.ip == "127.0.0.1" and start.via == "dashboard"


async def test_wrong_passwords_say_nothing_about_names(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    answers = []
    for username in ("admin", "nobody"):
        response = await client.post(
            "/api/admin/session", json={"username": username, "password": "wrong wrong"}
        )
        answers.append((response.status, (await response.json())["error"]["message"]))
    assert answers[0] == answers[1] and answers[0][0] == 401
    assert await AuditEvent.filter(action="session.failed").count() == 2
    json_type = {"Content-Type": "application/json"}
    bad = await client.post("/api/admin/session", data=b"{not json", headers=json_type)
    assert bad.status == 400


async def test_machines_use_bearer_tokens_without_csrf(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    user = await create_user("robot", "dispatcher", PASSWORD, datetime.now(UTC))
    token = await issue_api_token(user, datetime.now(UTC), "test")
    me = await client.get("/api/admin/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200 and (await me.json())["via"] == "api"
    nobody = await client.get("/api/admin/me", headers={"Authorization": "Bearer jsa_nope"})
    assert nobody.status == 401 and (await nobody.json())["error"]["code"] == "unauthorized"


# Attacks from outside, each pinned: a sign-in burst, guessing from one address, a foreign page
# signing a browser in, stolen sessions kept alive in numbers.


async def post_sign_in(
    client: TestClient, username: str, password: str, **headers: str
) -> ClientResponse:
    return await client.post(
        "/api/admin/session", json={"username": username, "password": password}, headers=headers
    )


class ThreadNotingHasher:
    """The argon2 hasher, noting which thread each hash or verification ran on."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.threads: list[int] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.threads.append(threading.get_ident())
        result: bool = self.inner.verify(password_hash, password)
        return result

    def hash(self, password: str) -> str:
        self.threads.append(threading.get_ident())
        result: str = self.inner.hash(password)
        return result

    def check_needs_rehash(self, password_hash: str) -> bool:
        result: bool = self.inner.check_needs_rehash(password_hash)
        return result


async def test_a_burst_of_sign_ins_does_not_block_the_event_loop(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 sign-ins at once (known and unknown names, from 20 addresses): no password is hashed
    on the event loop's thread (hashing inside the handler held the loop for 0.4 to 1.4 s), and
    a timer in the same loop keeps ticking all along. How long the loop may stand is no test
    assertion (CI machines are shared and loaded): the thread check is what guards it."""
    client = await make_client(demo=False, trusted_proxies="127.0.0.1", sign_in_queue=20)
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    noting = ThreadNotingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", noting)
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            began = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - began - 0.01)

    async def attempt(i: int) -> int:
        name = "admin" if i % 2 else f"nobody{i}"
        response = await post_sign_in(
            client, name, "wrong wrong wrong", **{"X-Forwarded-For": f"198.51.100.{i + 1}"}
        )
        return response.status

    timer = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    statuses = await asyncio.gather(*(attempt(i) for i in range(20)))
    done.set()
    await timer
    assert statuses == [401] * 20
    assert lags, "the loop's timer never ticked during the burst"
    assert len(noting.threads) >= 20 and threading.get_ident() not in noting.threads


async def test_failures_from_one_address_are_refused_with_429(
    make_client: ClientFactory,
) -> None:
    """Guessing across many account names from one address stops after N failures (429 with
    Retry-After), the right password included; other addresses are not held up."""
    client = await make_client(
        demo=False, sign_in_failures_per_address=3, trusted_proxies="127.0.0.1"
    )
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    await clear_of_sign_in_window_end()
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    for name in ("alice", "bob", "carol"):
        response = await post_sign_in(client, name, "wrong wrong wrong", **attacker)
        assert response.status == 401
    for name, password in (("dave", "wrong wrong wrong"), ("admin", PASSWORD)):
        refused = await post_sign_in(client, name, password, **attacker)
        assert refused.status == 429, await refused.text()
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
        assert (await refused.json())["error"]["code"] == "too_many_attempts"
        assert "jiesu_session" not in refused.cookies
    other = await post_sign_in(client, "admin", PASSWORD, **{"X-Forwarded-For": "203.0.113.8"})
    assert other.status == 200


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    make_client: ClientFactory,
) -> None:
    """Without trusted proxies the peer address counts: a made-up X-Forwarded-For per request
    does not escape the limit."""
    client = await make_client(demo=False, sign_in_failures_per_address=2)
    statuses = []
    for i in range(4):
        response = await post_sign_in(
            client, f"user{i}", "wrong wrong wrong", **{"X-Forwarded-For": f"192.0.2.{i}"}
        )
        statuses.append(response.status)
    assert statuses == [401, 401, 429, 429]


async def test_sign_ins_beyond_the_queue_are_turned_away_at_once(
    make_client: ClientFactory,
) -> None:
    """One hash at a time and one waiting: the rest of a burst hears 503 at once."""
    client = await make_client(
        demo=False, trusted_proxies="127.0.0.1", sign_in_hash_concurrency=1, sign_in_queue=1
    )
    responses = await asyncio.gather(
        *(
            post_sign_in(client, f"user{i}", "wrong wrong", **{"X-Forwarded-For": f"10.9.0.{i}"})
            for i in range(10)
        )
    )
    statuses = [r.status for r in responses]
    assert set(statuses) <= {401, 503} and statuses.count(503) >= 5, statuses
    busy = next(r for r in responses if r.status == 503)
    assert busy.headers["Retry-After"] == "1"
    assert (await busy.json())["error"]["code"] == "busy"


async def test_a_foreign_page_cannot_sign_a_browser_in(make_client: ClientFactory) -> None:
    """The attack: a foreign page posts the attacker's name and password as text/plain (no CORS
    preflight) and the browser would keep the session cookie. Bodies must be JSON (415), and
    unsafe requests naming another origin are refused (403)."""
    client = await make_client(demo=False)
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    body = json.dumps({"username": "admin", "password": PASSWORD})
    evil = "https://evil.example"
    attack = await client.post(
        "/api/admin/session", data=body, headers={"Content-Type": "text/plain", "Origin": evil}
    )
    assert attack.status == 403 and "jiesu_session" not in attack.cookies
    assert (await attack.json())["error"]["code"] == "cross_origin"
    plain = await client.post(
        "/api/admin/session", data=body, headers={"Content-Type": "text/plain"}
    )
    assert plain.status == 415 and "jiesu_session" not in plain.cookies
    assert (await plain.json())["error"]["code"] == "unsupported_media_type"
    for headers in ({"Origin": evil}, {"Referer": f"{evil}/page"}, {"Origin": "null"}):
        refused = await post_sign_in(client, "admin", PASSWORD, **headers)
        assert refused.status == 403 and "jiesu_session" not in refused.cookies, headers
    own = str(client.make_url("")).rstrip("/")
    for headers in ({"Origin": own}, {"Referer": f"{own}/dashboard/login"}, {}):
        response = await post_sign_in(client, "admin", PASSWORD, **headers)
        assert response.status == 200, (headers, await response.text())
    assert await AuditEvent.filter(action="session.start").count() == 3


async def test_admin_endpoints_take_json_bodies_only(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    user = await create_user("robot", "admin", PASSWORD, datetime.now(UTC))
    token = await issue_api_token(user, datetime.now(UTC), "test")
    headers = {"Authorization": f"Bearer {token}"}
    form = await client.post(
        "/api/admin/notices",
        data={"title": "停水通知", "body": "明天停水"},
        headers=headers,
    )
    assert form.status == 415, await form.text()
    empty = await client.post("/api/admin/session", headers={"Content-Type": "text/plain"})
    assert empty.status == 400  # no body at all: nothing to misread, the fields are missing


@pytest.mark.parametrize(("insecure", "secure"), [(False, True), (True, False)])
async def test_the_session_cookie_is_secure_unless_plain_http_is_allowed(
    make_client: ClientFactory, insecure: bool, secure: bool
) -> None:
    client = await make_client(demo=False, insecure_http=insecure)
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    response = await post_sign_in(client, "admin", PASSWORD)
    cookie = response.cookies["jiesu_session"]
    assert bool(cookie["secure"]) is secure and cookie["samesite"] == "Lax"
    assert cookie["httponly"]


def test_a_local_trial_runs_on_plain_http() -> None:
    from bot.cli.main import trial_settings

    given = {
        "database_url": "sqlite://:memory:",
        "mp_token": TEST_TOKEN,
        "mp_appid": TEST_APPID,
        "mp_secret": "testsecret",
    }
    assert Settings(_env_file=None, **given).insecure_http is False  # type: ignore[call-arg]
    trial = trial_settings(Settings(_env_file=None, **given))  # type: ignore[call-arg]
    assert trial.insecure_http is True
    told = Settings(_env_file=None, insecure_http=False, **given)  # type: ignore[call-arg]
    assert trial_settings(told).insecure_http is False  # said so explicitly: kept


async def test_an_account_keeps_only_its_newest_sessions(make_client: ClientFactory) -> None:
    client = await make_client(demo=False, staff_max_sessions=3)
    await create_user("admin", "admin", PASSWORD, datetime.now(UTC))
    tokens = []
    for _ in range(5):
        response = await post_sign_in(client, "admin", PASSWORD)
        assert response.status == 200
        tokens.append(response.cookies["jiesu_session"].value)
    now = datetime.now(UTC)
    alive = [await session_for(token, now) is not None for token in tokens]
    assert alive == [False, False, True, True, True]
    assert await StaffSession.filter(revoked_at=None).count() == 3
