from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from config.lexicon import KIND_CODES
from config.taxonomy import is_valid_path
from nlu import Place, Understanding, understand

REPO = Path(__file__).resolve().parents[2]


def assert_well_formed(result: Understanding) -> None:
    assert result.kind in KIND_CODES
    assert is_valid_path(result.category)
    assert result.category_runner_up is None or is_valid_path(result.category_runner_up)
    assert 0.0 <= result.kind_confidence <= 1.0
    assert 0.0 <= result.category_confidence <= 1.0
    assert result.urgency in ("急", "一般")
    assert result.difficult == bool(result.difficulty_reasons)
    assert (result.urgency == "急") == bool(result.urgency_reasons)
    assert len(result.title) <= 30
    assert "\n" not in result.title and "\r" not in result.title
    assert len(result.keywords) <= 8


def test_full_message() -> None:
    result = understand(
        "尊敬的领导您好！我是五角场街道国权路小区的居民，3号楼楼道里堆满杂物，"
        "还有人在楼道给电动车充电，物业一直不管。联系电话：138 1234 5678。"
    )
    assert_well_formed(result)
    assert result.category == "城乡建设/物业管理"
    assert result.kind == "complaint"
    assert result.phones == ("13812345678",)
    assert result.place.compound == "国权路小区"
    assert not result.title.startswith(("尊敬", "您好", "我是"))
    assert "楼道" in result.title
    assert "楼道" in result.keywords
    assert not any(word in result.keywords for word in ("尊敬", "领导", "您好", "国权"))


def test_title_is_short_single_line_and_skips_greetings() -> None:
    text = (
        "您好，\n领导好！\n国权路小区北门外的人行道被共享单车和电动自行车长期占用，"
        "老人推着轮椅根本过不去，孩子上学也只能走机动车道，非常危险，请有关部门尽快清理并划定停放区域。"
    )
    result = understand(text)
    assert_well_formed(result)
    assert result.title.startswith("国权路小区北门外的人行道")


def test_title_gets_place_when_short() -> None:
    result = understand("我是国权新村的居民。楼下菜场每天早上5点卸货，噪音太大了。")
    assert result.title == "国权新村：楼下菜场每天早上5点卸货，噪音太大了"


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "。。。！！", "😀😀", "hello world", "12345"])
def test_degenerate_input(text: str) -> None:
    result = understand(text)
    assert_well_formed(result)
    assert result.phones == ()
    assert not result.place.found


def test_a_ten_thousand_character_text_is_read_whole() -> None:
    """Its cost against a typical message's is benchmarks/nlu.py's figure (f)."""
    rng = random.Random(7)
    pieces = ["国权路小区", "楼上漏水", "物业不管", "，", "。", "噪音", "13812345678", "\n", "垃圾"]
    text = "".join(rng.choice(pieces) for _ in range(4000))[:10_000]
    result = understand(text)
    assert_well_formed(result)
    assert "13812345678" in result.phones


@pytest.mark.parametrize(
    "text",
    [
        "请问社保卡丢了怎么补办",
        "表扬控江路街道",
        "举报",
        "ＡＢＣ小区３号楼漏水",
        "杨浦区" * 50,
        "路" * 300,
        "小区" * 300,
        "1" * 500,
    ],
)
def test_odd_inputs_stay_well_formed(text: str) -> None:
    assert_well_formed(understand(text))


def test_import_does_not_load_the_dictionary() -> None:
    code = (
        "import nlu, nlu.tokens\n"
        "assert nlu.tokens.tokenizer.cache_info().currsize == 0\n"
        "nlu.warm_up()\n"
        "assert nlu.tokens.tokenizer.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True)


def test_understanding_is_frozen() -> None:
    result = understand("楼道灯坏了")
    with pytest.raises(AttributeError):
        result.kind = "praise"  # type: ignore[misc]


def test_place_fields_added_with_defaults() -> None:
    place = Place("国权路小区", None, None, "国权路小区", None, None, None)
    assert (place.poi, place.community, place.lng, place.lat) == (None, None, None, None)
    assert place.found


def test_message_with_community_landmark_and_road_number() -> None:
    result = understand(
        "您好，殷行街道市光三村居委会旁边的菜市场门口每天早上乱摆摊，垃圾扔了一地。"
        "另外控江路1500号新华医院门口的出租车也乱停。"
    )
    assert_well_formed(result)
    assert result.place.community == "市光三村居委会"
    assert result.place.street == "殷行街道"
    assert result.place.text == "市光三村居委会"
    assert result.category.startswith("城乡建设/")


def test_title_gets_landmark_when_short() -> None:
    result = understand("凤城菜市场里的鱼摊污水横流")
    assert result.place.poi == "凤城菜市场"
    assert result.title == "凤城菜市场里的鱼摊污水横流"
    result = understand("我是五角场地铁站附近的居民。出口共享单车乱停乱放，行人没法走。")
    assert result.title == "五角场地铁站：出口共享单车乱停乱放，行人没法走"


def test_address_column_reads_road_then_building_or_landmark() -> None:
    from handlers.places import place_columns

    def address(text: str) -> str | None:
        value: str | None = place_columns(understand(text).place)["address"]
        return value

    assert address("家住国权路39弄5号楼602室，楼上漏水") == "国权路39弄5号楼602室"
    assert address("杨浦区政肃路100号3号楼2单元501室楼上漏水") == "政肃路100号3号楼2单元501室"
    assert address("控江路1500号新华医院门口的出租车乱停") == "控江路1500号新华医院"
    assert address("五角场万达广场地下车库积水") == "五角场万达广场"
    assert address("五角场街道国权路小区3号楼楼道堆物") == "3号楼"
    assert address("市光三村居委会门口垃圾没人清") is None
