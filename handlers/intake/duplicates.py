"""Duplicates (重复件): a new case about the same problem as an open case joins it (并案).

A wrong merge hides a resident's problem behind another one, so a merge needs all of:

- an open case that has not itself joined another, created within the window;
- the same first-level category, or words so alike that the categories must be a misreading;
- the same resident writing again, or the same place: the same compound, the same road and
  number, or two points close together, and never two places that are named differently;
- problem words alike: the characters and character pairs of both texts, once place names,
  phone numbers and words that appear in any complaint are taken out and equivalent words
  (不亮/坏了, 渗水/漏水) spelt one way, have a cosine similarity above a threshold (stricter
  across residents than for one resident); see :mod:`nlu.similarity`;
- no two different things named as the problem (a 路灯 and a 电梯 at one building), nor two
  different spots (a 小学 and a 菜市场 on one road); across residents, a building's problem is
  not one at the compound as a whole (its gate, its lift without a building number).

The merged case keeps its own number, text and resident; it is handled, answered and surveyed
with the case it joined. Its resident is told so and can undo the merge by replying
"不是同一件事" (:func:`split_case`), which sends it back to dispatch as a case of its own.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from config import duplicates as tuning
from handlers.context import HandlerContext
from handlers.intake.candidates import probe_values, read_candidates
from handlers.timeline import Actor, apply_action, event_row, record_event
from handlers.workflow.deadlines import deadlines_for
from handlers.workflow.spells import close_spell
from models import Case, CaseAction, CaseEvent, CaseStatus
from nlu.similarity import conflicting, objects, problem_words, similarity, spots

__all__ = [
    "Match",
    "Probe",
    "find_original",
    "judge",
    "latest_merged",
    "merge_events",
    "merge_into",
    "near_filter",
    "place_relation",
    "problem_words",
    "repeat_figures",
    "similarity",
    "split_case",
]

_EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Probe:
    """What duplicate detection needs to know of a case, saved or about to be."""

    resident_id: int | None
    category: str
    text: str
    place_text: str | None
    street: str | None
    compound: str | None
    address: str | None
    grid_id: int | None
    lng: float | None
    lat: float | None

    @classmethod
    def of(cls, case: Case) -> Probe:
        """The probe of a saved case."""
        return cls(
            resident_id=case.resident_id,
            category=case.category,
            text=case.text,
            place_text=case.place_text,
            street=case.street,
            compound=case.compound,
            address=case.address,
            grid_id=case.grid_id,
            lng=case.lng,
            lat=case.lat,
        )

    @property
    def first_level(self) -> str:
        return self.category.split("/", 1)[0]

    @property
    def place_names(self) -> tuple[str, ...]:
        names = (self.place_text, self.street, self.compound, self.address)
        return tuple(name for name in names if name)


_FIELDS = tuple(Probe.__dataclass_fields__)


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lng, lat) points."""
    lng1, lat1, lng2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _point(probe: Probe) -> tuple[float, float] | None:
    if probe.lng is None or probe.lat is None:
        return None
    return (probe.lng, probe.lat)


def _road(address: str | None) -> str | None:
    """The road and number part of an address ("国权路39弄" of "国权路39弄5号楼")."""
    if not address:
        return None
    match = re.match(r".+?(?:路|街|道|巷|弄)\d*(?:弄|号)?", address)
    return match.group(0) if match else address


_COARSE_SUFFIXES = ("区", "街道", "镇", "乡", "县", "市")


def _precise_names(*names: str | None) -> list[str]:
    """Names finer than a street: a district or street alone is no place to merge on."""
    return [name for name in names if name and not name.endswith(_COARSE_SUFFIXES)]


_BUILDING = re.compile(r"([0-9]+|[一二三四五六七八九十]+)(?:号楼|栋|幢|号|座)")


def _building(address: str | None) -> str | None:
    """The building number of an address ("5" of "国权路39弄5号楼", of "5号楼")."""
    if not address:
        return None
    road = _road(address)
    rest = address[len(road) :] if road and road != address else address
    match = _BUILDING.search(rest)
    return match.group(1) if match else None


def place_relation(a: Probe, b: Probe) -> str:
    """Whether two cases are at the "same" place, a "different" one, or "unknown".

    Two different building numbers make two places even in one compound or lane: a leak in
    building 6 is not the leak in building 11.
    """
    building_a, building_b = _building(a.address), _building(b.address)
    if building_a and building_b and building_a != building_b:
        return "different"
    if a.compound and b.compound:
        return "same" if a.compound == b.compound else "different"
    road_a, road_b = _road(a.address), _road(b.address)
    if road_a and road_b:
        return "same" if road_a == road_b else "different"
    point_a, point_b = _point(a), _point(b)
    if point_a and point_b:
        near = metres_between(point_a, point_b) <= tuning.SAME_POINT_METRES
        return "same" if near else "different"
    names_a = _precise_names(a.compound, road_a, a.place_text)
    names_b = _precise_names(b.compound, road_b, b.place_text)
    if any(x in y or y in x for x in names_a for y in names_b if len(x) > 2 and len(y) > 2):
        return "same"
    return "different" if names_a and names_b else "unknown"


@dataclass(frozen=True)
class Match:
    original: Case
    similarity: float
    same_resident: bool


def judge(new: Probe, old: Probe) -> tuple[bool, float, bool]:
    """(is a duplicate, similarity, same resident) of ``new`` against the open ``old``."""
    same_resident = new.resident_id is not None and new.resident_id == old.resident_id
    relation = place_relation(new, old)
    if relation == "different" or (relation == "unknown" and not same_resident):
        return False, 0.0, same_resident
    if not same_resident and bool(_building(new.address)) != bool(_building(old.address)):
        return False, 0.0, same_resident  # a building's problem is not the compound's gate's
    names_new, names_old = new.place_names, old.place_names
    if conflicting(objects(new.text, names_new), objects(old.text, names_old)) or conflicting(
        spots(new.text), spots(old.text)
    ):
        return False, 0.0, same_resident
    score = similarity(
        problem_words(new.text, new.place_names), problem_words(old.text, old.place_names)
    )
    if new.first_level != old.first_level:
        needed = tuning.OTHER_CATEGORY_SIMILARITY
    elif same_resident:
        needed = tuning.SAME_RESIDENT_SIMILARITY
    else:
        needed = tuning.OTHER_RESIDENT_SIMILARITY
    return score >= needed, score, same_resident


def near_filter(probe: Probe) -> Q:
    """Cases worth judging against ``probe``: its resident's, or at its grid, compound, address
    or near its point. Most are dismissed by :func:`judge` at once.

    When ``probe`` names a compound, a case at another compound is at another place
    (:func:`place_relation`), so none is read: only the compound's own cases (by the
    (compound, created_at) index) and, by grid, address or point, those naming no compound (the
    grid's by a partial index of them). The count read then follows the place, not the history.
    """
    if probe.compound:
        placeless = Q(compound__isnull=True)
        near = Q(compound=probe.compound)
        if probe.resident_id is not None:
            near |= Q(Q(resident_id=probe.resident_id), placeless)
        if probe.grid_id is not None:
            near |= Q(Q(grid_id=probe.grid_id), placeless)
        if probe.address:
            near |= Q(Q(address=probe.address), placeless)
        if probe.lng is not None and probe.lat is not None:
            near |= Q(_near_point(probe.lng, probe.lat), placeless)
        return near
    near = Q(resident_id=probe.resident_id) if probe.resident_id is not None else Q(id=-1)
    if probe.grid_id is not None:
        near |= Q(grid_id=probe.grid_id)
    if probe.address:
        near |= Q(address=probe.address)
    if probe.lng is not None and probe.lat is not None:
        near |= _near_point(probe.lng, probe.lat)
    return near


def _near_point(lng: float, lat: float) -> Q:
    box = tuning.SAME_POINT_METRES / 111_000 * 2
    return Q(
        lat__gte=lat - box,
        lat__lte=lat + box,
        lng__gte=lng - box * 1.2,
        lng__lte=lng + box * 1.2,
    )


async def find_original(
    probe: Probe, now: datetime, *, exclude_id: int | None = None
) -> Match | None:
    """The open case ``probe`` repeats, or None. The most similar wins, then the oldest."""
    if not probe.category or not probe.text.strip():
        return None
    opened, _ = await read_candidates(probe, now, exclude_id=exclude_id)
    return await original_among(probe, opened)


async def original_among(probe: Probe, rows: list[dict[str, Any]]) -> Match | None:
    """The best of the open candidate ``rows`` (newest first) ``probe`` duplicates, read whole."""
    # Plain rows, not model objects: most candidates are dismissed by their place at once.
    best: tuple[int, float, bool] | None = None
    for row in rows:
        is_duplicate, score, same_resident = judge(probe, Probe(**probe_values(row)))
        if is_duplicate and (best is None or score >= best[1]):
            best = (row["id"], score, same_resident)
    if best is None:
        return None
    return Match(await Case.get(id=best[0]), best[1], best[2])


def merge_events(case: Case, match: Match, ctx: HandlerContext) -> list[CaseEvent]:
    """The events of a case made merged into ``match`` (report intake writes it merged at once,
    with the events :func:`merge_into` records for a case merged later): its own 并案 and the
    note on the original's timeline."""
    original = match.original
    who = "该居民再次反映" if match.same_resident else "又有居民反映"
    return [
        event_row(
            case,
            CaseAction.MERGE,
            Actor.system(),
            ctx.now,
            from_status=CaseStatus.ACCEPTED,
            to_status=CaseStatus.MERGED,
            note=f"与诉求 {original.number} 为同一问题，并案办理",
            data={"original": original.number, "similarity": round(match.similarity, 3)},
        ),
        event_row(
            original,
            CaseAction.ANNOTATE,
            Actor.system(),
            ctx.now,
            from_status=None,
            to_status=None,
            note=f"{who}同一问题（诉求 {case.number}）",
            data={"kind": "duplicate", "case": case.number, "same_resident": match.same_resident},
        ),
    ]


async def merge_into(case: Case, match: Match, ctx: HandlerContext) -> None:
    """Join ``case`` to the open case it repeats; both timelines say so."""
    original = match.original
    await apply_action(
        case,
        CaseAction.MERGE,
        Actor.system(),
        ctx.now,
        note=f"与诉求 {original.number} 为同一问题，并案办理",
        data={"original": original.number, "similarity": round(match.similarity, 3)},
        changes={
            "duplicate_of_id": original.id,
            "sign_due_at": None,
            "first_contact_due_at": None,
            "completion_due_at": None,
        },
    )
    await close_spell(case.id, ctx.now, "merged")
    who = "该居民再次反映" if match.same_resident else "又有居民反映"
    await record_event(
        original,
        CaseAction.ANNOTATE,
        Actor.system(),
        ctx.now,
        from_status=None,
        to_status=None,
        note=f"{who}同一问题（诉求 {case.number}）",
        data={"kind": "duplicate", "case": case.number, "same_resident": match.same_resident},
    )


async def split_case(case: Case, actor: Actor, ctx: HandlerContext, reason: str = "") -> None:
    """Undo a merge: the case goes back to dispatch as a case of its own, with fresh deadlines."""
    original = await Case.get_or_none(id=case.duplicate_of_id) if case.duplicate_of_id else None
    deadlines = deadlines_for(case.kind, case.urgency, case.difficult, ctx.now, ctx.sla)
    await apply_action(
        case,
        CaseAction.SPLIT,
        actor,
        ctx.now,
        note=reason or "不是同一问题，单独办理",
        data={"original": original.number if original else None},
        changes={
            "duplicate_of_id": None,
            "sign_due_at": deadlines.sign,
            "first_contact_due_at": deadlines.first_contact,
            "completion_due_at": deadlines.completion,
        },
    )
    if original is not None:
        await record_event(
            original,
            CaseAction.ANNOTATE,
            actor,
            ctx.now,
            from_status=None,
            to_status=None,
            note=f"诉求 {case.number} 不是同一问题，已拆分单独办理",
            data={"kind": "split", "case": case.number},
        )


async def latest_merged(resident_id: int, now: datetime) -> Case | None:
    """The resident's most recent merged case still within the window, if any."""
    return (
        await Case.filter(
            resident_id=resident_id,
            status=CaseStatus.MERGED,
            created_at__gte=now - timedelta(days=tuning.WINDOW_DAYS),
        )
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class RepeatFigures:
    """重复率: cases in the period that repeat an open case, over all cases in the period.

    Cases are counted by creation time. Withdrawn cases (撤销) are left out of both counts. A
    merge undone by the resident or staff (拆分) is not a repeat.
    """

    cases: int
    repeats: int

    @property
    def rate(self) -> float | None:
        return self.repeats / self.cases if self.cases else None


async def repeat_figures(since: datetime, until: datetime) -> RepeatFigures:
    period = Case.filter(created_at__gte=since, created_at__lt=until).exclude(
        status=CaseStatus.CANCELLED
    )
    total = await period.count()
    repeats = await period.filter(duplicate_of_id__isnull=False).count()
    return RepeatFigures(cases=total, repeats=repeats)
