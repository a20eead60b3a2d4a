"""Questions answered at intake from the knowledge base, and the resident's 解决了 / 没解决.

:func:`answer_question` is asked by the conversation router before a message becomes a case.
It answers only when all of these hold: the words read as a question (a cue such as 怎么, 哪些,
请问 …, then the understanding's kind 咨询), nothing urgent or life-threatening is named
(never answer an urgent report or a complaint with an entry instead of a case), and the
knowledge base is confident (``KnowledgeBase.answer_for``, scoped by the street and compound the
words name). The resident gets the answer with its source and date and is asked whether it
solved the problem; the conversation remembers the words and the entries offered.

:func:`read_feedback` reads the next message: 解决了 (thanks, nothing is made) or 没解决 (the
router makes the case from the remembered words, and :func:`note_offered` puts the entries that
were offered on its timeline for the unit). Anything else is a new message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config import knowledge as texts
from handlers.context import HandlerContext
from handlers.intake import conversations
from handlers.intake.conversations import DialogueState
from handlers.knowledge import asks
from handlers.knowledge.answering import Match, answer_text
from handlers.timeline import Actor, annotate
from models import Case, Conversation
from nlu.normalise import normalise
from nlu.understanding import understand

MAX_QUESTION = 200  # longer words are a report, not a question for the knowledge base
SOLVED, UNSOLVED = "solved", "unsolved"


def _looks_like_question(text: str) -> bool:
    return len(text) <= MAX_QUESTION and any(cue in text for cue in texts.QUESTION_CUES)


@dataclass(frozen=True)
class Asked:
    """What the knowledge base made of a message: ``reply`` (the answer) when an entry answered
    it; ``ask`` the recorded question (None when the words were no question for it)."""

    reply: str | None = None
    ask: int | None = None


async def answer_question(text: str, conversation: Conversation, ctx: HandlerContext) -> Asked:
    """The knowledge base's answer to ``text``, remembered in the conversation. No ``reply``:
    no confident answer (or not a question), the message goes on to intake as before; a
    question is still recorded (``ask``, a gap to fill), and the case made of it is linked
    with :func:`handlers.knowledge.asks.link_case`."""
    knowledge = ctx.knowledge
    if knowledge is None or not _looks_like_question(text):
        return Asked()
    reading = understand(text, gazetteer=ctx.gazetteer, model=ctx.model)
    if reading.kind != "question" or reading.urgency == "急" or reading.hazards:
        return Asked()
    match = await knowledge.answer_for(
        text, street=reading.place.street, compound=reading.place.compound, now=ctx.now
    )
    ask = await asks.record_ask(
        text, match, channel=asks.CHAT, resident_id=conversation.resident_id, now=ctx.now
    )
    if match is None or not match.confident:
        return Asked(ask=ask.id)
    await conversations.set_state(
        conversation,
        DialogueState.KNOWLEDGE,
        ctx.now,
        ctx.conversation_ttl,
        data={
            "text": text,
            "entry": match.entry.id,
            "code": match.entry.code,
            "offered": offered_of(match),
            "ask": ask.id,
        },
    )
    return Asked(answer_text(match), ask.id)


def offered_of(match: Match) -> list[dict[str, Any]]:
    """The entries offered, as a case made afterwards carries them."""
    return [
        {"id": o.entry_id, "code": o.code, "question": o.question, "score": round(o.score, 3)}
        for o in match.offered
    ]


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
