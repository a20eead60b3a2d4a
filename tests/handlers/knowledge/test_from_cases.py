"""A unit's answer to a 咨询 case becomes knowledge: a draft entry of the case's unit, or the
resident's words as another wording of an entry; on the timeline, versioned and audited, never
twice; only for 咨询 cases with an answer, only by the centre or the case's own unit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handlers.knowledge.editing import NotAllowed, create_entry, set_status, versions_of
from handlers.knowledge.from_cases import (
    NO_ANSWER,
    NotConvertible,
    turn_into_entry,
    unit_answer,
)
from handlers.knowledge.records import KnowledgeProblem
from handlers.timeline import Actor, record_event
from handlers.workflow.actions import PHOTOS_ONLY_NOTE
from models import AuditEvent, Case, CaseAction, CaseEvent, CaseStatus, EntryStatus, KnowledgeEntry
from tests.handlers.knowledge.conftest import NOW, Org, entry, user

WORDS = "请问社区食堂几点开饭？我的电话13812345678"
ANSWER = "社区食堂每天11:00至13:00、17:00至19:00供餐，60岁以上老人凭卡享受优惠。"


async def question_case(org: Org, number: str = "2603100001", **fields: Any) -> Case:
    values: dict[str, Any] = {
        "number": number,
        "kind": "question",
        "category": "民政/养老",
        "text": WORDS,
        "unit_id": org.civil.id,
        "status": CaseStatus.COMPLETED,
        "result": ANSWER,
        "completed_at": NOW,
    }
    values.update(fields)
    return await Case.create(**values)


async def worker_event(case: Case, action: CaseAction, note: str, **data: Any) -> None:
    await record_event(
        case,
        action,
        Actor("worker", "1"),
        NOW - timedelta(hours=1),
        from_status=None,
        to_status=None,
        note=note,
        data=data,
    )


async def test_a_units_answer_becomes_a_draft_of_its_unit(org: Org) -> None:
    case = await question_case(org)
    await worker_event(case, CaseAction.FINISH, ANSWER, result=ANSWER)
    clerk = org.civil_clerk
    turned = await turn_into_entry(case, clerk, org.actor(clerk), NOW)
    made = turned.entry
    assert turned.created and not turned.added
    assert made.status == EntryStatus.DRAFT and made.unit_id == org.civil.id
    assert made.answer == ANSWER and made.category == "民政/养老"
    assert "社区食堂几点开饭" in made.question and "13812345678" not in made.question
    (version,) = await versions_of(made.id)
    assert version.action == "from_case" and version.by == "civil"
    (audited,) = await AuditEvent.filter(action="knowledge.from_case")
    assert audited.detail["case"] == case.number and audited.detail["code"] == made.code
    (note,) = await CaseEvent.filter(case_id=case.id, action="annotate")
    assert note.note.startswith(f"转为知识条目 {made.code}") and note.data["entry"] == made.id
    # Again: the entry the case made is answered, nothing is written twice.
    again = await turn_into_entry(case, clerk, org.actor(clerk), NOW)
    assert again.entry.id == made.id and not again.changed
    assert await KnowledgeEntry.all().count() == 1
    assert await CaseEvent.filter(case_id=case.id, action="annotate").count() == 1


async def test_the_question_and_answer_can_be_edited_first(org: Org) -> None:
    case = await question_case(org)
    turned = await turn_into_entry(
        case,
        org.dispatcher,
        org.actor(org.dispatcher),
        NOW,
        question="社区食堂几点开饭",
        answer="每天11点开饭。",
    )
    assert turned.entry.question == "社区食堂几点开饭" and turned.entry.answer == "每天11点开饭。"
    assert turned.entry.unit_id == org.civil.id  # the case's unit, made by the centre


async def test_the_words_become_a_wording_of_an_entry_once(org: Org) -> None:
    made = await create_entry(entry("社区食堂几点开饭"), org.admin, org.actor(org.admin), NOW)
    await set_status(made.id, EntryStatus.PUBLISHED, org.admin, org.actor(org.admin), NOW)
    case = await question_case(org)
    clerk = org.civil_clerk
    turned = await turn_into_entry(case, clerk, org.actor(clerk), NOW, entry=made.code)
    assert turned.added and not turned.created
    changed = await KnowledgeEntry.get(id=made.id)
    assert changed.variants[-1] == "请问社区食堂几点开饭？我的电话138****5678"
    # A unit's change goes back to review (handlers.knowledge.editing).
    assert changed.status == EntryStatus.DRAFT and changed.version == 3
    assert (await versions_of(made.id))[0].action == "from_case"
    # By id, the same words: no second wording, no second note.
    again = await turn_into_entry(case, clerk, org.actor(clerk), NOW, entry=str(made.id))
    assert not again.changed
    assert (await KnowledgeEntry.get(id=made.id)).variants == changed.variants
    notes = await CaseEvent.filter(case_id=case.id, action="annotate")
    assert len(notes) == 1 and made.code in notes[0].note
    # A reviewer's wording keeps the entry's status.
    await set_status(made.id, EntryStatus.PUBLISHED, org.admin, org.actor(org.admin), NOW)
    other = await question_case(org, "2603100002", text="食堂中午几点开门")
    await turn_into_entry(other, org.dispatcher, org.actor(org.dispatcher), NOW, entry=made.code)
    assert (await KnowledgeEntry.get(id=made.id)).status == EntryStatus.PUBLISHED


async def test_the_answer_is_the_latest_since_the_case_was_reopened(org: Org) -> None:
    case = await question_case(org, status=CaseStatus.IN_PROGRESS, result="", completed_at=None)
    assert await unit_answer(case) is None
    await worker_event(case, CaseAction.FINISH, "旧答复", result="旧答复")
    await worker_event(case, CaseAction.REOPEN, "重办：答非所问")
    assert await unit_answer(case) is None  # the earlier answer did not hold
    await worker_event(case, CaseAction.PROGRESS, PHOTOS_ONLY_NOTE, attachments=[{"id": 1}])
    assert await unit_answer(case) is None
    await worker_event(case, CaseAction.PROGRESS, "已电话告知居民：每天11点开饭")
    found = await unit_answer(case)
    assert found is not None and found.source == "progress" and "11点" in found.text


async def test_what_cannot_become_knowledge(org: Org) -> None:
    clerk, actor = org.civil_clerk, org.actor(org.civil_clerk)
    complaint = await question_case(org, "2603100003", kind="complaint")
    with pytest.raises(NotConvertible, match="投诉"):
        await turn_into_entry(complaint, clerk, actor, NOW)
    unanswered = await question_case(org, "2603100004", result="", status=CaseStatus.SIGNED)
    with pytest.raises(NotConvertible, match=NO_ANSWER):
        await turn_into_entry(unanswered, clerk, actor, NOW)
    case = await question_case(org, "2603100005")
    # Another unit's staff, and a supervisor of no unit, may not.
    with pytest.raises(NotAllowed):
        await turn_into_entry(case, org.housing_clerk, org.actor(org.housing_clerk), NOW)
    roaming = await user("roaming", "supervisor")
    with pytest.raises(NotAllowed):
        await turn_into_entry(case, roaming, org.actor(roaming), NOW)
    # Its own unit may not add a wording to another unit's entry.
    housing = await create_entry(
        entry("加装电梯要哪些材料", unit="HOUSING"), org.admin, org.actor(org.admin), NOW
    )
    with pytest.raises(NotAllowed):
        await turn_into_entry(case, clerk, actor, NOW, entry=housing.code)
    with pytest.raises(KnowledgeProblem, match="K99999"):
        await turn_into_entry(case, clerk, actor, NOW, entry="K99999")
    with pytest.raises(KnowledgeProblem):
        await turn_into_entry(case, clerk, actor, NOW, entry=housing.code, answer="另一个答复")
    with pytest.raises(KnowledgeProblem):
        await turn_into_entry(case, clerk, actor, NOW, question="问" * 201)
    assert await KnowledgeEntry.all().count() == 1
    assert not await CaseEvent.filter(action="annotate").exists()
    assert not await AuditEvent.filter(action="knowledge.from_case").exists()
