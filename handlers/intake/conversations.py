"""Per-resident dialogue state, stored in the database with an expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from handlers.residents.records import first_contact
from models import Conversation, Resident


class DialogueState(StrEnum):
    IDLE = "idle"
    AWAITING_PLACE = "awaiting_place"  # a case was created without a place: we asked for it
    COLLECTING = "collecting"  # a case was just created: more text and photos join it
    HOLDING = "holding"  # photos or a location arrived before any words: kept until text comes
    # A follow-up may be another problem: we asked whether it joins the case or starts a new one;
    # ``data`` keeps the words (and attachments) until the resident answers.
    CHOOSING = "choosing"
    # A question was answered from the knowledge base; ``data`` keeps the words and the entries
    # offered until the resident says 解决了 or 没解决 (handlers/knowledge/intake.py).
    KNOWLEDGE = "knowledge"
    # A suggestion was just registered (人民建议, issue 18): 转为诉求 makes it a case;
    # ``data`` keeps the suggestion's id (handlers/suggestions/chat.py).
    SUGGESTED = "suggested"
    # The suggestion office asked the proposer for more: their next words join the suggestion.
    SUGGESTION_MORE = "suggestion_more"
    # The resident tapped a themed call's menu (or sent its keyword alone): the next words are
    # their reply to it; ``data`` names the call (handlers/suggestions/call_replies.py).
    CALL = "call"


async def current(resident: Resident, now: datetime) -> Conversation:
    """The resident's conversation; an expired one reads as idle with nothing held.

    A resident this message created has none yet: an idle one is given, stored by the first
    :func:`set_state` (one insert instead of an insert and an update)."""
    if first_contact(resident):
        return Conversation(
            resident_id=resident.id, state=DialogueState.IDLE, data={}, expires_at=now
        )
    conversation = await Conversation.get_or_none(resident_id=resident.id)
    if conversation is None:
        conversation = await Conversation.create(
            resident_id=resident.id, state=DialogueState.IDLE, data={}, expires_at=now
        )
    if conversation.expires_at <= now:
        conversation.state = DialogueState.IDLE
        conversation.case_id = None
        conversation.data = {}
    return conversation


async def set_state(
    conversation: Conversation,
    state: DialogueState,
    now: datetime,
    ttl: timedelta,
    *,
    case_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    conversation.state = state
    conversation.case_id = case_id
    conversation.data = data or {}
    conversation.expires_at = now + ttl
    if conversation.id is None:
        await conversation.save()
        return
    await Conversation.filter(id=conversation.id).update(
        state=state, case_id=case_id, data=conversation.data, expires_at=conversation.expires_at
    )


async def reset(conversation: Conversation, now: datetime) -> None:
    await set_state(conversation, DialogueState.IDLE, now, timedelta(0))
