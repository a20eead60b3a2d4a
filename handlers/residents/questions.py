"""A resident's question in the mini-program, answered from the knowledge base, and what they
say of the answer (issue 19).

:func:`put_question` decides and records exactly as the chat does
(``handlers.knowledge.intake.consult``), after the checks a submission passes first: a blocked
resident's words and words the content check holds are not answered (the app then submits them
as a case, which holds them as usual). Not answered: the app submits a case as before, naming
the ask so that the case is linked to it.

:func:`solved` settles the ask; :func:`not_solved` makes the case of the ask's words as a
submission would (``handlers.residents.cases.make_case``: the resident's case limits, the
content check, a blocked resident's words held), with the entries that were offered on its
timeline, and settles the ask with it, in one transaction: the conditional settle decides which
of two simultaneous calls makes the case, the other is :class:`AlreadySettled`.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from handlers.context import HandlerContext
from handlers.intake.content_check import NOT_CHECKED, TextChecker, check_words
from handlers.intake.rate_limits import case_limit
from handlers.knowledge import asks
from handlers.knowledge.answering import answer_json, offered_of
from handlers.knowledge.feedback import (
    SOLVED,
    UNSOLVED,
    offered_for,
    settle_once,
    settled_reply,
)
from handlers.knowledge.intake import consult, note_offered
from handlers.residents.cases import (
    CHANNEL,
    Answer,
    RateLimited,
    Submission,
    case_answer,
    held_answer,
    keep_held,
    make_case,
)
from models import AskOutcome, HeldReason, KnowledgeAsk, Resident


class AskNotFound(Exception):
    """No question of this resident has this id (another's is answered alike)."""


class NotAnswered(Exception):
    """No entry answered the question: there is nothing to say of an answer."""


class AlreadySettled(Exception):
    """The resident said before whether the answer solved it; the message says what."""


NOT_ANSWERED: dict[str, Any] = {"answered": False, "ask": None}


async def put_question(
    resident: Resident, text: str, ctx: HandlerContext, checker: TextChecker | None
) -> dict[str, Any]:
    """The knowledge base's answer to ``text`` as the API gives it: ``answered`` with the
    ``ask``, the ``answer`` and the entries ``offered``; or not, with the ``ask`` to name when
    submitting the case (None when the words were no question for the knowledge base)."""
    current = await Resident.get(id=resident.id)  # blocked a moment ago counts
    if current.blocked:
        return NOT_ANSWERED
    check = await check_words(checker, ctx.settings, current.openid, text)
    if check.hold:
        return NOT_ANSWERED
    asked = await consult(text, channel=asks.MINI, resident_id=current.id, ctx=ctx)
    if asked.match is None:
        return {"answered": False, "ask": asked.ask}
    return {
        "answered": True,
        "ask": asked.ask,
        "answer": answer_json(asked.match),
        "offered": offered_of(asked.match),
    }


async def answered_ask(resident: Resident, ask_id: int) -> KnowledgeAsk:
    """The resident's own answered question, not yet settled."""
    ask = await asks.own_ask(ask_id, resident.id)
    if ask is None:
        raise AskNotFound(ask_id)
    if ask.outcome == AskOutcome.UNANSWERED:
        raise NotAnswered(ask_id)
    if ask.outcome != AskOutcome.ANSWERED:
        raise AlreadySettled(await settled_reply(ask))
    return ask


async def solved(resident: Resident, ask_id: int, ctx: HandlerContext) -> None:
    ask = await answered_ask(resident, ask_id)
    said = await settle_once(ask.id, SOLVED, ctx.now)
    if said is not None:
        raise AlreadySettled(said)


async def not_solved(
    resident: Resident,
    ask_id: int,
    ctx: HandlerContext,
    checker: TextChecker | None,
    *,
    held_reply: str,
) -> Answer:
    """The case of the question (see the module docstring); answered as a submission is."""
    ask = await answered_ask(resident, ask_id)
    current = await Resident.get(id=resident.id)
    if not current.blocked:
        limited = await case_limit(current.id, ctx.now, ctx.settings, text=ask.text)
        if limited is not None:
            raise RateLimited(limited)  # the ask stays answered: tried again later
    # The check calls WeChat: before the transaction, which it must not hold open.
    check = (
        NOT_CHECKED
        if current.blocked
        else await check_words(checker, ctx.settings, current.openid, ask.text)
    )
    carried = await offered_for(ask, ctx)
    async with in_transaction():
        said = await settle_once(ask.id, UNSOLVED, ctx.now)
        if said is not None:
            raise AlreadySettled(said)
        if current.blocked or check.hold:
            await keep_held(
                current,
                channel=CHANNEL,
                reason=HeldReason.BLOCKED if current.blocked else HeldReason.CONTENT_CHECK,
                text=ask.text,
                payload={"kind": "case", "submission": {"text": ask.text}, "ask": ask.id},
                ctx=ctx,
                check_result=check.result,
            )
            return held_answer(held_reply)
        made = await make_case(current, Submission(text=ask.text), ctx, check=check)
        await note_offered(made.case, carried, ctx)
        await asks.give_case(ask.id, made.case.id)
        return await case_answer(made)
