"""The knowledge base in a real headless Chromium (issue 19): an admin adds an entry on 知识库 and
publishes it, and a resident's question to the official account is answered with it at once,
with its source; then an answered 咨询 case is turned into an entry from its page (转为知识条目),
published, and answers the next resident who asks the same.

One browser session on the app on a real port (test_browser's ``site`` and helpers); the
resident's messages are signed XML posts to /wechat/mp. Without chromium the test is skipped
locally (fails under CI=true).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.staff.accounts import create_user
from models import AuditEvent, Case, CaseStatus, EntryStatus, KnowledgeEntry, Unit
from tests.bot.conftest import reply_content
from tests.bot.dashboard.test_browser import (
    PASSWORD,
    Person,
    Site,
    chrome,  # noqa: F401 (fixture)
    in_browser,
    say,
    site,  # noqa: F401 (fixture)
)

CANTEEN = "社区食堂每天11:00至13:00、17:00至19:00供餐，60岁以上老人凭卡享受优惠。"
LIBRARY = "社区图书馆周六、周日9:00至17:00开放，凭身份证免费借阅。"


async def test_an_entry_added_in_the_browser_answers_a_residents_question(
    chrome: Any,  # noqa: F811
    site: Site,  # noqa: F811
) -> None:
    now = datetime.now(UTC)
    await create_user("kb-admin", "admin", PASSWORD, now, display_name="王主任")
    person = Person(chrome, site.base)

    # 知识库 → 新增条目: question, answer, owning unit; saved as a draft, then published.
    def add_and_publish() -> str:
        person.sign_in("kb-admin")
        person.click("nav a[href='/dashboard/knowledge']")
        person.reach("/dashboard/knowledge")
        person.click("#new-entry")
        person.reach("/dashboard/knowledge/new")
        person.find("#entry-form input[name=question]").send_keys("社区食堂几点开饭")
        person.find("#entry-form textarea[name=answer]").send_keys(CANTEEN)
        unit = person.select(person.find("#entry-form select[name=unit]"))
        unit.select_by_value("CIVIL")
        person.find("#entry-form input[name=category]").send_keys("民政/养老")
        person.click("#save-entry")
        person.reach("saved=created")
        person.click("#publish-entry")
        person.reach("saved=published")
        return str(person.find("#entry-status").get_attribute("data-status"))

    assert await in_browser(add_and_publish) == "published"
    entry = await KnowledgeEntry.get(question="社区食堂几点开饭")
    assert entry.unit_id == (await Unit.get(code="CIVIL")).id

    # A resident asks through the official account: answered at once, with the source.
    reply = reply_content(await say(site.base, "o-canteen", "请问社区食堂几点开饭？", 8_400_001))
    assert CANTEEN in reply and "来源：区民政局" in reply, reply
    assert not await Case.filter(resident__openid="o-canteen").exists()

    # A 咨询 case its unit answered becomes an entry from the case page, and answers next time.
    case = await Case.create(
        number="2603109001",
        kind="question",
        category="教育文体/文化",
        text="请问社区图书馆周末开放吗？",
        unit_id=(await Unit.get(code="CIVIL")).id,
        status=CaseStatus.COMPLETED,
        result=LIBRARY,
        completed_at=now,
    )

    def from_the_case() -> str:
        person.open(f"/dashboard/cases/{case.number}")
        question = person.find("#knowledge-question")
        question.clear()
        question.send_keys("社区图书馆周末开放吗")
        person.click("#to-knowledge")
        person.reach("saved=from_case")
        person.click("#publish-entry")
        person.reach("saved=published")
        return str(person.find("#entry-status").get_attribute("data-status"))

    assert await in_browser(from_the_case) == "published"
    made = await KnowledgeEntry.get(question="社区图书馆周末开放吗")
    assert made.answer == LIBRARY and made.status == EntryStatus.PUBLISHED
    assert await AuditEvent.filter(action="knowledge.from_case", username="kb-admin").exists()
    reply = reply_content(await say(site.base, "o-library", "请问社区图书馆周末开放吗", 8_400_002))
    assert LIBRARY in reply and "来源：区民政局" in reply, reply

    # No script errors and nothing the page's content security policy had to refuse.
    console = await in_browser(lambda: chrome.get_log("browser"))
    problems = [e["message"] for e in console if e.get("level") == "SEVERE"]
    assert not problems, problems
