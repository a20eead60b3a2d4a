"""``understand``: free text (and optionally a location) to what a case needs to be routed.

A pure function over its arguments: no database, no network, no state between calls except the
lazily built, read-only word tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import nlu.place as places
from config.lexicon import KIND_CODES
from nlu.classify import CategoryGuess, classify
from nlu.contact import find_phones
from nlu.gazetteer import Gazetteer, GazetteerEntry
from nlu.kind import detect_kind
from nlu.language import detect_language
from nlu.model import Prediction, TrainedModel, message_views
from nlu.normalise import normalise
from nlu.summary import lead_length, make_title, pick_keywords
from nlu.tokens import cut_with_offsets
from nlu.urgency import difficulty_reasons, life_safety, urgency_level, urgency_reasons

__all__ = ["ANALYSED_CHARS", "KIND_CODES", "Place", "Understanding", "understand"]

# Words and places are read from this many characters at the start of a message.
ANALYSED_CHARS = 600


@dataclass(frozen=True)
class Place:
    """Where the problem is, as far as the message tells.

    ``road`` carries its number when the message gives one (政肃路100号, 国权路39弄 — a lane is
    also its ``compound``); ``building`` is a building, unit or room (3号楼2单元602室); ``poi`` a
    named landmark (新华医院, 五角场地铁站); ``community`` a residents' or villagers' committee or
    the community it serves (市光三村居委会, 长风社区).
    """

    text: str | None
    district: str | None
    street: str | None
    compound: str | None
    road: str | None
    building: str | None
    grid_code: str | None
    lng: float | None = None
    lat: float | None = None
    poi: str | None = None
    community: str | None = None
    # Every place the message names precisely (road and number, lane, compound, building,
    # landmark), in text order, the chosen ``text`` among them: long letters name several.
    addresses: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        """True if a worker could use it to find the problem: words, a grid or coordinates."""
        return bool(self.text or self.grid_code or (self.lng is not None and self.lat is not None))


@dataclass(frozen=True)
class Understanding:
    """What one message asks for and where; handlers route and set deadlines from it.

    ``category`` is always a valid ``"一级/二级"`` path of :mod:`config.taxonomy`, falling back
    to :data:`config.taxonomy.FALLBACK_PATH` with a low confidence. ``urgency`` is 急 or 一般
    and ``difficult`` marks 难; their ``*_reasons`` are the words that triggered them, for the
    dispatcher to check.
    """

    kind: str
    kind_confidence: float
    category: str
    category_confidence: float
    category_runner_up: str | None
    urgency: str
    urgency_reasons: tuple[str, ...]
    difficult: bool
    difficulty_reasons: tuple[str, ...]
    place: Place
    phones: tuple[str, ...]
    title: str
    keywords: tuple[str, ...]
    # Life-safety hazards named in the message (:data:`nlu.urgency.HAZARDS`): the resident is
    # told what to do now and whom to call before anything else.
    hazards: tuple[str, ...] = ()
    # "zh", or the code of the language the message is written in (:mod:`nlu.language`).
    language: str = "zh"


def _outside(words: list[tuple[int, str]], spans: list[places.Span]) -> list[str]:
    """Words that do not start inside a place name ("国权" of 国权路小区)."""
    if not spans:
        return [token for _, token in words]
    inside = bytearray(max(span.end for span in spans))
    for span in spans:
        inside[span.start : span.end] = b"\x01" * (span.end - span.start)
    return [token for start, token in words if start >= len(inside) or not inside[start]]


def _is_precise(place: Place) -> bool:
    """A place worth a title prefix: more than a district or street."""
    return bool(place.compound or place.road or place.building or place.poi)


def _first(spans: list[places.Span], kind: str) -> places.Span | None:
    return next((span for span in spans if span.kind == kind), None)


def _value(preferred: list[places.Span], spans: list[places.Span], kind: str) -> str | None:
    span = _first(preferred, kind) or _first(spans, kind)
    return span.value if span else None


def locate(
    text: str, location: tuple[float, float] | None = None, gazetteer: Gazetteer | None = None
) -> Place:
    """The place of a message, see :func:`_locate`."""
    return _locate(normalise(text), location, gazetteer)[0]


def _locate(
    text: str, location: tuple[float, float] | None, gazetteer: Gazetteer | None
) -> tuple[Place, list[places.Span]]:
    """The place of a message (spans from the text, grid from the gazetteer) and its spans.

    A grid named in the text wins over the grid of the location: residents often send their
    own position while writing about a place nearby, and the words are what they mean. The
    head of the text is read whole; beyond it only the surroundings of address patterns are.
    Road, compound, building and landmark all come from the one most specific run of spans,
    so that a road named elsewhere is never joined to another place's building number.
    """
    head = text[:ANALYSED_CHARS]
    hits = gazetteer.find_names(head) if gazetteer else ()
    spans = places.with_tail(places.extract_spans(head, hits), text, ANALYSED_CHARS)
    group = places.best_group(spans, text)
    entry: GazetteerEntry | None = gazetteer.resolve(hits) if gazetteer else None
    if entry is None and gazetteer and location:
        entry = gazetteer.match_point(*location)
    lane = _first(group, places.COMPOUND)
    road = _value(group, group, places.ROAD) or (lane.value if lane and lane.road else None)
    district = _value(group, spans, places.DISTRICT)
    street = _value(group, spans, places.STREET) or next(
        (hit.street for hit in hits if hit.street), None
    )
    if entry is not None and gazetteer is not None:
        district = district or gazetteer.district or None
        street = street or entry.street or None
    lng, lat = location if location else (None, None)
    place = Place(
        text=places.span_text(group, text),
        district=district,
        street=street,
        compound=lane.value if lane else None,
        road=road,
        building=_value(group, group, places.BUILDING),
        grid_code=entry.grid_code if entry else None,
        lng=lng,
        lat=lat,
        poi=_value(group, group, places.POI),
        community=_value(group, spans, places.COMMUNITY),
        addresses=places.address_texts(spans, text),
    )
    return place, spans


def understand(
    text: str,
    *,
    location: tuple[float, float] | None = None,
    gazetteer: Gazetteer | None = None,
    model: TrainedModel | None = None,
) -> Understanding:
    """Everything routing needs from one message. ``location`` is ``(lng, lat)``.

    With a ``model`` (from ``jiesu nlu train``) the category, its confidence and the runner-up
    come from it; otherwise from the built-in keyword scorer.
    """
    text = normalise(text or "")
    # The matter and the place are stated early; segmenting the tail of a 3,000-character letter
    # would cost more time than it adds evidence. Cue words are still looked for everywhere.
    head = text[:ANALYSED_CHARS]
    lead = lead_length(head)
    place, spans = _locate(text, location, gazetteer)
    positioned = cut_with_offsets(head)
    # Words inside place names neither classify nor summarise: 万达广场 is no square to mend.
    tokens = _outside(positioned, spans)
    lead_tokens = [token for start, token in positioned if start < lead]
    kind = detect_kind(text, lead)
    if model is None:
        category: CategoryGuess | Prediction = classify(tokens, lead_tokens)
    else:
        shared = positioned if text[: model.max_chars] == head else None
        category = model.predict_views(message_views(text, model.max_chars, shared))
    urgent = urgency_reasons(text)
    hard = difficulty_reasons(text)
    return Understanding(
        kind=kind.kind,
        kind_confidence=kind.confidence,
        category=category.path,
        category_confidence=category.confidence,
        category_runner_up=category.runner_up,
        urgency=urgency_level(urgent),
        urgency_reasons=urgent,
        difficult=bool(hard),
        difficulty_reasons=hard,
        place=place,
        phones=find_phones(text),
        title=make_title(text, place.text if _is_precise(place) else None),
        keywords=pick_keywords(tokens, lead_tokens),
        hazards=life_safety(text),
        language=detect_language(text),
    )
