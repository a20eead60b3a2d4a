"""回访 by every channel: how the period's answers were taken (WeChat, phone, visit, other).

Counts the answered rounds the satisfaction figure counts (``handlers.figures.compute``), by
``Survey.channel``; a round answered before channels were kept came by WeChat. The counts add up
to the figure's ``answered``.
"""

from __future__ import annotations

from tortoise.functions import Count
from tortoise.queryset import QuerySet

from config.surveys import CHANNEL_LABELS
from models import Survey, SurveyStatus


async def answers_by_channel(rounds: QuerySet[Survey]) -> dict[str, int]:
    """``{channel: answers}`` for every channel, zero included, of the rounds given."""
    counts = dict.fromkeys(CHANNEL_LABELS, 0)
    rows = (
        await rounds.filter(status=SurveyStatus.ANSWERED)
        .annotate(_answers=Count("id"))
        .group_by("channel")
        .values("channel", "_answers")
    )
    for row in rows:
        channel = row["channel"] or "wechat"
        counts[channel] = counts.get(channel, 0) + int(row["_answers"] or 0)
    return counts
