"""The dashboard in a real headless Chromium (Debian's chromium and chromium-driver).

The app runs on a real port with its background work on (outbox drainer in sandbox mode, the
sweeps), and a person signs in, finds a case by searching, recategorises it, looks at the
pages on a phone-sized window (screenshots under the test's tmp dir; no page may scroll
sideways), then composes a broadcast to a small audience, previews it, submits it, has a second
admin approve it and watches its progress until it is done. A suggestion's way from the chat
to the public page (人民建议征集) is test_browser_suggestions'.

Nothing is fetched from the internet: the browser runs with networking extras off and a fresh
profile. Without chromium/chromedriver the test is skipped locally and fails under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.keys import INTAKE
from bot.wechat.signing import message_xml, signed_query
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import create_user
from models import (
    AuditEvent,
    Case,
    CategoryCorrection,
    Notice,
    NoticeDelivery,
    NoticeStatus,
    Worker,
)
from tests.conftest import TEST_TOKEN, make_settings

PASSWORD = "correct horse battery"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--lang=zh-CN",
)
WAIT_SECONDS = 60
T = TypeVar("T")


def browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (os.path.exists(chromium) and os.path.exists(driver)):
        message = (
            f"the browser test needs Debian's chromium and chromium-driver ({chromium}, {driver});"
            " install them with: apt-get install -y chromium chromium-driver"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the browser test must run)")
        pytest.skip(message)
    return chromium, driver


@pytest.fixture
def chrome(tmp_path: Path) -> Iterator[Any]:
    chromium, driver_path = browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Site:
    base: str


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    settings = make_settings(
        db_url,
        run_background=True,
        serve_sweeps=True,
        broadcast_sweep_seconds=0.3,
        outbox_poll_seconds=0.2,
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    # The district arrives after the start: the intake reads it afresh.
    await load_demo_district()
    app[INTAKE].gazetteer.invalidate()
    app[INTAKE].routing.invalidate()
    for _ in range(100):  # reloaded now, before the first message
        if (await app[INTAKE].context()).routing.grids:
            break
        await asyncio.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


async def say(base: str, openid: str, text: str, msg_id: int) -> str:
    xml = message_xml(openid, "text", {"Content": text, "MsgId": msg_id})
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/wechat/mp", params=signed_query(TEST_TOKEN), data=xml.encode("utf-8")
        ) as response,
    ):
        assert response.status == 200
        return await response.text()


async def in_browser(step: Callable[[], T]) -> T:
    """Selenium blocks: drive it from a thread, so the app keeps serving on this loop."""
    return await asyncio.to_thread(step)


class Person:
    """What a person does in the browser, as small blocking steps."""

    def __init__(self, driver: Any, base: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import Select, WebDriverWait

        self.d = driver
        self.base = base
        self.by = By
        self.ec = ec
        self.select = Select
        self.wait = WebDriverWait(driver, WAIT_SECONDS)

    def until(self, condition: Any, what: str) -> Any:
        """Wait for ``condition``; on timeout say where the browser was and what it showed."""
        from selenium.common.exceptions import TimeoutException

        try:
            return self.wait.until(condition)
        except TimeoutException:
            body = self.d.find_elements(self.by.TAG_NAME, "body")
            shown = body[0].text[:1500] if body else self.d.page_source[:1500]
            raise AssertionError(
                f"waited {WAIT_SECONDS}s for {what} at {self.d.current_url}; the page shows:\n"
                f"{shown}"
            ) from None

    def find(self, css: str) -> Any:
        return self.until(self.ec.presence_of_element_located((self.by.CSS_SELECTOR, css)), css)

    def click(self, css: str) -> None:
        self.until(self.ec.element_to_be_clickable((self.by.CSS_SELECTOR, css)), css).click()

    def reach(self, part: str) -> None:
        self.until(self.ec.url_contains(part), f"a URL with {part!r}")

    def open(self, path: str) -> None:
        self.d.get(self.base + path)

    def text(self) -> str:
        return str(self.find("main").text)

    def sign_in(self, username: str) -> None:
        self.open("/dashboard/cases")  # not signed in: sent to the sign-in page, and back
        assert "/dashboard/login" in self.d.current_url
        self.find("#username").send_keys(username)
        self.find("#password").send_keys(PASSWORD)
        self.click("#login-submit")
        # Signed in once the case list shows: the sign-in page's own URL carries
        # next=/dashboard/cases, so the URL alone would be reached too early.
        self.until(
            lambda d: (
                "/dashboard/login" not in d.current_url and "/dashboard/cases" in d.current_url
            ),
            "the case list after signing in",
        )
        self.find("#logout")

    def sign_out(self) -> None:
        self.click("#logout")
        self.reach("/dashboard/login")

    def compose_notice(self, title: str, grid: str, text: str) -> str:
        """A text mass send to one grid's residents: count, save, preview to oneself, submit.
        Returns the audience counted."""
        self.open("/dashboard/notices/new")
        self.find("#notice-title").send_keys(title)
        self.select(self.find("#audience-kind")).select_by_value("residents")
        self.click(f"input[name=grids][value='{grid}']")
        self.select(self.find("#notice-channel")).select_by_value("mp_mass")
        self.select(self.find("#notice-kind")).select_by_value("text")
        self.find("#notice-text").send_keys(text)
        self.click("#count-audience")
        counted = self.find("#audience-preview [data-audience=to_send]").text
        self.click("#save-notice")
        self.reach("ok=notice_created")
        self.click("#send-preview")
        self.reach("ok=preview_sent")
        self.click("#submit-notice")
        self.reach("ok=notice_submitted")
        self.sign_out()
        return str(counted)

    def approve_and_watch(self, username: str, notice_id: int) -> str:
        """Another admin approves the notice and waits until it is done; returns how many sent."""
        self.sign_in(username)
        self.open(f"/dashboard/notices/{notice_id}")
        self.click("#approve-notice")
        self.reach("ok=notice_approved")
        self.until(
            self.ec.visibility_of_element_located((self.by.ID, "progress-finished")),
            "the notice to finish",
        )
        return str(self.find("#progress-sent").text)

    def search(self, words: str) -> list[str]:
        box = self.find("#q")
        box.clear()
        box.send_keys(words)
        self.click("#search")
        self.reach("q=")
        links = self.d.find_elements(self.by.CSS_SELECTOR, "#case-table a.case-link")
        return [str(link.text) for link in links]

    def no_sideways_scroll(self) -> None:
        wide = self.d.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert wide <= 1, f"{self.d.current_url} scrolls {wide}px sideways on a phone"


async def test_sign_in_find_recategorise_and_broadcast(
    chrome: Any, site: Site, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    author_worker = await Worker.create(name="张主任", openid="o-author-preview")
    await create_user(
        "author", "admin", PASSWORD, now, display_name="张主任", worker_id=author_worker.id
    )
    await create_user("checker", "admin", PASSWORD, now, display_name="李科长")
    reports = (
        ("o-lamp", "政通路路灯坏了，晚上很黑，电话13812345678"),
        ("o-cover", "国权北路井盖缺了一块，很危险"),
        ("o-water", "市光一村停水了，已经两天"),
    )
    for n, (openid, text) in enumerate(reports):
        await say(site.base, openid, text, 8_100_000 + n)
    lamp = await Case.get(text__contains="路灯")
    target = "城乡建设/物业管理" if lamp.category != "城乡建设/物业管理" else "城乡建设/市政设施"
    person = Person(chrome, site.base)

    # Sign in, find the case by a word of it, open it, recategorise it.
    await in_browser(lambda: person.sign_in("author"))
    found = await in_browser(lambda: person.search("路灯"))
    assert found == [lamp.number]

    def recategorise() -> str:
        person.click(f"a[href='/dashboard/cases/{lamp.number}']")
        person.find("#recategorise-form")
        assert "13812345678" not in person.text() and "138****5678" in person.text()
        sent = person.find("#deliveries").text  # what went out about the case (the task)
        assert "消息送达" in sent and "派单任务" in sent, sent
        person.select(person.find("#recategorise-category")).select_by_value(target)
        person.find("#recategorise-reason").send_keys("小区内路灯由物业维护")
        person.click("#recategorise-submit")
        person.reach("ok=recategorised")
        return str(person.find("#case-category").text)

    assert await in_browser(recategorise) == target
    fresh = await Case.get(id=lamp.id)
    assert fresh.category == target
    correction = await CategoryCorrection.get(case_id=lamp.id)
    assert correction.new_category == target and correction.text == lamp.text
    assert correction.corrected_by == "staff:author"
    entry = await AuditEvent.get(action="case.recategorise", target_id=lamp.number)
    assert entry.username == "author" and entry.via == "dashboard" and entry.detail["to"] == target

    # On a phone: the pages fit the width; screenshots to look at.
    def phone_screenshots() -> list[Path]:
        chrome.set_window_size(390, 844)
        shots = []
        for name, path in (
            ("case", f"/dashboard/cases/{lamp.number}"),
            ("cases", "/dashboard/cases"),
            ("overview", "/dashboard/"),
        ):
            person.open(path)
            person.find("main")
            person.no_sideways_scroll()
            shot = tmp_path / f"phone-{name}.png"
            chrome.save_screenshot(str(shot))
            shots.append(shot)
        chrome.set_window_size(1280, 900)
        return shots

    for shot in await in_browser(phone_screenshots):
        assert shot.stat().st_size > 10_000

    # A broadcast to the residents of one grid: compose, count, preview, submit.
    def compose() -> str:
        title, text = "国权路片区停水通知", "3月12日9:00-17:00国权路片区停水，请提前储水。"
        return person.compose_notice(title, "WJC-01", text)

    assert await in_browser(compose) == "2"
    notice = await Notice.get(title="国权路片区停水通知")
    assert notice.status == NoticeStatus.AWAITING_APPROVAL and notice.created_by == "author"

    # A second admin approves and watches it go out.
    assert await in_browser(lambda: person.approve_and_watch("checker", notice.id)) == "2"
    notice = await Notice.get(id=notice.id)
    assert notice.status == NoticeStatus.DONE and notice.approved_by == "checker"
    deliveries = await NoticeDelivery.filter(notice_id=notice.id)
    assert [d.status for d in deliveries] == ["sent", "sent"]
    actions = [e.action for e in await AuditEvent.filter(target_type="notice").order_by("id")]
    assert actions == ["notice.create", "notice.preview", "notice.submit", "notice.approve"]

    # No script errors and nothing the page's content security policy had to refuse.
    console = await in_browser(lambda: chrome.get_log("browser"))
    problems = [e["message"] for e in console if e.get("level") == "SEVERE"]
    assert not problems, problems
