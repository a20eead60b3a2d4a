"""What a themed call gathered: counts (replies, residents, by day, street, channel and status)
and the replies grouped into similar ideas, each group with its key words and sample replies.

Grouping reuses the duplicate machinery's notion of "alike" (``nlu.similarity``): each reply is
its problem words, characters and character pairs weighted by rarity, with places, phones,
filler and the words every suggestion uses (建议, 希望, 增设: ``IDEA_STOP_WORDS``) taken out;
two replies are as alike as the cosine of those weights. Unlike the hot issues, ideas are not
bucketed by place first (a bus stop asked for on two roads is one idea to the office), so the
replies are grouped by average-linkage agglomerative clustering (scikit-learn) over those
cosines, cut where a group's replies are on average less alike than ``GROUP_SIMILARITY``.
A group's key words are the words of its replies that are common in the group and rare in
the call (tf-idf over the segmenter's words).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from config import suggestion_calls as texts
from handlers.clock import local
from models import Suggestion, SuggestionCall, SuggestionStatus
from nlu import mask_phones_in_text
from nlu.similarity import canonical_text, problem_words
from nlu.tokens import cut

MAX_COUNTED = 50_000
SAMPLE_CHARS = 200
KEY_WORDS_FILLED = 3
_STOP = re.compile("|".join(sorted(map(re.escape, texts.IDEA_STOP_WORDS), key=len, reverse=True)))


@dataclass(frozen=True)
class Reply:
    """One reply, as grouping reads it."""

    id: int
    number: str
    title: str
    text: str
    places: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdeaGroup:
    size: int
    residents: int
    key_words: tuple[str, ...]
    samples: tuple[dict[str, str], ...]
    numbers: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "residents": self.residents,
            "key_words": list(self.key_words),
            "samples": list(self.samples),
            "numbers": list(self.numbers),
        }


@dataclass
class CallResults:
    replies: int = 0
    residents: int = 0
    by_day: list[tuple[date, int]] = field(default_factory=list)
    by_street: list[tuple[str, int]] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    grouped: int = 0  # how many of the latest replies were grouped
    groups: list[IdeaGroup] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "replies": self.replies,
            "residents": self.residents,
            "by_day": [{"day": d.isoformat(), "count": n} for d, n in self.by_day],
            "by_street": [{"street": s, "count": n} for s, n in self.by_street],
            "by_channel": self.by_channel,
            "by_status": self.by_status,
            "grouped": self.grouped,
            "groups": [g.as_dict() for g in self.groups],
        }


def features(reply: Reply) -> dict[str, float]:
    return problem_words(_STOP.sub(" ", reply.text), reply.places)


def group_replies(
    replies: list[Reply], similarity: float = texts.GROUP_SIMILARITY
) -> list[list[int]]:
    """Indexes of ``replies`` grouped into similar ideas, the largest group first (pure; CPU
    bound: run it off the event loop)."""
    if len(replies) < 2:
        return [[i] for i in range(len(replies))]
    # Imported here: the web process loads scikit-learn only when a call page is opened.
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.preprocessing import normalize

    matrix = normalize(DictVectorizer().fit_transform([features(r) for r in replies]))
    cosine = (matrix @ matrix.T).toarray()
    distance = (1.0 - cosine).clip(0.0, 1.0)
    clustering = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - similarity,
    )
    labels = clustering.fit_predict(distance)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda members: (-len(members), members[0]))


def _words(reply: Reply) -> set[str]:
    plain = _STOP.sub(" ", canonical_text(reply.text, reply.places))
    return {w for w in cut(plain) if len(w) >= 2 and w not in texts.IDEA_STOP_WORDS}


def key_words(replies: list[Reply], groups: list[list[int]]) -> list[tuple[str, ...]]:
    """Each group's words: frequent in the group, rare in the call."""
    words = [_words(r) for r in replies]
    everywhere = Counter(w for found in words for w in found)
    total = len(replies)
    chosen: list[tuple[str, ...]] = []
    for members in groups:
        inside = Counter(w for i in members for w in words[i])
        # Shared words first; a group whose replies word it differently fills up with the rest.
        scored = [
            (min(count, 2), count * (math.log((total + 1) / (everywhere[w] + 1)) + 1.0), w)
            for w, count in inside.items()
        ]
        scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
        shared = [w for least, _, w in scored if least > 1 or len(members) == 1]
        rest = [w for least, _, w in scored if not (least > 1 or len(members) == 1)]
        filled = shared + rest[: max(0, KEY_WORDS_FILLED - len(shared))]
        chosen.append(tuple(filled[: texts.KEY_WORDS_PER_GROUP]))
    return chosen


def _sample(reply: Reply) -> dict[str, str]:
    return {
        "number": reply.number,
        "title": reply.title,
        "text": mask_phones_in_text(reply.text)[:SAMPLE_CHARS],
    }


async def call_results(call: SuggestionCall) -> CallResults:
    rows = (
        await Suggestion.filter(call_id=call.id)
        .order_by("-created_at", "-id")
        .limit(MAX_COUNTED)
        .values(
            "id", "number", "title", "text", "street", "place_text", "resident_id", "channel",
            "status", "created_at",
        )
    )  # fmt: skip
    results = CallResults(replies=len(rows))
    results.residents = len(
        {r["resident_id"] if r["resident_id"] is not None else -r["id"] for r in rows}
    )
    days = Counter(local(r["created_at"]).date() for r in rows)
    results.by_day = sorted(days.items())
    streets = Counter(str(r["street"] or texts.NO_STREET) for r in rows)
    results.by_street = sorted(streets.items(), key=lambda item: (-item[1], item[0]))
    results.by_channel = dict(Counter(str(r["channel"]) for r in rows))
    labels = Counter(SuggestionStatus(r["status"]).label for r in rows)
    results.by_status = dict(labels)
    replies = [
        Reply(
            id=int(r["id"]),
            number=str(r["number"]),
            title=str(r["title"]),
            text=str(r["text"]),
            places=tuple(p for p in (r["place_text"], r["street"]) if p),
        )
        for r in reversed(rows[: texts.GROUPED_MAX])
    ]
    owners = {int(r["id"]): r["resident_id"] for r in rows[: texts.GROUPED_MAX]}
    groups = await asyncio.to_thread(group_replies, replies)
    words = await asyncio.to_thread(key_words, replies, groups)
    results.grouped = len(replies)
    for members, found in list(zip(groups, words, strict=True))[: texts.GROUPS_SHOWN]:
        people = {owners[replies[i].id] or -replies[i].id for i in members}
        results.groups.append(
            IdeaGroup(
                size=len(members),
                residents=len(people),
                key_words=found,
                samples=tuple(_sample(replies[i]) for i in members[: texts.SAMPLES_PER_GROUP]),
                numbers=tuple(replies[i].number for i in members),
            )
        )
    return results
