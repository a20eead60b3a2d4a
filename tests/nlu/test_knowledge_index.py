"""Knowledge matching without a database: matched, out of scope, expired, unanswerable."""

from __future__ import annotations

from datetime import date

from nlu.knowledge_index import ConfidenceRule, Hit, IndexedEntry, KnowledgeIndex, features

RULE = ConfidenceRule()
ENTRIES = (
    IndexedEntry(1, ("高龄津贴怎么申请", "八十岁以上老人补贴去哪里申领")),
    IndexedEntry(2, ("加装电梯需要哪些材料", "老楼加装电梯要准备什么资料")),
    IndexedEntry(
        3, ("大件垃圾怎么预约上门清运", "旧家具旧沙发怎么扔"), scope="street", street="五角场街道"
    ),
    IndexedEntry(
        4,
        ("电动自行车在哪里充电",),
        scope="compound",
        street="五角场街道",
        compound="国权路小区",
    ),
    IndexedEntry(
        5, ("居住证怎么办理",), valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 30)
    ),
    IndexedEntry(6, ("医保异地就医怎么备案", "在外地看病医保怎么报销")),
)
TODAY = date(2026, 3, 10)


def best(text: str, **where: object) -> int | None:
    hits = KnowledgeIndex(ENTRIES).rank(text, today=TODAY, **where)  # type: ignore[arg-type]
    return hits[0].entry_id if hits and RULE.confident(hits) else None


def test_a_paraphrased_question_with_a_typo_is_matched() -> None:
    assert best("我爸今年八十了，高龄津帖去哪儿申请") == 1
    assert best("老公房装电梯要交哪些东西") == 2
    assert best("回老家住院，医疗保险能报销吗") == 6


def test_filler_and_everyday_words() -> None:
    found = features("请问我家老人的补贴怎么申请")
    assert "w:请问" not in found and "w:怎么" not in found
    assert "w:老年人" in found and "w:津贴" in found  # 老人 -> 老年人, 补贴 -> 津贴


def test_an_entry_out_of_scope_is_not_matched() -> None:
    question = "旧沙发大件垃圾怎么预约清运"
    assert best(question, street="五角场街道") == 3
    assert best(question, street="殷行街道") is None
    assert best(question) is None  # no place known: a street's entry does not answer
    assert best("电瓶车在哪里充电", street="五角场街道", compound="国权路小区") == 4
    assert best("电瓶车在哪里充电", street="五角场街道", compound="创智坊") is None


def test_an_expired_entry_is_not_matched() -> None:
    index = KnowledgeIndex(ENTRIES)
    assert index.rank("居住证怎么办理", today=TODAY)[0].entry_id == 5
    assert not index.rank("居住证怎么办理", today=date(2026, 7, 1))
    assert not index.rank("居住证怎么办理", today=date(2025, 12, 31))


def test_an_unanswerable_question_is_not_answered() -> None:
    for text in ("地铁18号线什么时候开通", "今天天气怎么样", "你好", "？？？"):
        assert best(text) is None, text


def test_the_rule_wants_a_score_and_a_margin() -> None:
    assert not RULE.confident([])
    assert RULE.confident([Hit(1, 0.6, ""), Hit(2, 0.2, "")])
    assert not RULE.confident([Hit(1, 0.6, ""), Hit(2, 0.58, "")])  # two alike: ask a person
    assert not RULE.confident([Hit(1, 0.1, "")])


def test_an_empty_index_matches_nothing() -> None:
    assert KnowledgeIndex([]).rank("高龄津贴") == []
