"""A district's organisation and map as given (by a file, a form or the API), before checking.

Units, grids and stations are known by their code (places by kind and name); workers by their
WeCom userid, else their WeChat openid, else their phone, else their name, or, from the API and
the dashboard, by their id. A unit's head and supervisors are workers referred to the same way
(``WorkerIn.ref``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNIT_KINDS: dict[str, str] = {
    "center": "指挥中心",
    "department": "区职能部门",
    "street": "街道/镇",
    "station": "居委/村居",
    "utility": "公用事业单位",
}
PLACE_KINDS: dict[str, str] = {"street": "街道", "compound": "小区", "road": "道路", "poi": "地标"}
# 人民建议征集联系点 (models.Station): the district's centre, a street's, a station, a partner.
STATION_KINDS: dict[str, str] = {
    "center": "区人民建议征集中心",
    "street": "街道联系点",
    "station": "基层联系点",
    "partner": "合作联系点",
}
MAX_CODE = 32
MAX_NAME = 64
MAX_PHONE = 32
MAX_ACCOUNT = 64
MAX_NAMES = 200  # compounds, aliases or grids of one row


class DistrictProblem(ValueError):
    """What is wrong with the given organisation; nothing was written. ``problems`` lists each
    problem in Chinese, naming the row (and for GeoJSON the feature index and code)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class UnitIn:
    code: str
    name: str
    kind: str = "department"
    parent: str = ""  # a unit code
    head: str = ""  # a worker reference
    supervisors: tuple[str, ...] = ()  # worker references
    phone: str = ""
    street: str = ""
    active: bool = True
    where: str = ""  # e.g. "units.csv 第 3 行", for the messages


@dataclass(frozen=True)
class GridIn:
    code: str
    name: str
    street: str
    unit: str = ""  # a unit code
    compounds: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    boundary: Any = None  # GeoJSON Polygon/MultiPolygon, or the stored list of points
    active: bool = True
    where: str = ""


@dataclass(frozen=True)
class WorkerIn:
    name: str
    role: str = "unit_staff"
    unit: str = ""
    grids: tuple[str, ...] = ()
    phone: str = ""
    wecom_userid: str = ""
    openid: str = ""
    active: bool = True
    id: int | None = None  # the API and the dashboard edit a worker by id
    new: bool = False  # the API's and the dashboard's "add": never matched to a stored worker
    where: str = ""

    @property
    def ref(self) -> str:
        return self.wecom_userid or self.openid or self.phone or self.name


@dataclass(frozen=True)
class PlaceIn:
    name: str
    kind: str
    street: str = ""
    grid: str = ""  # a grid code; streets need none
    aliases: tuple[str, ...] = ()
    active: bool = True
    where: str = ""


@dataclass(frozen=True)
class StationIn:
    """A suggestion station or partner (人民建议征集联系点), known by its code."""

    code: str
    name: str
    kind: str = "station"
    street: str = ""
    unit: str = ""  # a unit code: the unit the station belongs to, if any
    contact: str = ""
    active: bool = True
    where: str = ""


@dataclass
class DistrictData:
    units: list[UnitIn] = field(default_factory=list)
    grids: list[GridIn] = field(default_factory=list)
    workers: list[WorkerIn] = field(default_factory=list)
    places: list[PlaceIn] = field(default_factory=list)
    stations: list[StationIn] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.units or self.grids or self.workers or self.places or self.stations)


def names(value: Any) -> tuple[str, ...]:
    """A list of names from a list, or from text split on ``|``, ``;``, ``，`` or ``,``."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        items = [str(item) for item in value]
    else:
        text = str(value)
        for separator in (";", "；", "，", ","):
            text = text.replace(separator, "|")
        items = text.split("|")
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
