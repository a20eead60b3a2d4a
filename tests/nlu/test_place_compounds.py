"""Compounds named by a developer's brand and a name without the usual suffix."""

from __future__ import annotations

import pytest

from nlu import understand


@pytest.mark.parametrize(
    ("text", "compound", "building"),
    [
        ("五矿万境K9区的路灯坏了", "五矿万境K9区", None),
        ("家住五矿万境水岸，楼下天天打桩", "五矿万境水岸", None),
        ("保利麓谷林语车库漏水", "保利麓谷林语", None),
        ("恒大御景半岛门口垃圾没人清", "恒大御景半岛", None),
        ("中建芙蓉工社楼下烧烤扰民", "中建芙蓉工社", None),
        ("碧桂园星荟交房延期", "碧桂园星荟", None),
        ("保利MOMA3栋电梯停了", "保利MOMA", "3栋"),
        ("富力城业主反映停车难", "富力城", None),
        ("住在绿地海外滩，电梯困人", "绿地海外滩", None),
    ],
)
def test_brand_and_name_is_a_compound(text: str, compound: str, building: str | None) -> None:
    place = understand(text).place
    assert place.compound == compound
    assert place.building == building


@pytest.mark.parametrize(
    "text",
    [
        "万科物业乱收费",
        "投诉恒大地产延期交房",
        "碧桂园物业不管事",
        "保利的房子质量太差",
        "中建三局拖欠工人工资",
        "华润万家买到过期牛奶",
        "美的空调售后不上门",
        "小区绿地被人挖了种菜",
        "保利和万科哪个好",
    ],
)
def test_brand_as_a_company_or_word_is_no_place(text: str) -> None:
    assert understand(text).place.compound is None


def test_suffixed_names_read_as_before() -> None:
    assert understand("绿地海外滩小区停车乱收费").place.compound == "绿地海外滩小区"
    assert understand("万科金域华府业主反映物业不作为").place.compound == "万科金域华府"
