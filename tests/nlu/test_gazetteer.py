from __future__ import annotations

from nlu import Gazetteer, GazetteerEntry, point_in_polygon

from .sample_grids import GUOQUAN, KONGJIANG, ZHENGTONG, square


def test_match_text_by_name_and_alias(gazetteer: Gazetteer) -> None:
    assert gazetteer.match_text("国权路小区3号楼楼道堆物") == GUOQUAN
    assert gazetteer.match_text("复旦第九宿舍门口积水") == GUOQUAN
    assert gazetteer.match_text("五角场地铁站出口单车乱停") == ZHENGTONG
    assert gazetteer.match_text("凤城新村垃圾没人收") == KONGJIANG


def test_longest_name_wins(gazetteer: Gazetteer) -> None:
    # 政通路 is in WJC-02, but 国权路小区 is longer and more specific.
    assert gazetteer.match_text("政通路边上的国权路小区") == GUOQUAN


def test_shared_name_needs_street_or_other_name(gazetteer: Gazetteer) -> None:
    assert gazetteer.match_text("国定路上的路灯不亮") is None  # two grids have 国定路
    assert gazetteer.match_text("控江路街道国定路上的路灯不亮") == KONGJIANG
    assert gazetteer.match_text("五角场国定路上的路灯不亮") == GUOQUAN


def test_street_alone_is_no_grid(gazetteer: Gazetteer) -> None:
    assert gazetteer.match_text("五角场街道的环境越来越好") is None
    assert gazetteer.match_street("五角场街道的环境越来越好") == "五角场街道"
    assert gazetteer.match_street("五角场这边") == "五角场街道"
    assert gazetteer.match_street("浦东的事") is None


def test_no_match(gazetteer: Gazetteer) -> None:
    assert gazetteer.match_text("") is None
    assert gazetteer.match_text("楼上漏水") is None


def test_match_point(gazetteer: Gazetteer) -> None:
    assert gazetteer.match_point(121.505, 31.295) == GUOQUAN
    assert gazetteer.match_point(121.515, 31.291) == ZHENGTONG
    assert gazetteer.match_point(121.525, 31.285) == KONGJIANG


def test_point_outside_all_polygons(gazetteer: Gazetteer) -> None:
    assert gazetteer.match_point(121.600, 31.200) is None
    # inside KJ-01's bounding box row but left of it, and above WJC-01
    assert gazetteer.match_point(121.505, 31.305) is None


def test_smallest_polygon_wins() -> None:
    outer = GUOQUAN
    inner = GazetteerEntry("IN-01", "内网格", "五角场街道", (), square(121.502, 31.292, 0.002))
    gazetteer = Gazetteer([outer, inner])
    assert gazetteer.match_point(121.503, 31.293) == inner
    assert gazetteer.match_point(121.509, 31.299) == outer


def test_point_in_polygon() -> None:
    # A concave "L": the notch at the top right is outside.
    shape = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0)]
    assert point_in_polygon(0.5, 0.5, shape)
    assert point_in_polygon(0.5, 1.5, shape)
    assert not point_in_polygon(1.5, 1.5, shape)
    assert not point_in_polygon(3.0, 0.5, shape)
    closed = [*shape, shape[0]]
    assert point_in_polygon(1.5, 0.5, closed)
    assert not point_in_polygon(0.5, 0.5, [(0.0, 0.0), (1.0, 1.0)])


def test_entries_without_polygon_are_text_only() -> None:
    entry = GazetteerEntry("X-01", "无边界网格", "五角场街道", ("无边界小区",))
    gazetteer = Gazetteer([entry])
    assert gazetteer.match_point(121.505, 31.295) is None
    assert gazetteer.match_text("无边界小区") == entry
