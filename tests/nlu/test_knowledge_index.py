"""Knowledge matching without a database: matched, out of scope, expired, unanswerable."""

from __future__ import annotations

from datetime import date

from nlu.knowledge_index import (
    ConfidenceRule,
    Hit,
    IndexedEntry,
    KnowledgeIndex,
    analyse,
    features,
)

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
    where.setdefault("today", TODAY)
    hits = KnowledgeIndex(ENTRIES).rank(text, **where)  # type: ignore[arg-type]
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
    for day in (date(2026, 7, 1), date(2025, 12, 31)):
        assert all(hit.entry_id != 5 for hit in index.rank("居住证怎么办理", today=day))
        assert best("居住证怎么办理", today=day) is None


def test_an_unanswerable_question_is_not_answered() -> None:
    for text in ("地铁18号线什么时候开通", "今天天气怎么样", "你好", "？？？"):
        assert best(text) is None, text


def test_the_rule_wants_a_score_and_a_margin() -> None:
    assert not RULE.confident([])
    assert RULE.confident([Hit(1, 0.6, ""), Hit(2, 0.2, "")])
    assert not RULE.confident([Hit(1, 0.6, ""), Hit(2, 0.58, "")])  # two alike: ask a person
    assert not RULE.confident([Hit(1, RULE.min_score - 0.01, "")])


def test_a_near_miss_asking_something_else_about_an_entrys_topic_is_not_answered() -> None:
    index = KnowledgeIndex(ENTRIES)
    # Another aspect of the same thing: its money, its expiry, a neighbour who objects.
    for text in (
        "高龄津贴这个月怎么没到账",
        "居住证到期了怎么续签",
        "加装电梯楼下邻居不同意怎么办",
    ):
        (hit, *_) = index.rank(text, today=TODAY)
        assert hit.other_aspect and best(text) is None, text
    # Its object is a word the index does not know: most of the question is not the entry's.
    (hit, *_) = index.rank("居住证积分怎么计算", today=TODAY)
    assert hit.entry_id == 5 and hit.score > RULE.min_score and not hit.other_aspect
    assert hit.coverage < RULE.min_coverage and best("居住证积分怎么计算") is None
    assert best("医保卡密码忘了怎么办") is None


def test_a_paraphrase_is_answered_despite_its_context_words() -> None:
    assert best("老楼加梯要准备什么材料") == 2
    assert best("在外地住院了医保能报销吗") == 6
    (hit, *_) = KnowledgeIndex(ENTRIES).rank("我爸今年八十了，高龄津帖去哪儿申请")
    assert hit.entry_id == 1 and hit.coverage >= RULE.min_coverage
    words, aspects = analyse("我爸今年八十了，房子租出去要不要登记")
    assert "爸" not in words and "今年" not in words  # who and when: context
    assert "不要" not in words and aspects == 0  # 要不要 is a question, not a refusal


def test_an_entrys_answer_counts_in_its_coverage_but_not_in_its_score() -> None:
    charging = ("电动自行车在哪里充电",)
    bare = KnowledgeIndex([IndexedEntry(1, charging)])
    answered = KnowledgeIndex(
        [IndexedEntry(1, charging, answer="各小区设有集中充电棚，扫码充电。")]
    )
    (without,) = bare.rank("小区电瓶车充电棚在哪")
    (with_answer,) = answered.rank("小区电瓶车充电棚在哪")
    assert with_answer.score == without.score
    assert with_answer.coverage > without.coverage
    assert not answered.rank("扫码")  # the answer is never matched against


def test_an_aspect_the_entry_names_too_is_no_obstacle() -> None:
    index = KnowledgeIndex([IndexedEntry(1, ("身份证丢了怎么补办",)), *ENTRIES[1:]])
    (hit, *_) = index.rank("身份证丢失了补办要带什么")
    assert hit.entry_id == 1 and not hit.other_aspect


def test_the_rule_wants_coverage_and_no_other_aspect() -> None:
    sure = Hit(1, 0.6, "", coverage=0.9)
    assert RULE.confident([sure])
    assert not RULE.confident([Hit(1, 0.6, "", coverage=RULE.min_coverage - 0.01)])
    assert not RULE.confident([Hit(1, 0.6, "", coverage=0.9, other_aspect=True)])


def test_an_empty_index_matches_nothing() -> None:
    assert KnowledgeIndex([]).rank("高龄津贴") == []


CARDS = (
    *ENTRIES,
    IndexedEntry(7, ("身份证丢了怎么补办", "身份证遗失补领")),
    IndexedEntry(8, ("残疾人证怎么办理", "残疾证申请流程")),
    IndexedEntry(9, ("小区停车收费标准是多少",)),
)


def answered(text: str) -> int | None:
    hits = KnowledgeIndex(CARDS).rank(text, today=TODAY)
    return hits[0].entry_id if hits and RULE.confident(hits) else None


def test_another_thing_with_the_entrys_verbs_is_not_answered() -> None:
    # 丢/补办 are the 身份证 entry's, but the question is about 残疾证: its head object, which
    # another entry has, is not the 身份证 entry's.
    (hit, *_) = KnowledgeIndex(CARDS).rank("残疾证丢了能补办吗", today=TODAY)
    assert hit.entry_id == 7 and hit.head_missing and not hit.other_aspect
    assert answered("残疾证丢了能补办吗") is None
    # Asked in other words about the entry's own thing, it is answered.
    assert answered("身份证不见了，去哪补办") == 7
    assert answered("残疾证去哪里申请") == 8


def test_aspect_words_the_index_never_saw_are_known_by_their_pattern() -> None:
    for text, entry in (("高龄津贴可以补发以前的吗", 1), ("小区停车费能开发票吗", 9)):
        (hit, *_) = KnowledgeIndex(CARDS).rank(text, today=TODAY)
        assert hit.entry_id == entry and hit.other_aspect, text
        assert answered(text) is None, text
    _, aspects = analyse("高温津贴要交个税吗")
    assert aspects  # 个税: its receipts and taxes
    assert analyse("办理居住证要什么手续")[1] == 0  # 续 of 手续 is no renewal


def test_aspect_words_are_compared_not_covered() -> None:
    # 丢 and 补办 say what is asked about the 身份证; the entry names them too, and the rest of
    # the question is all its own.
    (hit, *_) = KnowledgeIndex(CARDS).rank("身份证丢了补办", today=TODAY)
    assert hit.entry_id == 7 and hit.coverage == 1.0 and not hit.head_missing


KNOWN = (
    *CARDS,
    IndexedEntry(10, ("养犬登记怎么办理", "养狗要办证吗")),
    IndexedEntry(11, ("电动自行车怎么上牌",)),
    IndexedEntry(12, ("小学一年级入学报名时间",)),
)


def known_best(text: str, **where: object) -> int | None:
    hits = KnowledgeIndex(KNOWN).rank(text, today=TODAY, **where)  # type: ignore[arg-type]
    return hits[0].entry_id if hits and RULE.confident(hits) else None


def test_a_thing_the_index_does_not_know_is_not_answered() -> None:
    # The entry's verb (办证, 上牌, 报名) with a thing no entry has as a word (养猫, 电动汽车,
    # 幼儿园): the best entry is the one with the verb, but the question is not its.
    for text, entry in (
        ("养猫要办证吗", 10),
        ("电动汽车怎么上牌", 11),
        ("幼儿园报名什么时候开始", 12),
    ):
        (hit, *_) = KnowledgeIndex(KNOWN).rank(text, today=TODAY)
        assert hit.entry_id == entry and hit.unknown_thing, text
        assert known_best(text) is None, text
    assert not RULE.confident([Hit(1, 0.9, "", coverage=1.0, unknown_thing=True)])


def test_a_colloquial_paraphrase_is_still_answered() -> None:
    # Words no entry uses that name no thing (老爷子 is 老年人, 咋弄 filler, 小电驴 an
    # everyday word for the entry's 电动自行车) leave the entry's own question answerable.
    assert known_best("我家老爷子八十好几了，那个高龄补贴咋弄") == 1
    assert known_best("小电驴要上牌吗，咋上") == 11
    assert known_best("老公房装电梯要交哪些东西") == 2


def test_the_residents_place_is_no_unknown_thing() -> None:
    # 控江路 is where the resident lives: unknown to the index, unless it is the resident's
    # street (or an entry's).
    text = "我住控江路那边，高龄补贴去哪申请"
    assert KnowledgeIndex(KNOWN).rank(text, today=TODAY)[0].unknown_thing
    assert known_best(text, street="控江路街道") == 1
