"""Questions answered at intake from the knowledge base, and the resident's 解决了 / 没解决.

:func:`consult` decides and records, for the official account's chat and the mini-program
alike. It answers only when all of these hold: the words read as a question (a cue such as
怎么, 哪些, 请问 …, then the understanding's kind 咨询), nothing urgent or life-threatening is
named (never answer an urgent report or a complaint with an entry instead of a case), and the
knowledge base is confident (``KnowledgeBase.answer_for``, scoped by the street and compound the
words name). Every question it reads is recorded (``handlers.knowledge.asks``), answered or not.

:func:`answer_question` is the chat's: asked by the conversation router before a message becomes
a case, it gives the answer with its source and date and asks, with both options tappable
(``handlers.knowledge.feedback``), whether it solved the problem; the conversation remembers the
words and the entries offered. The mini-program's API calls :func:`consult` itself
(``handlers.residents.questions``).

:func:`read_feedback` reads the next message: 解决了 (thanks, nothing is made) or 没解决 (the
router makes the case from the remembered words, and :func:`note_offered` puts the entries that
were offered on its timeline for the unit). Anything else is a new message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from config import knowledge as texts
from handlers.context import HandlerContext
from handlers.intake import conversations
from handlers.intake.conversations import DialogueState
from handlers.knowledge import asks
from handlers.knowledge.answering import Match, answer_text, offered_of
from handlers.knowledge.feedback import SOLVED, UNSOLVED, follow_up_with_taps
from handlers.timeline import Actor, annotate
from models import Case, Conversation
from nlu.normalise import normalise
from nlu.understanding import understand

MAX_QUESTION = 200  # longer words are a report, not a question for the knowledge base


def _looks_like_question(text: str) -> bool:
    return len(text) <= MAX_QUESTION and any(cue in text for cue in texts.QUESTION_CUES)


@dataclass(frozen=True)
class Asked:
    """What the knowledge base made of a message: ``ask`` the recorded question (None when the
    words were no question for it, or one it must not answer); ``match`` the confident entry
    when one answers it; ``reply`` the chat's text of that answer."""

    ask: int | None = None
    match: Match | None = None
    reply: str | None = None


async def consult(
    text: str, *, channel: str, resident_id: int | None, ctx: HandlerContext
) -> Asked:
    """Whether the knowledge base answers ``text``, the question recorded either way (see the
    module docstring). No ``match``: the words go on to a case as before, and that case is
    linked to the question with :func:`handlers.knowledge.asks.link_case`."""
    knowledge = ctx.knowledge
    if knowledge is None or not _looks_like_question(text):
        return Asked()
    reading = understand(text, gazetteer=ctx.gazetteer, model=ctx.model)
    if reading.kind != "question" or reading.urgency == "急" or reading.hazards:
        return Asked()
    match = await knowledge.answer_for(
        text, street=reading.place.street, compound=reading.place.compound, now=ctx.now
    )
    ask = await asks.record_ask(text, match, channel=channel, resident_id=resident_id, now=ctx.now)
    if match is None or not match.confident:
        return Asked(ask.id)
    return Asked(ask.id, match)


async def answer_question(text: str, conversation: Conversation, ctx: HandlerContext) -> Asked:
    """The chat's answer to ``text`` (``reply``), remembered in the conversation for the
    resident's 解决了 / 没解决; no ``reply``: the message goes on to intake as before."""
    asked = await consult(text, channel=asks.CHAT, resident_id=conversation.resident_id, ctx=ctx)
    if asked.match is None or asked.ask is None:
        return asked
    await conversations.set_state(
        conversation,
        DialogueState.KNOWLEDGE,
        ctx.now,
        ctx.conversation_ttl,
        data=asked_data(text, asked.match, asked.ask),
    )
    return replace(asked, reply=answer_text(asked.match, follow_up_with_taps(asked.ask)))


def asked_data(text: str, match: Match, ask: int) -> dict[str, Any]:
    """What a case made of the question later carries (``note_offered``)."""
    return {
        "text": text,
        "entry": match.entry.id,
        "code": match.entry.code,
        "offered": offered_of(match),
        "ask": ask,
    }


def read_feedback(text: str) -> str | None:
    """解决了 → ``solved``, 没解决 → ``unsolved``; other words None (a new message)."""
    words = normalise(text).strip(" 。！!，,.~～")
    if any(word == words or (len(word) > 1 and word in words) for word in texts.UNSOLVED_WORDS):
        return UNSOLVED
    if any(word == words or (len(word) > 1 and word in words) for word in texts.SOLVED_WORDS):
        return SOLVED
    return None


async def note_offered(case: Case, data: dict[str, Any], ctx: HandlerContext) -> None:
    """The entries the resident was offered before asking for a person, on the case's timeline."""
    offered = list(data.get("offered", []))
    entries = "、".join(f"《{o.get('question', '')}》" for o in offered[:3]) or "—"
    await annotate(
        case,
        Actor.system(),
        ctx.now,
        texts.OFFERED_NOTE.format(entries=entries),
        {"kind": "knowledge_offered", "entry": data.get("entry"), "offered": offered},
    )
