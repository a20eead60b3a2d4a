"""Entries: created as drafts, edited by their own unit, published by a reviewer, every change a
version and an audit event; a change made on an old version is refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from handlers.knowledge.editing import (
    EntryConflict,
    NotAllowed,
    create_entry,
    edit_entry,
    set_status,
    versions_of,
)
from handlers.knowledge.records import KnowledgeProblem
from handlers.staff.permissions import can, may_edit_entry
from models import AuditEvent, EntryStatus, KnowledgeEntry
from tests.handlers.knowledge.conftest import NOW, Org, entry


async def test_a_unit_writes_a_draft_and_a_reviewer_publishes(org: Org) -> None:
    clerk = org.civil_clerk
    made = await create_entry(entry(), clerk, org.actor(clerk), NOW)
    assert made.status == EntryStatus.DRAFT and made.version == 1
    assert made.code == f"K{made.id:05d}" and made.unit_id == org.civil.id
    with pytest.raises(NotAllowed):
        await set_status(made.id, EntryStatus.PUBLISHED, clerk, org.actor(clerk), NOW)
    later = NOW + timedelta(hours=1)
    saved = await set_status(
        made.id, EntryStatus.PUBLISHED, org.dispatcher, org.actor(org.dispatcher), later
    )
    assert saved.changed and saved.entry.status == EntryStatus.PUBLISHED
    assert saved.entry.published_by == "disp" and saved.entry.version == 2
    # Publishing again changes nothing.
    again = await set_status(
        made.id, EntryStatus.PUBLISHED, org.dispatcher, org.actor(org.dispatcher), later
    )
    assert not again.changed

    # The unit's own edit of a published entry goes back to review.
    edited = await edit_entry(
        made.id, entry(answer="新的答复内容。"), clerk, org.actor(clerk), later
    )
    assert edited.changed and edited.entry.status == EntryStatus.DRAFT
    versions = await versions_of(made.id)
    assert [v.action for v in versions] == ["edit", "publish", "create"]
    assert versions[0].by == "civil" and versions[0].changes["answer"][1] == "新的答复内容。"
    assert versions[0].changes["status"] == ["published", "draft"]
    assert versions[0].snapshot["status"] == "draft"
    actions = await AuditEvent.filter(target_type="knowledge_entry").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["knowledge.create", "knowledge.edit", "knowledge.publish"]

    # A reviewer's edit keeps the status.
    await set_status(made.id, EntryStatus.PUBLISHED, org.admin, org.actor(org.admin), later)
    kept = await edit_entry(
        made.id, entry(answer="审核人员改的。"), org.admin, org.actor(org.admin), later
    )
    assert kept.entry.status == EntryStatus.PUBLISHED


async def test_units_touch_only_their_own_entries(org: Org) -> None:
    mine = await create_entry(entry(), org.civil_clerk, org.actor(org.civil_clerk), NOW)
    other = org.housing_clerk
    with pytest.raises(NotAllowed):
        await edit_entry(mine.id, entry(answer="别人的"), other, org.actor(other), NOW)
    with pytest.raises(NotAllowed):  # nor write an entry in another unit's name
        await create_entry(entry("维修基金怎么用"), other, org.actor(other), NOW)
    with pytest.raises(NotAllowed):  # nor give its own entry away
        clerk = org.civil_clerk
        await edit_entry(mine.id, entry(unit="HOUSING"), clerk, org.actor(clerk), NOW)
    assert may_edit_entry(org.dispatcher, org.housing.id)
    assert may_edit_entry(org.civil_clerk, org.civil.id)
    assert not may_edit_entry(org.civil_clerk, None)
    assert can(org.civil_clerk, "knowledge.read") and not can(org.civil_clerk, "knowledge.import")


async def test_nothing_changed_is_no_version_and_an_old_version_is_refused(org: Org) -> None:
    clerk = org.civil_clerk
    made = await create_entry(entry(), clerk, org.actor(clerk), NOW)
    same = await edit_entry(made.id, entry(), clerk, org.actor(clerk), NOW, expected_version=1)
    assert not same.changed and len(await versions_of(made.id)) == 1
    await edit_entry(made.id, entry(answer="第二版"), clerk, org.actor(clerk), NOW)
    with pytest.raises(EntryConflict):
        await edit_entry(
            made.id, entry(answer="基于第一版"), clerk, org.actor(clerk), NOW, expected_version=1
        )
    assert (await KnowledgeEntry.get(id=made.id)).answer == "第二版"


async def test_what_is_wrong_is_said_and_nothing_written(org: Org) -> None:
    actor = org.actor(org.admin)
    with pytest.raises(KnowledgeProblem) as refused:
        await create_entry(
            entry(
                "",
                scope="street",
                valid_from=date(2026, 5, 1),
                valid_until=date(2026, 4, 1),
                links=(("办事指南", "ftp://x"),),
            ),
            org.admin,
            actor,
            NOW,
        )
    problems = "；".join(refused.value.problems)
    for expected in ("问题不能为空", "须填写街道", "有效期止不能早于", "链接不正确"):
        assert expected in problems
    with pytest.raises(KnowledgeProblem, match="没有编号为 NOPE 的单位"):
        await create_entry(entry(unit="NOPE"), org.admin, actor, NOW)
    assert not await KnowledgeEntry.exists()
