"""Place aliases: one key for the ways residents write one place."""

from __future__ import annotations

from nlu.place_aliases import PlaceAliases, core


def _one_place(aliases: PlaceAliases, *names: str) -> str:
    keys = {aliases.key(name) for name in names}
    assert len(keys) == 1, {name: aliases.key(name) for name in names}
    return keys.pop()


def test_core_strips_places_before_and_generic_words_after() -> None:
    assert core("A5区劳动东路魅力之城小区") == "魅力之城"
    assert core("A市魅力之城") == "魅力之城"
    assert core("定向商品房伊景园滨河苑") == "伊景园滨河苑"
    assert core("西地省A市A2区安置房金桂园3栋") == "金桂园"
    assert core("五矿万境K9区") == "五矿万境"
    assert core("麓谷林语二期") == "麓谷林语"
    assert core(" 晨光社区 ") == "晨光"


def test_core_keeps_what_is_a_name_of_its_own() -> None:
    assert core("劳动东路123号") == "劳动东路123号"  # an address, not the whole road
    assert core("国权路小区") == "国权路小区"  # a compound named after its road
    assert core("长阳路1080弄") == "长阳路1080弄"
    assert core("月湖大市场小区") == "月湖大市场"
    assert core("小区") == "小区"
    assert core("") == ""


def test_housing_kind_and_short_name_are_one_place() -> None:
    aliases = PlaceAliases()
    aliases.learn(["伊景园滨河苑", "滨河苑", "定向商品房伊景园滨河苑"])
    key = _one_place(aliases, "伊景园滨河苑", "滨河苑", "定向商品房伊景园滨河苑", "伊景园滨河苑2栋")
    assert aliases.label(key) in ("伊景园滨河苑", "定向商品房伊景园滨河苑")


def test_city_road_and_brand_written_or_not_are_one_place() -> None:
    names = ["A5区劳动东路魅力之城小区", "魅力之城小区", "万科魅力之城小区", "A市魅力之城"]
    aliases = PlaceAliases()
    aliases.learn([*names, "魅力之城小区", "魅力之城小区"])
    key = _one_place(aliases, *names)
    assert aliases.label(key) == "魅力之城小区"  # the way most residents write it


def test_brand_stays_when_the_rest_is_no_known_name() -> None:
    aliases = PlaceAliases()
    aliases.learn(["五矿万境", "五矿万境K9区", "保利麓谷林语", "恒大御景半岛"])
    assert aliases.key("五矿万境K9区") == aliases.key("五矿万境") == "五矿万境"
    assert aliases.key("恒大御景半岛") == "恒大御景半岛"
    assert aliases.key("五矿万境水岸") != aliases.key("五矿万境")


def test_district_aliases_map_to_the_place_name() -> None:
    aliases = PlaceAliases(
        [("金域华府", ["万科金域华府", "金域华府北区"]), ("晨光苑", ["晨光小区"])]
    )
    assert aliases.key("万科金域华府二期") == aliases.key("金域华府") == "金域华府"
    assert aliases.label("金域华府") == "金域华府"
    assert aliases.key("晨光小区") == aliases.key("晨光苑")
    assert aliases.label(aliases.key("晨光小区")) == "晨光苑"


def test_short_name_ending_several_places_is_ambiguous() -> None:
    aliases = PlaceAliases()
    aliases.learn(["伊景园滨河苑", "金桂滨河苑", "滨河苑"])
    assert aliases.key("滨河苑") == "滨河苑"
    assert aliases.key("伊景园滨河苑") != aliases.key("金桂滨河苑")


def test_a_short_name_after_the_names_of_one_area_is_one_place() -> None:
    aliases = PlaceAliases()
    aliases.learn(["江湾翰林苑", "新江湾城翰林苑", "翰林苑"])
    assert {aliases.key(n) for n in ("江湾翰林苑", "新江湾城翰林苑", "翰林苑")} == {"翰林苑"}
    # Where the district lists them, they are its places and stay apart.
    listed = PlaceAliases([("江湾翰林苑", []), ("新江湾城翰林苑", [])])
    listed.learn(["翰林苑"])
    assert listed.key("江湾翰林苑") != listed.key("新江湾城翰林苑")


def test_a_numbered_village_in_digits_is_the_village_in_words() -> None:
    aliases = PlaceAliases()
    aliases.learn(["市光3村", "市光三村", "鞍山4村"])
    assert aliases.key("市光3村") == aliases.key("市光三村") == "市光三村"
    assert aliases.key("鞍山4村") == aliases.key("鞍山四村")


def test_different_places_stay_apart() -> None:
    aliases = PlaceAliases()
    aliases.learn(
        ["魅力之城", "江山帝景", "国权新村", "国权路小区", "劳动东路123号", "劳动东路8号"]
    )
    keys = [aliases.key(name) for name in ("魅力之城", "江山帝景", "国权新村", "国权路小区")]
    assert len(set(keys)) == 4
    assert aliases.key("劳动东路123号") != aliases.key("劳动东路8号")


def test_no_name_has_no_key() -> None:
    aliases = PlaceAliases()
    assert aliases.key("") == aliases.key(None) == aliases.key("  ") == ""
    assert aliases.label("未见过") == "未见过"


def test_five_thousand_different_names_keep_five_thousand_keys() -> None:
    # How long learning takes is part of a ranking's time (benchmarks/hot_issues.py), not a test.
    names = [
        f"A{i % 9}区第{i}路{chr(0x4E00 + i % 500)}{chr(0x5000 + i)}苑{i % 7}栋" for i in range(5000)
    ]
    aliases = PlaceAliases([(f"{chr(0x5000 + i)}园", [f"{chr(0x5100 + i)}园"]) for i in range(500)])
    aliases.learn(names)
    keys = {aliases.key(name) for name in names}
    assert len(keys) == 5000


def test_a_number_on_a_road_also_named_alone_is_the_road() -> None:
    aliases = PlaceAliases()
    aliases.learn(["国定路500号", "国定路", "政通路100号"])
    assert aliases.key("国定路500号") == aliases.key("国定路") == "国定路"
    # A road nobody named alone keeps its numbers apart.
    assert aliases.key("政通路100号") == "政通路100号"
