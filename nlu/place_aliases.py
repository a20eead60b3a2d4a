"""One key for the ways residents write one place (伊景园滨河苑 / 滨河苑 / 定向商品房伊景园滨河苑).

A first version (issue 20): a name's core is what is left once the city, district and road
before it and the generic word after it (小区) are taken away; a core that is the end of exactly
one longer known core is that place. ``PlaceAliases`` learns its names from the district's place
files and from the places seen in cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_PREFIX = re.compile(r"^(?:.{1,6}?[省市区县])?(?:.{1,8}?(?:路|街|大道)(?:\d+号)?)?")
_SUFFIX = re.compile(r"(?:小区|社区)$")
MIN_CORE = 2


def core(name: str) -> str:
    """The name without its city, district or road before it and 小区 after it."""
    name = name.strip()
    stripped = _SUFFIX.sub("", _PREFIX.sub("", name, count=1))
    return stripped if len(stripped) >= MIN_CORE else name


class PlaceAliases:
    """Canonical keys for place names, learnt from the names it is given."""

    def __init__(self, known: Iterable[tuple[str, Sequence[str]]] = ()) -> None:
        """``known``: the district's places, each a name with the other names it goes by."""
        self._cores: dict[str, str] = {}  # core -> label (the first full name seen)
        self._keys: dict[str, str] = {}
        for name, others in known:
            self.learn([name])
            for other in others:
                self._cores.setdefault(core(other), name)

    def learn(self, names: Iterable[str]) -> None:
        for name in names:
            if name:
                self._cores.setdefault(core(name), name)
        self._keys.clear()

    def key(self, name: str | None) -> str:
        """The place's key: '' for no name."""
        if not name:
            return ""
        found = self._keys.get(name)
        if found is None:
            own = core(name)
            longer = [c for c in self._cores if c != own and c.endswith(own)]
            found = longer[0] if len(longer) == 1 else own
            self._keys[name] = found
        return found

    def label(self, key: str) -> str:
        """What people read for a key."""
        return self._cores.get(key, key)
