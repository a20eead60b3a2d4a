"""A small invented gazetteer: three grids of 杨浦区, squares side by side."""

from __future__ import annotations

from nlu import GazetteerEntry


def square(west: float, south: float, size: float = 0.01) -> tuple[tuple[float, float], ...]:
    return ((west, south), (west + size, south), (west + size, south + size), (west, south + size))


GUOQUAN = GazetteerEntry(
    grid_code="WJC-01",
    grid_name="国权路网格",
    street="五角场街道",
    names=("国权路小区", "国权新村", "复旦第九宿舍", "国定路"),
    polygon=square(121.500, 31.290),
)
ZHENGTONG = GazetteerEntry(
    grid_code="WJC-02",
    grid_name="政通路网格",
    street="五角场街道",
    names=("政通小区", "五角场地铁站", "政通路"),
    polygon=square(121.510, 31.290),
)
KONGJIANG = GazetteerEntry(
    grid_code="KJ-01",
    grid_name="控江二村网格",
    street="控江路街道",
    names=("控江二村", "凤城新村", "国定路"),
    polygon=square(121.520, 31.280),
)
