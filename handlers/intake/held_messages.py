"""Messages kept but not routed, and the residents whose messages are kept that way.

A message is held (``models.HeldMessage``) when its sender is blocked (reason ``blocked``) or
the content check wants a person to look (``content_check``, see ``handlers.intake.content_check``).
Held messages come from the mini-program's API (a new case, or an addition to one) and from
the chat of the official account or mini-program (one message each). A dispatcher decides:

- **release**: the message goes the way it would have gone. A submission becomes a case through
  the same path as an unheld one (``handlers.residents.cases.make_case``), an addition is added,
  a chat message becomes a case of its own; a suggestion's submission (the mini-program's
  suggestion form, a request to Open311's ``suggestion`` service) becomes a suggestion for the
  suggestion office (``handlers.suggestions``), its number in the held message's payload. The
  resident is told (``notify_resident``), the number included. Its deadlines run from the
  release.
- **discard**: it stays as it is, with the dispatcher's note; the resident is not told.

An admin blocks a resident who abuses the service (with a reason) and unblocks them. Blocking
does not touch what they already sent; it holds what they send from now on. Every decision is
an audit event, written in the decision's transaction. Deciding twice is refused
(:class:`AlreadyDecided`), so two dispatchers cannot release one message twice.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from config import replies
from config.open311 import SUGGESTION_SERVICE_CODE
from handlers.context import HandlerContext
from handlers.intake.incoming import IncomingMessage
from handlers.notify import CaseUpdate, notify_resident
from handlers.open311.suggestions import file_suggestion, suggestion_json
from handlers.residents.additions import Addition, CaseClosed, apply_addition
from handlers.residents.cases import Submission, keep_held, make_case
from handlers.staff.audit import StaffActor, audit
from handlers.suggestions import submissions as suggestion_form
from models import (
    Case,
    CaseStatus,
    HeldMessage,
    HeldReason,
    HeldStatus,
    Open311Request,
    Resident,
    Suggestion,
    SuggestionStatus,
)

logger = logging.getLogger(__name__)

# Chat messages that would make or extend a case; others (events, unknown types) are not held.
HELD_CHAT_TYPES = frozenset({"text", "link", "image", "voice", "video", "shortvideo", "location"})
CHAT_ATTACHMENT_TYPES = frozenset({"image", "voice", "video", "shortvideo"})
MAX_REASON = 255


class AlreadyDecided(Exception):
    def __init__(self, held: HeldMessage) -> None:
        super().__init__(f"held message {held.id} is {held.status}")
        self.held = held


class Unchanged(Exception):
    """The resident is already in the state asked for."""


@dataclass(frozen=True)
class Released:
    held: HeldMessage
    case: Case | None  # None: a suggestion's submission became that suggestion
    reply: str  # what the resident was told
    suggestion: Suggestion | None = None


# The chat


def message_dict(message: IncomingMessage) -> dict[str, Any]:
    """A chat message as JSON, to be read back by :func:`message_of`."""
    return {k: v for k, v in dataclasses.asdict(message).items() if v not in (None, "", ())}


def message_of(data: dict[str, Any]) -> IncomingMessage:
    known = {f.name for f in dataclasses.fields(IncomingMessage)}
    values = {k: v for k, v in data.items() if k in known}
    values["extra"] = tuple(tuple(pair) for pair in values.get("extra", ()))
    return IncomingMessage(**values)


def chat_words(message: IncomingMessage) -> str:
    if message.msg_type == "link":
        return "\n".join(p for p in (message.content, message.url or "") if p)
    if message.msg_type == "voice":
        return message.recognition or ""
    return message.content


async def hold_chat_message(
    resident: Resident,
    message: IncomingMessage,
    channel: str,
    ctx: HandlerContext,
    *,
    reason: HeldReason = HeldReason.BLOCKED,
    check: dict[str, Any] | None = None,
) -> HeldMessage:
    """Keep a chat message (a blocked resident's, or words the content check flagged); never
    routed unless a dispatcher releases it."""
    return await keep_held(
        resident,
        channel=channel,
        reason=reason,
        text=chat_words(message),
        payload={"kind": "chat", "message": message_dict(message)},
        ctx=ctx,
        check_result=check,
    )


def chat_submission(message: IncomingMessage) -> tuple[Submission, list[dict[str, Any]]]:
    """What a released chat message reports: its words, media and place."""
    attachments: list[dict[str, Any]] = []
    if message.msg_type in CHAT_ATTACHMENT_TYPES:
        attachments.append(message.attachment())
    submission = Submission(
        text=chat_words(message),
        lng=message.lng if message.msg_type == "location" else None,
        lat=message.lat if message.msg_type == "location" else None,
        address=message.label if message.msg_type == "location" else None,
    )
    return submission, attachments


# Deciding


async def _claim(
    held: HeldMessage, status: HeldStatus, actor: StaffActor, note: str, ctx: HandlerContext
) -> None:
    won = await HeldMessage.filter(id=held.id, status=HeldStatus.HELD).update(
        status=status, decided_at=ctx.now, decided_by=actor.username[:64], note=note
    )
    if not won:
        raise AlreadyDecided(await HeldMessage.get(id=held.id))
    held.status, held.decided_at, held.decided_by, held.note = (
        status,
        ctx.now,
        actor.username[:64],
        note,
    )


async def release(
    held: HeldMessage, actor: StaffActor, ctx: HandlerContext, note: str = ""
) -> Released:
    """Let a held message through: the case it makes (or the case it adds to), or the
    suggestion a suggestion's submission makes."""
    async with in_transaction():
        await _claim(held, HeldStatus.RELEASED, actor, note, ctx)
        resident = await Resident.get(id=held.resident_id)
        payload = held.payload or {}
        case: Case | None = None
        suggestion = await _as_suggestion(held, resident, payload, ctx)
        if suggestion is not None:
            made_suggestion, made_reply = suggestion
            number, status = made_suggestion.number, SuggestionStatus(made_suggestion.status).label
            reply = replies.HELD_RELEASED.format(reply=made_reply)
            payload = {**payload, "suggestion": number}  # the held page names it
            await HeldMessage.filter(id=held.id).update(payload=payload)
            held.payload = payload
            outcome = {"suggestion": number}
        else:
            case, reply = await _as_case(held, resident, payload, ctx)
            await HeldMessage.filter(id=held.id).update(case_id=case.id)
            held.case_id = case.id
            number, status = case.number, CaseStatus(case.status).label
            outcome = {"case": number}
        await notify_resident(
            resident,
            reply,
            ctx.now,
            purpose="reply",
            case_id=case.id if case is not None else None,
            dedup_key=f"held:{held.id}:released",
            settings=ctx.settings,
            update=CaseUpdate(number=number, status=status, at=ctx.now),
        )
        await audit(
            actor,
            "held.release",
            ctx.now,
            target_type="held_message",
            target_id=held.id,
            detail={**outcome, "reason": HeldReason(held.reason).value, "note": note},
        )
    logger.info("held message %s released as %s", held.id, number)
    return Released(held, case, reply, suggestion[0] if suggestion is not None else None)


async def _as_suggestion(
    held: HeldMessage, resident: Resident, payload: dict[str, Any], ctx: HandlerContext
) -> tuple[Suggestion, str] | None:
    """The suggestion a held suggestion submission makes (the mini-program's suggestion form, a
    request to Open311's suggestion service), with its reply; None for anything else, and for
    a form whose words are urgent (a case, as when it was not held)."""
    kind = payload.get("kind")
    body = payload.get("submission") or {}
    if kind == suggestion_form.KIND:
        made = await suggestion_form.make(resident, body, ctx)
        return (made.suggestion, made.reply) if made is not None else None
    if kind != "open311" or payload.get("service_code") != SUGGESTION_SERVICE_CODE:
        return None
    where = body.get("location") or {}
    location = (where["lng"], where["lat"]) if "lng" in where and "lat" in where else None
    suggestion = await file_suggestion(
        resident,
        str(body.get("text") or ""),
        ctx,
        location=location,
        place=body.get("address"),
        media_url=body.get("media_url"),
        number=str(payload.get("number") or "") or None,
    )
    return suggestion, suggestion_json(suggestion)["service_notice"] or ""


async def _as_case(
    held: HeldMessage, resident: Resident, payload: dict[str, Any], ctx: HandlerContext
) -> tuple[Case, str]:
    """The case a held message makes, or the case its addition joins; the resident's reply."""
    kind = payload.get("kind")
    if kind == "info":
        case = await Case.get_or_none(number=payload.get("case"), resident_id=resident.id)
        if case is None:
            raise CaseClosed(str(payload.get("case")))
        addition = Addition.from_body(payload.get("addition") or {})
        await apply_addition(case, resident, addition, ctx)
        return case, replies.HELD_INFO_RELEASED.format(number=case.number)
    if kind == "chat":
        submission, attachments = chat_submission(message_of(payload.get("message", {})))
        made = await make_case(
            resident, submission, ctx, channel=held.channel, attachments=attachments
        )
    elif kind == "open311":
        body = payload.get("submission") or {}
        media_url = body.get("media_url")
        made = await make_case(
            resident,
            Submission.from_body(body),
            ctx,
            channel=held.channel,
            attachments=[{"type": "image", "url": media_url}] if media_url else [],
        )
        # tokens/{token} now names the case.
        await Open311Request.filter(token=str(payload.get("token", ""))).update(
            case_id=made.case.id
        )
    else:
        submission = Submission.from_body(payload.get("submission") or {})
        made = await make_case(resident, submission, ctx, channel=held.channel)
    return made.case, replies.HELD_RELEASED.format(reply=made.reply)


async def discard(
    held: HeldMessage, actor: StaffActor, ctx: HandlerContext, note: str
) -> HeldMessage:
    async with in_transaction():
        await _claim(held, HeldStatus.DISCARDED, actor, note, ctx)
        await audit(
            actor,
            "held.discard",
            ctx.now,
            target_type="held_message",
            target_id=held.id,
            detail={"reason": HeldReason(held.reason).value, "note": note},
        )
    return held


# Blocking


async def block_resident(
    resident: Resident, reason: str, actor: StaffActor, ctx: HandlerContext
) -> Resident:
    reason = reason.strip()[:MAX_REASON]
    async with in_transaction():
        changed = await Resident.filter(id=resident.id, blocked=False).update(
            blocked=True, blocked_at=ctx.now, blocked_reason=reason
        )
        if not changed:
            raise Unchanged("the resident is blocked already")
        await audit(
            actor,
            "resident.block",
            ctx.now,
            target_type="resident",
            target_id=resident.id,
            detail={"reason": reason},
        )
    resident.blocked, resident.blocked_at, resident.blocked_reason = True, ctx.now, reason
    logger.info("resident %s blocked by %s", resident.id, actor.username)
    return resident


async def unblock_resident(resident: Resident, actor: StaffActor, ctx: HandlerContext) -> Resident:
    async with in_transaction():
        changed = await Resident.filter(id=resident.id, blocked=True).update(
            blocked=False, blocked_at=None, blocked_reason=""
        )
        if not changed:
            raise Unchanged("the resident is not blocked")
        await audit(
            actor,
            "resident.unblock",
            ctx.now,
            target_type="resident",
            target_id=resident.id,
            detail={"was": resident.blocked_reason},
        )
    resident.blocked, resident.blocked_at, resident.blocked_reason = False, None, ""
    logger.info("resident %s unblocked by %s", resident.id, actor.username)
    return resident
