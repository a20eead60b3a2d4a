"""The published knowledge base in memory, and the one call intake makes: :meth:`answer_for`.

The published entries are loaded into a :class:`nlu.knowledge_index.KnowledgeIndex` held in a
``RefreshingCache`` (reloaded at most every ``max_age`` seconds, at once after
:meth:`KnowledgeBase.invalidate`, which every edit through the dashboard or the API calls), so a
match costs no database round trip: about a millisecond among 10,000 entries.

``answer_for(text, street=..., compound=..., now=...)`` ranks the entries that may answer that
resident on that day (published, valid, in scope) and returns a :class:`Match` - the best entry,
its score, whether it is confident enough to answer, and the entries offered (the best few,
which a case made afterwards carries for the unit to see) - or ``None`` when nothing is near.

Re-ranking (optional, never required): a :class:`Reranker` given to the knowledge base is asked
only when the local rule is not confident but the best entry is near (``rerank_floor``); it
picks one of the offered entries or none. With an LLM configured, ``bot.app`` plugs in
:class:`handlers.knowledge.reranking.LlmReranker` (the LLM behind ``nlu.llm``); with no
reranker the local rule alone decides.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from config import knowledge as texts
from handlers.clock import local
from handlers.refreshing import RefreshingCache
from models import EntryStatus, Grid, KnowledgeEntry, Unit
from nlu.knowledge_index import ConfidenceRule, Hit, IndexedEntry, KnowledgeIndex

logger = logging.getLogger(__name__)

OFFERED = 3


@dataclass(frozen=True)
class Offered:
    entry_id: int
    code: str
    question: str
    score: float


@dataclass(frozen=True)
class Match:
    entry: KnowledgeEntry
    score: float
    confident: bool
    offered: tuple[Offered, ...]
    source: str  # the owner unit's name (and the policy), for the reply
    reranked: bool = False

    @property
    def as_of(self) -> date:
        return local(self.entry.updated_at).date()


@dataclass(frozen=True)
class LoadedKnowledge:
    index: KnowledgeIndex
    entries: dict[int, KnowledgeEntry] = field(default_factory=dict)
    unit_names: dict[int, str] = field(default_factory=dict)


class Reranker(Protocol):
    """Picks the entry that answers ``text`` among ``candidates`` (entry, score), or None."""

    async def __call__(
        self, text: str, candidates: Sequence[tuple[KnowledgeEntry, float]]
    ) -> int | None: ...


def indexed(entry: KnowledgeEntry) -> IndexedEntry:
    return IndexedEntry(
        id=entry.id,
        texts=(entry.question, *entry.variants),
        scope=str(entry.scope),
        street=entry.street,
        compound=entry.compound,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        answer=entry.answer,
    )


async def load_knowledge() -> LoadedKnowledge:
    entries = await KnowledgeEntry.filter(status=EntryStatus.PUBLISHED).order_by("id")
    names = {unit.id: unit.name for unit in await Unit.all()}
    return LoadedKnowledge(
        KnowledgeIndex(indexed(entry) for entry in entries),
        {entry.id: entry for entry in entries},
        names,
    )


def scope_of(grid: Grid | None, compound: str | None = None) -> tuple[str | None, str | None]:
    """The street and compound a case's place gives (for ``answer_for``)."""
    return (grid.street if grid is not None else None), (compound or None)


def source_of(entry: KnowledgeEntry, unit_names: dict[int, str]) -> str:
    unit = unit_names.get(entry.unit_id or 0, "")
    parts = [part for part in (unit, entry.policy) if part]
    return "，".join(parts) or texts.SOURCE_FALLBACK


def match_in(
    loaded: LoadedKnowledge,
    text: str,
    *,
    street: str | None,
    compound: str | None,
    today: date,
    rule: ConfidenceRule,
) -> tuple[Match | None, list[Hit]]:
    """The match in an already loaded knowledge base (sync: no database, no waiting)."""
    hits = loaded.index.rank(text, street=street, compound=compound, today=today, limit=OFFERED)
    hits = [hit for hit in hits if hit.entry_id in loaded.entries]
    if not hits:
        return None, hits
    best = loaded.entries[hits[0].entry_id]
    offered = tuple(
        Offered(
            hit.entry_id,
            loaded.entries[hit.entry_id].code,
            loaded.entries[hit.entry_id].question,
            round(hit.score, 4),
        )
        for hit in hits
    )
    match = Match(
        entry=best,
        score=hits[0].score,
        confident=rule.confident(hits),
        offered=offered,
        source=source_of(best, loaded.unit_names),
    )
    return match, hits


class KnowledgeBase:
    """The published entries, matched in memory; one per app (``bot.keys.KNOWLEDGE``)."""

    def __init__(
        self,
        rule: ConfidenceRule | None = None,
        *,
        max_age: float = 60.0,
        reranker: Reranker | None = None,
        rerank_floor: float = 0.15,
    ) -> None:
        self.rule = rule or ConfidenceRule()
        self.cache: RefreshingCache[LoadedKnowledge] = RefreshingCache(load_knowledge, max_age)
        self.reranker = reranker
        self.rerank_floor = rerank_floor

    def invalidate(self) -> None:
        """Call after any change to an entry: the next match reloads."""
        self.cache.invalidate()

    async def answer_for(
        self,
        text: str,
        *,
        street: str | None = None,
        compound: str | None = None,
        now: datetime,
    ) -> Match | None:
        """The best entry for a resident's question, or None when none is near.

        Answer the resident with it only when ``confident`` is true; otherwise make a case as
        before, carrying ``offered``.
        """
        loaded = await self.cache.get()
        match, hits = match_in(
            loaded,
            text,
            street=street,
            compound=compound,
            today=local(now).date(),
            rule=self.rule,
        )
        if match is None or match.confident or self.reranker is None:
            return match
        if match.score < self.rerank_floor:
            return match
        candidates = [(loaded.entries[hit.entry_id], hit.score) for hit in hits]
        try:
            chosen = await self.reranker(text, candidates)
        except Exception:  # a re-ranker is a second opinion: its failure is the local answer
            logger.warning("knowledge re-ranker failed, the local rule decides", exc_info=True)
            return match
        for entry, score in candidates:
            if entry.id == chosen:
                source = source_of(entry, loaded.unit_names)
                return Match(entry, score, True, match.offered, source, reranked=True)
        return match


def offered_of(match: Match) -> list[dict[str, Any]]:
    """The entries offered, as a case made afterwards carries them."""
    return [
        {"id": o.entry_id, "code": o.code, "question": o.question, "score": round(o.score, 3)}
        for o in match.offered
    ]


def answer_text(match: Match, follow_up: str = texts.ANSWER_FOLLOW_UP) -> str:
    """What the resident reads: the answer, its links and mini-program page, its source and
    date, and ``follow_up``, the question whether it solved the problem."""
    entry = match.entry
    body = texts.ANSWER_TEXT.format(
        answer=entry.answer,
        source=match.source,
        as_of=f"{match.as_of.year}年{match.as_of.month}月{match.as_of.day}日",
    )
    for link in entry.links:
        body += texts.ANSWER_LINK.format(title=link.get("title", ""), url=link.get("url", ""))
    return body + follow_up


def answer_json(match: Match) -> dict[str, Any]:
    """The answer as the mini-program shows it (its own page lays out links and the source)."""
    entry = match.entry
    return {
        "code": entry.code,
        "question": entry.question,
        "answer": entry.answer,
        "links": [
            {"title": str(link.get("title", "")), "url": str(link.get("url", ""))}
            for link in entry.links
        ],
        "mini_page": entry.mini_page,
        "source": match.source,
        "as_of": match.as_of.isoformat(),
    }
