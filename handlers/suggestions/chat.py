"""The chat's part in a suggestion's life: 转为诉求 right after it, the proposer's answer when
the office asked for more, and their consent to publication (``handlers.suggestions.consent``:
「同意公开」, 「不同意公开」, whatever the dialogue; the 已收到 reply offers it as a tap).

- Right after a suggestion is registered the conversation remembers it (``SUGGESTED``, for the
  conversation's usual minutes): the resident replying 「转为诉求」, or tapping that link in the
  reply (a ``bizmsgmenu`` option carrying the suggestion's id, which works later too), makes a
  case of it (``handlers.suggestions.conversion``). The word typed later, outside that
  dialogue, turns their latest suggestion still waiting for screening within 48 hours.
- When the office asks for more (``office.ask``) and the proposer has no dialogue under way
  about a case, their conversation waits for the answer (``SUGGESTION_MORE``) for 48 hours,
  the customer-service window in which the question reached them: their next words (and the
  voice's recognised words) are added to the suggestion (``additions.add_info``), which goes
  back to the office. Commands (我的诉求, a number, 帮助) are still commands; a dialogue about a
  case is never taken over. The mini-program adds through the same ``add_info``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from config import replies
from config import suggestion_office as texts
from config import suggestions as intake_texts
from handlers.context import HandlerContext
from handlers.intake import conversations
from handlers.intake.conversations import DialogueState
from handlers.intake.report import Report
from handlers.suggestions import consent
from handlers.suggestions.access import SuggestionRefused
from handlers.suggestions.additions import add_info, added_reply
from handlers.suggestions.conversion import to_case
from handlers.suggestions.intake import screening_days
from handlers.suggestions.records import OPEN_STATUSES
from handlers.timeline import Actor
from models import Conversation, Resident, Suggestion, SuggestionStatus

ANSWER_WINDOW = timedelta(hours=48)  # WeChat's customer-service window: the question's reach
TO_CASE_MENU = "suggestion-case"  # menu ids are suggestion-case:<suggestion id>
SUGGESTION_STATES = frozenset({DialogueState.SUGGESTED, DialogueState.SUGGESTION_MORE})
# A dialogue under way about a case: the office's question does not take it over.
CASE_DIALOGUES = frozenset(
    {
        DialogueState.AWAITING_PLACE,
        DialogueState.COLLECTING,
        DialogueState.CHOOSING,
        DialogueState.HOLDING,
        DialogueState.KNOWLEDGE,
    }
)
_NOISE = re.compile(r"[\s，。！？,.!?、；;：:「」『』“”\"'（）()]+")


@dataclass(frozen=True)
class ChatStep:
    """What the chat did with a message about a suggestion: the reply, and the case made."""

    reply: str
    report: Report | None = None
    keeps_dialogue: bool = False  # consent words: a dialogue under way goes on


def to_case_menu_id(suggestion: Suggestion) -> str:
    return f"{TO_CASE_MENU}:{suggestion.id}"


def received_reply(suggestion: Suggestion, ctx: HandlerContext) -> str:
    """The chat's answer to a new suggestion: its number, and 转为诉求 as a tappable option."""
    link = replies.CHOOSE_LINK.format(
        label=intake_texts.TO_CASE_WORD, menu_id=to_case_menu_id(suggestion)
    )
    received = intake_texts.RECEIVED.format(
        number=suggestion.number, days=screening_days(ctx), to_case=link
    )
    return f"{received}\n{consent.hint(suggestion)}"


async def remember(conversation: Conversation, suggestion: Suggestion, ctx: HandlerContext) -> None:
    """The conversation right after a suggestion: 转为诉求 refers to it."""
    await conversations.set_state(
        conversation,
        DialogueState.SUGGESTED,
        ctx.now,
        ctx.conversation_ttl,
        data={"suggestion": suggestion.id},
    )


async def expect_more(suggestion: Suggestion, now: datetime) -> bool:
    """After the office asked: the proposer's next words join the suggestion (unless a dialogue
    about a case is under way). Whether the conversation now waits for them."""
    if suggestion.resident_id is None:
        return False
    conversation = await Conversation.get_or_none(resident_id=suggestion.resident_id)
    if conversation is None:
        conversation = Conversation(
            resident_id=suggestion.resident_id, state=DialogueState.IDLE, data={}, expires_at=now
        )
    elif conversation.expires_at > now and conversation.state in CASE_DIALOGUES:
        return False
    await conversations.set_state(
        conversation,
        DialogueState.SUGGESTION_MORE,
        now,
        ANSWER_WINDOW,
        data={"suggestion": suggestion.id},
    )
    return True


def _is_to_case_word(text: str) -> bool:
    return _NOISE.sub("", text) == intake_texts.TO_CASE_WORD


def _tapped(menu: str | None) -> int | None:
    if not menu or not menu.startswith(f"{TO_CASE_MENU}:"):
        return None
    raw = menu.removeprefix(f"{TO_CASE_MENU}:")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def concerns(text: str, menu: str | None, conversation: Conversation) -> bool:
    """Whether the message may be about a suggestion (cheap: no database)."""
    return (
        conversation.state in SUGGESTION_STATES
        or _tapped(menu) is not None
        or _is_to_case_word(text)
        or consent.read(text, menu) is not None
    )


async def _to_convert(
    text: str, menu: str | None, resident: Resident, conversation: Conversation, now: datetime
) -> tuple[bool, Suggestion | None]:
    """Whether the resident asks for 转为诉求, and which of their suggestions it is."""
    tapped = _tapped(menu)
    if tapped is not None:
        return True, await Suggestion.get_or_none(id=tapped, resident_id=resident.id)
    if not _is_to_case_word(text):
        return False, None
    remembered = dict(conversation.data).get("suggestion")
    if conversation.state == DialogueState.SUGGESTED and isinstance(remembered, int):
        return True, await Suggestion.get_or_none(id=remembered, resident_id=resident.id)
    latest = (
        await Suggestion.filter(
            resident_id=resident.id,
            status__in=list(OPEN_STATUSES),
            created_at__gte=now - ANSWER_WINDOW,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return True, latest


async def after_suggestion(
    text: str,
    menu: str | None,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None = None,
) -> ChatStep | None:
    """The chat's answer when the message is about a suggestion, else None (read it as usual).
    Call inside the message's transaction."""
    consented = await consent.answer(text, menu, resident, ctx)
    if consented is not None:
        return ChatStep(consented, keeps_dialogue=True)
    wanted, suggestion = await _to_convert(text, menu, resident, conversation, ctx.now)
    if wanted:
        if suggestion is None:
            return ChatStep(texts.NOTHING_TO_CONVERT)
        status = SuggestionStatus(suggestion.status)
        if status not in OPEN_STATUSES:
            return ChatStep(
                texts.CANNOT_CONVERT.format(number=suggestion.number, status=status.label)
            )
        try:
            async with in_transaction():  # a savepoint: a refusal leaves no case behind
                report = await to_case(suggestion, Actor("resident", resident.openid), ctx)
        except SuggestionRefused:  # the office decided in the same moment
            await suggestion.refresh_from_db()
            label = SuggestionStatus(suggestion.status).label
            return ChatStep(texts.CANNOT_CONVERT.format(number=suggestion.number, status=label))
        reply = texts.TO_CASE_CHAT.format(number=suggestion.number, reply=report.reply)
        return ChatStep(reply, report)
    if conversation.state != DialogueState.SUGGESTION_MORE:
        return None
    waiting = dict(conversation.data).get("suggestion")
    suggestion = (
        await Suggestion.get_or_none(id=waiting, resident_id=resident.id)
        if isinstance(waiting, int)
        else None
    )
    if suggestion is None or suggestion.status != SuggestionStatus.MORE_INFO:
        return None  # answered meanwhile (or decided): read the words as usual
    try:
        async with in_transaction():
            await add_info(suggestion, resident, text[: texts.MAX_ADDED], ctx, attachments)
    except SuggestionRefused:
        return None  # nothing to add, or decided in the same moment: read the words as usual
    return ChatStep(added_reply(suggestion))
