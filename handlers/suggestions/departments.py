"""A department answers a suggestion adopted for it (部门答复), and what is overdue.

The unit's own accounts (unit staff, its supervisors) or the office answer the unit's
:class:`models.SuggestionAdoption` (``handlers.staff.permissions.may_answer_suggestion``): what the
suggestion was taken into (``policy`` 纳入政策, ``project`` 纳入项目, ``fix`` 立即整改) or why not
now (``not_now`` 暂不实施), the answer's words, the date the measure takes effect, and documents
or photos: links (``http(s)://…``) or files already in our store, named by ``media_key`` or by
their ``/media/<key>`` URL (the worker API's uploads answer that way). An answer is given once
(a second one is 409: ask the office to adopt again).

When the last department of the suggestion answers, the suggestion becomes 部门已答复 by a
system event and the proposer is told every answer in one message. The suggestion's row is
locked while a department answers (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writes one at a
time), so two departments answering at once cannot both leave it waiting.

Overdue: an adoption still pending past its ``due_at`` (:func:`overdue_adoptions`); the
dashboard lists them first, the admin API filters on them.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from config import suggestion_office as texts
from config.settings import Settings
from handlers.context import HandlerContext
from handlers.media.worker_photos import key_in_url
from handlers.residents.media_store import KEY_PATTERN, media_url
from handlers.staff.audit import StaffActor
from handlers.staff.permissions import may_answer_suggestion
from handlers.suggestions.access import SuggestionHidden, SuggestionRefused, bad_input, clean_text
from handlers.suggestions.records import record, tell
from handlers.suggestions.steps import audited, take_step
from handlers.timeline import Actor
from models import (
    AdoptionStatus,
    MediaFile,
    StaffRole,
    StaffUser,
    Suggestion,
    SuggestionAdoption,
    SuggestionStatus,
    Unit,
)

URL = re.compile(r"^https?://[^\s\x00]{1,490}$")
ANSWER_CLIP = 300  # each answer in the proposer's message


def overdue_adoptions(now: datetime) -> QuerySet[SuggestionAdoption]:
    """Departments' answers owed past their deadline."""
    return SuggestionAdoption.filter(status=AdoptionStatus.PENDING, due_at__lt=now)


async def checked_attachments(
    items: list[dict[str, Any]], settings: Settings
) -> list[dict[str, Any]]:
    """The answer's documents and photos as stored: links, or files of our store (checked to
    exist). Raises ``SuggestionRefused`` (400) naming what is wrong."""
    if len(items) > texts.MAX_ATTACHMENTS:
        raise bad_input(texts.TOO_MANY_ATTACHMENTS)
    kept: list[dict[str, Any]] = []
    for item in items:
        title = clean_text(str(item.get("title") or ""), "附件名称", 64)
        url = str(item.get("url") or "").strip()
        key = item.get("media_key")
        if key is None and url:
            key = key_in_url(url, settings)
        if key is not None:
            if not isinstance(key, str) or not KEY_PATTERN.match(key):
                raise bad_input(texts.BAD_ATTACHMENT.format(what=str(key)[:40]))
            if not await MediaFile.exists(key=key):
                raise bad_input(texts.BAD_ATTACHMENT.format(what=key[:12] + "…"))
            kept.append(
                {"type": "file", "media_key": key, "url": media_url(settings, key), "title": title}
            )
        elif URL.match(url):
            kept.append({"type": "link", "url": url, "title": title})
        else:
            raise bad_input(texts.BAD_ATTACHMENT.format(what=url[:40] or "（空）"))
    return kept


async def _adoption(suggestion: Suggestion, unit_code: str) -> tuple[Unit, SuggestionAdoption]:
    code = unit_code.strip()[:32]
    unit = await Unit.get_or_none(code=code) if code and "\x00" not in code else None
    adoption = (
        await SuggestionAdoption.get_or_none(suggestion_id=suggestion.id, unit_id=unit.id)
        if unit is not None
        else None
    )
    if unit is None or adoption is None:
        raise SuggestionHidden(texts.NOT_ADOPTED_FOR)
    return unit, adoption


async def answer(
    suggestion: Suggestion,
    unit_code: str,
    kind: str,
    text: str,
    effective: date | None,
    attachments: list[dict[str, Any]],
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
) -> SuggestionAdoption:
    """The department's answer; see the module's note. ``SuggestionHidden`` when the suggestion
    was not adopted for that unit (or there is no such unit)."""
    unit, adoption = await _adoption(suggestion, unit_code)
    if not may_answer_suggestion(user, unit.id):
        raise SuggestionRefused(texts.NOT_YOUR_UNIT, 403, "forbidden")
    if kind not in texts.ANSWER_KINDS:
        raise bad_input(texts.UNKNOWN_KIND)
    text = clean_text(text, "答复内容", texts.MAX_ANSWER, required=texts.NEED_ANSWER)
    kept = await checked_attachments(attachments, ctx.settings)
    if adoption.status != AdoptionStatus.PENDING:
        raise SuggestionRefused(texts.ALREADY_ANSWERED, 409, "unchanged")
    role = StaffRole(user.role)
    who = Actor("unit" if role in (StaffRole.UNIT, StaffRole.SUPERVISOR) else "staff", actor.label)
    label = texts.ANSWER_KINDS[kind]
    async with in_transaction():
        locked = await Suggestion.filter(id=suggestion.id).select_for_update().first()
        assert locked is not None
        changed = await SuggestionAdoption.filter(
            id=adoption.id, status=AdoptionStatus.PENDING
        ).update(
            status=AdoptionStatus.ANSWERED,
            answer_kind=kind,
            answer=text,
            answer_date=effective,
            attachments=kept,
            answered_at=ctx.now,
            answered_by=actor.username,
        )
        if not changed:
            raise SuggestionRefused(texts.ALREADY_ANSWERED, 409, "unchanged")
        data = {
            "unit": unit.code,
            "kind": kind,
            "date": effective.isoformat() if effective else None,
            "attachments": len(kept),
        }
        await record(
            locked, "answer", who, ctx.now, note=f"{unit.name}（{label}）：{text}", data=data
        )
        await audited(actor, "answer", locked, ctx.now, data)
        owed = await SuggestionAdoption.filter(
            suggestion_id=locked.id, status=AdoptionStatus.PENDING
        ).count()
        if not owed and locked.status == SuggestionStatus.ADOPTED:
            event = await take_step(
                locked, SuggestionStatus.ANSWERED, "answered", Actor.system(), ctx.now
            )
            await tell(locked, event, await answers_text(locked), ctx.now, ctx.settings)
    await adoption.refresh_from_db()
    return adoption


async def answers_text(suggestion: Suggestion) -> str:
    """Every department's answer, for the proposer."""
    lines = [texts.ANSWERED_HEAD.format(number=suggestion.number)]
    adoptions = await SuggestionAdoption.filter(
        suggestion_id=suggestion.id, status=AdoptionStatus.ANSWERED
    ).order_by("answered_at", "id")
    names = dict(await Unit.filter(id__in=[a.unit_id for a in adoptions]).values_list("id", "name"))
    for adoption in adoptions:
        words = adoption.answer
        if len(words) > ANSWER_CLIP:
            words = words[: ANSWER_CLIP - 1] + "…"
        line = texts.ANSWER_LINE.format(
            unit=names.get(adoption.unit_id, ""),
            kind=texts.ANSWER_KINDS.get(adoption.answer_kind, adoption.answer_kind),
            answer=words,
        )
        if adoption.answer_date is not None:
            day = adoption.answer_date
            line += texts.ANSWER_DATE.format(date=f"{day.year}年{day.month}月{day.day}日")
        lines.append(line)
    return "\n".join(lines)
