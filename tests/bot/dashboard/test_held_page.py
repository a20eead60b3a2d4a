"""The held messages page: each reason shows with its words, urgent ones first, release makes a
case the page names, discard needs a note, only ``held.decide`` may, CSRF holds, words escaped."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.dashboard import held as held_page
from bot.keys import INTAKE
from handlers.intake.held_messages import hold_chat_message
from handlers.intake.incoming import IncomingMessage
from handlers.staff.accounts import create_user
from models import (
    AuditEvent,
    Case,
    HeldMessage,
    HeldReason,
    HeldStatus,
    OutboxMessage,
    Unit,
    Worker,
)
from models import Resident as ResidentModel
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, Browser, sign_in

PAGE = "/dashboard/held"
LAMP = "政通路100号路灯坏了，晚上很黑，电话13812345678"
GAS = "楼道里煤气味很重，老人一个人在家"
CROWD = "小区门口每天晚上广场舞音乐太吵"


async def held(
    client: TestClient,
    text: str,
    reason: HeldReason,
    *,
    openid: str = "o-held",
    blocked: bool = False,
    nickname: str = "王阿姨",
    **message: Any,
) -> HeldMessage:
    """A chat message held the way the intake holds one."""
    resident, _ = await ResidentModel.get_or_create(
        openid=openid, defaults={"nickname": nickname, "phone": "13900001111"}
    )
    if blocked:
        await ResidentModel.filter(id=resident.id).update(blocked=True, blocked_reason="反复骚扰")
    ctx = await client.app[INTAKE].context()
    msg_type = message.pop("msg_type", "text")
    incoming = IncomingMessage(openid=openid, msg_type=msg_type, content=text, **message)
    return await hold_chat_message(resident, incoming, "mp", ctx, reason=reason)


async def dispatcher(client: TestClient, name: str = "dispatcher1") -> Browser:
    await create_user(name, "dispatcher", PASSWORD, NOW, display_name="派单员")
    browser = await sign_in(client, name)
    status, _ = await browser.get(PAGE)  # the page's own CSRF token
    assert status == 200
    return browser


async def test_each_reason_shows_with_why_and_urgent_first(make_client: ClientFactory) -> None:
    client = await make_client()
    limited = await held(client, LAMP, HeldReason.RATE_LIMITED, openid="o-1")
    checked = await held(client, CROWD, HeldReason.CONTENT_CHECK, openid="o-2")
    blocked = await held(client, GAS, HeldReason.BLOCKED, openid="o-3", blocked=True)
    placed = await held(
        client,
        "",
        HeldReason.RATE_LIMITED,
        openid="o-1",
        msg_type="location",
        lng=121.5,
        lat=31.3,
        label="控江路1000弄12号楼",
    )
    browser = await dispatcher(client)
    status, text = await browser.get(PAGE)
    assert status == 200
    assert 'href="/dashboard/held"' in text  # in the navigation
    for words in (
        "被拉黑的居民",
        "内容安全检测",
        "超过提交次数限制",
        "反复骚扰",
        "控江路1000弄12号楼",
    ):
        assert words in text, words
    assert "13812345678" not in text and "138****5678" in text  # phones masked
    assert "13900001111" not in text and "139****1111" in text
    assert "badge-urgent" in text and "煤气味" in text
    # The urgent one first, then the queue oldest first.
    order = [text.index(f'id="held-{h.id}"') for h in (blocked, limited, checked, placed)]
    assert order == sorted(order)
    assert text.count('class="badge badge-urgent"') == 1

    status, text = await browser.get(f"{PAGE}?reason=rate_limited")
    assert status == 200
    assert f'id="held-{limited.id}"' in text and f'id="held-{placed.id}"' in text
    assert f'id="held-{blocked.id}"' not in text and f'id="held-{checked.id}"' not in text
    status, text = await browser.get(f"{PAGE}?reason=nonsense&status=maybe")
    assert status == 200 and "flash-error" in text
    status, text = await browser.get(f"{PAGE}?status=released")
    assert status == 200 and "没有符合条件的留言" in text


async def test_release_makes_a_case_and_the_page_names_it(make_client: ClientFactory) -> None:
    client = await make_client()
    kept = await held(client, LAMP, HeldReason.RATE_LIMITED)
    browser = await dispatcher(client)
    status, location, _ = await browser.post(
        f"{PAGE}/{kept.id}/release", {"note": "属实", "back_reason": "rate_limited"}
    )
    assert status == 303, location
    assert location.startswith(f"{PAGE}?") and f"done={kept.id}" in location
    assert "reason=rate_limited" in location
    fresh = await HeldMessage.get(id=kept.id)
    assert fresh.status == HeldStatus.RELEASED and fresh.note == "属实"
    assert fresh.decided_by == "dispatcher1" and fresh.case_id is not None
    case = await Case.get(id=fresh.case_id)
    assert "路灯" in case.text
    status, text = await browser.get(location)
    assert status == 200 and case.number in text and "已放行" in text
    assert f'href="/dashboard/cases/{case.number}"' in text
    assert await OutboxMessage.exists(dedup_key=f"held:{kept.id}:released")
    entry = await AuditEvent.get(action="held.release")
    assert entry.target_id == str(kept.id) and entry.detail["reason"] == "rate_limited"
    # Released: no longer in the queue, listed with its case among the released.
    status, text = await browser.get(PAGE)
    assert f'id="held-{kept.id}"' not in text
    status, text = await browser.get(f"{PAGE}?status=released")
    assert f'id="held-{kept.id}"' in text and case.number in text
    # Deciding again is refused, and nothing more happens.
    status, _, text = await browser.post(f"{PAGE}/{kept.id}/discard", {"note": "重复"})
    assert status == 409 and "已被" in text
    assert (await HeldMessage.get(id=kept.id)).status == HeldStatus.RELEASED


async def test_discard_needs_a_note(make_client: ClientFactory) -> None:
    client = await make_client()
    kept = await held(client, CROWD, HeldReason.CONTENT_CHECK)
    browser = await dispatcher(client)
    for note in ("", "   "):
        status, _, text = await browser.post(f"{PAGE}/{kept.id}/discard", {"note": note})
        assert status == 400 and "丢弃须填写备注" in text
    assert (await HeldMessage.get(id=kept.id)).status == HeldStatus.HELD
    status, location, _ = await browser.post(f"{PAGE}/{kept.id}/discard", {"note": "广告"})
    assert status == 303 and f"done={kept.id}" in location
    fresh = await HeldMessage.get(id=kept.id)
    assert fresh.status == HeldStatus.DISCARDED and fresh.note == "广告"
    assert await Case.all().count() == 0
    status, text = await browser.get(location)
    assert status == 200 and "已丢弃" in text
    assert (await AuditEvent.get(action="held.discard")).target_id == str(kept.id)


async def test_only_held_decide_may(make_client: ClientFactory) -> None:
    client = await make_client()
    kept = await held(client, LAMP, HeldReason.BLOCKED, blocked=True)
    unit = await Unit.all().first()
    assert unit is not None
    worker = await Worker.create(name="赵工", unit_id=unit.id)
    await create_user("unit1", "unit", PASSWORD, NOW, unit_id=unit.id)
    await create_user("worker1", "worker", PASSWORD, NOW, worker_id=worker.id)
    await create_user("supervisor1", "supervisor", PASSWORD, NOW)
    for name in ("unit1", "worker1", "supervisor1"):
        browser = await sign_in(client, name)
        status, text = await browser.get(PAGE)
        assert status == 403, name
        assert f'id="held-{kept.id}"' not in text and 'href="/dashboard/held"' not in text
        for action in ("release", "discard"):
            status, _, _ = await browser.post(f"{PAGE}/{kept.id}/{action}", {"note": "x"})
            assert status == 403, (name, action)
        await browser.post("/dashboard/logout", {})
    assert (await HeldMessage.get(id=kept.id)).status == HeldStatus.HELD
    response = await client.get(PAGE, allow_redirects=False)
    assert response.status == 303 and "/dashboard/login" in response.headers["Location"]


async def test_forms_without_csrf_are_refused(make_client: ClientFactory) -> None:
    client = await make_client()
    kept = await held(client, LAMP, HeldReason.RATE_LIMITED)
    browser = await dispatcher(client)
    for action in ("release", "discard"):
        path = f"{PAGE}/{kept.id}/{action}"
        status, _, _ = await browser.post(path, {"note": "x"}, csrf=False)
        assert status == 403, action
        response = await client.post(
            path, data={"note": "x", "csrf_token": "not-the-token"}, allow_redirects=False
        )
        assert response.status == 403, action
    assert (await HeldMessage.get(id=kept.id)).status == HeldStatus.HELD
    assert await Case.all().count() == 0


async def test_hostile_words_and_ids(make_client: ClientFactory) -> None:
    client = await make_client()
    kept = await held(
        client,
        '<script>alert("x")</script> 路灯坏了',
        HeldReason.CONTENT_CHECK,
        nickname='<img src=x onerror="alert(1)">',
    )
    browser = await dispatcher(client)
    status, text = await browser.get(PAGE)
    assert status == 200 and f'id="held-{kept.id}"' in text
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert "<img src=x" not in text and "&lt;img src=x" in text
    for raw in ("x", "²", "1e3", "-1", "99999999", "1" * 30):
        for action in ("release", "discard"):
            status, _, _ = await browser.post(f"{PAGE}/{raw}/{action}", {"note": "x"})
            assert status == 404, (raw, action)
    status, text = await browser.get(f"{PAGE}?page=0")
    assert status == 200 and "flash-error" in text
    status, _, text = await browser.post(
        f"{PAGE}/{kept.id}/release", {"note": "x" * 2001, "back_status": "<b>"}
    )
    assert status == 400 and "备注不能超过" in text and "<b>" not in text
    assert (await HeldMessage.get(id=kept.id)).status == HeldStatus.HELD


async def test_a_long_queue_sorts_the_scanned_part(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the scan, time order; the page says the urgent-first sort stopped there."""
    monkeypatch.setattr(held_page, "QUEUE_SCAN", 2)
    client = await make_client()
    first = await held(client, LAMP, HeldReason.RATE_LIMITED, openid="o-1")
    urgent = await held(client, GAS, HeldReason.BLOCKED, openid="o-2")
    late_urgent = await held(client, GAS, HeldReason.BLOCKED, openid="o-3")
    browser = await dispatcher(client)
    status, text = await browser.get(PAGE)
    assert status == 200 and "只在最早的 2 条中" in text
    order = [text.index(f'id="held-{h.id}"') for h in (urgent, first, late_urgent)]
    assert order == sorted(order)
