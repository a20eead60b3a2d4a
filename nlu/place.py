"""Place spans in free text: district, street/town, road and number, community, compound,
building, POI.

Chinese place names are a run of characters closed by a suffix (区, 街道, 路, 居委会, 小区, 号楼
...). For each suffix we take the shortest run that ends in it, then cut the run's start after
words that never begin a name (在, 的, 靠近 ...) and after places already found, coarse levels
first (district, street, road, community, compound, POI). Gazetteer names override the guesses
they overlap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from config import hot_words, lexicon
from nlu.gazetteer import NameHit
from nlu.tokens import cut_with_offsets, lead_words

DISTRICT = "district"
STREET = "street"
ROAD = "road"
COMMUNITY = "community"
COMPOUND = "compound"
POI = "poi"
BUILDING = "building"

_CJK = "\u4e00-\u9fff"
_MAX_NAME = 10
_MIN_NAME = 2
# How much each kind says about where exactly the problem is.
_SPECIFICITY = {DISTRICT: 0, STREET: 1, ROAD: 3, COMMUNITY: 2, COMPOUND: 4, POI: 3, BUILDING: 2}
# Kinds that say where a worker should go (a district or street alone does not).
PRECISE = frozenset({ROAD, COMMUNITY, COMPOUND, POI, BUILDING})
# Beyond the analysed head, text this far around a numbered address is read for places, in at
# most this many stretches (a long letter's tail is read for its address, not for all it names).
_TAIL_REACH = 16
_TAIL_WINDOWS = 2
_CLAUSE_CHARS = "，,。！？!?；;：:\n "


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    value: str
    road: str | None = None  # the road of a lane address (国权路39弄 -> 国权路)
    # A community span may cover only its suffix when its name is a place of its own
    # (市光三村 + 居委会); ``value`` is then the whole name, 市光三村居委会.


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))


def _next_is(*words: Iterable[str]) -> str:
    """A lookahead for the first characters of ``words``. Placed after the lazy name run, it
    changes no match but spares the engine trying every suffix at every length of the run."""
    firsts = sorted({word[0] for group in words for word in group})
    return f"(?=[{re.escape(''.join(firsts))}])"


# A landmark's suffix followed by these is another word (广场舞, 医院卡): no landmark.
_NOT_POI_AFTER = "(?![生卡舞监价经化])"


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    name = rf"[{_CJK}]{{1,{_MAX_NAME}}}?"
    compound = _alternatives(lexicon.COMPOUND_SUFFIXES)
    poi = _alternatives(lexicon.POI_SUFFIXES)
    number = r"[0-9]{1,5}|[A-Za-z][0-9]{0,3}"
    part = (
        rf"(?:(?:{number})(?:[-—](?:{number}))*(?:{_alternatives(lexicon.BUILDING_UNITS)})"
        r"|[一二三四五六七八九十]{1,3}(?:号楼|单元|号|室))"
    )
    return {
        DISTRICT: re.compile(
            rf"({name}){_next_is(lexicon.DISTRICT_SUFFIXES)}"
            rf"(?:{_alternatives(lexicon.DISTRICT_SUFFIXES)})(?![里内外委长])"
        ),
        STREET: re.compile(
            rf"({name})(?=[街镇乡])(?:街道|镇(?![压定静守痛住]|街道)|乡(?![村下亲音愁土镇]|街道))"
        ),
        ROAD: re.compile(
            rf"({name})(?=[大公路街巷])(?:大道|大街|公路|路(?![线费况子径数由]|过(?![街马]))|街(?![道坊头面边区办])|巷)"
            rf"(?!{compound}|(?:{poi}){_NOT_POI_AFTER})"
            r"(?:([0-9]{1,5})(号(?!楼)|弄)(?:([0-9]{1,4})号(?![楼0-9]))?)?"
        ),
        COMMUNITY: re.compile(
            rf"({name}){_next_is(lexicon.COMMUNITY_SUFFIXES)}"
            rf"(?:{_alternatives(lexicon.COMMUNITY_SUFFIXES)})"
            rf"(?!(?<=社区)[{lexicon.NOT_COMMUNITY_AFTER}])"
        ),
        COMPOUND: re.compile(
            rf"({name}){_next_is(lexicon.COMPOUND_SUFFIXES, '里')}(?:{compound}|里(?=[0-9]|弄|号))"
        ),
        POI: re.compile(rf"({name}){_next_is(lexicon.POI_SUFFIXES)}(?:{poi}){_NOT_POI_AFTER}"),
        BUILDING: re.compile(rf"(?:{part})+(?![线车文床令窗机年月日天元口])"),
    }


_CITY = re.compile(
    rf"(?:[A-Z][0-9]{{0,2}}[市区县])"
    rf"|(?:[{_CJK}]{{2,4}}?(?<![{lexicon.NOT_CITY_BEFORE}{lexicon.PLACE_STOP_CHARS}近旁边])市)"
    r"(?![场民政区级里内外中心长委容])"
)


def _city_ends(text: str) -> list[int]:
    """Ends of city names and coded units: boundaries for names, never places themselves."""
    return [match.end() for match in _CITY.finditer(text)]


def _lead_end(segment: str) -> int:
    """Where the words that lead up to a name end (每天上班走翔殷路 -> 翔殷路, 请管一管殷行路 ->
    殷行路): after the last time word, pronoun or lead word (``lexicon.PLACE_LEAD_VERBS``)
    before the name's last word, 0 when there is none."""
    words = cut_with_offsets(segment)
    leads, verbs = lead_words(), lexicon.PLACE_LEAD_VERBS
    end = 0
    for position, word in words[:-1]:
        if word in leads or word in verbs or word.endswith("一下"):  # 问一下, 看一下
            end = position + len(word)
    return end


def _name_start(text: str, start: int, suffix_at: int, boundaries: Iterable[int]) -> int:
    """Where a name really begins inside ``text[start:suffix_at]``."""
    after_span = False
    for boundary in sorted(boundaries):
        if start <= boundary <= suffix_at:
            start, after_span = boundary, True
    segment = text[start:suffix_at]
    cut = 0
    for index, char in enumerate(segment):
        if char in lexicon.PLACE_STOP_CHARS:
            cut = index + 1
    for word in lexicon.PLACE_STOP_WORDS:
        found = segment.rfind(word)
        if found != -1:
            cut = max(cut, found + len(word))
    lead = _lead_end(segment[cut:])
    cut += lead
    if cut:
        after_span = True
    start += cut
    if after_span:
        for conjunction in lexicon.PLACE_CONJUNCTIONS:
            if text.startswith(conjunction, start) and suffix_at - start > len(conjunction) + 1:
                start += len(conjunction)
                break
    return start


def _accept(kind: str, name: str, whole: str, numbered: bool = False) -> bool:
    """Whether ``name`` (before its suffix; ``whole`` with it) is a place of ``kind``.

    A numbered road is a road even when its name ends like a common word (三门路358弄).
    """
    if len(name) < _MIN_NAME:
        return False
    if name[0] in lexicon.GENERIC_NAME_HEADS and name[1] in lexicon.GENERIC_NAME_MEASURES:
        return False
    last = name[-1]
    if kind == DISTRICT:
        return last not in lexicon.NOT_DISTRICT_BEFORE
    if kind == STREET:
        return not whole.endswith(lexicon.NOT_STREET_NAMES)
    if kind == ROAD:
        return (numbered or last not in lexicon.NOT_ROAD_BEFORE) and not whole.endswith(
            lexicon.NOT_ROAD_NAMES
        )
    if kind == COMPOUND:
        return last not in lexicon.NOT_COMPOUND_BEFORE and name not in lexicon.NOT_POI_NAMES
    if kind == COMMUNITY:
        return (
            len(name) <= lexicon.COMMUNITY_NAME_MAX
            and last not in lexicon.NOT_COMMUNITY_BEFORE
            and name not in lexicon.NOT_COMMUNITY_NAMES
            and name not in lexicon.NOT_POI_NAMES
        )
    return name not in lexicon.NOT_POI_NAMES


def _find_named(text: str, kind: str, found: list[Span], cities: Sequence[int] = ()) -> list[Span]:
    """Spans of one kind, cut so they start after cities, districts and streets.

    A road may begin a compound (国权路小区) and a street's short name may begin a landmark
    (五角场地铁站), but not a compound or road (五角场国权路小区). A name never begins inside a
    place found before it (控江路1500号新华医院: 新华医院, not 号新华医院).
    """
    boundaries = sorted(
        {
            *cities,
            *(
                span.end
                for span in found
                if span.kind == DISTRICT
                or (span.kind == STREET and (kind != POI or text[span.end - 1] in "道镇乡"))
            ),
        }
    )
    spans: list[Span] = []
    previous_end = -1
    for match in _patterns()[kind].finditer(text):
        suffix_at = match.end(1)
        inside = [span.end for span in found if span.start < match.start() < span.end]
        if match.start() == previous_end:  # 开鲁新村和开鲁二村: the second starts after 和
            inside.append(previous_end)
        start = _name_start(text, match.start(), suffix_at, [*boundaries, *inside])
        end = match.end()
        name = text[start:suffix_at]
        whole = text[start:end]
        numbered = kind == ROAD and match.group(2) is not None
        if not _accept(kind, name, whole, numbered):
            continue
        previous_end = match.end()
        if kind == COMMUNITY:
            spans.extend(_community(text, start, suffix_at, end, found))
            continue
        if kind == ROAD and match.group(3) == "弄":  # a lane is a compound: 国权路39弄(5号)
            lane_end = match.start(4) if match.group(4) else end
            road = text[start : match.start(2)]
            spans.append(Span(start, lane_end, COMPOUND, text[start:lane_end], road=road))
            if lane_end < end:
                spans.append(Span(lane_end, end, BUILDING, text[lane_end:end]))
            continue
        spans.append(Span(start, end, kind, whole))
    return spans


def _community(text: str, start: int, suffix_at: int, end: int, found: list[Span]) -> list[Span]:
    """A committee's spans: its name, when that is a place of its own, stays that place.

    市光三村居委会 is the compound 市光三村 and the community 市光三村居委会; 长风社区 is a
    community only, and so is 延吉东路社区居委会 (the road is in its name, not its address).
    """
    whole = text[start:end]
    if any(
        span.end == suffix_at and span.start >= start and span.kind in (COMPOUND, POI)
        for span in found
    ):
        return [Span(suffix_at, end, COMMUNITY, whole)]
    named = _patterns()[COMPOUND].fullmatch(text, start, suffix_at)
    if named and _accept(COMPOUND, text[start : named.end(1)], text[start:suffix_at]):
        return [
            Span(start, suffix_at, COMPOUND, text[start:suffix_at]),
            Span(suffix_at, end, COMMUNITY, whole),
        ]
    return [Span(start, end, COMMUNITY, whole)]


def _overlap(first: Span, second: Span) -> bool:
    return first.start < second.end and second.start < first.end


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    return any(_overlap(span, other) for other in others)


def _contains(outer: Span, inner: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and outer != inner


def _gazetteer_kind(name: str, street: str | None) -> str:
    if street:
        return STREET
    if name.endswith(lexicon.COMMUNITY_SUFFIXES):
        return COMMUNITY
    if name.endswith(lexicon.ROAD_SUFFIXES):
        return ROAD
    if name.endswith(lexicon.POI_SUFFIXES):
        return POI
    return COMPOUND


def extract_spans(text: str, hits: Sequence[NameHit] = ()) -> list[Span]:
    """All place spans, without overlaps, in text order. ``text`` should be normalised."""
    known = [
        Span(hit.start, hit.end, _gazetteer_kind(hit.name, hit.street), hit.street or hit.name)
        for hit in hits
    ]
    found: list[Span] = list(known)
    cities = _city_ends(text)
    for kind in (DISTRICT, STREET, ROAD, COMMUNITY, COMPOUND, POI):
        for span in _find_named(text, kind, found, cities):
            clashes = [other for other in found if _overlap(span, other)]
            if clashes and all(
                _contains(span, other) and other.kind in (ROAD, STREET) for other in clashes
            ):  # 国权路 < 国权路39弄, 五角场 < 五角场地铁站
                found = [other for other in found if other not in clashes]
                clashes = []
            if not clashes:
                found.append(span)
    found.extend(span for span in _bare_compounds(text, found) if not _overlaps(span, found))
    found.extend(span for span in _brand_compounds(text, found) if not _overlaps(span, found))
    buildings = [span for span in _find_named_buildings(text, found) if not _overlaps(span, found)]
    found.extend(_keep_buildings(buildings, found))
    found.sort(key=lambda span: span.start)
    return _join_landmarks(found)


@cache
def _bare_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """A building number (where a name may end), and a name after 我是 / after 小区是."""
    name = rf"[{_CJK}]{{2,{lexicon.BARE_COMPOUND_MAX}}}?"
    units = _alternatives(lexicon.BARE_COMPOUND_UNITS)
    owners = _alternatives(lexicon.BARE_COMPOUND_OWNERS)
    return (
        re.compile(rf"(?<=[{_CJK}])(?:[0-9]{{1,4}}|[A-Za-z])(?:{units})"),
        re.compile(rf"(?:我是|我们是|本人是)({name})(?=的(?:{owners}))"),
        re.compile(rf"小区(?:是|叫)({name})(?=[，,。；;！!\s]|$)"),
    )


def _anchored(text: str, start: int) -> bool:
    """A bare name must begin a clause or follow words that introduce an address (住在, 是)."""
    return (
        start == 0
        or text[start - 1] in "，,。！？!?；;：: \n"
        or text.endswith(lexicon.BARE_COMPOUND_AFTER, 0, start)
    )


def _bare_compounds(text: str, found: Sequence[Span]) -> list[Span]:
    """Compounds named without a suffix, known by where they stand (see the lexicon).

    Driven by the few places where such a name can end (a building number, 的业主), so the
    cost stays with the messages that have them.
    """
    numbered, owner, named = _bare_patterns()
    ends = [span.end for span in found]
    candidates: list[tuple[int, int]] = []
    for match in numbered.finditer(text):
        end = match.start()
        begin = end
        while begin > max(0, end - lexicon.BARE_COMPOUND_MAX) and _is_cjk(text[begin - 1]):
            begin -= 1
        candidates.append((begin, end))
    for pattern in (owner, named):
        candidates.extend(match.span(1) for match in pattern.finditer(text))
    spans: list[Span] = []
    for begin, end in candidates:
        start = _name_start(text, begin, end, ends)
        name = text[start:end]
        if (
            _anchored(text, start)
            and not name.endswith(lexicon.COMPOUND_SUFFIXES)
            and _accept(COMPOUND, name, name)
        ):
            spans.append(Span(start, end, COMPOUND, name))
    return spans


@cache
def _brand_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A developer's brand (not as a company: 万科物业), and what may end a name after it."""
    brands = _alternatives(hot_words.DEVELOPER_BRANDS)
    companies = _alternatives(hot_words.BRAND_COMPANY_WORDS)
    followers = _alternatives(hot_words.BRAND_NAME_FOLLOWERS)
    units = _alternatives(lexicon.BARE_COMPOUND_UNITS)
    stop = rf"(?:$|[{re.escape(_CLAUSE_CHARS)}]|{followers}|(?:[0-9]{{1,4}}|[A-Za-z])(?:{units}))"
    return (
        re.compile(rf"(?:{brands})(?!{companies}|[的了是在])(?=[{_CJK}A-Za-z])"),
        re.compile(rf"(?:(?:[A-Za-z][0-9]{{0,3}}|[0-9]{{1,3}})(?:区|期)(?={stop}|的)|(?={stop}))"),
    )


def _brand_compounds(text: str, found: Sequence[Span]) -> list[Span]:
    """Compounds named by a developer's brand and a name without a suffix (五矿万境水岸,
    保利麓谷林语, 五矿万境K9区, 富力城): the shortest name of 2 to 6 characters (1 for 城, 府
    ...) that a place word (门口, 业主, 楼下 ...), a building number or the clause's end follows
    (after a zone such as K9区 also 的). Brands that are also common words (绿地) count only
    where an address is expected."""
    brand_at, ending = _brand_patterns()
    ends = {span.end for span in found}
    spans: list[Span] = []
    for brand in brand_at.finditer(text):
        start = brand.start()
        if brand.group() in hot_words.COMMON_WORD_BRANDS and not (
            start in ends or _anchored(text, start)
        ):
            continue
        shortest = 1 if text[brand.end() : brand.end() + 1] in hot_words.BRAND_NAME_ONE else 2
        for end in range(brand.end() + shortest, brand.end() + hot_words.BRAND_NAME_MAX + 1):
            name = text[brand.end() : end]
            if len(name) < end - brand.end() or not all(
                _is_cjk(char) or (char.isascii() and char.isalnum()) for char in name
            ):
                break
            if any(
                char in lexicon.PLACE_STOP_CHARS + hot_words.NOT_BRAND_NAME_CHARS for char in name
            ):
                break
            follows = ending.match(text, end)
            if follows:
                stop = follows.end()
                spans.append(Span(start, stop, COMPOUND, text[start:stop]))
                break
    return spans


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _find_named_buildings(text: str, found: Sequence[Span]) -> list[Span]:
    """Building parts, also right after a road number (政肃路100号3号楼 -> 3号楼)."""
    pattern = _patterns()[BUILDING]
    spans: list[Span] = []
    for match in pattern.finditer(text):
        start = max(
            (span.end for span in found if match.start() < span.end < match.end()),
            default=match.start(),
        )
        part = pattern.match(text, start) if start > match.start() else match
        if part is None or (part.start() and text[part.start() - 1].isdigit()):
            continue
        spans.append(Span(part.start(), part.end(), BUILDING, part.group()))
    return spans


def _join_landmarks(spans: list[Span]) -> list[Span]:
    """A landmark run on by 附属 is one landmark: 复旦大学附属中山医院."""
    joined: list[Span] = []
    for span in spans:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.kind == span.kind == POI
            and last.end == span.start
            and span.value.startswith("附属")
        ):
            joined[-1] = Span(last.start, span.end, POI, last.value + span.value)
        else:
            joined.append(span)
    return joined


def _keep_buildings(buildings: list[Span], places: list[Span]) -> list[Span]:
    """A bare 3号 or 6楼 counts only right after a place; 3号楼 or 602室 count anywhere."""
    ends = {span.end for span in places} | {span.end + 1 for span in places}
    return [
        span
        for span in buildings
        if span.start in ends or any(unit in span.value for unit in lexicon.STRONG_BUILDING_UNITS)
    ]


def group_spans(spans: Sequence[Span], text: str) -> list[list[Span]]:
    """Runs of adjacent spans (at most one joining character such as 的 between them)."""
    groups: list[list[Span]] = []
    for span in spans:
        if groups:
            gap = text[groups[-1][-1].end : span.start]
            if not gap or gap in ("的", " "):
                groups[-1].append(span)
                continue
        groups.append([span])
    return groups


def _weight(span: Span) -> int:
    """A road with its number (安图路88号) says more than a road (延吉东路) or a landmark."""
    numbered = span.kind == ROAD and any(char.isdigit() for char in span.value)
    return _SPECIFICITY[span.kind] + numbered


def best_group(spans: Sequence[Span], text: str) -> list[Span]:
    """The run of spans that names the place most precisely (earliest on ties)."""
    groups = group_spans(spans, text)
    if not groups:
        return []
    return max(
        groups,
        key=lambda group: (sum(_weight(span) for span in group), -group[0].start),
    )


def span_text(group: Sequence[Span], text: str) -> str | None:
    """The resident's words for the place: the group without its district/street prefix."""
    if not group:
        return None
    precise = [span for span in group if span.kind not in (DISTRICT, STREET)]
    first = precise[0] if precise else group[-1]
    return text[first.start : group[-1].end]


def address_texts(spans: Sequence[Span], text: str) -> tuple[str, ...]:
    """The resident's words for every place named precisely enough to find, in text order.

    Long letters name several (where they live, where the problem is, the office they went
    to); the case keeps one place, and these keep the others for the dispatcher.
    """
    named = (
        span_text(group, text)
        for group in group_spans(spans, text)
        if any(span.kind in PRECISE for span in group)
    )
    return tuple(dict.fromkeys(name for name in named if name))


@cache
def _address_hint() -> re.Pattern[str]:
    """Something only addresses contain: a number with a unit (88号, 1000弄, 3栋, 602室)."""
    return re.compile(r"(?<![0-9])[0-9]{1,5}(?:号|弄|栋|幢|单元|室)")


def with_tail(spans: list[Span], text: str, start: int) -> list[Span]:
    """``spans`` of the head ``text[:start]`` with those of the rest (:func:`tail_spans`); a
    tail span read across the head's end replaces the head spans it overlaps."""
    tail = tail_spans(text, start)
    if not tail:
        return spans
    return [span for span in spans if not _overlaps(span, tail)] + tail


def tail_spans(text: str, start: int) -> list[Span]:
    """Place spans after ``start`` (the analysed head), read only around numbered addresses.

    A 3,000-character letter that gives its address at the end must not lose it, but reading
    the whole tail as the head is read would cost more than the rest of ``understand()``. At
    most ``_TAIL_WINDOWS`` stretches are read, each from the start of its clause (so a name is
    not cut in two) to a little after its number, all in one pass; positions are in ``text``.
    """
    if len(text) <= start:
        return []
    windows: list[list[int]] = []
    for hint in _address_hint().finditer(text, max(0, start - _TAIL_REACH)):
        if hint.end() <= start:
            continue
        begin = max(0, hint.start() - _TAIL_REACH)
        clause = max(text.rfind(char, begin, hint.start()) for char in _CLAUSE_CHARS)
        begin = clause + 1 if clause != -1 else begin
        end = min(len(text), hint.end() + _TAIL_REACH)
        if windows and begin <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        elif len(windows) == _TAIL_WINDOWS:
            break
        else:
            windows.append([begin, end])
    if not windows:
        return []
    # One pass over the stretches joined by a full stop, which no place name crosses.
    joined = "。".join(text[begin:end] for begin, end in windows)
    offsets: list[tuple[int, int, int]] = []  # (start in joined, end in joined, start in text)
    at = 0
    for begin, end in windows:
        offsets.append((at, at + end - begin, begin))
        at += end - begin + 1
    spans: list[Span] = []
    for span in extract_spans(joined):
        for first, last, begin in offsets:
            cut = last < len(joined) and span.end == last  # may run on past the stretch
            if first <= span.start and span.end <= last and not cut:
                spans.append(_shifted(span, begin - first))
                break
    return spans


def _shifted(span: Span, offset: int) -> Span:
    return Span(span.start + offset, span.end + offset, span.kind, span.value, span.road)
