"""Grouping cases by topic, then place: pure, on ``CaseTopic`` rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.hot.grouping import Vocabulary, group, representative, shared_words
from handlers.hot.issues import CaseTopic

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def topic(
    n: int, words: str, place: str = "", *, category: str = "城乡建设", of: int | None = None
) -> CaseTopic:
    return CaseTopic(
        id=n,
        number=f"c{n}",
        resident_id=n,
        duplicate_of_id=of,
        category=category,
        created_at=T0 + timedelta(hours=n),
        status="accepted",
        unit_id=None,
        title=words,
        words=tuple(words.split()),
        place_key=place,
        place_name=place,
    )


def numbers(groups: list[list[CaseTopic]]) -> list[list[str]]:
    return sorted(sorted(c.number for c in members) for members in groups)


def test_placeless_cases_group_by_their_topic_alone() -> None:
    cases = [
        topic(1, "购房补贴 人才 社保 审核"),
        topic(2, "人才 购房补贴 申请 材料", category="劳动和社会保障"),
        topic(3, "购房补贴 社保 落户 人才"),
        topic(4, "路灯 维修 夜里 照明"),
        topic(5, "补贴 发放 老人 高龄"),
    ]
    assert numbers(group(cases)) == [["c1", "c2", "c3"], ["c4"], ["c5"]]


def test_at_one_place_a_shared_telling_word_joins_and_other_places_stay_apart() -> None:
    cases = [
        topic(1, "车位 开发商 交房 强制", "伊景园滨河苑"),
        topic(2, "捆绑销售 车位 每个", "伊景园滨河苑"),
        topic(3, "车位 捆绑销售 收房", "金域华府"),
        topic(4, "电梯 故障 停运", "伊景园滨河苑"),
    ]
    assert numbers(group(cases)) == [["c1", "c2"], ["c3"], ["c4"]]


def test_a_merged_case_goes_with_the_case_it_joined() -> None:
    cases = [topic(1, "路灯 不亮", "政通路"), topic(2, "完全 不同 的话", "别处", of=1)]
    assert numbers(group(cases)) == [["c1", "c2"]]


def test_words_too_common_in_the_period_join_nothing() -> None:
    # 物业 is in every case of the period: it names no one problem.
    cases = [topic(n, f"物业 话题{n} 事情{n}", "金域华府") for n in range(1, 41)]
    vocabulary = Vocabulary(cases)
    assert "物业" in vocabulary.common_words
    assert len(group(cases)) == 40


def test_the_group_explains_itself() -> None:
    members = [
        topic(1, "电梯 故障 老人"),
        topic(2, "电梯 停运 故障"),
        topic(3, "维保 电梯 故障 停运"),
    ]
    words = shared_words(members)
    assert words[:2] == ("电梯", "故障")
    assert representative(members, words).number == "c3"


def test_one_shared_pair_does_not_chain_two_problems_into_one_group() -> None:
    # 异地就医 and 生育津贴 are two problems; one message about 医保 报销 shares a pair with
    # each. Joined only where what the groups are about is alike, they stay two groups.
    clinic = [
        topic(1, "异地 医保 就医 结算 备案"),
        topic(2, "医保 异地 结算 失败 备案"),
        topic(3, "异地 就医 医保 结算 住院"),
    ]
    maternity = [
        topic(4, "生育 津贴 报销 产假"),
        topic(5, "生育 津贴 报销 政策"),
        topic(6, "生育 津贴 产假 剖腹产"),
    ]
    bridge = [topic(7, "医保 报销 生育 津贴"), topic(8, "医保 异地 报销 生育")]
    grouped = numbers(group([*clinic, *maternity, *bridge]))
    assert ["c1", "c2", "c3"] in grouped or any(
        {"c1", "c2", "c3"} <= set(members) and not {"c4", "c5", "c6"} & set(members)
        for members in grouped
    )
    assert not any({"c1", "c4"} <= set(members) for members in grouped)


def test_a_case_that_shares_a_pair_and_the_groups_drift_joins() -> None:
    # Members that share a pair with some and the group's main word with all join one group.
    gym = [
        topic(1, "健身 跑路 关门 老板"),
        topic(2, "健身 预付 倒闭 会员"),
        topic(3, "健身 跑路 会员 报警"),
        topic(4, "健身 消费者 关门 停业"),
        topic(5, "健身 跑路 充值"),
    ]
    assert numbers(group(gym)) == [["c1", "c2", "c3", "c4", "c5"]]
