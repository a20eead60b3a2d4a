"""The case page's 转为知识条目: shown on a 咨询 case with its unit's answer to those who may;
a new draft entry or a wording of one, then the entry's page with what happened; refusals back
on the case page with the reason."""

from __future__ import annotations

from typing import Any

from handlers.staff.accounts import create_user
from models import Case, CaseStatus, EntryStatus, KnowledgeEntry, Unit
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, admin, sign_in

ANSWER = "社区食堂每天11:00至13:00、17:00至19:00供餐。"
FORM = 'id="knowledge-form"'


async def question_case(number: str, unit: Unit, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "number": number,
        "kind": "question",
        "category": "民政/养老",
        "text": "请问社区食堂几点开饭？",
        "unit_id": unit.id,
        "status": CaseStatus.COMPLETED,
        "result": ANSWER,
        "completed_at": NOW,
    }
    values.update(fields)
    return await Case.create(**values)


async def test_an_answer_becomes_an_entry_then_a_wording(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    civil = await Unit.create(code="CIVIL", name="区民政局")
    case = await question_case("2603100001", civil)
    browser = await admin(client)
    status, page = await browser.get(f"/dashboard/cases/{case.number}")
    assert status == 200 and FORM in page and ANSWER in page
    assert "请问社区食堂几点开饭？</textarea>" in page
    status, location, text = await browser.post(
        f"/dashboard/cases/{case.number}/knowledge",
        {"mode": "new", "entry": "", "question": "社区食堂几点开饭", "answer": ANSWER},
    )
    assert status == 303, text
    made = await KnowledgeEntry.get(question="社区食堂几点开饭")
    assert location == f"/dashboard/knowledge/{made.id}?saved=from_case"
    assert made.status == EntryStatus.DRAFT and made.unit_id == civil.id
    status, page = await browser.get(location)
    assert status == 200 and "已由诉求的答复转为知识条目" in page and "由诉求转入" in page
    status, page = await browser.get(f"/dashboard/cases/{case.number}")
    assert f'id="made-entry">{made.code}</a>' in page and f"转为知识条目 {made.code}" in page

    other = await question_case("2603100002", civil, text="食堂中午几点开门")
    status, page = await browser.get(f"/dashboard/cases/{other.number}")
    assert f'<option value="{made.code}">' in page
    form = {"mode": "variant", "entry": made.code, "question": "食堂中午几点开门", "answer": "x"}
    status, location, _ = await browser.post(f"/dashboard/cases/{other.number}/knowledge", form)
    assert status == 303 and location.endswith("saved=from_case_variant")
    assert (await KnowledgeEntry.get(id=made.id)).variants == ["食堂中午几点开门"]
    status, location, _ = await browser.post(f"/dashboard/cases/{other.number}/knowledge", form)
    assert status == 303 and location.endswith("saved=unchanged")

    # Refused: back on the case page with the reason, nothing written.
    missing = {**form, "entry": ""}
    status, _, page = await browser.post(f"/dashboard/cases/{other.number}/knowledge", missing)
    assert status == 400 and "请填写或选择" in page
    status, _, page = await browser.post(
        f"/dashboard/cases/{other.number}/knowledge", {**form, "entry": "K99999"}
    )
    assert status == 400 and "没有编号为 K99999 的知识条目" in page
    status, _, page = await browser.post(
        f"/dashboard/cases/{other.number}/knowledge", form, csrf=False
    )
    assert status == 403
    assert await KnowledgeEntry.all().count() == 1


async def test_only_answered_questions_and_only_those_who_may(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    civil = await Unit.create(code="CIVIL", name="区民政局")
    housing = await Unit.create(code="HOUSING", name="区房屋管理局")
    answered = await question_case("2603100003", civil)
    complaint = await question_case("2603100004", civil, kind="complaint")
    waiting = await question_case(
        "2603100005", civil, status=CaseStatus.SIGNED, result="", completed_at=None
    )
    await create_user("clerk", "unit", PASSWORD, NOW, unit_id=civil.id)
    await create_user("other", "unit", PASSWORD, NOW, unit_id=housing.id)
    await create_user("roaming", "supervisor", PASSWORD, NOW)
    clerk = await sign_in(client, "clerk")
    status, page = await clerk.get(f"/dashboard/cases/{answered.number}")
    assert status == 200 and FORM in page
    for case in (complaint, waiting):
        status, page = await clerk.get(f"/dashboard/cases/{case.number}")
        assert status == 200 and FORM not in page
    status, _, page = await clerk.post(
        f"/dashboard/cases/{complaint.number}/knowledge", {"mode": "new"}
    )
    assert status == 409 and "该诉求是投诉" in page

    client.session.cookie_jar.clear()  # one cookie jar: sign in as somebody else
    other = await sign_in(client, "other")
    status, _ = await other.get(f"/dashboard/cases/{answered.number}")
    assert status == 404
    status, _, _ = await other.post(f"/dashboard/cases/{answered.number}/knowledge", {})
    assert status == 404

    client.session.cookie_jar.clear()
    roaming = await sign_in(client, "roaming")  # sees every case, owns no entries
    status, page = await roaming.get(f"/dashboard/cases/{answered.number}")
    assert status == 200 and FORM not in page
    status, _, page = await roaming.post(
        f"/dashboard/cases/{answered.number}/knowledge", {"mode": "new"}
    )
    assert status == 403 and "承办单位可以把答复转为知识条目" in page
    assert not await KnowledgeEntry.exists()
