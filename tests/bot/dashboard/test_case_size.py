"""The case page stays small for a case with many long additions, and what the caps kept out of
a case is one click away: the resident's own messages, from the case page."""

from __future__ import annotations

import re

from models import Case, InboundMessage
from tests.bot.api.test_case_size import ADDITION, ADDITIONS, swell
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.dashboard.test_pages import admin, report

REPORT = "五角场街道国权路小区3号楼楼道里堆满杂物，物业一直不管"


async def test_the_case_page_of_a_swollen_case_stays_small(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", REPORT)
    await swell(case)
    browser = await admin(client)
    path = f"/dashboard/cases/{case.number}"
    status, page = await browser.get(path)
    assert status == 200 and len(page.encode()) < 300_000, len(page.encode())
    assert page.count('class="tl-note') == 50
    assert f"第{ADDITIONS - 1:03d}条" in page  # the latest first
    assert f"第{ADDITIONS - 51:03d}条" not in page
    assert f"{path}?timeline_page=2" in page and f"{path}?full=1" in page
    status, older = await browser.get(f"{path}?timeline_page=2")
    assert status == 200 and f"第{ADDITIONS - 51:03d}条" in older
    status, full = await browser.get(f"{path}?full=1")
    assert status == 200 and ADDITION in full
    status, _ = await browser.get(f"{path}?timeline_page=x")
    assert status == 400


async def test_what_the_caps_kept_out_is_readable_from_the_case(
    make_client: ClientFactory,
) -> None:
    client = await make_client(case_added_max_chars=500)
    resident = Resident(client, "o-2")
    await resident.say(REPORT)
    case = await Case.get()
    await resident.say("补充一：" + "三楼" * 200)
    kept_out = "补充二：" + "四楼也堆满了" * 300
    answer = await resident.say(kept_out)
    assert "上限" in answer
    await case.refresh_from_db()
    assert "四楼也堆满了" not in case.text
    browser = await admin(client)
    status, page = await browser.get(f"/dashboard/cases/{case.number}")
    assert status == 200 and "未并入" in page
    link = f"/dashboard/cases/{case.number}/messages"
    assert link in page
    status, messages = await browser.get(link)
    assert status == 200 and "补充二：四楼也堆满了" in messages
    row = await InboundMessage.filter(case_id=case.id).order_by("-id").first()
    assert row is not None
    found = re.search(rf'href="({re.escape(link)}\?message={row.id})"', messages)
    assert found, messages[:3000]
    status, one = await browser.get(found.group(1))
    assert status == 200 and kept_out in one
    # Someone else's message is not shown under this case.
    other = await Resident(client, "o-3").say("开鲁新村3号楼下水道堵了")
    number = re.search(r"\d{10}", other)
    assert number
    stranger = await InboundMessage.get(openid="o-3")
    status, _ = await browser.get(f"{link}?message={stranger.id}")
    assert status == 404
