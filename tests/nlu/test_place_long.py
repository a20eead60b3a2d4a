"""Places in long messages: every address kept, the most specific chosen, never a verb phrase."""

from __future__ import annotations

import pytest

from nlu import understand
from nlu.understanding import ANALYSED_CHARS

STORY = (
    "每天晚上十点以后还在施工，电锯声一直持续到凌晨，家里老人孩子都睡不好。"
    "我们已经多次打过热线，也找过物业，每次都说会处理，可是问题始终没有得到解决。"
)


def test_address_deep_in_a_letter_beats_a_road_named_with_a_request() -> None:
    text = (
        "您好，" + STORY + "希望尽快到延吉东路督促工地停止夜间施工，" + STORY + "我家在安图路88号。"
    )
    place = understand(text).place
    assert place.text == "安图路88号"
    assert place.road == "安图路88号"
    assert place.poi is None  # 延吉东路督促工地 is no landmark
    assert place.addresses == ("延吉东路", "安图路88号")


@pytest.mark.parametrize(
    "text",
    [
        "要求市容部门到延吉东路督促工地整改",
        "希望尽快督促工地停止夜间施工",
        "请物业维修一下楼道的灯",
    ],
)
def test_a_request_is_no_place(text: str) -> None:
    place = understand(text).place
    assert all("督促" not in (value or "") for value in (place.text, place.poi, place.road))
    assert place.poi is None


def test_address_beyond_the_analysed_head_is_found() -> None:
    text = STORY * 12 + "联系地址：国和路605弄21号601室"
    assert len(text) > ANALYSED_CHARS + 100
    place = understand(text).place
    assert place.text == "国和路605弄21号601室"
    assert place.compound == "国和路605弄"
    assert place.building == "21号601室"


def test_address_across_the_head_end_is_read_whole() -> None:
    text = "我家在凤城新村，" + STORY * 20
    text = text[: ANALYSED_CHARS - 8] + "。凤城新村20号楼602室漏水"
    place = understand(text).place
    assert place.text == "凤城新村20号楼602室"
    assert place.building == "20号楼602室"
    assert place.addresses == ("凤城新村", "凤城新村20号楼602室")


def test_most_specific_place_wins_and_others_are_kept() -> None:
    place = understand("我住在国权路小区，问题在政通路100号3号楼门口，有人天天乱倒垃圾").place
    assert place.text == "政通路100号3号楼"
    assert (place.road, place.building, place.compound) == ("政通路100号", "3号楼", None)
    assert place.addresses == ("国权路小区", "政通路100号3号楼")


def test_road_named_elsewhere_is_not_joined_to_the_building() -> None:
    place = understand("控江路上的工地晚上施工，吵到我们控江二村12栋2单元的居民").place
    assert (place.compound, place.building, place.road) == ("控江二村", "12栋2单元", None)


def test_lane_place_never_repeats() -> None:
    place = understand("控江路1000弄12号楼的电梯又坏了").place
    assert place.text == "控江路1000弄12号楼"
    assert place.compound == place.road == "控江路1000弄"
    assert place.building == "12号楼"


@pytest.mark.parametrize(
    ("text", "compound", "building"),
    [
        ("我住五矿万境3号楼，楼下烧烤油烟太大", "五矿万境", "3号楼"),
        ("保利叶上海5号楼2单元的电梯困人", "保利叶上海", "5号楼2单元"),
        ("在中凯城市之光12号楼，地库入口的栏杆坏了", "中凯城市之光", "12号楼"),
        ("伊景园滨河苑地库积水，车都开不出去", "伊景园滨河苑", None),
        ("锦绣华庭A栋电梯经常停运", "锦绣华庭", "A栋"),
        ("我是中凯城市之光的业主，停车太乱", "中凯城市之光", None),
    ],
)
def test_compounds_of_unusual_names(text: str, compound: str, building: str | None) -> None:
    place = understand(text).place
    assert (place.compound, place.building) == (compound, building)


@pytest.mark.parametrize(
    "text",
    ["楼下3号楼的邻居天天吵架", "请物业维修3号楼的路灯", "这栋楼3单元的门坏了"],
)
def test_words_before_a_building_are_no_compound(text: str) -> None:
    assert understand(text).place.compound is None


def test_numbered_road_with_a_common_word_ending() -> None:
    place = understand("三门路358弄12号楼楼道堆物").place
    assert place.compound == "三门路358弄"


def test_two_compounds_joined_by_and() -> None:
    place = understand("开鲁新村和开鲁二村之间的围墙倒了一段，开鲁二村7号楼的居民出行不便").place
    assert place.text == "开鲁二村7号楼"
    assert "开鲁新村" in place.addresses


def test_exit_number_of_a_station_is_no_building() -> None:
    place = understand("大连路地铁站2号口共享单车堆积").place
    assert (place.poi, place.building) == ("大连路地铁站", None)
