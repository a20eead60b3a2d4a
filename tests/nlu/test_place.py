from __future__ import annotations

import pytest

from nlu import Gazetteer, understand
from nlu.normalise import normalise
from nlu.place import extract_spans
from nlu.understanding import locate


def test_street_compound_building() -> None:
    place = understand("五角场街道国权路小区3号楼楼道里堆满杂物，物业不管").place
    assert place.street == "五角场街道"
    assert place.compound == "国权路小区"
    assert place.building == "3号楼"
    assert place.text == "国权路小区3号楼"
    assert place.road is None
    assert place.found


def test_district_road_and_number() -> None:
    place = understand("您好！我住在杨浦区政通路100号，门口的窨井盖不见了").place
    assert place.district == "杨浦区"
    assert place.road == "政通路100号"
    assert place.text == "政通路100号"


def test_lane_address_with_room() -> None:
    place = understand("家住国权路39弄5号楼602室，楼上卫生间漏水").place
    assert place.compound == "国权路39弄"
    assert place.road == "国权路39弄"  # the road with its number; a lane is also a compound
    assert place.building == "5号楼602室"
    assert place.text == "国权路39弄5号楼602室"


def test_full_width_digits() -> None:
    place = understand("国权新村３号楼４０２室漏水").place
    assert place.building == "3号楼402室"


def test_building_with_unit() -> None:
    place = understand("控江二村12栋2单元楼道灯坏了").place
    assert place.compound == "控江二村"
    assert place.building == "12栋2单元"


@pytest.mark.parametrize(
    ("text", "poi"),
    [
        ("五角场地铁站出口共享单车乱停乱放", "五角场地铁站"),
        ("靠近国权路的菜场门口每天早上占道卖菜", None),
        ("凤城菜市场里的鱼摊污水横流", "凤城菜市场"),
        ("复旦附中放学时校门口堵得水泄不通", None),
    ],
)
def test_points_of_interest(text: str, poi: str | None) -> None:
    place = understand(text).place
    assert place.building is None  # a landmark is no building
    assert place.poi == poi
    if poi is not None:
        assert place.text == poi


def test_road_after_stop_word() -> None:
    place = understand("靠近国权路的菜场门口每天早上占道卖菜").place
    assert place.road == "国权路"


def test_generic_words_are_not_places() -> None:
    place = understand("小区门口的垃圾没人清理，走路都要绕着走，过马路也不安全").place
    assert place.compound is None
    assert place.road is None
    assert place.text is None
    assert not place.found


def test_no_place() -> None:
    place = understand("请问居住证怎么办理？").place
    assert place.text is None
    assert place.grid_code is None
    assert not place.found


def test_gazetteer_name_wins_and_fills_street(gazetteer: Gazetteer) -> None:
    place = understand("我住复旦第九宿舍5号楼，楼下烧烤店油烟很大", gazetteer=gazetteer).place
    assert place.compound == "复旦第九宿舍"
    assert place.building == "5号楼"
    assert place.text == "复旦第九宿舍5号楼"
    assert place.grid_code == "WJC-01"
    assert place.street == "五角场街道"
    assert place.district == "杨浦区"


def test_gazetteer_name_overrides_regex_guess(gazetteer: Gazetteer) -> None:
    # Without a gazetteer "我家国权新村" would be cut at 我家; with it the known name is used.
    place = understand("我家国权新村3号楼前的树倒了", gazetteer=gazetteer).place
    assert place.compound == "国权新村"
    assert place.grid_code == "WJC-01"


def test_location_gives_grid_when_text_has_none(gazetteer: Gazetteer) -> None:
    place = understand("门口垃圾堆了好几天", location=(121.515, 31.295), gazetteer=gazetteer).place
    assert place.grid_code == "WJC-02"
    assert (place.lng, place.lat) == (121.515, 31.295)
    assert place.text is None
    assert place.street == "五角场街道"
    assert place.found


def test_text_grid_wins_over_location(gazetteer: Gazetteer) -> None:
    place = locate("控江二村门口垃圾堆了好几天", (121.505, 31.295), gazetteer)
    assert place.grid_code == "KJ-01"


def test_location_outside_every_grid(gazetteer: Gazetteer) -> None:
    place = understand("这里路灯不亮", location=(120.0, 30.0), gazetteer=gazetteer).place
    assert place.grid_code is None
    assert place.found  # the coordinates themselves locate the problem


def test_street_only_gives_no_grid(gazetteer: Gazetteer) -> None:
    place = understand("五角场街道最近晚上很吵", gazetteer=gazetteer).place
    assert place.street == "五角场街道"
    assert place.grid_code is None


@pytest.mark.parametrize(
    ("text", "district", "road", "compound"),
    [
        ("上海市杨浦区控江路街道凤城新村门口", "杨浦区", None, "凤城新村"),
        ("上海市国权路小区", None, None, "国权路小区"),  # the city is not part of the name
        ("杨浦区市光路100号", "杨浦区", "市光路100号", None),  # 市 inside a road name
        ("几个月后区里才来人看", None, None, None),  # 区里 is the district office
    ],
)
def test_city_and_district_boundaries(
    text: str, district: str | None, road: str | None, compound: str | None
) -> None:
    place = understand(text).place
    assert (place.district, place.road, place.compound) == (district, road, compound)


def test_known_street_alias_inside_a_longer_place() -> None:
    from nlu import Gazetteer, GazetteerEntry

    gazetteer = Gazetteer([GazetteerEntry("WJC-09", "某网格", "五角场街道", ("国权新村",))])
    place = understand("五角场地铁站门口积水很深", gazetteer=gazetteer).place
    assert place.poi == "五角场地铁站"
    assert place.street == "五角场街道"
    assert place.grid_code is None  # a street alone names no grid


def test_community_beside_a_market() -> None:
    place = understand("殷行街道市光三村居委会旁边的菜市场门口天天有人乱摆摊").place
    assert place.street == "殷行街道"
    assert place.community == "市光三村居委会"
    assert place.compound == "市光三村"
    assert place.text == "市光三村居委会"
    assert place.poi is None  # 菜市场 alone names no landmark
    assert place.building is None


@pytest.mark.parametrize(
    ("text", "community", "compound", "road"),
    [
        ("新江湾城街道国浩长风社区的健身器材坏了", "国浩长风社区", None, None),
        ("延吉东路社区居委会门口的路灯不亮", "延吉东路社区居委会", None, None),
        ("控江路街道凤城新村居委会不管楼道堆物", "凤城新村居委会", "凤城新村", None),
        ("大桥村村委会旁边的河道发臭", "大桥村村委会", "大桥村", None),
        ("长风社区居民委员会的电话打不通", "长风社区居民委员会", None, None),
        # Words, not names: the committee of the writer's own compound, a service, a kind of place.
        ("我们社区居委会不作为", None, None, None),
        ("社区医院挂号太难", None, None, None),
        ("老旧社区改造什么时候开始", None, None, None),
        ("居委会说这事不归他们管", None, None, None),
        ("业主多次向物业和社区反映，没人管", None, None, None),
        ("咨询村委会什么时候发补贴", None, None, None),
    ],
)
def test_communities(
    text: str, community: str | None, compound: str | None, road: str | None
) -> None:
    place = understand(text).place
    assert (place.community, place.compound, place.road) == (community, compound, road)


def test_known_compound_keeps_its_committee(gazetteer: Gazetteer) -> None:
    place = understand("复旦第九宿舍居委会门口垃圾没人清", gazetteer=gazetteer).place
    assert place.compound == "复旦第九宿舍"
    assert place.community == "复旦第九宿舍居委会"
    assert place.grid_code == "WJC-01"


def test_road_number_then_landmark() -> None:
    place = understand("控江路1500号新华医院门口的出租车乱停").place
    assert place.road == "控江路1500号"
    assert place.poi == "新华医院"
    assert place.building is None
    assert place.text == "控江路1500号新华医院"


def test_landmark_with_district_prefix_and_garage() -> None:
    place = understand("五角场万达广场地下车库积水，车都泡了").place
    assert place.poi == "五角场万达广场"
    assert place.building is None
    assert place.text == "五角场万达广场"


def test_road_number_then_building() -> None:
    place = understand("杨浦区政肃路100号3号楼2单元501室楼上漏水").place
    assert place.district == "杨浦区"
    assert place.road == "政肃路100号"
    assert place.building == "3号楼2单元501室"
    assert place.text == "政肃路100号3号楼2单元501室"


def test_numbered_building_on_a_road_is_a_building() -> None:
    place = understand("国权路100号楼门口").place
    assert place.road == "国权路"
    assert place.building == "100号楼"


def test_town_street_office_keeps_its_name() -> None:
    place = understand("江湾镇街道高境村3组的路灯坏了").place
    assert place.street == "江湾镇街道"
    assert place.compound == "高境村"


def test_affiliated_hospital_is_one_landmark() -> None:
    place = understand("复旦大学附属中山医院旁边停车太难").place
    assert place.poi == "复旦大学附属中山医院"


def test_road_after_near() -> None:
    # 靠近市 is no city: 市光路 is a road.
    text = "国和路靠近市光路的公交站没有站牌"
    spans = [(span.kind, span.value) for span in extract_spans(normalise(text))]
    assert ("road", "市光路") in spans


@pytest.mark.parametrize(
    ("text", "road", "poi"),
    [
        ("已经走投无路了，请领导帮帮我们", None, None),  # 无路 is no road
        ("咨询滨湖西路什么时候修好", "滨湖西路", None),  # a request is no part of a name
        ("花明希望小学门口的路太窄", None, "花明希望小学"),
        # Time words, pronouns and going verbs lead up to a name and are no part of it.
        ("每天上班走翔殷路隧道，里面漏水滴到车上", "翔殷路", None),
        ("我每天走国定路回家，人行道被摊贩占满", "国定路", None),
        ("请管一管殷行路的广场舞，音乐太吵", "殷行路", None),
        ("每天早上长海医院门前都被违停车辆堵住", None, "长海医院"),
        ("平时去五角场地铁站的人很多", None, "五角场地铁站"),
        # 路过 is passing by, not a road (but 国定路过街天桥 is on 国定路).
        ("天天路过黄兴路的人都知道那里积水", "黄兴路", None),
        ("国定路过街天桥的台阶坏了", "国定路", None),
        # 广场舞 is a dance, not a square: the road before it stays a road.
        ("投诉殷行路广场舞噪音扰民", "殷行路", None),
        # A name the dictionary happens to tag as a time or adverb word stays whole.
        ("大连路地铁站2号口共享单车堆积", None, "大连路地铁站"),
    ],
)
def test_words_before_names(text: str, road: str | None, poi: str | None) -> None:
    place = understand(text).place
    assert (place.road, place.poi) == (road, poi)
