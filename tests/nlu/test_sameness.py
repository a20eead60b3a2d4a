"""Reading a conversation's next message: detail joins the case, another problem does not."""

from __future__ import annotations

import pytest

from benchmarks.conversation_pairs import PAIRS
from benchmarks.sameness import demo_gazetteer
from nlu import Gazetteer, understand
from nlu.sameness import compare
from nlu.similarity import canonical_text, conflicting, objects, problem_words, similarity, spots

LAMP = "国权路小区5号楼楼下路灯坏了，晚上很黑"


@pytest.mark.parametrize(
    "later",
    [
        "已经一个星期了",
        "电话13800000000",
        "联系电话13912345678，姓王",
        "还是没人来修",
        "麻烦尽快",
        "国权路小区5号楼",
        "就在国权路小区大门往东二十米",
        "晚上根本看不见路",
    ],
)
def test_detail_is_the_same_matter(later: str, gazetteer: Gazetteer) -> None:
    result = compare(LAMP, later, gazetteer=gazetteer)
    assert result.verdict == "same", result


@pytest.mark.parametrize(
    "later", ["路灯一直不亮，老人晚上出门摔了一跤", "楼下面的路灯到现在还是不亮", "路灯灭了好几天"]
)
def test_the_same_problem_in_other_words_is_the_same(later: str, gazetteer: Gazetteer) -> None:
    assert compare(LAMP, later, gazetteer=gazetteer).verdict == "same"


@pytest.mark.parametrize(
    "later",
    [
        "另外小区门口烧烤店每天晚上很吵",  # announced, another problem
        "5号楼的电梯也坏了",  # another thing at the same building
        "凤城新村3号楼的路灯也坏了",  # the same thing at another place
        "顺便反映一下，政通路上共享单车乱停",
    ],
)
def test_another_problem_is_different(later: str, gazetteer: Gazetteer) -> None:
    result = compare(LAMP, later, gazetteer=gazetteer)
    assert result.verdict == "different", result
    assert result.reason


def test_an_addition_about_the_same_thing_is_asked(gazetteer: Gazetteer) -> None:
    result = compare("政通路上有流浪狗追着咬人", "政通路上还有人遛狗不牵绳", gazetteer=gazetteer)
    assert result.verdict == "unclear"
    assert 0.0 <= result.score <= 1.0


def test_readings_given_are_used_instead_of_reading_again() -> None:
    first, then = understand(LAMP), understand("另外楼下烧烤店很吵")
    result = compare(LAMP, "另外楼下烧烤店很吵", earlier_reading=first, later_reading=then)
    assert result.verdict == "different"


def test_no_other_problem_of_the_conversation_pairs_is_read_as_the_same() -> None:
    """The worst error, two problems in one case, on every (b)/(c) pair of the benchmark."""
    gazetteer = demo_gazetteer()
    merged = [
        f"{pair.earlier} -> {pair.later}"
        for pair in PAIRS
        if pair.group != "a"
        and compare(pair.earlier, pair.later, gazetteer=gazetteer).verdict == "same"
    ]
    assert merged == []


def test_equivalent_words_meet() -> None:
    assert canonical_text("路灯不亮了") == canonical_text("路灯坏了")
    lamp = problem_words("楼下面的路灯不亮了")
    assert similarity(lamp, problem_words("楼下路灯坏了")) == pytest.approx(1.0)
    assert similarity(problem_words("楼道渗水"), problem_words("楼道漏水")) == pytest.approx(1.0)


def test_positions_and_spots_are_not_problem_words() -> None:
    assert similarity(problem_words("楼道灯坏了"), problem_words("楼道漏水")) == 0.0
    assert similarity(problem_words("人行道地砖松动"), problem_words("人行道上有人摆摊")) < 0.1


def test_things_named_apart_conflict() -> None:
    assert objects("5号楼楼道灯坏了") == {"楼道灯"}
    assert objects("地下车库积水") == frozenset()  # 车库 is a spot, not a vehicle
    assert conflicting(objects("路灯坏了"), objects("电梯坏了"))
    assert conflicting(objects("红绿灯坏了"), objects("路灯坏了"))
    assert not conflicting(objects("楼道里的灯坏了"), objects("楼道灯不亮"))
    assert not conflicting(objects("路灯坏了"), objects("晚上很黑"))
    assert conflicting(spots("鞍山路小学门口有摊贩"), spots("鞍山路菜市场门口有摊贩"))
    assert not conflicting(spots("国和路公交站台顶棚破了"), spots("国和路公交站的顶棚坏了"))


def test_detail_words_go_only_when_asked() -> None:
    assert problem_words("已经一个星期了，还是没人来修", drop_detail=True) == {}
    assert problem_words("已经一个星期了，还是没人来修")
    assert "剪" in problem_words("树枝请修剪", drop_detail=True)  # 修 goes, 修剪 stays
