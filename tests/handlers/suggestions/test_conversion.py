"""Conversion both ways, the history kept: a suggestion becomes a case through the normal report
path; a case becomes a suggestion, closed as 不予受理 (转为人民建议), the resident told once."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from handlers.intake.report import Report, report_case
from handlers.suggestions.access import SuggestionRefused
from handlers.suggestions.conversion import convert_to_case, from_case
from handlers.workflow.staff_actions import CaseHidden
from models import (
    AuditEvent,
    Case,
    CaseEvent,
    CaseStatus,
    OutboxMessage,
    Suggestion,
    SuggestionEvent,
    SuggestionStatus,
)
from tests.handlers.suggestions.conftest import Office, told

LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"


async def test_staff_turn_a_suggestion_into_a_case(office: Office) -> None:
    suggestion = await office.suggestion("建议把国权路上坏了的路灯修一修，晚上太黑了")
    dispatcher, ctx = office.dispatcher, await office.ctx()
    case = await convert_to_case(suggestion, "是报修", dispatcher, office.actor(dispatcher), ctx)
    await suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.CONVERTED and suggestion.case_id == case.id
    assert case.text == suggestion.text and case.kind != "suggestion" and case.unit_id
    notes = await CaseEvent.filter(case_id=case.id).values_list("note", flat=True)
    assert any(f"由人民建议 {suggestion.number} 转为诉求" in n for n in notes)
    event = await SuggestionEvent.get(suggestion_id=suggestion.id, action="to_case")
    assert case.number in event.note and event.told
    (message,) = await told(suggestion)
    assert case.number in message and "转为诉求" in message
    assert await AuditEvent.filter(action="suggestion.to_case").count() == 1
    # Once converted it stays so.
    with pytest.raises(SuggestionRefused) as refused:
        await convert_to_case(suggestion, "", dispatcher, office.actor(dispatcher), ctx)
    assert refused.value.status == 409
    assert await Case.all().count() == 1


async def test_units_do_not_convert_and_a_suggestion_without_proposer_cannot(
    office: Office,
) -> None:
    suggestion = await office.suggestion()
    ctx = await office.ctx()
    with pytest.raises(SuggestionRefused) as refused:
        await convert_to_case(suggestion, "", office.traffic, office.actor(office.traffic), ctx)
    assert refused.value.status == 403
    await Suggestion.filter(id=suggestion.id).update(resident_id=None)
    await suggestion.refresh_from_db()
    with pytest.raises(SuggestionRefused) as refused:
        await convert_to_case(suggestion, "", office.clerk, office.actor(office.clerk), ctx)
    assert refused.value.status == 409 and refused.value.code == "no_proposer"
    assert await Case.all().count() == 0


async def test_a_case_that_is_a_suggestion_becomes_one(office: Office) -> None:
    ctx = await office.ctx()
    async with in_transaction():
        made = await report_case(office.resident, LAMP, ctx, channel="mp")
    assert isinstance(made, Report)
    case = made.case
    before = await OutboxMessage.all().count()
    clerk = office.clerk
    suggestion = await from_case(case, "属于建议", clerk, office.actor(clerk), ctx)
    await case.refresh_from_db()
    assert case.status == CaseStatus.INVALID and case.invalid_reason == "to_suggestion"
    assert case.completion_due_at is None  # no deadline runs on it: the figures stay honest
    assert suggestion.from_case_id == case.id and suggestion.status == SuggestionStatus.RECEIVED
    assert suggestion.text == case.text and suggestion.screen_due_at is not None
    note = await CaseEvent.filter(case_id=case.id, action="invalidate").first()
    assert note is not None and f"已转为人民建议 {suggestion.number}" in note.note
    (event,) = await SuggestionEvent.filter(suggestion_id=suggestion.id)
    assert event.action == "from_case" and case.number in event.note
    resident_messages = [
        str(m.payload)
        for m in await OutboxMessage.all().order_by("id").offset(before)
        if m.recipient == office.resident.openid
    ]
    assert len(resident_messages) == 1  # told once, with both numbers
    assert suggestion.number in resident_messages[0] and case.number in resident_messages[0]
    assert "不作为诉求受理" not in resident_messages[0]
    # A closed case is not converted again; a unit account does not see the case at all.
    with pytest.raises(SuggestionRefused) as refused:
        await from_case(case, "", clerk, office.actor(clerk), ctx)
    assert refused.value.status == 409
    with pytest.raises(CaseHidden):
        await from_case(case, "", office.housing, office.actor(office.housing), ctx)
    assert await Suggestion.all().count() == 1
