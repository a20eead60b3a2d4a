"""The suggestion stations and partners (人民建议征集联系点) as part of the district's setup.

A station is the channel a suggestion came through (``Suggestion.station``), so that the
network's contribution is counted; it is given like the other rows of a district (the
``stations.csv`` file, the admin API, the dashboard) and goes through the same plan: checked
(``check_station``), compared with the database (``current_stations``), written in the plan's
transaction (``write_stations``). A station that closes is deactivated, never deleted: the
suggestions that came through it keep counting for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from tortoise.functions import Count

from handlers.district.records import MAX_CODE, MAX_NAME, STATION_KINDS, StationIn
from models import Station, Suggestion, Unit

MAX_CONTACT = 64


class StationChange(Protocol):
    """What :func:`write_stations` needs of a plan's change (``handlers.district.planning``)."""

    key: str
    action: str
    after: dict[str, Any]
    db_id: int | None


async def current_stations() -> dict[str, dict[str, Any]]:
    """Every station as the files give it, by code (``id`` for the plan)."""
    units = {u.id: u.code for u in await Unit.all()}
    return {
        station.code: {
            "id": station.id,
            "name": station.name,
            "kind": station.kind,
            "street": station.street,
            "unit": units.get(station.unit_id, "") if station.unit_id else "",
            "contact": station.contact,
            "active": station.active,
        }
        for station in await Station.all().order_by("code")
    }


async def station_list() -> list[dict[str, Any]]:
    """Every station for people to read: its fields, its kind in words and how many
    suggestions came through it (all time), by code."""
    rows = (
        await Suggestion.filter(station_id__isnull=False)
        .annotate(_n=Count("id"))
        .group_by("station_id")
        .values("station_id", "_n")
    )
    counts = {row["station_id"]: int(row["_n"]) for row in rows}
    return [
        {
            "code": code,
            **{k: v for k, v in view.items() if k != "id"},
            "kind_label": STATION_KINDS.get(view["kind"], view["kind"]),
            "suggestions": counts.get(view["id"], 0),
        }
        for code, view in (await current_stations()).items()
    ]


def station_in(code: str, view: dict[str, Any], **changes: Any) -> StationIn:
    """A stored station (``current_stations``' view) given again, with ``changes``."""
    fields = {k: view[k] for k in ("name", "kind", "street", "unit", "contact", "active")}
    return StationIn(code=code, **{**fields, **changes})


def station_after(station: StationIn) -> dict[str, Any]:
    """The stored view a given station will have."""
    return {
        "name": station.name,
        "kind": station.kind,
        "street": station.street,
        "unit": station.unit,
        "contact": station.contact,
        "active": station.active,
    }


def check_station(station: StationIn, unit_codes: Iterable[str], problems: list[str]) -> None:
    """Add what is wrong with ``station`` to ``problems`` (in Chinese, naming the row)."""
    where = station.where or f"联系点 {station.code}"
    if not station.code:
        problems.append(f"{where}：缺少联系点编号")
    if not station.name:
        problems.append(f"{where}：缺少联系点名称")
    if station.kind not in STATION_KINDS:
        problems.append(f"{where}：联系点类型只能是 {', '.join(STATION_KINDS)}")
    if station.unit and station.unit not in set(unit_codes):
        problems.append(f"{where}：没有单位 {station.unit}")
    for label, value, limit in (
        ("编号", station.code, MAX_CODE),
        ("名称", station.name, MAX_NAME),
        ("街道", station.street, MAX_NAME),
        ("联系人", station.contact, MAX_CONTACT),
    ):
        if len(value) > limit:
            problems.append(f"{where}：{label}不能超过 {limit} 个字")
        if "\x00" in value:
            problems.append(f"{where}：{label}含有不可见字符")
    if "/" in station.code:
        problems.append(f"{where}：编号不能含有 /")


async def write_stations(
    changes: Iterable[StationChange], units: Mapping[str, int], now: datetime
) -> None:
    """Add and change the stations the plan says (call inside the plan's transaction)."""
    for change in changes:
        if change.action == "same":
            continue
        after = change.after
        columns = {
            "name": after["name"],
            "kind": after["kind"],
            "street": after["street"],
            "unit_id": units.get(after["unit"]) if after["unit"] else None,
            "contact": after["contact"],
            "active": after["active"],
        }
        if change.db_id is None:
            station = await Station.create(code=change.key, created_at=now, **columns)
            change.db_id = station.id
        else:
            await Station.filter(id=change.db_id).update(**columns)
