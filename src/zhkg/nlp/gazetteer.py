"""The places of the gazetteer: China's administrative divisions (GB/T 2260, with adcodes,
coordinates and the hierarchy) and the world's countries, shipped as files in zhkg/data.

Everything is read once per process, on first use (`zhkg.resources`): the extractor calls
`find_places` on every article, so the matcher is one Aho-Corasick automaton over every name
(full names of all divisions and countries, plus the short forms judged safe when the data was
made, see GAZETTEERS.md). Same-named places (朝阳区 in Beijing and in Changchun) come back as
several candidates; `resolve` picks one from the other places mentioned nearby.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import ahocorasick

from zhkg.model import LEVEL_TYPES, EntityType
from zhkg.nlp.data import split_list, tsv
from zhkg.resources import resource

_LEVEL_RANK = {"country": 0, "province": 1, "city": 2, "district": 3}


@dataclass(frozen=True, slots=True)
class Division:
    """One GB/T 2260 division. `parent` is the nearest existing higher division's adcode."""

    adcode: str  # six digits, 210200
    name: str  # full name, 大连市
    level: str  # province | city | district
    parent: str | None
    latitude: float | None
    longitude: float | None
    short_names: tuple[str, ...] = ()

    @property
    def type(self) -> EntityType:
        """The ontology class: Province, City or District."""
        return LEVEL_TYPES[self.level]

    @property
    def key(self) -> str:
        return self.adcode


@dataclass(frozen=True, slots=True)
class Country:
    """A country or territory under its ISO 3166-1 alpha-2 code."""

    code: str
    name: str
    short_names: tuple[str, ...] = ()

    @property
    def type(self) -> EntityType:
        return "Country"

    @property
    def level(self) -> str:
        return "country"

    @property
    def key(self) -> str:
        return self.code


Place = Division | Country


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """A place name in a text: `text == source[start:end]`, candidates best-first.

    `kind` is the ontology class of the first candidate (Country, Province, City, District).
    `full` says whether `text` is a full official name (大连市) rather than a short form (大连).
    `weak` marks names easily read across a word boundary by accident: those naming only
    county-level divisions, and a few country names (see `find_places`).
    """

    start: int
    end: int
    text: str
    candidates: tuple[Place, ...]
    kind: str
    full: bool = True
    weak: bool = False


def _float(s: str) -> float | None:
    return float(s) if s else None


class _Places:
    """Every division and country, indexed by code and name, with the matching automaton."""

    def __init__(self) -> None:
        self.divisions: dict[str, Division] = {}
        self.countries: dict[str, Country] = {}
        full: dict[str, list[Place]] = defaultdict(list)
        short: dict[str, list[Place]] = defaultdict(list)
        unindexed: set[str] = set()
        weak_names: set[str] = set()
        for r in tsv("divisions.tsv"):
            d = Division(r["adcode"], r["name"], r["level"], r["parent"] or None,
                         _float(r["latitude"]), _float(r["longitude"]),
                         split_list(r["short_names"]))
            self.divisions[d.adcode] = d
            full[d.name].append(d)
            if r["indexed"] == "0":
                unindexed.add(d.name)
            for s in d.short_names:
                short[s].append(d)
        for r in tsv("countries.tsv"):
            c = Country(r["code"], r["name"], split_list(r["short_names"]))
            self.countries[c.code] = c
            full[c.name].append(c)
            if r["weak"] == "1":
                weak_names.add(c.name)
            for s in c.short_names:
                full[s].append(c)  # a country's other names are names in their own right
        self.by_name: dict[str, tuple[Place, ...]] = {}
        self.automaton: Any = ahocorasick.Automaton()
        for name in set(full) | set(short):
            cands = tuple(sorted(full.get(name, []), key=_rank)) + tuple(
                sorted(short.get(name, []), key=_rank))
            self.by_name[name] = cands
            is_full = name in full
            if is_full and name in unindexed and name not in short:
                continue
            # A weak name is one likely to be read across a word boundary by accident (和政 in
            # 和政策): one naming only county-level divisions, or a country name flagged as an
            # everyday character pair (海地 in 沿海地区). Other country, province and city names
            # are few, well known, and mostly stand on their own.
            weak = name in weak_names or all(
                isinstance(c, Division) and c.level == "district" for c in cands)
            self.automaton.add_word(name, (len(name), cands, is_full, weak))
        self.automaton.make_automaton()


def _rank(p: Place) -> tuple[int, str]:
    return (_LEVEL_RANK[p.level], p.key)


@resource
def _db() -> _Places:
    """Every division and country, and the matcher over their names."""
    return _Places()


# -- divisions ---------------------------------------------------------------------------------


def division(adcode: str) -> Division | None:
    """The division with this six-digit adcode (a twelve-digit one is truncated)."""
    return _db().divisions.get(adcode[:6])


def divisions() -> list[Division]:
    """Every division, in adcode order."""
    return sorted(_db().divisions.values(), key=lambda d: d.adcode)


def ancestors(adcode: str) -> list[Division]:
    """The divisions containing this one, nearest first, ending with its province."""
    db = _db()
    out: list[Division] = []
    d = db.divisions.get(adcode[:6])
    while d is not None and d.parent is not None:
        d = db.divisions.get(d.parent)
        if d is not None:
            out.append(d)
    return out


def divisions_named(name: str) -> list[Division]:
    """Divisions called `name`, by full or safe short name; full-name matches first."""
    return [p for p in _db().by_name.get(name, ()) if isinstance(p, Division)]


def country(code_or_name: str) -> Country | None:
    """A country by ISO alpha-2 code (CN) or by any of its Chinese names (中国, 中华人民共和国)."""
    db = _db()
    if code_or_name.upper() in db.countries:
        return db.countries[code_or_name.upper()]
    for p in db.by_name.get(code_or_name, ()):
        if isinstance(p, Country):
            return p
    return None


def countries() -> list[Country]:
    return sorted(_db().countries.values(), key=lambda c: c.code)


def places_named(name: str) -> tuple[Place, ...]:
    """Every place (divisions and countries) called `name`, best default first."""
    return _db().by_name.get(name, ())


#: One-character abbreviations news text uses for a country (中美关系) or a province-level division
#: (京津冀, 沪深): the conventional ones, less the characters that stand for more than one place
#: (澳: Macao and Australia; 新: Xinjiang and Singapore; 巴: Pakistan, Brazil, Palestine; 黔/贵,
#: 滇/云, 陕/秦, 甘/陇, 川/蜀 keep only the first). A single character is far too ambiguous to
#: match in running text: only a place the tagger read there is resolved with this table.
ABBREVIATIONS: dict[str, str] = {
    **dict(zip("中美日俄英法德意加韩朝印越泰菲", ["CN", "US", "JP", "RU", "GB", "FR", "DE", "IT",
                                               "CA", "KR", "KP", "IN", "VN", "TH", "PH"],
               strict=True)),
    **dict(zip("京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔滇藏陕甘青宁港台",
               ["110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000",
                "310000", "320000", "330000", "340000", "350000", "360000", "370000", "410000",
                "420000", "430000", "440000", "450000", "460000", "500000", "510000", "520000",
                "530000", "540000", "610000", "620000", "630000", "640000", "810000", "710000"],
               strict=True)),
}


def abbreviation(char: str) -> Place | None:
    """The country or province a one-character abbreviation stands for: 美 美国, 沪 上海市."""
    key = ABBREVIATIONS.get(char)
    if key is None:
        return None
    return division(key) if key.isdigit() else country(key)


# -- matching ----------------------------------------------------------------------------------


def find_places(text: str, bounds: Collection[int] | None = None, *,
                bound_all: bool = False) -> list[PlaceMatch]:
    """Place names in `text`: longest, leftmost, non-overlapping, in text order.

    `bounds`, when given, is the set of word boundaries (every start and end offset of the
    segmenter's words). A weak name (one naming only county-level divisions) is then kept only if
    both its ends fall on a bound, so 和政 is not read in 和政策; other names are kept regardless,
    because the segmenter often glues them to what follows (北京大学, 中国队). With `bound_all`,
    every name must align (then 中国 is not read in 发展中国家 either).
    """
    automaton = _db().automaton
    out: list[PlaceMatch] = []
    if not text:
        return out
    if bounds is None:
        for end_index, (length, cands, is_full, weak) in automaton.iter_long(text):
            end = end_index + 1
            out.append(PlaceMatch(end - length, end, text[end - length:end], cands,
                                  cands[0].type, is_full, weak))
        return out
    found: list[tuple[int, int, tuple[Place, ...], bool, bool]] = []
    for end_index, (length, cands, is_full, weak) in automaton.iter(text):
        end = end_index + 1
        start = end - length
        if (not weak and not bound_all) or (start in bounds and end in bounds):
            found.append((start, end, cands, is_full, weak))
    found.sort(key=lambda m: (m[0], m[0] - m[1]))
    last = 0
    for start, end, cands, is_full, weak in found:
        if start >= last:
            out.append(PlaceMatch(start, end, text[start:end], cands, cands[0].type, is_full,
                                  weak))
            last = end
    return out


def resolve(candidates: Iterable[Place], context_adcodes: Iterable[str] = ()) -> Place | None:
    """The one place meant among same-named candidates, judged by places mentioned nearby.

    A candidate scores by how close it is to a context place: being one (best), lying inside one
    (the nearer the container the better), or containing one (the nearer the better). The best
    score wins; ties go to the higher level (吉林 alone is the province, not the city). With no way
    to choose between same-level candidates (朝阳区 alone), the answer is None: better no link
    than a wrong one. To resolve many names against one context, use `PlaceContext`.
    """
    return PlaceContext(context_adcodes).resolve(candidates)


class PlaceContext:
    """The places an article names, to `resolve` each of its place names against.

    The context's lineages are read once and each distinct set of candidates is resolved once:
    resolving every name of a long article against all its places anew took time quadratic in
    its length.
    """

    def __init__(self, context_adcodes: Iterable[str] = ()) -> None:
        self.ctx = {c[:6] for c in context_adcodes}
        #: adcode -> how many levels above the nearest context place it is (1: its parent)
        self.above: dict[str, int] = {}
        for c in self.ctx:
            for distance, a in enumerate(ancestors(c), start=1):
                if distance < self.above.get(a.adcode, distance + 1):
                    self.above[a.adcode] = distance
        self._resolved: dict[tuple[Place, ...], Place | None] = {}

    def resolve(self, candidates: Iterable[Place]) -> Place | None:
        """`resolve(candidates, context)` with this context."""
        cands = tuple(dict.fromkeys(candidates))
        if not cands:
            return None
        if len(cands) == 1:
            return cands[0]
        if cands not in self._resolved:
            self._resolved[cands] = self._best(cands)
        return self._resolved[cands]

    def _score(self, p: Place) -> int:
        if not isinstance(p, Division):
            return 0
        if p.adcode in self.ctx:
            return 100
        for distance, a in enumerate(ancestors(p.adcode), start=1):
            if a.adcode in self.ctx:
                return 50 - distance
        return 20 - self.above[p.adcode] if p.adcode in self.above else 0

    def _best(self, cands: tuple[Place, ...]) -> Place | None:
        scored = sorted(((self._score(p), -_LEVEL_RANK[p.level], p) for p in cands),
                        key=lambda t: (t[0], t[1]), reverse=True)
        best = scored[0]
        rivals = [t for t in scored[1:] if t[0] == best[0] and t[1] == best[1]]
        return None if rivals else best[2]
