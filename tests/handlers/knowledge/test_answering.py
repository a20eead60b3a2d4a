"""answer_for: published entries only, in scope, on a valid day; confident or not; reloaded
when told; a re-ranker is asked only when the local rule hesitates, and never required."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from handlers.knowledge.answering import KnowledgeBase, answer_text, scope_of
from handlers.knowledge.editing import create_entry, set_status
from models import EntryStatus, Grid, KnowledgeEntry
from tests.handlers.knowledge.conftest import NOW, Org, entry


async def published(org: Org, question: str, **fields: object) -> KnowledgeEntry:
    actor = org.actor(org.admin)
    made = await create_entry(entry(question, **fields), org.admin, actor, NOW)
    return (await set_status(made.id, EntryStatus.PUBLISHED, org.admin, actor, NOW)).entry


async def test_a_question_is_answered_from_published_entries_in_scope(org: Org) -> None:
    kb = KnowledgeBase()
    draft = await create_entry(
        entry("加装电梯需要哪些材料", unit="HOUSING"), org.admin, org.actor(org.admin), NOW
    )
    assert await kb.answer_for("加装电梯要准备什么材料", now=NOW) is None  # a draft answers nobody
    await published(org, "高龄津贴怎么申请")
    await published(
        org, "大件垃圾怎么预约上门清运", scope="street", street="五角场街道", unit="HOUSING"
    )
    await published(org, "居住证怎么办理", valid_until=date(2026, 3, 1))  # expired on NOW
    await set_status(draft.id, EntryStatus.PUBLISHED, org.admin, org.actor(org.admin), NOW)
    kb.invalidate()

    match = await kb.answer_for("我爸今年八十了，高龄补贴去哪儿申请", now=NOW)
    assert match is not None and match.confident
    assert match.entry.question == "高龄津贴怎么申请" and match.source.startswith("区民政局")
    text = answer_text(match)
    assert "受理中心申请" in text and "区民政局" in text and "2026年3月10日" in text
    assert "解决了" in text and "没解决" in text
    lift = await kb.answer_for("加装电梯要准备什么材料", now=NOW)
    assert lift is not None and lift.confident and lift.offered[0].code == draft.code

    # A street's entry answers that street only.
    question = "旧沙发大件垃圾怎么预约上门清运"
    inside = await kb.answer_for(question, street="五角场街道", now=NOW)
    assert inside is not None and inside.confident
    assert inside.entry.question.startswith("大件垃圾")
    outside = await kb.answer_for(question, street="殷行街道", now=NOW)
    assert outside is None or outside.entry.question != "大件垃圾怎么预约上门清运"
    nowhere = await kb.answer_for(question, now=NOW)
    assert nowhere is None or not nowhere.entry.question.startswith("大件垃圾")

    # An expired entry answers nobody; it did the day it was valid.
    expired = await kb.answer_for("居住证怎么办理", now=NOW)
    assert expired is None or (expired.entry.question != "居住证怎么办理" and not expired.confident)
    earlier = await kb.answer_for("居住证怎么办理", now=NOW - timedelta(days=30))
    assert earlier is not None and earlier.confident

    # A question no entry answers is not answered.
    none = await kb.answer_for("地铁18号线什么时候开通", now=NOW)
    assert none is None or not none.confident


async def test_the_grid_gives_the_street(org: Org) -> None:
    grid = Grid(code="G", name="一网格", street="五角场街道")
    assert scope_of(grid, "国权路小区") == ("五角场街道", "国权路小区")
    assert scope_of(None) == (None, None)


class Picks:
    def __init__(self, question: str | None) -> None:
        self.question = question
        self.asked = 0

    async def __call__(
        self, text: str, candidates: Sequence[tuple[KnowledgeEntry, float]]
    ) -> int | None:
        self.asked += 1
        if self.question == "fail":
            raise RuntimeError("LLM unavailable")
        return next((e.id for e, _ in candidates if e.question == self.question), None)


async def test_a_reranker_decides_only_when_the_rule_hesitates(org: Org) -> None:
    await published(org, "高龄津贴怎么申请")
    await published(org, "高温津贴发放标准", unit="HOUSING")
    vague = "津贴怎么领"
    plain = await KnowledgeBase().answer_for(vague, now=NOW)
    assert plain is not None and not plain.confident
    picks = Picks("高温津贴发放标准")
    match = await KnowledgeBase(reranker=picks, rerank_floor=0.1).answer_for(vague, now=NOW)
    assert match is not None and match.confident and match.reranked
    assert match.entry.question == "高温津贴发放标准" and picks.asked == 1
    sure = await KnowledgeBase(reranker=picks).answer_for("高龄津贴怎么申请", now=NOW)
    assert sure is not None and sure.confident and picks.asked == 1  # not asked
    broken = await KnowledgeBase(reranker=Picks("fail"), rerank_floor=0.1).answer_for(
        vague, now=NOW
    )
    assert broken is not None and not broken.confident  # the local rule decides
