"""Replies to a themed call (征集活动), from the chat and the mini-program, gathered under it.

A reply to a call is a suggestion by definition, whatever the understanding reads the words as,
with two exceptions: words naming something urgent or a danger to life (``急``, or a hazard of
``nlu.urgency``) are a case, as the knowledge base leaves them (``handlers.knowledge.intake``);
and outside the call's period the resident is told the call is over (or not yet begun) and the
words go on as an ordinary message.

In the chat a message is a reply when it starts with the call's keyword (``#金点子 …``,
``＃金点子 …``, ``【金点子】…`` or ``金点子：…``; the keyword is stripped), when it follows a tap
on the call's menu (a ``bizmsgmenuid`` ``call:<code>``, or the custom menu's CLICK
``CALL:<code>``), or when it follows the keyword sent alone: the tap and the bare keyword are
answered with the call's question, and the conversation (state ``call``) takes the next words.
Each channel counts only when the call lists it (``chat``, ``menu``; ``mini`` for the form).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config import suggestion_calls as texts
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.intake import conversations
from handlers.intake.conversations import DialogueState
from handlers.intake.rate_limits import case_limit
from handlers.residents.records import first_contact
from handlers.suggestions.call_keywords import KeywordCalls, load_recent
from handlers.suggestions.calls import in_period
from handlers.suggestions.intake import screening_days, take
from models import CallStatus, Conversation, Resident, Suggestion, SuggestionCall
from nlu.chatter import read_chatter
from nlu.understanding import Understanding, understand

_OPENERS = (("#", ""), ("＃", ""), ("【", "】"), ("[", "]"))
_STRIP = texts.KEYWORD_SEPARATORS + "#＃"


@dataclass(frozen=True)
class Heard:
    """What the chat makes of a message about a call: ``reply`` answers it here; else ``text``
    goes on as an ordinary message, after ``note`` (the call is over)."""

    reply: str | None = None
    text: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Gathered:
    suggestion: Suggestion
    reply: str


def is_urgent(reading: Understanding) -> bool:
    """Words that must be a case, whatever they answer."""
    return reading.urgency == "急" or bool(reading.hazards)


def after_keyword(text: str, keyword: str) -> str | None:
    """The words after ``keyword`` ('' for the keyword alone), or None when ``text`` does not
    start with it as a reply does."""
    body = text.strip()
    for opener, closer in _OPENERS:
        mark = opener + keyword + closer
        if body.startswith(mark):
            return body[len(mark) :].lstrip(_STRIP).strip()
    if body.startswith(keyword):
        rest = body[len(keyword) :]
        if not rest or rest[0] in texts.KEYWORD_SEPARATORS:
            return rest.lstrip(_STRIP).strip()
    return None


def _may_start_with_keyword(text: str) -> bool:
    """Cheap test before looking calls up: a keyword reply opens with a mark, or has a
    separator right after a keyword's length, or is short."""
    body = text.strip()
    head = body[: texts.KEYWORD_MAX + 1]
    return (
        body[:1] in ("#", "＃", "【", "[")
        or len(body) <= texts.KEYWORD_MAX
        or any(mark in head for mark in texts.KEYWORD_SEPARATORS)
    )


def closed_text(call: SuggestionCall, now: datetime) -> str:
    if call.status == CallStatus.OPEN and now < call.starts_at:
        return texts.NOT_STARTED.format(title=call.title, starts=format_local(call.starts_at))
    return texts.CLOSED.format(title=call.title, ends=format_local(call.ends_at))


def prompt(call: SuggestionCall) -> str:
    return texts.PROMPT.format(
        title=call.title, question=call.question, ends=format_local(call.ends_at)
    )


async def gather(
    call: SuggestionCall,
    resident: Resident,
    words: str,
    ctx: HandlerContext,
    *,
    channel: str,
    attachments: list[dict[str, Any]] | None = None,
    columns: dict[str, Any] | None = None,
    reading: Understanding | None = None,
) -> Gathered | None:
    """The resident's reply to ``call`` as a suggestion under it (inside the caller's
    transaction); None when the words are urgent or dangerous: a case, not a suggestion."""
    reading = reading or understand(words, gazetteer=ctx.gazetteer, model=ctx.model)
    if is_urgent(reading):
        return None
    made = await take(
        resident,
        words,
        reading,
        ctx,
        channel=channel,
        attachments=attachments,
        call_id=call.id,
        columns=columns,
        data={"call": call.code},
    )
    reply = texts.RECEIVED.format(
        title=call.title, number=made.suggestion.number, days=screening_days(ctx)
    )
    return Gathered(made.suggestion, reply)


async def keyword_call(
    text: str, now: datetime, cache: KeywordCalls | None = None
) -> tuple[SuggestionCall, str] | None:
    """The call whose keyword ``text`` starts with, and the words after it. Of several, the one
    taking replies now, then the longest keyword, then the latest. ``cache``: the app's calls in
    memory (else they are read)."""
    if not _may_start_with_keyword(text):
        return None
    recent = await cache.recent(now) if cache is not None else await load_recent(now)
    found: list[tuple[SuggestionCall, str]] = []
    for call in recent:
        rest = after_keyword(text, call.keyword)
        if rest is not None:
            found.append((call, rest))
    if not found:
        return None
    found.sort(key=lambda m: (in_period(m[0], now), len(m[0].keyword), m[0].starts_at))
    return found[-1]


async def _answer(
    call: SuggestionCall,
    words: str,
    resident: Resident,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None,
    channel: str,
) -> Heard:
    limited = await case_limit(
        resident.id, ctx.now, ctx.settings, text=words, new_resident=first_contact(resident)
    )
    if limited is not None:
        return Heard(reply=limited.text)
    gathered = await gather(call, resident, words, ctx, channel=channel, attachments=attachments)
    if gathered is None:
        return Heard(text=words)  # urgent: the ordinary way makes a case of it
    return Heard(reply=gathered.reply)


async def _ask(call: SuggestionCall, conversation: Conversation, ctx: HandlerContext) -> Heard:
    await conversations.set_state(
        conversation, DialogueState.CALL, ctx.now, ctx.conversation_ttl, data={"call": call.id}
    )
    return Heard(reply=prompt(call))


async def tap(
    code: str, resident: Resident, conversation: Conversation, ctx: HandlerContext
) -> Heard | None:
    """A tap on the call's menu: its question, and the next words are the reply."""
    call = await SuggestionCall.get_or_none(code=code[:32])
    if call is None or call.status == CallStatus.DRAFT or "menu" not in call.channels:
        return None
    if not in_period(call, ctx.now):
        return Heard(reply=closed_text(call, ctx.now))
    return await _ask(call, conversation, ctx)


async def hear(
    text: str,
    menu: str | None,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None,
    channel: str,
) -> Heard | None:
    """What a chat message has to do with a call; None: nothing."""
    if menu and menu.startswith(texts.MENU_PREFIX):
        return await tap(menu.removeprefix(texts.MENU_PREFIX), resident, conversation, ctx)
    if conversation.state == DialogueState.CALL and read_chatter(text) is None:
        call_id = dict(conversation.data).get("call")
        await conversations.reset(conversation, ctx.now)
        call = await SuggestionCall.get_or_none(id=call_id) if isinstance(call_id, int) else None
        if call is not None and in_period(call, ctx.now):
            return await _answer(call, text, resident, ctx, attachments, channel)
        if call is not None:
            return Heard(text=text, note=closed_text(call, ctx.now))
    matched = await keyword_call(text, ctx.now, ctx.keyword_calls)
    if matched is None:
        return None
    call, words = matched
    if not in_period(call, ctx.now):
        closed = closed_text(call, ctx.now)
        return Heard(text=words, note=closed) if words else Heard(reply=closed)
    if not words:
        return await _ask(call, conversation, ctx)
    return await _answer(call, words, resident, ctx, attachments, channel)
