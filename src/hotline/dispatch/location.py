"""Where a request is about: place names of the centre's gazetteer found in the text, mapped to an area.

The gazetteer holds the org tree's area names (with their short forms: 湖心街道 → 湖心) and the
centre's landmarks (roads, estates, markets, schools). The longest name wins at each position; among
the areas found, the deepest one that agrees with the others is chosen; a landmark that lies in
several areas counts for their nearest common ancestor.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.dispatch.models import Landmark
from hotline.org.models import Area

# suffixes that may be dropped to get the short form people say ("湖心街道" → "湖心")
_SUFFIXES = ("街道办事处", "街道", "社区", "办事处", "新区", "市", "区", "县", "镇", "乡", "村")
# place-like phrases for mining landmarks from history
_PLACE = re.compile(
    r"[\u4e00-\u9fa5A-Za-z0-9]{1,10}?"
    r"(?:大道|路|街|巷|小区|花园|家园|公寓|广场|大厦|新村|苑|府|城|湾|中学|小学|学校|幼儿园|医院|市场|公园|车站|村|社区|街道|镇|乡)"
)
_MIN_SHORT = 2


@dataclass(frozen=True)
class Place:
    area_id: int
    code: str
    name: str
    path: tuple[int, ...]  # ids from the root down to this area


@dataclass
class LocationMatch:
    area_id: int
    code: str
    name: str
    matched: list[str]
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {
            "area_id": self.area_id,
            "code": self.code,
            "name": self.name,
            "matched": self.matched,
            "confidence": round(self.confidence, 3),
        }


@dataclass
class Gazetteer:
    """Names → areas, and a compiled pattern that finds them (longest first)."""

    places: dict[int, Place]
    names: dict[str, set[int]] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = None

    def add(self, name: str, area_id: int) -> None:
        name = name.strip()
        if len(name) >= _MIN_SHORT and area_id in self.places:
            self.names.setdefault(name, set()).add(area_id)
            self._pattern = None

    def add_area_names(self) -> None:
        for place in self.places.values():
            self.add(place.name, place.area_id)
            short = short_name(place.name)
            if short != place.name:
                self.add(short, place.area_id)

    @property
    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and self.names:
            alternatives = sorted(self.names, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(n) for n in alternatives))
        return self._pattern

    def find(self, text: str) -> list[str]:
        """Return the gazetteer names found in text, longest match at each position."""
        pattern = self.pattern
        return [m.group(0) for m in pattern.finditer(text)] if pattern else []

    def locate(self, text: str) -> LocationMatch | None:
        """Return the most specific area the text is about, or None."""
        found = self.find(text)
        if not found:
            return None
        votes: Counter[int] = Counter()
        evidence: dict[int, list[str]] = defaultdict(list)
        for name in found:
            area_id = self._common_ancestor(self.names[name])
            votes[area_id] += 1
            if name not in evidence[area_id]:
                evidence[area_id].append(name)
        # support of an area = mentions of it, of its ancestors and of its descendants
        best: tuple[float, int, int] | None = None
        total = sum(votes.values())
        for area_id in votes:
            path = self.places[area_id].path
            support = sum(
                n for other, n in votes.items() if other in path or area_id in self.places[other].path
            )
            key = (support, len(path), -area_id)
            if best is None or key > best:
                best = key
        assert best is not None
        area_id = -best[2]
        place = self.places[area_id]
        matched = [n for a in votes for n in evidence[a] if a in place.path or area_id in self.places[a].path]
        return LocationMatch(
            area_id=area_id, code=place.code, name=place.name, matched=matched, confidence=best[0] / total
        )

    def _common_ancestor(self, area_ids: Iterable[int]) -> int:
        paths = [self.places[a].path for a in area_ids]
        common: int | None = None
        for level in zip(*paths, strict=False):
            if len(set(level)) != 1:
                break
            common = level[0]
        return common if common is not None else paths[0][0]


def short_name(name: str) -> str:
    """Return the name without its administrative suffix, if what remains is still a name."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= _MIN_SHORT:
            return name[: -len(suffix)]
    return name


def build_places(rows: Iterable[tuple[int, str, str, int | None]]) -> dict[int, Place]:
    """Build places from (id, code, name, parent_id) rows."""
    rows = list(rows)
    parents = {r[0]: r[3] for r in rows}
    places = {}
    for area_id, code, name, _ in rows:
        path: list[int] = [area_id]
        seen = {area_id}
        while (parent := parents.get(path[0])) is not None and parent not in seen:
            path.insert(0, parent)
            seen.add(parent)
        places[area_id] = Place(area_id=area_id, code=code, name=name, path=tuple(path))
    return places


def load_gazetteer(session: Session) -> Gazetteer:
    """The centre's gazetteer: every area of the org tree and every landmark."""
    rows = session.execute(select(Area.id, Area.code, Area.name, Area.parent_id)).all()
    gaz = Gazetteer(places=build_places((r[0], r[1], r[2], r[3]) for r in rows))
    gaz.add_area_names()
    for name, area_id in session.execute(select(Landmark.name, Landmark.area_id)):
        gaz.add(name, area_id)
    return gaz


@dataclass
class MinedLandmark:
    name: str
    area_id: int
    support: int
    purity: float


def mine_landmarks(
    examples: Sequence[tuple[str, int]],
    *,
    gazetteer: Gazetteer,
    min_support: int = 2,
    min_purity: float = 0.8,
) -> list[MinedLandmark]:
    """Find place names in texts whose area is known (past tickets) that point to one area.

    A phrase that looks like a place (…路, …小区, …中学) and that, among the examples mentioning it,
    belongs to one area at least `min_purity` of the time and `min_support` times, becomes a landmark
    of that area. Names already in the gazetteer are skipped."""
    seen: dict[str, Counter[int]] = defaultdict(Counter)
    for text, area_id in examples:
        for name in set(_PLACE.findall(text)):
            name = _strip_area_prefix(name, gazetteer)
            if len(name) >= 3 and name not in gazetteer.names:
                seen[name][area_id] += 1
    mined = []
    for name, counts in seen.items():
        area_id, n = counts.most_common(1)[0]
        total = sum(counts.values())
        if n >= min_support and n / total >= min_purity:
            mined.append(MinedLandmark(name=name, area_id=area_id, support=n, purity=n / total))
    return sorted(mined, key=lambda m: (-m.support, m.name))


def _strip_area_prefix(name: str, gazetteer: Gazetteer) -> str:
    """Drop a leading area name ("A3区麓谷小区" → "麓谷小区") so a landmark is not tied to it by text."""
    for found in gazetteer.find(name[:-1]):
        if name.startswith(found):
            return name[len(found) :]
    return name
