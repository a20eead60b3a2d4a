"""The knowledge base's figures (知识库指标): how many questions it answered, how many of those
still became cases, how satisfied the residents answered were, which entries did the work and
which need looking at.

**The period** is ``[since, until)``, two timezone-aware instants (the API and the dashboard
give 00:00 Asia/Shanghai of Shanghai days); a question belongs to the period of the moment it
was asked (``KnowledgeAsk.at``) and counts with what came of it by now: a question asked on the
31st and said 解决了 on the 1st is a solved question of the 31st's period.

Every count and share is defined once, below, in :data:`COUNTS` and :data:`SHARES`: the key
the API answers, the label and the definition staff read on the dashboard (Chinese), and for a
share which counts make its numerator and denominator. Everything is counted in the database
(one grouped count by channel and outcome), never by loading the questions.

The entries used and the stale entries are :mod:`handlers.knowledge.usage`; the questions no
entry answered (the gaps) are :mod:`handlers.knowledge.gaps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config import knowledge as tuning
from handlers.figures.sql import counted
from handlers.knowledge.asks import CHAT, MINI
from handlers.knowledge.usage import EntryUse, StaleEntry, entries_used, stale_entries
from models import AskOutcome, KnowledgeAsk

CHANNELS: dict[str, str] = {CHAT: "公众号对话", MINI: "小程序"}


@dataclass(frozen=True)
class Definition:
    """A figure as staff read it: its key in the API, its label and what it counts."""

    key: str
    label: str
    text: str


@dataclass(frozen=True)
class ShareDefinition(Definition):
    """A share: the count ``numerator`` over the sum of the counts ``denominator``."""

    numerator: str = ""
    denominator: tuple[str, ...] = ()


# The counts: how each question of the period stands now.
COUNTS: tuple[Definition, ...] = (
    Definition(
        "asked",
        "提问数",
        "期间内居民向知识库提出的问题数：公众号对话或小程序里读作咨询、且不紧急的留言，"
        "每条算一次，按提问时间归入期间。",
    ),
    Definition(
        "answered",
        "直接答复",
        "其中知识库有足够相近的已发布条目、当即答复居民的问题数（无论居民之后是否反馈）。",
    ),
    Definition("solved", "解决了", "直接答复后，居民回复「解决了」的问题数。"),
    Definition(
        "unsolved",
        "没解决转诉求",
        "直接答复后，居民回复「没解决」（或「转人工」），由问题生成诉求件转人工办理的问题数。",
    ),
    Definition("no_feedback", "未反馈", "直接答复后，居民至今没有表示是否解决的问题数。"),
    Definition(
        "unanswered",
        "未找到条目",
        "没有足够相近的条目、按诉求转人工办理的问题数：知识库的空白，见「待补充的问题」。",
    ),
)

# The shares: each a numerator over a denominator of the counts above; none when nothing to
# divide by.
SHARES: tuple[ShareDefinition, ...] = (
    ShareDefinition(
        "answered_share",
        "直接答复率",
        "直接答复 ÷ 提问数。",
        numerator="answered",
        denominator=("asked",),
    ),
    ShareDefinition(
        "unsolved_share",
        "没解决转诉求率",
        "没解决转诉求 ÷ 直接答复：直接答复后仍要转人工办理的比例。",
        numerator="unsolved",
        denominator=("answered",),
    ),
    ShareDefinition(
        "unanswered_share",
        "未找到条目率",
        "未找到条目 ÷ 提问数。",
        numerator="unanswered",
        denominator=("asked",),
    ),
    ShareDefinition(
        "satisfaction",
        "直接答复满意度",
        "解决了 ÷（解决了 + 没解决）：直接答复后居民自己的一问评价（「解决了吗？」）；"
        "未反馈的不计，无人反馈时不计算。",
        numerator="solved",
        denominator=("solved", "unsolved"),
    ),
)

ENTRIES_USED = Definition(
    "entries_used",
    "用到的条目",
    "期间内直接答复过问题的条目数；列表按答复次数排序，并列出其中解决了和没解决的次数。",
)
STALE = Definition(
    "stale",
    "待更新条目",
    f"已发布、且有效期已过或在{tuning.STALE_EXPIRY_DAYS}天内到期，"
    f"或超过{tuning.STALE_UNCHANGED_DAYS}天没有修改的条目（按今天计，不随期间变化）。",
)
DEFINITIONS: tuple[Definition, ...] = (*COUNTS, *SHARES, ENTRIES_USED, STALE)


@dataclass(frozen=True)
class AskCounts:
    """The questions of a period by how they stand now (the keys of :data:`COUNTS`)."""

    answered_now: int = 0  # answered, no feedback yet
    solved: int = 0
    unsolved: int = 0
    unanswered: int = 0

    @classmethod
    def of(cls, by_outcome: dict[str, int]) -> AskCounts:
        return cls(
            answered_now=by_outcome.get(AskOutcome.ANSWERED.value, 0),
            solved=by_outcome.get(AskOutcome.SOLVED.value, 0),
            unsolved=by_outcome.get(AskOutcome.UNSOLVED.value, 0),
            unanswered=by_outcome.get(AskOutcome.UNANSWERED.value, 0),
        )

    def count(self, key: str) -> int:
        """One count of :data:`COUNTS` by its key."""
        answered = self.answered_now + self.solved + self.unsolved
        values = {
            "asked": answered + self.unanswered,
            "answered": answered,
            "solved": self.solved,
            "unsolved": self.unsolved,
            "no_feedback": self.answered_now,
            "unanswered": self.unanswered,
        }
        return values[key]

    def counts(self) -> dict[str, int]:
        return {d.key: self.count(d.key) for d in COUNTS}

    def shares(self) -> dict[str, Share]:
        return {d.key: Share.of(d, self) for d in SHARES}


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """numerator / denominator, or None when there is nothing to divide by."""
        return self.numerator / self.denominator if self.denominator else None

    @classmethod
    def of(cls, definition: ShareDefinition, counts: AskCounts) -> Share:
        return cls(
            definition.key,
            definition.label,
            counts.count(definition.numerator),
            sum(counts.count(key) for key in definition.denominator),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": self.rate,
        }


@dataclass(frozen=True)
class KnowledgeFigures:
    since: datetime
    until: datetime
    computed_at: datetime
    total: AskCounts
    by_channel: dict[str, AskCounts]
    entries_used: int = 0  # distinct entries that answered in the period
    top_entries: tuple[EntryUse, ...] = ()
    stale: tuple[StaleEntry, ...] = ()
    stale_total: int = 0
    definitions: tuple[Definition, ...] = field(default=DEFINITIONS)

    def summary(self) -> dict[str, Any]:
        """The counts and shares, district-wide and by channel: what the general figures
        (``GET /api/admin/figures``) carry of the knowledge base."""
        return {
            "counts": self.total.counts(),
            "shares": {k: s.as_dict() for k, s in self.total.shares().items()},
            "by_channel": {
                name: {
                    "counts": counts.counts(),
                    "shares": {k: s.as_dict() for k, s in counts.shares().items()},
                }
                for name, counts in self.by_channel.items()
            },
            "entries_used": self.entries_used,
            "stale_total": self.stale_total,
        }


def asks_in(since: datetime, until: datetime) -> Any:
    """The questions asked in ``[since, until)`` (a queryset)."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("a knowledge figures period needs timezone-aware instants")
    return KnowledgeAsk.filter(at__gte=since, at__lt=until)


async def ask_counts(since: datetime, until: datetime) -> tuple[AskCounts, dict[str, AskCounts]]:
    """The counts of the period, district-wide and per channel (every channel named)."""
    rows = await counted(asks_in(since, until), channel="channel", outcome="outcome")
    by_channel: dict[str, dict[str, int]] = {name: {} for name in CHANNELS}
    total: dict[str, int] = {}
    for (channel, outcome), n in rows:
        key = AskOutcome(outcome).value
        counts = by_channel.setdefault(str(channel), {})
        counts[key] = counts.get(key, 0) + n
        total[key] = total.get(key, 0) + n
    return AskCounts.of(total), {name: AskCounts.of(c) for name, c in by_channel.items()}


async def knowledge_figures(
    since: datetime, until: datetime, now: datetime, *, with_lists: bool = True
) -> KnowledgeFigures:
    """Every figure of the period; ``with_lists`` adds the entries used and the stale entries
    (the general figures carry only the counts)."""
    total, by_channel = await ask_counts(since, until)
    used, top = await entries_used(asks_in(since, until), with_list=with_lists)
    stale, stale_total = await stale_entries(now, with_list=with_lists)
    return KnowledgeFigures(
        since=since,
        until=until,
        computed_at=now,
        total=total,
        by_channel=by_channel,
        entries_used=used,
        top_entries=top,
        stale=stale,
        stale_total=stale_total,
    )
