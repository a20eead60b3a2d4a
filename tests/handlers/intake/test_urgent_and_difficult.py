"""急 and 难 together (issue 16, point 8): the 急 sign and first-contact deadlines, the 难
completion limit, or the SLA table's own row for the pair; the resident is told both, through
/wechat/mp. The text is the issue's with a place added (without one, the resident is asked for
the place first and told the deadlines after): nlu reads it 急 (漏水) and 难 (推来推去)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from config import sla
from handlers.clock import format_local
from handlers.staff.accounts import create_user
from handlers.workflow.deadlines import add_working_days
from handlers.workflow.sla_table import SlaTable, load_sla_table
from models import Case, SlaRule
from nlu.understanding import understand
from tests.bot.conftest import Resident
from tests.bot.dashboard.test_pages import PASSWORD, sign_in
from tests.bot.test_survey_chat import START, app_with_clock

ISSUE_TEXT = "顶楼漏水好几个月了，找了物业和居委都推来推去，现在下雨天家里到处是水"
LEAK = "长白二村5号楼" + ISSUE_TEXT


def test_the_text_reads_urgent_and_difficult() -> None:
    for text in (ISSUE_TEXT, LEAK):
        understood = understand(text)
        assert understood.urgency == "急" and understood.difficult


def test_the_policy_takes_urgent_contact_and_difficult_completion() -> None:
    policy = SlaTable().policy_for("complaint", "急", True)
    assert policy.sign == sla.URGENT.sign and policy.first_contact == sla.URGENT.first_contact
    assert policy.completion == sla.DIFFICULT.completion


async def test_a_leaking_roof_gets_both_deadlines_and_is_told(
    db_url: str, aiohttp_client: Any
) -> None:
    client, _ = await app_with_clock(db_url, aiohttp_client)
    reply = await Resident(client, "o-leak").say(LEAK)
    case = await Case.get()
    assert case.urgency == "急" and case.difficult and case.unit_id is not None
    assert case.sign_due_at == START + timedelta(minutes=30)
    assert case.first_contact_due_at == START + timedelta(hours=2)
    assert case.completion_due_at == add_working_days(START, 15)
    assert "并按疑难件给予办结时限" in reply
    assert format_local(case.first_contact_due_at) in reply
    assert format_local(case.completion_due_at) in reply


async def test_the_sla_table_row_for_the_pair_wins(db_url: str, aiohttp_client: Any) -> None:
    client, _ = await app_with_clock(db_url, aiohttp_client)
    # Rows for 急 and 难 shape the pair; a row for 急难 itself overrides what it sets.
    await SlaRule.create(kind="", grade="急", first_contact_hours=1)
    await SlaRule.create(kind="", grade="难", completion_working_days=20)
    table = await load_sla_table()
    both = table.policy_for("complaint", "急", True)
    assert both.first_contact == sla.Limit(hours=1)
    assert both.completion == sla.Limit(working_days=20)
    # The admin sets the pair's own row in the SLA editor.
    await create_user("admin", "admin", PASSWORD, START)
    browser = await sign_in(client, "admin")
    status, text = await browser.get("/dashboard/sla")
    assert status == 200 and "急难" in text
    status, text = await browser.get("/dashboard/sla/edit?kind=&grade=急难")
    assert status == 200
    form = {
        "kind": "",
        "grade": "急难",
        "first_contact_amount": "4",
        "first_contact_unit": "hours",
        "completion_amount": "10",
        "completion_unit": "working_days",
    }
    status, location, _ = await browser.post("/dashboard/sla", form)
    assert status == 303 and location == "/dashboard/sla?ok=sla_saved"
    reply = await Resident(client, "o-leak").say(LEAK)
    case = await Case.get()
    assert case.first_contact_due_at == START + timedelta(hours=4)
    assert case.sign_due_at == START + timedelta(minutes=30)
    assert case.completion_due_at == add_working_days(START, 10)
    assert format_local(case.completion_due_at) in reply
