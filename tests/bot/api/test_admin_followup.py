"""回访 by every channel and the field visit (四不两直) through the admin API: answers staff took
by phone or face to face, never over an answer; the field-visit task a 不满意 makes, its outcome
recorded once; permissions and bad input change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.keys import INTAKE
from handlers.clock import ManualClock
from handlers.followup.surveys import menu_id
from handlers.staff.accounts import create_user, issue_api_token
from handlers.workflow.actions import finish_case, record_contact, sign_case
from models import (
    AuditEvent,
    Case,
    CaseEvent,
    CaseStatus,
    FieldVisit,
    FieldVisitStatus,
    Survey,
    SurveyAnswer,
    SurveyStatus,
    Unit,
    Worker,
)
from tests.bot.conftest import Resident
from tests.bot.test_survey_chat import app_with_clock

PASSWORD = "correct horse battery"
KEY = "a" * 32  # a well-formed /media key


async def token_for(name: str, role: str, **columns: Any) -> dict[str, str]:
    user = await create_user(name, role, PASSWORD, datetime.now(UTC), **columns)
    return {"Authorization": f"Bearer {await issue_api_token(user, datetime.now(UTC), 'test')}"}


async def finished(client: TestClient, clock: ManualClock, openid: str = "o-fu-1") -> Case:
    """A case reported in WeChat and finished by its worker; its round is scheduled, not sent."""
    await Resident(client, openid).say("政通路240号门口路灯坏了，晚上一片漆黑")
    case = await Case.filter(resident__openid=openid).order_by("-id").first()
    assert case is not None
    intake = client.server.app[INTAKE]
    worker = await Worker.get(id=case.worker_id)
    await sign_case(case, worker, await intake.context())
    await record_contact(case, worker, "phone", "", await intake.context())
    clock.advance(timedelta(hours=3))
    await finish_case(case, worker, "路灯已修复", [], await intake.context())
    await case.refresh_from_db()
    return case


def answer_path(case: Case) -> str:
    return f"/api/admin/cases/{case.number}/survey-answers"


async def test_a_phone_answer_closes_the_round_and_is_never_overwritten(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    headers = await token_for("centre1", "dispatcher")
    clock.advance(timedelta(hours=1))
    response = await client.post(
        answer_path(case),
        json={"answer": "satisfied", "channel": "phone", "note": "居民说灯亮了"},
        headers=headers,
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    (round_,) = body["surveys"]
    assert round_["channel"] == "phone" and round_["channel_label"] == "电话回访"
    assert round_["answer"] == "satisfied" and round_["recorded_by"] == "centre1"
    survey = await Survey.get(case_id=case.id)
    assert survey.status == SurveyStatus.ANSWERED and survey.answer_source == "staff"
    assert survey.comment == "居民说灯亮了" and survey.answered_at == clock.now()
    await case.refresh_from_db()
    assert case.status == CaseStatus.VISITED
    visit = await CaseEvent.filter(case_id=case.id, action="visit").first()
    assert visit is not None and visit.actor_type == "staff" and "电话回访" in visit.note
    entry = await AuditEvent.get(action="survey.record")
    assert entry.via == "api" and entry.detail["channel"] == "phone"
    # The round asked later is not sent; the resident's own answer is not taken over it.
    again = await client.post(
        answer_path(case), json={"answer": "unsatisfied", "channel": "visit"}, headers=headers
    )
    assert again.status == 409 and (await again.json())["error"]["code"] == "conflict"
    resident = Resident(client, "o-fu-1")
    tapped = {
        "Content": "不满意",
        "MsgId": resident.msg_id(),
        "bizmsgmenuid": menu_id(survey.id, "unsatisfied"),
    }
    status, reply = await resident.send("text", tapped)
    assert status == 200 and "已评价过" in reply
    survey = await Survey.get(case_id=case.id)
    assert survey.answer == SurveyAnswer.SATISFIED and survey.channel == "phone"
    assert await AuditEvent.filter(action="survey.record").count() == 1


async def test_staff_never_overwrite_the_residents_own_answer(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    reply = await Resident(client, "o-fu-1").say("1")
    assert "感谢您的评价（满意）" in reply
    headers = await token_for("centre1", "dispatcher")
    refused = await client.post(
        answer_path(case), json={"answer": "unsatisfied", "channel": "phone"}, headers=headers
    )
    assert refused.status == 409
    survey = await Survey.get(case_id=case.id)
    assert survey.answer == SurveyAnswer.SATISFIED and survey.channel == "wechat"
    assert survey.recorded_by == ""
    followup = await client.get(f"/api/admin/cases/{case.number}/followup", headers=headers)
    assert (await followup.json())["surveys"][0]["channel"] == "wechat"


async def test_two_answers_at_once_one_wins(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    headers = await token_for("centre1", "dispatcher")
    first, second = await asyncio.gather(
        client.post(
            answer_path(case), json={"answer": "satisfied", "channel": "phone"}, headers=headers
        ),
        client.post(
            answer_path(case), json={"answer": "basically", "channel": "visit"}, headers=headers
        ),
    )
    assert sorted([first.status, second.status]) == [200, 409]
    assert await Survey.filter(case_id=case.id).count() == 1
    assert await AuditEvent.filter(action="survey.record").count() == 1
    assert await CaseEvent.filter(case_id=case.id, action="visit").count() == 1


async def test_a_round_is_made_when_none_was_scheduled(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    await Survey.filter(case_id=case.id).delete()  # e.g. finished before rounds existed
    headers = await token_for("centre1", "dispatcher")
    clock.advance(timedelta(hours=2))
    when = clock.now() - timedelta(minutes=30)
    response = await client.post(
        answer_path(case),
        json={"answer": "basically", "channel": "visit", "answered_at": when.isoformat()},
        headers=headers,
    )
    assert response.status == 200, await response.text()
    survey = await Survey.get(case_id=case.id)
    assert survey.round == 1 and survey.answer == SurveyAnswer.BASICALLY
    assert survey.channel == "visit" and survey.answered_at == when


async def test_bad_input_and_other_roles_change_nothing(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    headers = await token_for("centre1", "dispatcher")
    path = answer_path(case)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"answer": "great", "channel": "phone"}, "invalid_request"),
        ({"answer": "satisfied", "channel": "fax"}, "invalid_request"),
        ({"answer": "satisfied"}, "invalid_payload"),
        ({"answer": "satisfied", "channel": "phone", "who": "x"}, "invalid_payload"),
        ({"answer": "satisfied", "channel": "phone", "note": "长" * 501}, "invalid_payload"),
        ({"answer": "satisfied", "channel": "phone", "answered_at": "昨天"}, "invalid_request"),
        (
            {"answer": "satisfied", "channel": "phone", "answered_at": "0001-01-01T00:00+14:00"},
            "invalid_request",
        ),
        (
            {"answer": "satisfied", "channel": "phone", "answered_at": "2026-03-10T10:00:00"},
            "invalid_request",
        ),
        (
            {
                "answer": "satisfied",
                "channel": "phone",
                "answered_at": (clock.now() + timedelta(days=1)).isoformat(),
            },
            "invalid_request",
        ),
        (
            {
                "answer": "satisfied",
                "channel": "phone",
                "answered_at": (clock.now() - timedelta(days=2)).isoformat(),
            },
            "invalid_request",
        ),
    ]
    for payload, code in bad:
        response = await client.post(path, json=payload, headers=headers)
        assert response.status == 400, payload
        assert (await response.json())["error"]["code"] == code, payload
    not_json = await client.post(
        path, data=b"{", headers={**headers, "Content-Type": "application/json"}
    )
    assert not_json.status == 400
    assert (await client.post(path, json={"answer": "satisfied", "channel": "phone"})).status == 401
    for role, columns in (("unit", {"unit_id": case.unit_id}), ("supervisor", {})):
        refused = await client.post(
            path,
            json={"answer": "satisfied", "channel": "phone"},
            headers=await token_for(f"{role}1", role, **columns),
        )
        assert refused.status == 403, role
    other = await Unit.exclude(id=case.unit_id).first()
    assert other is not None
    hidden = await client.get(
        f"/api/admin/cases/{case.number}/followup",
        headers=await token_for("unit2", "unit", unit_id=other.id),
    )
    assert hidden.status == 404
    survey = await Survey.get(case_id=case.id)
    assert survey.status == SurveyStatus.SCHEDULED and survey.answer is None
    assert await AuditEvent.filter(action="survey.record").count() == 0
    # A case not yet 办结 has nothing to ask about.
    await Resident(client, "o-fu-2").say("市光一村停水了，已经两天")
    open_case = await Case.filter(resident__openid="o-fu-2").first()
    assert open_case is not None
    early = await client.post(
        answer_path(open_case), json={"answer": "satisfied", "channel": "phone"}, headers=headers
    )
    assert early.status == 409 and (await early.json())["error"]["code"] == "illegal_transition"


async def test_unsatisfied_by_phone_sends_a_field_visit_and_its_outcome_is_recorded_once(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    centre = await token_for("centre1", "dispatcher")
    response = await client.post(
        answer_path(case),
        json={"answer": "unsatisfied", "channel": "phone", "note": "灯还是不亮"},
        headers=centre,
    )
    assert response.status == 200, await response.text()
    (task,) = (await response.json())["field_visits"]
    assert task["status"] == "open" and not task["supervised"] and not task["overdue"]
    assert task["task"] == "实地核查（四不两直）"
    await case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.reopened_count == 1
    stored = await FieldVisit.get(case_id=case.id)
    due = datetime.fromisoformat(task["due_at"])
    assert due == stored.due_at and due > clock.now() + timedelta(days=5)
    listed = await client.get("/api/admin/field-visits", params={"status": "open"}, headers=centre)
    assert [v["id"] for v in (await listed.json())["field_visits"]] == [stored.id]
    assert (
        await client.get("/api/admin/field-visits", params={"status": "x"}, headers=centre)
    ).status == 400
    assert (
        await client.get("/api/admin/field-visits", params={"page": "0"}, headers=centre)
    ).status == 400

    path = f"/api/admin/cases/{case.number}/field-visits/{stored.id}/outcome"
    unit = await token_for("unit1", "unit", unit_id=case.unit_id)
    done = {"outcome": "rectified", "text": "现场查看，灯具已更换", "photos": [KEY]}
    assert (await client.post(path, json=done, headers=unit)).status == 403
    for payload in (
        {"outcome": "fixed", "text": "x"},
        {"outcome": "rectified", "text": ""},
        {"outcome": "rectified", "text": "x", "photos": ["../etc/passwd"]},
        {"outcome": "rectified", "text": "x", "photos": [KEY] * 10},
    ):
        response = await client.post(path, json=payload, headers=centre)
        assert response.status == 400, payload
    missing = f"/api/admin/cases/{case.number}/field-visits/99999/outcome"
    assert (await client.post(missing, json=done, headers=centre)).status == 404
    assert (await FieldVisit.get(id=stored.id)).status == FieldVisitStatus.OPEN

    other = await Unit.exclude(id=case.unit_id).first()
    assert other is not None
    stranger = await token_for("sup2", "supervisor", unit_id=other.id)
    assert (await client.post(path, json=done, headers=stranger)).status == 404
    theirs = await client.get("/api/admin/field-visits", headers=stranger)
    assert (await theirs.json())["field_visits"] == []
    supervisor = await token_for("sup1", "supervisor", unit_id=case.unit_id)
    response = await client.post(path, json=done, headers=supervisor)
    assert response.status == 200, await response.text()
    (task,) = (await response.json())["field_visits"]
    assert task["status"] == "done" and task["outcome_label"] == "已整改"
    assert task["photos"] == [f"/media/{KEY}"] and task["recorded_by"] == "sup1"
    again = await client.post(path, json=done, headers=centre)
    assert again.status == 409
    events = await CaseEvent.filter(case_id=case.id, action="annotate")
    event = [e for e in events if e.data.get("kind") == "field_visit_outcome"]
    assert len(event) == 1 and "已整改" in event[0].note and event[0].actor_type == "staff"
    assert await AuditEvent.filter(action="field_visit.record").count() == 1


async def test_a_second_unsatisfied_adds_supervision_to_the_task(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock)
    centre = await token_for("centre1", "dispatcher")
    response = await client.post(
        answer_path(case), json={"answer": "unsatisfied", "channel": "phone"}, headers=centre
    )
    assert response.status == 200
    intake = client.server.app[INTAKE]
    await case.refresh_from_db()
    clock.advance(timedelta(hours=5))
    await finish_case(
        case, await Worker.get(id=case.worker_id), "再次维修", [], await intake.context()
    )
    response = await client.post(
        answer_path(case), json={"answer": "unsatisfied", "channel": "visit"}, headers=centre
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert [s["round"] for s in body["surveys"]] == [1, 2] and body["supervised"]
    (task,) = body["field_visits"]
    assert task["supervised"] and task["task"].startswith("【督办】")
    assert await CaseEvent.filter(case_id=case.id, action="supervise").count() == 1


async def test_the_satisfaction_figure_counts_answers_by_channel(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    by_phone = await finished(client, clock, "o-fu-1")
    in_wechat = await finished(client, clock, "o-fu-2")
    headers = await token_for("centre1", "dispatcher")
    response = await client.post(
        answer_path(by_phone), json={"answer": "satisfied", "channel": "phone"}, headers=headers
    )
    assert response.status == 200
    assert "感谢" in await Resident(client, "o-fu-2").say("1")
    assert (await Survey.get(case_id=in_wechat.id)).channel == "wechat"
    period = {"from": "2026-03-01", "to": "2026-03-31"}
    body = await (await client.get("/api/admin/figures", params=period, headers=headers)).json()
    survey = body["survey"]
    assert survey["answered"] == 2
    assert survey["by_channel"] == {"wechat": 1, "phone": 1, "visit": 0, "other": 0}
