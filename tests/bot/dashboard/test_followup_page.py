"""回访 and the field visit (四不两直) on the case page: forms with the CSRF token, the stored
answer with its channel, the field-visit task and its outcome, the list of tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.staff.accounts import create_user
from models import AuditEvent, Case, CaseStatus, FieldVisit, FieldVisitStatus, Survey, SurveyAnswer
from tests.bot.api.test_admin_followup import finished
from tests.bot.dashboard.test_pages import PASSWORD, sign_in
from tests.bot.test_survey_chat import app_with_clock


async def test_a_phone_answer_and_a_field_visit_from_the_case_page(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    await create_user("centre", "dispatcher", PASSWORD, datetime.now(UTC))
    browser = await sign_in(client, "centre")
    page = f"/dashboard/cases/{case.number}"
    status, text = await browser.get(page)
    assert status == 200 and 'id="survey-answer-form"' in text and "电话回访" in text
    form = {"channel": "phone", "answer": "unsatisfied", "note": "灯还是不亮"}
    status, _, _ = await browser.post(f"{page}/survey-answer", form, csrf=False)
    assert status == 403
    assert (await Survey.get(case_id=case.id)).answer is None
    status, _, text = await browser.post(f"{page}/survey-answer", {**form, "channel": "fax"})
    assert status == 400 and "回访方式" in text
    status, _, text = await browser.post(f"{page}/survey-answer", {**form, "note": "灯\x00"})
    assert status == 400 and "无效字符" in text
    status, _, _ = await browser.post(f"{page}/survey-answer", {**form, "answered_at": "昨天"})
    assert status == 400
    status, location, text = await browser.post(f"{page}/survey-answer", form)
    assert status == 303, text
    assert location == f"{page}?ok=survey_recorded"
    survey = await Survey.get(case_id=case.id)
    assert survey.answer == SurveyAnswer.UNSATISFIED and survey.channel == "phone"
    assert survey.recorded_by == "centre"
    assert (await AuditEvent.get(action="survey.record")).via == "dashboard"
    await case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    status, _, text = await browser.post(f"{page}/survey-answer", form)
    assert status == 409 and "办结后才能回访" in text  # reopened: nothing to ask yet

    status, text = await browser.get(page)
    assert 'id="field-visits"' in text and "实地核查（四不两直）" in text
    assert "居民评价（电话回访）：不满意" in text  # on the timeline
    visit = await FieldVisit.get(case_id=case.id)
    status, text = await browser.get("/dashboard/field-visits")
    assert status == 200 and case.number in text
    assert (await browser.get("/dashboard/field-visits?status=x"))[0] == 400
    outcome = f"{page}/field-visits/{visit.id}/outcome"
    status, _, text = await browser.post(outcome, {"outcome": "rectified", "text": ""})
    assert status == 400
    status, _, text = await browser.post(outcome, {"outcome": "rectified", "text": "x\x00"})
    assert status == 400
    done = {"outcome": "unrectifiable", "text": "需大修，已列入计划", "photos": "a" * 32}
    status, location, _ = await browser.post(outcome, done)
    assert status == 303 and location.endswith("ok=field_visit_recorded")
    visit = await FieldVisit.get(id=visit.id)
    assert visit.status == FieldVisitStatus.DONE and visit.photos == ["a" * 32]
    status, text = await browser.get(page)
    assert "无法整改：需大修，已列入计划" in text
    status, _, _ = await browser.post(outcome, done)
    assert status == 409


async def test_a_unit_account_has_no_answer_form_and_is_refused(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    await create_user("unit", "unit", PASSWORD, datetime.now(UTC), unit_id=case.unit_id)
    browser = await sign_in(client, "unit")
    page = f"/dashboard/cases/{case.number}"
    status, text = await browser.get(page)
    assert status == 200 and 'id="survey-answer-form"' not in text
    form = {"channel": "phone", "answer": "satisfied"}
    status, _, _ = await browser.post(f"{page}/survey-answer", form)
    assert status == 403
    assert (await Survey.get(case_id=case.id)).answer is None
    assert (await Case.get(id=case.id)).status == CaseStatus.COMPLETED
