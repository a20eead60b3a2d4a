"""The answers of the knowledge base's figures and gaps (``bot.api.admin_knowledge_figures``):
pydantic models the handlers fill and the OpenAPI document lists, so the two cannot drift.

What each count and share means is ``handlers.knowledge.figures`` (``COUNTS``, ``SHARES``);
the models carry those words as their fields' descriptions.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from bot.api.openapi import (
    DATE,
    STAFF_AUTH,
    Operation,
    Param,
    Response,
    error,
    unauthorized,
)
from config import knowledge as tuning
from handlers.knowledge.figures import COUNTS, SHARES, AskCounts, KnowledgeFigures


def _means(key: str) -> str:
    return next(d.text for d in (*COUNTS, *SHARES) if d.key == key)


class KnowledgePeriod(BaseModel):
    first_day: date = Field(alias="from", description="the first Shanghai day")
    end_day: date = Field(alias="to", description="the day after the last (exclusive)")
    timezone: str


class KnowledgeCounts(BaseModel):
    asked: int = Field(description=_means("asked"))
    answered: int = Field(description=_means("answered"))
    solved: int = Field(description=_means("solved"))
    unsolved: int = Field(description=_means("unsolved"))
    no_feedback: int = Field(description=_means("no_feedback"))
    unanswered: int = Field(description=_means("unanswered"))


class KnowledgeShare(BaseModel):
    label: str
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator / denominator; null when it is 0")


class KnowledgeShares(BaseModel):
    answered_share: KnowledgeShare = Field(description=_means("answered_share"))
    unsolved_share: KnowledgeShare = Field(description=_means("unsolved_share"))
    unanswered_share: KnowledgeShare = Field(description=_means("unanswered_share"))
    satisfaction: KnowledgeShare = Field(description=_means("satisfaction"))


class KnowledgeChannelFigures(BaseModel):
    counts: KnowledgeCounts
    shares: KnowledgeShares


class KnowledgeSummary(BaseModel):
    """What the general figures (``GET /api/admin/figures``) carry of the knowledge base."""

    counts: KnowledgeCounts
    shares: KnowledgeShares
    by_channel: dict[str, KnowledgeChannelFigures] = Field(
        description="chat (the official account) and mini (the mini-program)"
    )
    entries_used: int
    stale_total: int


class KnowledgeDefinition(BaseModel):
    key: str
    label: str
    text: str


class KnowledgeEntryRef(BaseModel):
    id: int
    code: str
    question: str
    status: str
    unit: str = Field(description="the owning unit's code, empty for none")
    unit_name: str


class KnowledgeEntryUse(BaseModel):
    entry: KnowledgeEntryRef
    answered: int
    solved: int
    unsolved: int
    no_feedback: int


class KnowledgeStaleEntry(BaseModel):
    entry: KnowledgeEntryRef
    valid_until: date | None
    updated_at: datetime
    reasons: list[str] = Field(description="expired, expiring, unchanged")


class KnowledgeFiguresOut(KnowledgeSummary):
    period: KnowledgePeriod
    computed_at: datetime
    top_entries: list[KnowledgeEntryUse] = Field(description="the most used entries first")
    stale: list[KnowledgeStaleEntry] = Field(
        description=f"at most {tuning.STALE_SHOWN}: expired and expiring first, then unchanged"
    )
    definitions: list[KnowledgeDefinition]


class KnowledgeAskGroup(BaseModel):
    key: str = Field(description="the gap key, or the entry's code")
    questions: int
    residents: int
    cases: int = Field(description="distinct cases the questions went on to")
    first_at: datetime
    last_at: datetime
    samples: list[str] = Field(description="different wordings, latest first, phones masked")
    case_numbers: list[str] = Field(description="the latest cases the reader may open")


class KnowledgeUnsolvedEntry(KnowledgeAskGroup):
    entry: KnowledgeEntryRef


class KnowledgeGapsOut(BaseModel):
    period: KnowledgePeriod
    gaps: list[KnowledgeAskGroup] = Field(description="most residents, then questions, first")
    unsolved: list[KnowledgeUnsolvedEntry] = Field(
        description="entries whose answers were said 没解决, most first"
    )


def channel_out(counts: AskCounts) -> KnowledgeChannelFigures:
    shares = {key: KnowledgeShare(**share.as_dict()) for key, share in counts.shares().items()}
    return KnowledgeChannelFigures(
        counts=KnowledgeCounts(**counts.counts()), shares=KnowledgeShares(**shares)
    )


def summary_out(figures: KnowledgeFigures) -> KnowledgeSummary:
    total = channel_out(figures.total)
    return KnowledgeSummary(
        counts=total.counts,
        shares=total.shares,
        by_channel={name: channel_out(c) for name, c in figures.by_channel.items()},
        entries_used=figures.entries_used,
        stale_total=figures.stale_total,
    )


_TAG = "knowledge"
_DAY = "YYYY-MM-DD; the period is [from, to) in Shanghai days (default: the last 30 days)"
PERIOD_PARAMS = (
    Param("from", "query", DATE, description=_DAY),
    Param("to", "query", DATE, description=_DAY),
)
_400 = error("invalid_date, invalid_period or invalid_parameter; the message says which")
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden: the role may not read the knowledge base")
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/admin/knowledge/figures",
        "The knowledge base's figures of a period, with their definitions",
        _TAG,
        {
            200: Response("the figures", KnowledgeFiguresOut),
            400: _400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=PERIOD_PARAMS,
    ),
    Operation(
        "GET",
        "/api/admin/knowledge/gaps",
        "Questions no entry answered, by frequency, and entries whose answers were 没解决",
        _TAG,
        {
            200: Response("the gaps and the unsolved entries", KnowledgeGapsOut),
            400: _400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(
            *PERIOD_PARAMS,
            Param(
                "limit",
                "query",
                {"type": "integer", "minimum": 1, "maximum": tuning.GAPS_MAX},
                description=f"how many of each list (default {tuning.GAPS_SHOWN})",
            ),
        ),
    ),
)
