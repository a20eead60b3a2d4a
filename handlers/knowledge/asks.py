"""Questions put to the knowledge base, kept with what came of them (``models.KnowledgeAsk``).

Each question that reached the knowledge base (it read as a question, nothing urgent) is one
row: ``answered`` when an entry answered it, then ``solved`` or ``unsolved`` (a case was made
of it) when the resident says; ``unanswered`` when no entry was confident (the question went on
to a case: a gap to fill). The figures (:mod:`handlers.knowledge.figures`) and the gaps list
read these rows.
"""

from __future__ import annotations

from datetime import datetime

from handlers.knowledge.answering import Match
from models import AskOutcome, KnowledgeAsk
from nlu.knowledge_index import gap_key

CHAT, MINI = "chat", "mini"


async def record_ask(
    text: str,
    match: Match | None,
    *,
    channel: str,
    resident_id: int | None,
    now: datetime,
) -> KnowledgeAsk:
    """One question and the knowledge base's reading of it: answered when ``match`` is
    confident, else unanswered (``match`` may still name the nearest entry and its score)."""
    answered = match is not None and match.confident
    return await KnowledgeAsk.create(
        at=now,
        channel=channel,
        resident_id=resident_id,
        text=text[:200],
        gap_key="" if answered else gap_key(text),
        entry_id=match.entry.id if match is not None else None,
        score=round(match.score, 4) if match is not None else 0.0,
        outcome=AskOutcome.ANSWERED if answered else AskOutcome.UNANSWERED,
    )


async def settle(
    ask_id: int | None, outcome: AskOutcome, now: datetime, *, case_id: int | None = None
) -> bool:
    """The resident said 解决了 (``solved``) or 没解决 (``unsolved``, with the case made), once:
    an answer already settled stays as it was. Whether this call settled it."""
    if ask_id is None:
        return False
    changed = await KnowledgeAsk.filter(id=ask_id, outcome=AskOutcome.ANSWERED).update(
        outcome=outcome, answered_at=now, case_id=case_id
    )
    return bool(changed)


async def give_case(ask_id: int, case_id: int) -> None:
    """The case made of an answer the resident said did not solve it (settled first)."""
    await KnowledgeAsk.filter(id=ask_id, outcome=AskOutcome.UNSOLVED).update(case_id=case_id)


async def link_case(
    ask_id: int | None, case_id: int | None, *, resident_id: int | None = None
) -> bool:
    """The case an unanswered question went on to (the unit's answer may become an entry):
    the first case only, and with ``resident_id`` only that resident's question. Whether it
    was linked."""
    if ask_id is None or case_id is None:
        return False
    query = KnowledgeAsk.filter(id=ask_id, outcome=AskOutcome.UNANSWERED, case_id__isnull=True)
    if resident_id is not None:
        query = query.filter(resident_id=resident_id)
    return bool(await query.update(case_id=case_id))


async def own_ask(ask_id: int, resident_id: int) -> KnowledgeAsk | None:
    """The resident's own question; another's is as good as none."""
    return await KnowledgeAsk.get_or_none(id=ask_id, resident_id=resident_id)
