"""The resident's 解决了 / 没解决 on an answer, by its question's id: taps in the chat and the
mini-program's feedback alike.

An answer in the chat carries both options as tappable message-menu links whose ids name the
question (``kb:<ask id>:solved|unsolved``), so a tap is honoured by the ask whatever the
conversation did since: a late tap on an older answer settles that one. The conversation may no
longer hold the entries that were offered; :func:`offered_for` finds them again from the ask
(its words matched again, its answering entry first), so the case made of it still carries them.
A tap settles an ask once (``handlers.knowledge.asks.settle``); a second one, or one on another
resident's answer, changes nothing and is told so (:func:`settled_reply`, ``NOT_YOUR_ANSWER``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config import knowledge as texts
from config.replies import CHOOSE_LINK
from handlers.context import HandlerContext
from handlers.digits import whole_number
from handlers.knowledge import asks
from handlers.knowledge.answering import OFFERED, offered_of
from models import AskOutcome, Case, KnowledgeAsk, KnowledgeEntry
from nlu.understanding import locate

SOLVED, UNSOLVED = "solved", "unsolved"


@dataclass(frozen=True)
class Tap:
    ask: int
    feedback: str  # SOLVED or UNSOLVED


def menu_id(ask_id: int, feedback: str) -> str:
    return f"{texts.FEEDBACK_MENU_PREFIX}:{ask_id}:{feedback}"


def read_tap(menu: str | None) -> Tap | None:
    """The tapped option of an answer (``kb:<ask id>:solved|unsolved``), or None."""
    if not menu:
        return None
    prefix, _, rest = menu.partition(":")
    raw_id, _, feedback = rest.partition(":")
    ask_id = whole_number(raw_id, 18)
    if prefix != texts.FEEDBACK_MENU_PREFIX or ask_id is None or feedback not in (SOLVED, UNSOLVED):
        return None
    return Tap(ask_id, feedback)


def follow_up_with_taps(ask_id: int) -> str:
    """The question after an answer in the chat, both options tappable."""
    return texts.ANSWER_FOLLOW_UP_TAPS.format(
        solved=CHOOSE_LINK.format(label=texts.SOLVED_LABEL, menu_id=menu_id(ask_id, SOLVED)),
        unsolved=CHOOSE_LINK.format(label=texts.UNSOLVED_LABEL, menu_id=menu_id(ask_id, UNSOLVED)),
    )


async def settle_once(ask_id: int | None, feedback: str, now: datetime) -> str | None:
    """Settle the ask as the resident says (``unsolved`` without its case yet: the caller makes
    it in the same transaction and gives it, ``asks.give_case``). None when this call settled it
    (or there is no ask to settle); else what the resident reads: they said so before."""
    outcome = AskOutcome.SOLVED if feedback == SOLVED else AskOutcome.UNSOLVED
    if ask_id is None or await asks.settle(ask_id, outcome, now):
        return None
    ask = await KnowledgeAsk.get_or_none(id=ask_id)
    return await settled_reply(ask) if ask is not None else texts.ALREADY_UNSOLVED


async def settled_reply(ask: KnowledgeAsk) -> str:
    """What a resident reads who answers an answer already answered."""
    if ask.outcome == AskOutcome.SOLVED:
        return texts.ALREADY_SOLVED
    case = await Case.get_or_none(id=ask.case_id) if ask.case_id else None
    if case is not None:
        return texts.ALREADY_UNSOLVED_CASE.format(number=case.number)
    return texts.ALREADY_UNSOLVED


async def offered_for(ask: KnowledgeAsk, ctx: HandlerContext) -> dict[str, Any]:
    """What a case made of ``ask`` carries (as the chat's conversation keeps it): its words, the
    entry that answered and the entries offered, found again by matching the words (in the
    street and compound they name); the answering entry always leads."""
    offered: list[dict[str, Any]] = []
    if ctx.knowledge is not None:
        place = locate(ask.text, gazetteer=ctx.gazetteer)
        match = await ctx.knowledge.answer_for(
            ask.text, street=place.street, compound=place.compound, now=ctx.now
        )
        offered = offered_of(match) if match is not None else []
    answering = [o for o in offered if o["id"] == ask.entry_id]
    if ask.entry_id is not None and not answering:
        entry = await KnowledgeEntry.get_or_none(id=ask.entry_id)
        if entry is not None:
            first = {"id": entry.id, "code": entry.code, "question": entry.question}
            answering = [{**first, "score": round(ask.score, 3)}]
    others = [o for o in offered if o["id"] != ask.entry_id]
    offered = [*answering, *others][:OFFERED]
    return {"text": ask.text, "entry": ask.entry_id, "offered": offered, "ask": ask.id}
