"""A suggestion from the chat to the public page, in a real headless Chromium (人民建议征集).

A resident writes a suggestion in the chat. The suggestion office signs in and lands on its
queue, opens the suggestion and adopts it for the traffic committee through the page's form;
the committee's account signs in and answers it on its 部门答复 page; the resident agrees in the
chat (「同意公开」); the office records 落地 and publishes it; anyone reads it on the public page
(also on a phone: nothing scrolls sideways), anonymised; the office reads the year's figures.

The app and the browser helpers are test_browser's; without chromium the test is skipped locally.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from handlers.clock import local
from handlers.staff.accounts import create_user
from models import Suggestion, SuggestionStatus, Unit
from tests.bot.dashboard.test_browser import (
    PASSWORD,
    Person,
    Site,
    chrome,  # noqa: F401 (fixture)
    in_browser,
    say,
    site,  # noqa: F401 (fixture)
)

OPENID = "o-browser-suggestion"
WORDS = "建议在控江路1000弄门口增设一个公交站，附近居民出行太不方便了，电话13812345678"
RESULT = "控江路新站已启用"


def land(person: Person, username: str) -> str:
    """Sign in from the sign-in page itself (no page asked for); the path landed on."""
    person.open("/dashboard/login")
    person.find("#username").send_keys(username)
    person.find("#password").send_keys(PASSWORD)
    person.click("#login-submit")
    person.until(lambda d: "/dashboard/login" not in d.current_url, "leaving the sign-in page")
    person.find("#logout")
    return str(person.d.current_url).removeprefix(person.base)


def open_action(person: Person, form: str) -> None:
    """Unfold the <details> holding ``form`` (the office's forms are folded)."""
    person.click(f"details:has(#{form}) > summary")
    person.find(f"#{form}")


async def test_a_chat_suggestion_adopted_answered_published_in_the_browser(
    chrome: Any,  # noqa: F811
    site: Site,  # noqa: F811
) -> None:
    now = datetime.now(UTC)
    reply = await say(site.base, OPENID, WORDS, 8_300_001)
    found = re.search(r"JY\d+", reply)
    assert found, reply
    number = found.group(0)
    await create_user("office", "suggestions", PASSWORD, now, display_name="建议办")
    traffic = await Unit.get(code="TRAFFIC")
    await create_user("jtw", "unit", PASSWORD, now, unit_id=traffic.id, display_name="交通委")
    person = Person(chrome, site.base)

    # The office lands on its queue, opens the suggestion, adopts it for the committee.
    def adopt() -> tuple[str, str]:
        landed = land(person, "office")
        person.click(f"tr[data-suggestion='{number}'] a")
        person.find("#adopt-form")
        person.click("#adopt-form input[name=units][value=TRAFFIC]")
        person.click("#adopt-submit")
        person.reach("done=adopt")
        status = str(person.find("#suggestion-status").get_attribute("data-status"))
        person.sign_out()
        return landed, status

    assert await in_browser(adopt) == ("/dashboard/suggestions", "adopted")

    # The committee's account answers on its 部门答复 page.
    def answer() -> str:
        land(person, "jtw")
        person.open("/dashboard/suggestions/department")
        form = f"#answer-{number}-TRAFFIC"
        person.select(person.find(f"{form} select[name=kind]")).select_by_value("project")
        person.find(f"{form} textarea[name=answer]").send_keys("已纳入公交站点优化项目")
        person.click(f"{form} button[type=submit]")
        person.reach("done=answer")
        shown = str(person.find(f"[data-suggestion='{number}']").get_attribute("data-adoption"))
        person.sign_out()
        return shown

    assert await in_browser(answer) == "answered"

    # The resident agrees in the chat.
    assert number in await say(site.base, OPENID, "同意公开", 8_300_002)

    # The office records 落地 and publishes the anonymised wording.
    def carry_out_and_publish() -> str:
        land(person, "office")
        person.open(f"/dashboard/suggestions/{number}")
        open_action(person, "implemented-form")
        person.find("#implemented-form textarea[name=result]").send_keys(RESULT)
        person.click("#implemented-form button[type=submit]")
        person.reach("done=implemented")
        wording = str(person.find("#publish-form textarea[name=text]").get_attribute("value"))
        assert "13812345678" not in wording and "1000弄" not in wording, wording
        person.click("#publish-submit")
        person.reach("done=publish")
        return str(person.find("#suggestion-publication").get_attribute("data-published"))

    assert await in_browser(carry_out_and_publish) == "1"
    stored = await Suggestion.get(number=number)
    assert stored.status == SuggestionStatus.IMPLEMENTED and stored.published_at is not None

    # Anyone reads it on the public page, also on a phone; the office reads the year's figures.
    def read_public() -> tuple[str, str]:
        person.open("/public/suggestions")
        listed = str(person.find(f"article[data-number='{number}'] h2").text)
        person.click(f"article[data-number='{number}'] h2 a")
        person.find("#suggestion")
        detail = person.text()
        chrome.set_window_size(390, 844)
        for path in ("/public/suggestions", f"/public/suggestions/{number}"):
            person.open(path)
            person.find("main")
            person.no_sideways_scroll()
        chrome.set_window_size(1280, 900)
        return listed, detail

    listed, detail = await in_browser(read_public)
    assert "公交站" in listed
    assert RESULT in detail and "区交通委员会" in detail and "匿名" in detail
    assert "13812345678" not in detail and "1000弄" not in detail

    def read_figures() -> str:
        person.open(f"/dashboard/suggestions/figures?year={local(now).year}")
        return str(person.find("#year-line").text)

    line = await in_browser(read_figures)
    assert line.startswith("收到 1") and "采纳 1" in line and "落地 1" in line, line
    console = await in_browser(lambda: chrome.get_log("browser"))
    problems = [e["message"] for e in console if e.get("level") == "SEVERE"]
    assert not problems, problems
