"""Writing entries: create, edit, publish, retire. Each change is a version row (who, when,
what changed, the entry as it then stood) and an audit event, in one transaction.

Who may (``handlers.staff.permissions``): ``knowledge.edit`` writes drafts - a unit's staff and
supervisors only the entries of their own unit, the centre's dispatchers and admins any entry;
``knowledge.publish`` (dispatchers, admins: the reviewers) publishes and retires. An edit by
someone who may not publish sends a published entry back to draft: what residents are answered
with is always what a reviewer saw. A reviewer's own edit keeps the entry's status.

A change names the version it was made on (``expected_version``): when somebody else saved in
between, it is refused (:class:`EntryConflict`) instead of silently undoing their change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from handlers.knowledge.records import (
    EntryIn,
    KnowledgeProblem,
    check,
    content_given,
    content_of,
    differences,
)
from handlers.staff.audit import StaffActor, audit
from handlers.staff.permissions import can, may_edit_entry
from models import EntryScope, EntryStatus, KnowledgeEntry, KnowledgeVersion, StaffUser, Unit


class NotAllowed(Exception):
    """The account may not do this to this entry."""


class EntryConflict(Exception):
    """The entry changed since the version the change was made on."""


class EntryMissing(Exception):
    """No entry has that id."""


@dataclass(frozen=True)
class Saved:
    entry: KnowledgeEntry
    changed: bool


async def unit_codes() -> dict[int, str]:
    return {unit.id: unit.code for unit in await Unit.all()}


async def unit_id_of(code: str) -> int | None:
    if not code:
        return None
    unit = await Unit.get_or_none(code=code)
    if unit is None:
        raise KnowledgeProblem([f"没有编号为 {code} 的单位"])
    return unit.id


def snapshot(entry: KnowledgeEntry, unit_code: str) -> dict[str, Any]:
    return {**content_of(entry, unit_code), "status": EntryStatus(entry.status).value}


def _apply(entry: KnowledgeEntry, content: dict[str, Any], unit_id: int | None) -> None:
    entry.question = content["question"]
    entry.variants = content["variants"]
    entry.answer = content["answer"]
    entry.links = content["links"]
    entry.mini_page = content["mini_page"]
    entry.unit_id = unit_id
    entry.policy = content["policy"]
    entry.valid_from = date.fromisoformat(content["valid_from"]) if content["valid_from"] else None
    until = content["valid_until"]
    entry.valid_until = date.fromisoformat(until) if until else None
    entry.category = content["category"]
    entry.scope = EntryScope(content["scope"])
    entry.street = content["street"]
    entry.compound = content["compound"]


async def _record(
    entry: KnowledgeEntry,
    action: str,
    actor: StaffActor | None,
    now: datetime,
    changes: dict[str, Any],
    unit_code: str,
    detail: dict[str, Any] | None = None,
) -> None:
    by = actor.username if actor is not None else "system"
    await KnowledgeVersion.create(
        entry_id=entry.id,
        version=entry.version,
        action=action,
        at=now,
        by=by,
        changes=changes,
        snapshot=snapshot(entry, unit_code),
    )
    if actor is not None:
        about = {"code": entry.code, "version": entry.version, "fields": sorted(changes)}
        await audit(
            actor,
            f"knowledge.{action}",
            now,
            target_type="knowledge_entry",
            target_id=entry.id,
            detail={**about, **(detail or {})},
        )


def _allowed(user: StaffUser | None, unit_id: int | None) -> None:
    if user is not None and not may_edit_entry(user, unit_id):
        raise NotAllowed("只能编辑本单位的知识条目")


async def create_entry(
    given: EntryIn,
    user: StaffUser | None,
    actor: StaffActor | None,
    now: datetime,
    *,
    action: str = "create",
    detail: dict[str, Any] | None = None,
) -> KnowledgeEntry:
    """A new draft. A unit's account creates entries of its own unit only. ``action`` names the
    version and the audit event (``from_case``: made from a case's answer, with ``detail``)."""
    check(given)
    unit_id = await unit_id_of(given.unit.strip())
    if user is not None and unit_id is None and user.unit_id is not None:
        unit_id = user.unit_id  # a unit's entry is the unit's, named or not
    _allowed(user, unit_id)
    if given.code and await KnowledgeEntry.exists(code=given.code):
        raise KnowledgeProblem([f"编号 {given.code} 已被其他条目使用"])
    content = content_given(given)
    codes = await unit_codes()
    async with in_transaction():
        entry = KnowledgeEntry(
            code=given.code or f"tmp-{now.timestamp()}-{id(given)}"[:32],
            created_at=now,
            updated_at=now,
            updated_by=actor.username if actor else "system",
            status=EntryStatus.DRAFT,
            version=1,
        )
        _apply(entry, content, unit_id)
        await entry.save()
        if not given.code:
            entry.code = f"K{entry.id:05d}"
            await entry.save(update_fields=["code"])
        changes = differences({}, {**content, "unit": codes.get(unit_id or 0, "")})
        unit_code = codes.get(unit_id or 0, "")
        await _record(entry, action, actor, now, changes, unit_code, detail)
    return entry


async def _entry(entry_id: int) -> KnowledgeEntry:
    entry = await KnowledgeEntry.get_or_none(id=entry_id)
    if entry is None:
        raise EntryMissing(entry_id)
    return entry


async def _save_version(entry: KnowledgeEntry, expected: int, fields: list[str]) -> None:
    """Write the entry's new version only if nobody wrote another in between."""
    values = {name: getattr(entry, name) for name in fields}
    values["unit_id"] = entry.unit_id
    updated = await KnowledgeEntry.filter(id=entry.id, version=expected).update(**values)
    if not updated:
        raise EntryConflict(entry.id)


async def edit_entry(
    entry_id: int,
    given: EntryIn,
    user: StaffUser | None,
    actor: StaffActor | None,
    now: datetime,
    *,
    expected_version: int | None = None,
    action: str = "edit",
    detail: dict[str, Any] | None = None,
) -> Saved:
    check(given)
    entry = await _entry(entry_id)
    _allowed(user, entry.unit_id)
    unit_id = await unit_id_of(given.unit.strip())
    if unit_id is None and user is not None and not can(user, "knowledge.publish"):
        unit_id = entry.unit_id  # a unit's entry stays the unit's, named or not
    if user is not None and unit_id != entry.unit_id:
        _allowed(user, unit_id)  # a unit cannot give its entry away, nor take another's
    if expected_version is not None and expected_version != entry.version:
        raise EntryConflict(entry.id)
    codes = await unit_codes()
    before = content_of(entry, codes.get(entry.unit_id or 0, ""))
    after = content_given(given)
    after["unit"] = codes.get(unit_id or 0, "")
    changes = differences(before, after)
    status = EntryStatus(entry.status)
    wanted = EntryStatus(given.status) if given.status else status
    reviewer = user is None or can(user, "knowledge.publish")
    if wanted not in (status, EntryStatus.DRAFT) and not reviewer:
        raise NotAllowed("发布或下线须由审核人员操作")
    if changes and wanted == EntryStatus.PUBLISHED and not reviewer:
        wanted = EntryStatus.DRAFT  # back to review
    if not changes and wanted == status:
        return Saved(entry, False)
    if wanted != status:
        changes["status"] = [status.value, wanted.value]
    async with in_transaction():
        old = entry.version
        _apply(entry, after, unit_id)
        entry.status = wanted
        entry.version = old + 1
        entry.updated_at = now
        entry.updated_by = actor.username if actor else "system"
        fields = ["question", "variants", "answer", "links", "mini_page", "policy", "valid_from"]
        fields += ["valid_until", "category", "scope", "street", "compound", "status", "version"]
        fields += ["updated_at", "updated_by"]
        if wanted == EntryStatus.PUBLISHED and status != EntryStatus.PUBLISHED:
            entry.published_at = now
            entry.published_by = entry.updated_by
            fields += ["published_at", "published_by"]
        await _save_version(entry, old, fields)
        await _record(entry, action, actor, now, changes, after["unit"], detail)
    return Saved(entry, True)


async def set_status(
    entry_id: int,
    status: EntryStatus,
    user: StaffUser | None,
    actor: StaffActor | None,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> Saved:
    """Publish (``PUBLISHED``) or retire (``RETIRED``) an entry: a reviewer's act."""
    if user is not None and not can(user, "knowledge.publish"):
        raise NotAllowed("发布或下线须由审核人员操作")
    entry = await _entry(entry_id)
    if expected_version is not None and expected_version != entry.version:
        raise EntryConflict(entry.id)
    before = EntryStatus(entry.status)
    if before == status:
        return Saved(entry, False)
    codes = await unit_codes()
    async with in_transaction():
        old = entry.version
        entry.status = status
        entry.version = old + 1
        entry.updated_at = now
        entry.updated_by = actor.username if actor else "system"
        fields = ["status", "version", "updated_at", "updated_by"]
        if status == EntryStatus.PUBLISHED:
            entry.published_at = now
            entry.published_by = entry.updated_by
            fields += ["published_at", "published_by"]
        await _save_version(entry, old, fields)
        action = "publish" if status == EntryStatus.PUBLISHED else "retire"
        changes = {"status": [before.value, status.value]}
        await _record(entry, action, actor, now, changes, codes.get(entry.unit_id or 0, ""))
    return Saved(entry, True)


async def versions_of(entry_id: int) -> list[KnowledgeVersion]:
    return await KnowledgeVersion.filter(entry_id=entry_id).order_by("-version")
