"""One key for the ways residents write one place (伊景园滨河苑 / 滨河苑 / 定向商品房伊景园滨河苑).

A name's core is what is left once the province, city, district, street and road before it
(A5区劳动东路), the kind of housing (定向商品房, 安置房), the generic word after it (小区, 社区)
and the building, zone or phase after it (3栋, K9区, 二期) are taken away: buildings and phases
of one compound are one place. ``PlaceAliases`` learns names from the district's place files
(each place with the other names it goes by) and from the places seen in cases, and gives each
name a key:

- a core that is a known place's name or alias is that place;
- a developer's brand before a name (万科魅力之城) is dropped when the rest is a known or seen
  core (魅力之城), kept otherwise (五矿万境 stays itself);
- a core that is the end of exactly one longer core is that place (滨河苑 -> 伊景园滨河苑); one
  that ends several different places is ambiguous and stays itself.

The label of a key is the district's name for it, else the most common of the ways it was
written (without the city and road before it), the longest on ties. Keys are cached; learning
5,000 names takes a few milliseconds.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from config import hot_words, lexicon
from nlu.normalise import normalise

MIN_CORE = 2
# A short core may stand for a longer one only from this length on (花园, 新村 stand for none).
MIN_ENDING = 3
_CJK = "\u4e00-\u9fff"
_NOT_DISTRICT = "|".join(
    f"(?<!{word})" for word in ("小区", "社区", "园区", "景区", "片区", "校区")
)
_ADMIN = re.compile(
    rf"^(?:[A-Z][0-9]{{0,3}}[省市区县]|[{_CJK}]{{2,4}}?省|[{_CJK}]{{2,3}}市(?![场民])"
    rf"|[{_CJK}]{{2,3}}[区县]{_NOT_DISTRICT}"
    rf"|[{_CJK}]{{2,4}}?(?:街道|镇|乡)(?![{_CJK}]{{0,1}}$))"
)
_ROAD = re.compile(rf"^[{_CJK}]{{2,8}}?(?:大道|大街|路|街|巷)(?:[0-9]{{1,5}}号(?:院)?)?(?![0-9弄])")
_TAIL = re.compile(
    r"(?:[0-9A-Za-z一二三四五六七八九十]{1,4}(?:号楼|栋|幢|座|单元|期|区|号院)|[0-9]{1,5}号)+$"
)
_ROAD_ENDS = ("路", "街", "道", "巷")
_ROAD_NUMBER = re.compile(rf"^([{_CJK}]{{2,8}}?(?:大道|大街|路|街))[0-9]{{1,5}}号$")
_SPACE = re.compile(r"[\s()（）·•\-—]+")


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))


_HOUSING = re.compile(f"^(?:{_alternatives(hot_words.HOUSING_PREFIXES)})")
_BRAND = re.compile(f"^(?:{_alternatives(hot_words.DEVELOPER_BRANDS)})")
_SUFFIX = re.compile(f"(?:{_alternatives(hot_words.PLACE_SUFFIXES)})$")
_NOT_NAMES = frozenset((*lexicon.COMPOUND_SUFFIXES, *hot_words.PLACE_SUFFIXES))


def _strip_front(name: str) -> str:
    """The name without the places and the kind of housing written before it."""
    while True:
        before = name
        for pattern in (_ADMIN, _ROAD, _HOUSING):
            match = pattern.match(name)
            if match and _is_name(name[match.end() :]):
                name = name[match.end() :]
        if name == before:
            return name


def _is_name(rest: str) -> bool:
    """Whether what is left can be a place's own name (not 小区, not 3栋)."""
    bare = _strip_back(rest)
    return len(bare) >= MIN_CORE and not bare[0].isdigit() and bare not in _NOT_NAMES


def _tail_start(name: str) -> int | None:
    """Where the buildings, zones or phases after a name begin; a road keeps its number."""
    tail = _TAIL.search(name)
    if tail is None or tail.start() < MIN_CORE or name[: tail.start()].endswith(_ROAD_ENDS):
        return None
    return tail.start()


@lru_cache(maxsize=65536)
def _strip_back(name: str) -> str:
    """The name without the buildings, zones, phases and the generic word after it; a name
    after a road keeps its word (国权路小区 is not 国权路)."""
    while True:
        before = name
        tail = _tail_start(name)
        if tail is not None:
            name = name[:tail]
        suffix = _SUFFIX.search(name)
        if suffix:
            rest = name[: suffix.start()]
            if len(rest) >= MIN_CORE and not rest.endswith(_ROAD_ENDS):
                name = rest
        if name == before:
            return name


@lru_cache(maxsize=65536)
def _read(name: str) -> tuple[str, str]:
    """The name as a label shows it (without the places before it and 3栋 after it), and its
    core; both '' for no name."""
    # normalise writes a numbered village's digit in words (市光3村 -> 市光三村).
    cleaned = _SPACE.sub("", normalise(name.strip()))
    if not cleaned:
        return "", ""
    front = _strip_front(cleaned)
    tail = _tail_start(front)
    shown = front if tail is None else front[:tail]
    stripped = _strip_back(front)
    return shown, stripped if len(stripped) >= MIN_CORE else cleaned


def display(name: str) -> str:
    """The name as a label shows it: without the places written before it, 3栋 after it."""
    return _read(name)[0]


def core(name: str) -> str:
    """The name without the places and housing kind before it and 小区, 3栋, 二期 after it."""
    return _read(name)[1]


def _one_area(fronts: Sequence[str]) -> bool:
    """Whether the words before one name all name one area: every two share two characters
    in a row (江湾 and 新江湾城), none is empty."""
    if not fronts or not all(fronts):
        return False
    pairs = [{front[i : i + 2] for i in range(len(front) - 1)} for front in fronts]
    return all(a & b for n, a in enumerate(pairs) for b in pairs[n + 1 :])


class PlaceAliases:
    """Canonical keys for place names, learnt from the names it is given."""

    def __init__(self, known: Iterable[tuple[str, Sequence[str]]] = ()) -> None:
        """``known``: the district's places, each a name with the other names it goes by."""
        self._aliases: dict[str, str] = {}  # core of a known name or alias -> its place's core
        self._labels: dict[str, str] = {}  # a known place's core -> its name
        self._seen: Counter[tuple[str, str]] = Counter()  # names learnt: (as shown, core)
        self._cores: set[str] = set()
        self._endings: dict[str, set[str]] | None = None
        self._shared: dict[str, str] = {}  # longer cores written short: core -> the short one
        self._keys: dict[str, str] = {}
        self._label_of: dict[str, str] | None = None
        for name, others in known:
            own = core(name)
            if not own:
                continue
            self._labels.setdefault(own, name)
            self._aliases.setdefault(own, own)
            self._cores.add(own)
            for other in others:
                alias = core(other)
                if alias:
                    self._aliases.setdefault(alias, own)
        self._reset()

    def _reset(self) -> None:
        self._endings = None
        self._keys.clear()
        self._label_of = None

    def learn(self, names: Iterable[str] | Mapping[str, int]) -> None:
        """Take in names seen in cases, or each name with how many cases wrote it (a name
        written more often counts more for labels)."""
        counted = names if isinstance(names, Mapping) else Counter(names)
        for name, times in counted.items():
            shown, own = _read(name) if name else ("", "")
            if own:
                self._cores.add(own)
                self._seen[shown, own] += times
        self._reset()

    def _direct(self, own: str) -> str:
        """A core's place without looking at longer cores: an alias, or the name under a brand."""
        found = self._aliases.get(own)
        if found is not None:
            return found
        brand = _BRAND.match(own)
        if brand:
            rest = own[brand.end() :]
            if rest in self._aliases:
                return self._aliases[rest]
            if rest in self._cores and len(rest) >= MIN_CORE:
                return rest
        numbered = _ROAD_NUMBER.match(own)
        if numbered and numbered.group(1) in self._cores:
            # A number on a road residents also name alone is that road (国定路500号, 国定路):
            # a hot issue of the road is not split by the doors it was reported from.
            return self._direct(numbered.group(1))
        return own

    def _ending_index(self) -> dict[str, set[str]]:
        """Each ending (of ``MIN_ENDING`` characters or more) of a core: the places it ends.

        A name residents also write short that ends several longer names none of which the
        district lists makes them one place, under the short name, when what stands before it
        names one area (翰林苑: 江湾翰林苑, 新江湾城翰林苑); names of their own (伊景园滨河苑,
        金桂滨河苑) and places the district lists stay apart."""
        if self._endings is None:
            endings: dict[str, set[str]] = defaultdict(set)
            for own in (*self._cores, *self._aliases):
                place = self._direct(own)
                for start in range(1, len(own) - MIN_ENDING + 1):
                    endings[own[start:]].add(place)
            self._endings = dict(endings)
            self._shared = {}
            for own in self._cores:
                places = self._endings.get(own, set()) - {own}
                if (
                    len(places) > 1
                    and not (places | {own}) & self._labels.keys()
                    and _one_area([place[: -len(own)] for place in places if place.endswith(own)])
                ):
                    for place in places:
                        self._shared.setdefault(place, own)
        return self._endings

    def key(self, name: str | None) -> str:
        """The place's key: '' for no name."""
        if not name or not name.strip():
            return ""
        return self._place(core(name))

    def _place(self, own: str) -> str:
        """The key of a core."""
        found = self._keys.get(own)
        if found is None:
            found = self._direct(own)
            endings = self._ending_index()  # also works out self._shared
            if found == own and own not in self._aliases and len(own) >= MIN_ENDING:
                places = endings.get(own, set()) - {own}
                if len(places) == 1:
                    found = next(iter(places))
            found = self._shared.get(found, found)
            self._keys[own] = found
        return found

    def label(self, key: str) -> str:
        """What people read for a key: the district's name, else the most common way seen."""
        if key in self._labels:
            return self._labels[key]
        if self._label_of is None:
            best: dict[str, tuple[int, int, str]] = {}
            for (written, own), count in self._seen.items():
                place = self._place(own)
                rank = (count, len(written), written)
                if place not in best or rank > best[place]:
                    best[place] = rank
            self._label_of = {place: rank[2] for place, rank in best.items()}
        return self._label_of.get(key, key)
