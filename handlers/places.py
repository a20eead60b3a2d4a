"""Where a case is: how its place is stored from what was understood, and how it is written
for residents, workers and staff (one line, never the same name twice)."""

from __future__ import annotations

from typing import Any

from models import Case
from nlu import Place

# In a question, these words mean the answer depends on where the resident is ("附近的…").
LOCAL_WORDS: tuple[str, ...] = (
    "附近",
    "楼下",
    "门口",
    "路口",
    "这里",
    "这边",
    "我们这",
    "我们小区",
    "本小区",
    "我家",
    "我们家",
)


def joined_place(parts: list[str | None]) -> str:
    """The named parts in order, none repeated or contained in another: a lane that is also
    the start of the address (控江路1000弄 / 控江路1000弄12号楼) is written once."""
    out: list[str] = []
    for part in parts:
        if not part or any(part in kept for kept in out):
            continue
        out = [kept for kept in out if kept not in part]
        out.append(part)
    return "".join(out)


def place_summary(case: Case) -> str:
    named = joined_place([case.street, case.compound, case.address])
    if named:
        return named
    if case.place_text:
        return case.place_text
    if case.lat is not None and case.lng is not None:
        return f"位置({case.lat:.5f}, {case.lng:.5f})"
    return "地点待补充"


def place_columns(place: Place) -> dict[str, Any]:
    # A landmark stands in for the building when there is none (控江路1500号新华医院).
    address = "".join(p for p in (place.road, place.building or place.poi) if p) or None
    return {
        "place_text": (place.text or "")[:128] or None,
        "street": place.street,
        "compound": place.compound,
        "address": address[:128] if address else None,
        "lng": place.lng,
        "lat": place.lat,
    }


def has_place(case: Case) -> bool:
    """Whether the case says where: a grid, words, a street or a point."""
    return bool(case.grid_id or case.place_text or case.street or case.lat is not None)
