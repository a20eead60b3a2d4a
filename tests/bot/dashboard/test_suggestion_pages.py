"""人民建议 on the dashboard: the office's queue, a suggestion's page and its forms (CSRF), a
department's page with the answer form, and 转为人民建议 on the case page."""

from __future__ import annotations

import re

from handlers.staff.accounts import create_user
from models import Case, CaseStatus, Suggestion, SuggestionStatus, Unit
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.dashboard.test_pages import NOW, PASSWORD, admin, report, sign_in

BUS_STOP = "建议在控江路增设一个公交站，附近居民出行太不方便了"


async def test_the_office_adopts_and_the_department_answers(make_client: ClientFactory) -> None:
    client = await make_client()
    reply = await Resident(client, "o-dash-sg").say(BUS_STOP)
    found = re.search(r"JY\d+", reply)
    assert found
    number = found.group(0)
    await create_user("jianyi", "suggestions", PASSWORD, NOW)
    traffic = await Unit.get(code="TRAFFIC")
    await create_user("jtw", "unit", PASSWORD, NOW, unit_id=traffic.id)

    office = await sign_in(client, "jianyi")
    status, page = await office.get("/dashboard/suggestions")
    assert status == 200 and f'data-suggestion="{number}"' in page
    assert 'href="/dashboard/suggestions"' in page and "人民建议" in page  # in the nav
    status, page = await office.get(f"/dashboard/suggestions/{number}")
    assert status == 200 and 'id="adopt-form"' in page and 'id="decline-form"' in page
    assert 'data-status="received"' in page

    # Refused: no CSRF token; no reason. Nothing changes.
    status, _, _ = await office.post(
        f"/dashboard/suggestions/{number}/decline", {"reason": "x"}, csrf=False
    )
    assert status == 403
    status, _, page = await office.post(f"/dashboard/suggestions/{number}/decline", {"reason": ""})
    assert status == 400 and "请填写不予采纳的原因" in page
    assert (await Suggestion.get(number=number)).status == SuggestionStatus.RECEIVED

    status, location, _ = await office.post(
        f"/dashboard/suggestions/{number}/adopt", {"units": "TRAFFIC", "note": "请研究"}
    )
    assert status == 303 and location == f"/dashboard/suggestions/{number}?done=adopt"
    status, page = await office.get(location)
    assert 'data-status="adopted"' in page and 'data-unit="TRAFFIC"' in page
    assert "已采纳并交部门研究" in page

    client.session.cookie_jar.clear()  # signed out: another person at the same browser
    department = await sign_in(client, "jtw")
    status, page = await department.get("/dashboard/suggestions/department")
    assert status == 200 and f'data-suggestion="{number}"' in page
    assert f'id="answer-{number}-TRAFFIC"' in page
    status, page = await department.get("/dashboard/suggestions?tab=answering")
    assert f'data-suggestion="{number}"' in page
    status, location, text = await department.post(
        f"/dashboard/suggestions/{number}/adoptions/TRAFFIC/answer",
        {
            "kind": "project",
            "answer": "已纳入公交站点优化项目",
            "date": "2026-06-01",
            "attachments": "项目公示|https://jtw.example.gov.cn/a",
            "back": "department",
        },
    )
    assert status == 303, text
    assert location == "/dashboard/suggestions/department?unit=TRAFFIC&done=answer"
    status, page = await department.get(location)
    assert 'data-adoption="answered"' in page and "已答复" in page
    assert (await Suggestion.get(number=number)).status == SuggestionStatus.ANSWERED
    # A unit's account has no office forms and cannot step in.
    status, page = await department.get(f"/dashboard/suggestions/{number}")
    assert status == 200 and 'id="implemented-form"' not in page
    status, _, _ = await department.post(
        f"/dashboard/suggestions/{number}/implemented", {"result": "已启用"}
    )
    assert status == 403


async def test_a_case_becomes_a_suggestion_from_its_page(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-dash-case", "政通路240号门口路灯坏了")
    browser = await admin(client)
    status, page = await browser.get(f"/dashboard/cases/{case.number}")
    assert status == 200 and 'id="to-suggestion-form"' in page
    status, location, text = await browser.post(
        f"/dashboard/cases/{case.number}/to-suggestion", {"note": "属于建议"}
    )
    assert status == 303, text
    suggestion = await Suggestion.get(from_case_id=case.id)
    assert location == f"/dashboard/suggestions/{suggestion.number}?done=from_case"
    status, page = await browser.get(location)
    assert status == 200 and f"/dashboard/cases/{case.number}" in page
    assert (await Case.get(id=case.id)).status == CaseStatus.INVALID
    status, page = await browser.get(f"/dashboard/cases/{case.number}")
    assert 'id="to-suggestion-form"' not in page and "转为人民建议" in page
