"""Where each role lands after signing in, and that every page its navigation offers opens.

The suggestion office (role ``suggestions``) reads no case figures: it lands on its queue, not on
the overview. A department's account that answers suggestions lands on its overview. For each,
every link of the navigation and of the landing page itself opens (200), never a 403 page."""

from __future__ import annotations

import re

import pytest

from handlers.staff.accounts import create_user
from models import Unit, Worker
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.dashboard.test_pages import NOW, PASSWORD, Browser

NAV = re.compile(r'<nav class="nav"[^>]*>(.*?)</nav>', re.S)
SUGGESTION_PAGES = ("/dashboard/suggestion", "/dashboard/stations")
LINK = re.compile(r'href="(/dashboard/[^"#]*)"')


async def landing(browser: Browser, username: str) -> str:
    """Sign in the way the sign-in page does (no page asked for); where it lands."""
    status, _ = await browser.get("/dashboard/login")
    assert status == 200
    status, location, text = await browser.post(
        "/dashboard/login", {"username": username, "password": PASSWORD, "next": ""}
    )
    assert status == 303, text
    return location


@pytest.mark.parametrize(
    ("role", "unit", "lands_on", "nav"),
    [
        (
            "suggestions",
            None,
            "/dashboard/suggestions",
            {"人民建议", "征集活动", "建议指标", "建议联系点", "群发通知", "诉求"},
        ),
        ("unit", "TRAFFIC", "/dashboard/", {"概览", "人民建议", "建议联系点", "诉求"}),
        ("worker", None, "/dashboard/cases", {"诉求"}),
    ],
)
async def test_each_role_lands_on_a_page_it_may_open(
    make_client: ClientFactory, role: str, unit: str | None, lands_on: str, nav: set[str]
) -> None:
    client = await make_client()
    await Resident(client, "o-landing").say("建议在控江路增设一个公交站，方便居民出行")
    unit_id = (await Unit.get(code=unit)).id if unit else None
    worker = await Worker.create(name="陈静") if role == "worker" else None
    worker_id = worker.id if worker else None
    await create_user("someone", role, PASSWORD, NOW, unit_id=unit_id, worker_id=worker_id)
    browser = Browser(client)
    assert await landing(browser, "someone") == lands_on
    status, page = await browser.get(lands_on)
    assert status == 200, page[:1000]
    # The overview (the brand link) sends a role without figures to its own start page.
    response = await client.get("/dashboard/", allow_redirects=False)
    assert response.status in (200, 303)
    if response.status == 303:
        assert response.headers["Location"] == lands_on
    found = NAV.search(page)
    assert found
    labels = set(re.findall(r">([^<>]+)</a>", found.group(1)))
    assert nav <= labels, labels
    links = set(LINK.findall(found.group(1))) | set(LINK.findall(page))
    links.discard("/dashboard/logout")
    assert links
    opened: set[str] = set()
    while links - opened:  # and the links of the suggestion pages they lead to
        path = sorted(links - opened)[0]
        opened.add(path)
        status, text = await browser.get(path.replace("&amp;", "&"))
        assert status == 200, (role, path, text[:800])
        if path.startswith(SUGGESTION_PAGES):
            links |= {link for link in LINK.findall(text) if link.startswith(SUGGESTION_PAGES)}
    links.discard("/dashboard/logout")
    if role != "worker":
        assert "/dashboard/suggestions" in opened
