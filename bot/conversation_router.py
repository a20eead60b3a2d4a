"""Which handler answers a resident's message, given what it is and where the dialogue stands.

Events go by name. A blocked resident's messages are held (``handlers.intake.held_messages``) before
anything else, lookups of their own cases excepted; a danger to life in them is still answered with
what to do now. Words the resident types as commands (我的诉求, a case number, 撤销, 帮助)
come next, then a reply to a themed call (征集活动: its keyword, a tap on its menu, or the words
after either: ``handlers.suggestions.call_replies``), then an answer to a question the bot
asked (补充 or 新诉求), then a survey answer (also right after the 办结 notice, before the
round is sent), then pleasantries and chatter (greetings, tests, emoji: no case,
``nlu.chatter``). Then the dialogue state decides:

- a case waiting for its place takes the next text or location as the place, unless the text
  names no place and reads as another problem;
- a case just reported takes further photos as detail, and further text as detail when it is
  about the same matter (``nlu.sameness``): another problem starts a case of its own, and when it
  is unclear the bot asks, with both answers tappable;
- photos or a location sent before any words are held until the words come;
- anything else is a new report. Past the resident's case limit (``handlers.intake.rate_limits``)
  the message is held for a dispatcher and they are told when they may report again; urgent words
  pass every limit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.conversation_events import EVENT_HANDLERS, Outcome, on_silent_event
from bot.conversation_words import (
    chatter_reply,
    choice_question,
    is_lookup,
    normalise_command,
    read_choice,
)
from config import knowledge as knowledge_texts
from config import replies
from handlers.accounts import links
from handlers.case_numbers import find_case_number
from handlers.context import HandlerContext
from handlers.followup import answers
from handlers.intake import conversations, detail, held_messages, rate_limits, report
from handlers.intake.conversations import DialogueState
from handlers.intake.incoming import IncomingMessage
from handlers.intake.safety import with_advice
from handlers.knowledge import asks as knowledge_asks
from handlers.knowledge import feedback as knowledge_feedback
from handlers.knowledge import intake as knowledge_intake
from handlers.residents import cancel, queries
from handlers.residents.records import first_contact, resident_for, resident_writing
from handlers.suggestions import call_replies
from handlers.suggestions import chat as suggestion_chat
from handlers.suggestions.intake import Suggested
from models import (
    AskOutcome,
    Case,
    CaseStatus,
    Conversation,
    HeldReason,
    KnowledgeAsk,
    Resident,
    ResidentApp,
)
from nlu import sameness
from nlu.chatter import read_chatter
from nlu.normalise import normalise
from nlu.understanding import locate
from nlu.urgency import life_safety

ATTACHMENT_TYPES = frozenset({"image", "video", "shortvideo", "voice"})
# Dialogue states with a case that photos and locations join.
WITH_CASE = frozenset(
    {DialogueState.AWAITING_PLACE, DialogueState.COLLECTING, DialogueState.CHOOSING}
)


def chat_channel(resident: Resident) -> str:
    """The case's channel for a chat message: the official account's or the mini-program's."""
    return "miniprogram" if resident.app == ResidentApp.MINIPROGRAM else "mp"


# --- commands typed as text -------------------------------------------------------------------


async def command_reply(text: str, resident: Resident, ctx: HandlerContext) -> str | None:
    link_code = links.code_in(text) if resident.app == ResidentApp.MP else None
    if link_code is not None:  # "绑定 ABCD2345": a worker or staff member links this WeChat
        return await links.claim(resident.openid, ctx.now, code=link_code)
    command = normalise_command(text)
    if command in replies.MY_CASES_WORDS:
        return await queries.my_cases(resident)
    if command in replies.HELP_WORDS:
        return replies.HELP
    if command in replies.NOT_SAME_WORDS:
        return await report.resident_splits(resident, ctx)
    for word in replies.CANCEL_WORDS:
        if command.startswith(word) and len(command) <= len(word) + 14:
            return await cancel.cancel_case(resident, find_case_number(command), ctx.now)
    number = find_case_number(command)
    if number and command in (number, f"查询{number}", f"查{number}", f"编号{number}"):
        return await queries.case_timeline(resident, number)
    return None


async def limit_reached(
    resident: Resident,
    ctx: HandlerContext,
    text: str,
    message: IncomingMessage | None = None,
) -> Outcome | None:
    """The answer instead of a new case when the resident has made too many lately.

    Urgent words pass every limit. A message over the limit is held for a dispatcher
    (``/dashboard/held``), never only refused: it may still be a real problem.
    """
    limited = await rate_limits.case_limit(
        resident.id, ctx.now, ctx.settings, text=text, new_resident=first_contact(resident)
    )
    if limited is None:
        return None
    held = message or IncomingMessage(openid=resident.openid, msg_type="text", content=text)
    await held_messages.hold_chat_message(
        resident, held, chat_channel(resident), ctx, reason=HeldReason.RATE_LIMITED
    )
    return Outcome(limited.held_text)


# --- the dialogue -----------------------------------------------------------------------------


async def _case_of(conversation: Conversation) -> Case | None:
    case_id = conversation.case_id
    return await Case.get_or_none(id=case_id) if case_id else None


async def _new_report(
    text: str,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None = None,
) -> Outcome:
    held = conversation.data if conversation.state == DialogueState.HOLDING else {}
    all_attachments = [*held.get("attachments", []), *(attachments or [])]
    location = held.get("location")
    result = await report.report_case(
        resident,
        text,
        ctx,
        attachments=all_attachments,
        location=(location["lng"], location["lat"]) if location else None,
        channel=chat_channel(resident),
        suggestions=ctx.settings.suggestions,
    )
    if isinstance(result, Suggested):  # 建议: for the suggestion office, not a case
        await suggestion_chat.remember(conversation, result.suggestion, ctx)
        return Outcome(suggestion_chat.received_reply(result.suggestion, ctx))
    state = DialogueState.AWAITING_PLACE if result.needs_place else DialogueState.COLLECTING
    await conversations.set_state(
        conversation, state, ctx.now, ctx.conversation_ttl, case_id=result.case.id
    )
    return Outcome(result.reply, result.case.id, created_case=True)


async def _another_problem(
    text: str,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None,
    message: IncomingMessage | None,
) -> Outcome:
    """A follow-up about another problem: a case of its own (limits apply)."""
    refused = await limit_reached(resident, ctx, text, message)
    if refused is not None:
        return refused  # the dialogue stays as it is: detail may still come
    await conversations.reset(conversation, ctx.now)
    return await _new_report(text, resident, conversation, ctx, attachments)


async def _add_detail(
    case: Case,
    text: str,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None,
) -> Outcome:
    reply = await detail.add_text(case, resident, text, ctx)
    if attachments:
        await detail.add_attachments(case, resident, attachments, ctx)
    await conversations.set_state(
        conversation, DialogueState.COLLECTING, ctx.now, ctx.conversation_ttl, case_id=case.id
    )
    return Outcome(reply, case.id)


async def _ask_which(
    case: Case,
    text: str,
    conversation: Conversation,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None,
    message: IncomingMessage | None,
) -> Outcome:
    pending: dict[str, Any] = {"text": text, "attachments": attachments or []}
    if message is not None:
        pending["message"] = held_messages.message_dict(message)
    await conversations.set_state(
        conversation,
        DialogueState.CHOOSING,
        ctx.now,
        ctx.conversation_ttl,
        case_id=case.id,
        data=pending,
    )
    return Outcome(choice_question(case), case.id)


async def _on_choice(
    text: str,
    menu: str | None,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
) -> Outcome | None:
    """The resident's answer to :func:`choice_question`; None when the words are something else
    (then the pending words join the case as detail and the new words are read as usual)."""
    case = await _case_of(conversation)
    pending = dict(conversation.data)
    if case is None or not pending.get("text"):
        return None
    choice = read_choice(text, menu, case)
    words, attachments = str(pending["text"]), list(pending.get("attachments") or [])
    held = pending.get("message")
    message = held_messages.message_of(held) if isinstance(held, dict) else None
    if choice == "new":
        return await _another_problem(words, resident, conversation, ctx, attachments, message)
    if choice == "join" and (case.status.is_open or case.status is CaseStatus.MERGED):
        return await _add_detail(case, words, resident, conversation, ctx, attachments)
    if choice == "join":
        return await _another_problem(words, resident, conversation, ctx, attachments, message)
    return None


async def on_words(
    text: str,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None = None,
    menu: str | None = None,
    message: IncomingMessage | None = None,
) -> Outcome:
    text = text.strip()
    if not text:
        return Outcome(replies.EMPTY_TEXT)
    if not attachments:
        tap = knowledge_feedback.read_tap(menu)
        if tap is not None:
            return await _on_knowledge_tap(tap, resident, conversation, ctx, message)
        answer = await command_reply(text, resident, ctx)
        if answer is not None:
            return Outcome(answer)
    if suggestion_chat.concerns(text, menu, conversation):
        about = await _about_suggestion(text, menu, resident, conversation, ctx, attachments)
        if about is not None:
            return about
    # A reply to a themed call (征集活动) is a suggestion under it (handlers.suggestions).
    heard = await call_replies.hear(
        text, menu, resident, conversation, ctx, attachments, chat_channel(resident)
    )
    if heard is not None and heard.text is not None:
        outcome = await on_words(
            heard.text, resident, conversation, ctx, attachments, None, message
        )
        return replace(outcome, reply="\n\n".join(p for p in (heard.note, outcome.reply) if p))
    if heard is not None:
        return Outcome(heard.reply)
    if not attachments:
        if conversation.state == DialogueState.CHOOSING:
            chosen = await _on_choice(text, menu, resident, conversation, ctx)
            if chosen is not None:
                return chosen
        if conversation.state == DialogueState.KNOWLEDGE:
            return await _after_knowledge(text, resident, conversation, ctx, message)
        # "1" or "不满意，还是不亮" answers a survey round, also one not yet asked (回访).
        answer = await answers.reply_as_answer(resident, text, ctx, menu=menu)
        if answer is not None:
            return Outcome(answer)
        if normalise_command(text) in replies.PLEASANTRY_WORDS:
            return Outcome(replies.YOU_ARE_WELCOME)
        chatter = read_chatter(text)
        if chatter is not None:
            return Outcome(chatter_reply(chatter, text))
    for prefix in replies.NEW_CASE_PREFIXES:
        if text.startswith(prefix):
            stripped = text.removeprefix(prefix).lstrip("：:，, ")
            if stripped:
                return await _another_problem(
                    stripped, resident, conversation, ctx, attachments, message
                )
    case = await _case_of(conversation)
    if case is not None and conversation.state == DialogueState.CHOOSING:
        # Words that answer neither option: the pending words were detail after all.
        pending = dict(conversation.data)
        if pending.get("text"):
            await detail.add_text(case, resident, str(pending["text"]), ctx)
        conversation.state = DialogueState.COLLECTING
    if case is not None and conversation.state == DialogueState.AWAITING_PLACE:
        if not _names_place(text, ctx) and _verdict(case, text, ctx) == "different":
            return await _another_problem(text, resident, conversation, ctx, attachments, message)
        reply = await detail.set_place(case, resident, ctx, text=text)
        if attachments:
            await detail.add_attachments(case, resident, attachments, ctx)
        await conversations.set_state(
            conversation, DialogueState.COLLECTING, ctx.now, ctx.conversation_ttl, case_id=case.id
        )
        return Outcome(reply, case.id)
    if (
        case is not None
        and conversation.state == DialogueState.COLLECTING
        and (case.status.is_open or case.status is CaseStatus.MERGED)
    ):
        verdict = _verdict(case, text, ctx)
        if verdict == "different":
            return await _another_problem(text, resident, conversation, ctx, attachments, message)
        if verdict == "unclear":
            return await _ask_which(case, text, conversation, ctx, attachments, message)
        return await _add_detail(case, text, resident, conversation, ctx, attachments)
    asked = knowledge_intake.Asked()
    if not attachments and case is None:
        asked = await knowledge_intake.answer_question(text, conversation, ctx)
        if asked.reply is not None:
            return Outcome(asked.reply)
    refused = await limit_reached(resident, ctx, text, message)
    if refused is not None:
        return refused
    outcome = await _new_report(text, resident, conversation, ctx, attachments)
    await knowledge_asks.link_case(asked.ask, outcome.case_id)
    return outcome


async def _about_suggestion(
    text: str,
    menu: str | None,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None,
) -> Outcome | None:
    """转为诉求, consent to publication, or the answer the suggestion office asked for
    (handlers.suggestions.chat)."""
    step = await suggestion_chat.after_suggestion(
        text, menu, resident, conversation, ctx, attachments
    )
    if step is None:
        return None
    if step.report is None:
        if not step.keeps_dialogue:
            await conversations.reset(conversation, ctx.now)
        return Outcome(step.reply)
    case = step.report.case
    state = DialogueState.AWAITING_PLACE if step.report.needs_place else DialogueState.COLLECTING
    await conversations.set_state(
        conversation, state, ctx.now, ctx.conversation_ttl, case_id=case.id
    )
    return Outcome(step.reply, case.id, created_case=True)


async def _after_knowledge(
    text: str,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    message: IncomingMessage | None,
) -> Outcome:
    """The message after a knowledge-base answer: 解决了, 没解决 (a case of the question, with
    the entries offered on its timeline), or a new message."""
    feedback = knowledge_intake.read_feedback(text)
    asked = dict(conversation.data)
    await conversations.reset(conversation, ctx.now)
    if feedback is None or (feedback == knowledge_feedback.UNSOLVED and not asked.get("text")):
        return await on_words(text, resident, conversation, ctx, message=message)
    ask = await KnowledgeAsk.get_or_none(id=asked["ask"]) if asked.get("ask") else None
    return await _knowledge_feedback(feedback, ask, asked, resident, conversation, ctx, message)


async def _on_knowledge_tap(
    tap: knowledge_feedback.Tap,
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    message: IncomingMessage | None,
) -> Outcome:
    """A tapped 解决了 / 没解决 under an answer: honoured by its ask, whatever the dialogue did
    since; another resident's answer (a forwarded message) is left alone."""
    ask = await knowledge_asks.own_ask(tap.ask, resident.id)
    if ask is None:
        return Outcome(knowledge_texts.NOT_YOUR_ANSWER)
    asked: dict[str, Any] = {}
    if conversation.state == DialogueState.KNOWLEDGE and conversation.data.get("ask") == ask.id:
        asked = dict(conversation.data)
        await conversations.reset(conversation, ctx.now)
    return await _knowledge_feedback(tap.feedback, ask, asked, resident, conversation, ctx, message)


async def _knowledge_feedback(
    feedback: str,
    ask: KnowledgeAsk | None,
    asked: dict[str, Any],
    resident: Resident,
    conversation: Conversation,
    ctx: HandlerContext,
    message: IncomingMessage | None,
) -> Outcome:
    """解决了 (thanks) or 没解决 (the case of the question, carrying the entries offered), once
    per ask: an answer already answered makes nothing and says so."""
    if ask is not None and ask.outcome != AskOutcome.ANSWERED:
        return Outcome(await knowledge_feedback.settled_reply(ask))
    if feedback == knowledge_feedback.SOLVED:
        said = await knowledge_feedback.settle_once(ask.id if ask else None, feedback, ctx.now)
        return Outcome(said or knowledge_texts.SOLVED_REPLY)
    if not asked.get("text") and ask is not None:
        asked = await knowledge_feedback.offered_for(ask, ctx)
    words = str(asked.get("text", ""))
    refused = await limit_reached(resident, ctx, words, message)
    if refused is not None:
        return refused
    said = await knowledge_feedback.settle_once(ask.id if ask else None, feedback, ctx.now)
    if said is not None:
        return Outcome(said)
    outcome = await _new_report(words, resident, conversation, ctx)
    case = await Case.get_or_none(id=outcome.case_id) if outcome.case_id else None
    if case is not None:
        await knowledge_intake.note_offered(case, asked, ctx)
        if ask is not None:
            await knowledge_asks.give_case(ask.id, case.id)
    return outcome


def _verdict(case: Case, text: str, ctx: HandlerContext) -> str:
    """Whether ``text`` is about ``case``'s matter (nlu.sameness): same, different or unclear."""
    earlier = case.text or case.title
    if not earlier:
        return "same"
    found = sameness.compare(earlier, text, gazetteer=ctx.gazetteer, model=ctx.model)
    return found.verdict


def _names_place(text: str, ctx: HandlerContext) -> bool:
    return locate(text, gazetteer=ctx.gazetteer).found


async def on_attachment(
    message: IncomingMessage, resident: Resident, conversation: Conversation, ctx: HandlerContext
) -> Outcome:
    item = message.attachment()
    if message.msg_type == "voice" and message.recognition:
        return await on_words(
            message.recognition, resident, conversation, ctx, [item], message=message
        )
    case = await _case_of(conversation)
    if case is not None and conversation.state in WITH_CASE:
        reply = await detail.add_attachments(case, resident, [item], ctx)
        await conversations.set_state(
            conversation,
            DialogueState(conversation.state),
            ctx.now,
            ctx.conversation_ttl,
            case_id=case.id,
            data=conversation.data if conversation.state == DialogueState.CHOOSING else None,
        )
        return Outcome(reply, case.id)
    if message.msg_type == "voice":
        refused = await limit_reached(resident, ctx, "", message)
        if refused is not None:
            return refused
        # No recognition: the case still gets a number; staff listen to the voice.
        result = await report.report_case(
            resident, "", ctx, attachments=[item], channel=chat_channel(resident)
        )
        await conversations.set_state(
            conversation,
            DialogueState.COLLECTING,
            ctx.now,
            ctx.conversation_ttl,
            case_id=result.case.id,
        )
        return Outcome(replies.VOICE_UNRECOGNISED.format(number=result.case.number), result.case.id)
    held = dict(conversation.data) if conversation.state == DialogueState.HOLDING else {}
    limit = ctx.settings.case_attachments_max  # the case they will join takes no more
    if len(held.get("attachments", [])) >= limit:
        what = replies.ATTACHMENT_WORDS.get(message.msg_type, "附件")
        return Outcome(replies.HELD_FILES_FULL.format(limit=limit, what=what))
    held["attachments"] = [*held.get("attachments", []), item]
    await conversations.set_state(
        conversation, DialogueState.HOLDING, ctx.now, ctx.conversation_ttl, data=held
    )
    return Outcome(
        replies.PHOTO_HELD.format(what=replies.ATTACHMENT_WORDS.get(message.msg_type, "附件"))
    )


async def on_location(
    message: IncomingMessage, resident: Resident, conversation: Conversation, ctx: HandlerContext
) -> Outcome:
    assert message.lng is not None and message.lat is not None
    point = (message.lng, message.lat)
    case = await _case_of(conversation)
    if case is not None and conversation.state in WITH_CASE:
        if conversation.state == DialogueState.AWAITING_PLACE or not report.has_place(case):
            reply = await detail.set_place(case, resident, ctx, location=point, label=message.label)
        else:
            # The case has its place already: keep the location as evidence, do not move it.
            item = {
                "type": "location",
                "lng": message.lng,
                "lat": message.lat,
                "label": message.label,
            }
            reply = await detail.add_attachments(case, resident, [item], ctx)
        choosing = conversation.state == DialogueState.CHOOSING
        await conversations.set_state(
            conversation,
            DialogueState.CHOOSING if choosing else DialogueState.COLLECTING,
            ctx.now,
            ctx.conversation_ttl,
            case_id=case.id,
            data=conversation.data if choosing else None,
        )
        return Outcome(reply, case.id)
    held = dict(conversation.data) if conversation.state == DialogueState.HOLDING else {}
    held["location"] = {"lng": message.lng, "lat": message.lat, "label": message.label}
    await conversations.set_state(
        conversation, DialogueState.HOLDING, ctx.now, ctx.conversation_ttl, data=held
    )
    label = message.label or f"{message.lat:.5f}, {message.lng:.5f}"
    return Outcome(replies.LOCATION_HELD.format(label=label))


async def route(message: IncomingMessage, ctx: HandlerContext) -> Outcome:
    """Answer one message. Call inside the transaction that also finishes the inbound row."""
    if message.is_event:
        resident = await resident_for(message.openid)
        handler = EVENT_HANDLERS.get(message.event or "", on_silent_event)
        return await handler(message, resident, ctx)
    resident = await resident_writing(message.openid, ctx.now)  # made if new, window opened
    if resident.blocked and message.msg_type in held_messages.HELD_CHAT_TYPES:
        if not (message.msg_type == "text" and is_lookup(message.content)):
            channel = "miniprogram" if resident.app == ResidentApp.MINIPROGRAM else "mp"
            await held_messages.hold_chat_message(resident, message, channel, ctx)
            # Held or not, a danger to life is answered with what to do now.
            hazards = life_safety(normalise(held_messages.chat_words(message)))
            return Outcome(with_advice(replies.HELD_RECEIVED, hazards, ctx.settings))
    conversation = await conversations.current(resident, ctx.now)
    if message.msg_type == "text":
        menu = dict(message.extra).get("bizmsgmenuid")
        return await on_words(
            message.content, resident, conversation, ctx, menu=menu, message=message
        )
    if message.msg_type == "link":
        words = "\n".join(p for p in (message.content, message.url or "") if p)
        return await on_words(words, resident, conversation, ctx, message=message)
    if message.msg_type in ATTACHMENT_TYPES:
        return await on_attachment(message, resident, conversation, ctx)
    if message.msg_type == "location" and message.lng is not None and message.lat is not None:
        return await on_location(message, resident, conversation, ctx)
    return Outcome(replies.UNSUPPORTED)
