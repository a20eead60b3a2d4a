"""The knowledge base grows from the work: a unit's answer to a 咨询 case becomes an entry, or the
resident's words become another wording (相似问法) of an entry that already gives that answer.

Only 咨询 cases: a complaint's result is what was done about one place, not an answer others can
reuse. The answer is the unit's latest reply to the resident since the case was last reopened
(重办 says the earlier one did not hold): the result of its 办结, else a 办理进展 with words.

Who may (:func:`handlers.staff.permissions.may_turn_case_into_entry`): the centre's dispatchers
and admins for any case, a unit's staff and supervisors for their own unit's cases; adding a
wording to an entry also needs the right to edit that entry (a unit its own entries).

A new entry is a draft of the case's unit (reviewed before it answers anybody); a wording added
to an entry is a new version of it, and an edit by a unit sends a published entry back to review
(``handlers.knowledge.editing``). Either is a version named ``from_case``, an audit event
``knowledge.from_case`` naming the case, and a note on the case's timeline, in one transaction.
Asked again for the same case and entry, nothing is written twice: the entry the case already
made is answered, a wording already there is not added again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tortoise.transactions import in_transaction

from config.lexicon import KIND_LABELS
from handlers.knowledge.editing import NotAllowed, create_entry, edit_entry, unit_codes
from handlers.knowledge.records import (
    MAX_QUESTION,
    MAX_VARIANT,
    EntryIn,
    KnowledgeProblem,
    content_of,
)
from handlers.staff.audit import StaffActor
from handlers.staff.permissions import may_turn_case_into_entry
from handlers.timeline import Actor, annotate
from handlers.workflow.actions import PHOTOS_ONLY_NOTE
from models import Case, CaseAction, CaseEvent, KnowledgeEntry, StaffUser
from nlu import mask_phones_in_text

ACTION = "from_case"  # the version's action and the audit event's (knowledge.from_case)
NOTE_KIND = "knowledge_entry"  # the timeline note's data kind
QUESTION_KIND = "question"
NOT_ALLOWED = "只有区中心派单员、管理员和本诉求的承办单位可以把答复转为知识条目"
NO_ANSWER = "该诉求还没有单位的答复"
NO_WORDS = "该诉求没有文字内容，请填写居民的问题"


class NotConvertible(Exception):
    """The case cannot become knowledge (not a 咨询, or no answer yet); the message says why."""


@dataclass(frozen=True)
class UnitAnswer:
    text: str
    at: datetime | None
    source: str  # result | progress


@dataclass(frozen=True)
class Turned:
    """What came of it: ``entry``; ``created`` a new entry, ``added`` a new wording of one (both
    false: it was already so, nothing written)."""

    entry: KnowledgeEntry
    created: bool
    added: bool

    @property
    def changed(self) -> bool:
        return self.created or self.added


async def unit_answer(case: Case) -> UnitAnswer | None:
    """The unit's latest reply to the resident since the case was last reopened, or None."""
    actions = (CaseAction.FINISH, CaseAction.PROGRESS, CaseAction.REOPEN)
    events = await CaseEvent.filter(
        case_id=case.id, action__in=[a.value for a in actions]
    ).order_by("-at", "-id")
    for event in events:
        if event.action == CaseAction.REOPEN.value:
            break
        data = event.data or {}
        if event.action == CaseAction.FINISH.value:
            text = str(data.get("result") or event.note).strip()
            source = "result"
        else:
            words = event.note.strip()
            photos_only = words == PHOTOS_ONLY_NOTE and bool(data.get("attachments"))
            text, source = ("" if photos_only else words), "progress"
        if text:
            return UnitAnswer(text, event.at, source)
    if case.result.strip():  # a result kept without its event (older rows)
        return UnitAnswer(case.result.strip(), case.completed_at, "result")
    return None


def resident_words(case: Case, limit: int = MAX_QUESTION) -> str:
    """The resident's words as a question: phones masked, one line, cut to ``limit``."""
    words = " ".join(mask_phones_in_text(case.text or "").split())
    return words[:limit]


async def find_entry(reference: str) -> KnowledgeEntry:
    """The entry named by its code or its id; a name nothing has is the caller's mistake."""
    reference = reference.strip()
    entry = await KnowledgeEntry.get_or_none(code=reference[:32]) if reference else None
    if entry is None and reference.isascii() and reference.isdigit() and len(reference) <= 18:
        entry = await KnowledgeEntry.get_or_none(id=int(reference))
    if entry is None:
        raise KnowledgeProblem([f"没有编号为 {reference or '（空）'} 的知识条目"])
    return entry


async def made_before(case: Case) -> KnowledgeEntry | None:
    """The entry this case already made (not a wording it added), if it still exists."""
    notes = await CaseEvent.filter(case_id=case.id, action=CaseAction.ANNOTATE.value).order_by(
        "-id"
    )
    for note in notes:
        data = note.data or {}
        if data.get("kind") == NOTE_KIND and data.get("created"):
            entry = await KnowledgeEntry.get_or_none(id=int(data.get("entry") or 0))
            if entry is not None:
                return entry
    return None


def _with_variant(entry: KnowledgeEntry, unit_code: str, words: str) -> EntryIn:
    content = content_of(entry, unit_code)
    return EntryIn(
        question=content["question"],
        answer=content["answer"],
        variants=(*content["variants"], words),
        links=tuple((link.get("title", ""), link.get("url", "")) for link in content["links"]),
        mini_page=content["mini_page"],
        unit=unit_code,
        policy=content["policy"],
        valid_from=date.fromisoformat(content["valid_from"]) if content["valid_from"] else None,
        valid_until=date.fromisoformat(content["valid_until"]) if content["valid_until"] else None,
        category=content["category"],
        scope=content["scope"],
        street=content["street"],
        compound=content["compound"],
    )


async def _check_case(case: Case, user: StaffUser) -> UnitAnswer:
    if not may_turn_case_into_entry(user, case):
        raise NotAllowed(NOT_ALLOWED)
    if case.kind != QUESTION_KIND:
        kind = KIND_LABELS.get(case.kind, case.kind)
        raise NotConvertible(f"只有咨询类诉求的答复可以转为知识条目，该诉求是{kind}")
    answer = await unit_answer(case)
    if answer is None:
        raise NotConvertible(NO_ANSWER)
    return answer


async def turn_into_entry(
    case: Case,
    user: StaffUser,
    actor: StaffActor,
    now: datetime,
    *,
    entry: str = "",
    question: str = "",
    answer: str = "",
) -> Turned:
    """Make ``case``'s answer knowledge: a new draft entry (``entry`` empty; ``question`` and
    ``answer`` override the resident's words and the unit's answer), or the resident's words
    (or ``question``) as a wording of the entry named by its code or id.

    Raises :class:`NotAllowed`, :class:`NotConvertible`, :class:`KnowledgeProblem` (bad input)
    and ``EntryConflict`` (the entry changed meanwhile); nothing is written then."""
    unit_reply = await _check_case(case, user)
    if entry.strip():
        if answer.strip():
            raise KnowledgeProblem(["作为已有条目的问法时不修改答复；要改答复请到条目页编辑"])
        target = await find_entry(entry)
        return await _add_variant(case, target, user, actor, now, question)
    earlier = await made_before(case)
    if earlier is not None:
        return Turned(earlier, created=False, added=False)
    words = question.strip() or resident_words(case)
    if not words:
        raise KnowledgeProblem([NO_WORDS])
    codes = await unit_codes()
    given = EntryIn(
        question=words,
        answer=answer.strip() or unit_reply.text,
        unit=codes.get(case.unit_id or 0, ""),
        category=case.category,
    )
    async with in_transaction():
        made = await create_entry(
            given, user, actor, now, action=ACTION, detail={"case": case.number}
        )
        await _note(case, made, actor, now, created=True)
    return Turned(made, created=True, added=False)


async def _add_variant(
    case: Case,
    target: KnowledgeEntry,
    user: StaffUser,
    actor: StaffActor,
    now: datetime,
    question: str,
) -> Turned:
    words = question.strip()[:MAX_VARIANT] or resident_words(case, MAX_VARIANT)
    if not words:
        raise KnowledgeProblem([NO_WORDS])
    if words == target.question or words in target.variants:
        return Turned(target, created=False, added=False)
    codes = await unit_codes()
    given = _with_variant(target, codes.get(target.unit_id or 0, ""), words)
    async with in_transaction():
        saved = await edit_entry(
            target.id,
            given,
            user,
            actor,
            now,
            expected_version=target.version,
            action=ACTION,
            detail={"case": case.number},
        )
        await _note(case, saved.entry, actor, now, created=False)
    return Turned(saved.entry, created=False, added=True)


async def _note(
    case: Case, entry: KnowledgeEntry, actor: StaffActor, now: datetime, *, created: bool
) -> None:
    what = "（新条目，待审核发布）" if created else "（居民的问法加入该条目）"
    await annotate(
        case,
        Actor("staff", actor.label),
        now,
        f"转为知识条目 {entry.code}{what}",
        {"kind": NOTE_KIND, "entry": entry.id, "code": entry.code, "created": created},
    )
