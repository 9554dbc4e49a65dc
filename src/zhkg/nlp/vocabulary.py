"""General vocabularies of Chinese public life, shipped as word lists in zhkg/data: post
titles and how they compose (省委 + 常委, 常务 + 副 + 市长), organisation name endings, the
central state bodies and their abbreviations, and the words that open and close policy titles.
Read once per process, on first use (`zhkg.resources`). See GAZETTEERS.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ahocorasick

from zhkg.model import EntityType
from zhkg.nlp.data import data_lines, entity_type, split_list, tsv
from zhkg.nlp.gazetteer import find_places
from zhkg.resources import resource


@dataclass(frozen=True, slots=True)
class CentralBody:
    """A central state body or state medium, with the abbreviations news text uses for it."""

    name: str  # canonical full name
    type: EntityType  # GovernmentBody | Organization | Company
    abbreviations: tuple[str, ...] = ()


class _Vocab:
    def __init__(self) -> None:
        self.post_titles = frozenset(data_lines("post_titles.txt"))
        self.post_titles_scoped = frozenset(data_lines("post_titles_scoped.txt"))
        self.post_modifiers = frozenset(data_lines("post_modifiers.txt"))
        self.post_scopes = frozenset(data_lines("post_scopes.txt"))
        self.org_suffixes: dict[str, EntityType] = {
            r["suffix"]: entity_type(r["type"], "org_suffixes.tsv")
            for r in tsv("org_suffixes.tsv")}
        bodies: dict[str, CentralBody] = {}
        for r in tsv("central_bodies.tsv"):
            body = CentralBody(r["name"], entity_type(r["type"], "central_bodies.tsv"),
                               split_list(r["abbreviations"]))
            bodies[body.name] = body
            for a in body.abbreviations:
                bodies.setdefault(a, body)
        self.central_bodies = bodies
        heads: list[str] = []
        tails: list[str] = []
        for r in tsv("policy_words.tsv"):
            (heads if r["role"] == "head" else tails).append(r["word"])
        self.policy_heads = frozenset(heads)
        self.policy_tails = frozenset(tails)
        self.body_automaton: Any = ahocorasick.Automaton()
        for key, body in bodies.items():
            self.body_automaton.add_word(key, (len(key), body))
        self.body_automaton.make_automaton()
        self.suffixes_longest_first = tuple(sorted(self.org_suffixes, key=len, reverse=True))
        scopes = _alternation(self.post_scopes)
        modifiers = _alternation(self.post_modifiers)
        # Not followed by what turns a title into a body or a thing: 委员会, 代表团, 大使馆,
        # 董事会, 代表作.
        # Every match starts with the first character of one of the words: checking that first
        # lets the search skip most positions at once (the regex engine cannot see it through
        # the repetitions), a third of the time over news text.
        first = {w[0] for words in (self.post_scopes, self.post_modifiers, self.post_titles,
                                    self.post_titles_scoped) for w in words}
        self.post_re = re.compile(
            f"(?=[{''.join(re.escape(c) for c in sorted(first))}])"
            f"(?:(?:{scopes})*(?:{modifiers})*(?:{_alternation(self.post_titles)})"
            f"|(?:{scopes})+(?:{modifiers})*(?:{_alternation(self.post_titles_scoped)}))"
            "(?![会团馆作处])")


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation that prefers longer words (Python's `|` takes the first that fits)."""
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


@resource
def _vocab() -> _Vocab:
    """Post titles, organisation endings, central bodies and policy words."""
    return _Vocab()


def post_titles() -> frozenset[str]:
    """Bare post titles (书记, 市长, 董事长, ...)."""
    return _vocab().post_titles


def post_titles_scoped() -> frozenset[str]:
    """Titles that count only after a scope (人大代表, 政协委员): alone they are common words."""
    return _vocab().post_titles_scoped


def post_scopes() -> frozenset[str]:
    """Prefixes that say whose post it is (省委, 市, 国务院, 党组, ...)."""
    return _vocab().post_scopes


def post_modifiers() -> frozenset[str]:
    """Words between scope and title (副, 常务副, 代理, ...)."""
    return _vocab().post_modifiers


def post_pattern() -> re.Pattern[str]:
    """Regex for a post title by composition: scopes* modifiers* title (省委常委, 常务副市长).

    Titles of post_titles_scoped() need at least one scope (人大代表). A title directly followed by
    会/团/馆/作/处 is not matched (委员会, 代表团, 大使馆, 代表作).
    """
    return _vocab().post_re


def is_post_title(s: str) -> bool:
    """Whether `s` as a whole is a post title, bare or composed (市委书记, 常务副市长)."""
    return bool(s) and _vocab().post_re.fullmatch(s) is not None


def org_suffixes() -> dict[str, EntityType]:
    """Organisation-name suffix -> ontology type (Company, GovernmentBody, ...)."""
    return dict(_vocab().org_suffixes)


def org_suffix(name: str) -> tuple[str, EntityType] | None:
    """The longest organisation suffix `name` ends with, and its type; None if none fits.

    The name must be longer than the suffix (公司 alone is not a company), and a one-character
    ending (部, 局, 厂) needs at least two characters before it, so 西部 or 全局 are not bodies.
    """
    for suffix in _vocab().suffixes_longest_first:
        if len(name) >= len(suffix) + (2 if len(suffix) == 1 else 1) and name.endswith(suffix):
            return suffix, _vocab().org_suffixes[suffix]
    return None


def org_suffix_type(name: str) -> EntityType | None:
    """Company, GovernmentBody, Organization or DevelopmentZone, judged by the name's ending."""
    found = org_suffix(name)
    return found[1] if found else None


def central_bodies() -> list[CentralBody]:
    """Every central body once."""
    return sorted({b.name: b for b in _vocab().central_bodies.values()}.values(),
                  key=lambda b: b.name)


def central_body(name: str) -> str | None:
    """Canonical full name of a central body named by full name or abbreviation (工信部)."""
    body = _vocab().central_bodies.get(name)
    return body.name if body else None


def central_body_info(name: str) -> CentralBody | None:
    """The central body named by full name or abbreviation, with its type and other names."""
    return _vocab().central_bodies.get(name)


@dataclass(frozen=True, slots=True)
class BodyMatch:
    """A central body's name or abbreviation in a text: `text == source[start:end]`."""

    start: int
    end: int
    text: str
    body: CentralBody


#: A local body shares its short name with the national one (辽宁省卫健委, 大连发改委): a name
#: right after one of these characters or after a place name is not the central body.
_LOCAL_SCOPE_CHARS = frozenset("省市县区州旗盟镇乡")


def find_central_bodies(text: str) -> list[BodyMatch]:
    """Central bodies named in `text`, longest leftmost non-overlapping (国家发改委 over 发改委).

    Skips a name that directly follows a place (辽宁省卫健委 is the province's commission).
    """
    out: list[BodyMatch] = []
    if not text:
        return out
    place_ends: set[int] | None = None
    for end_index, (length, body) in _vocab().body_automaton.iter_long(text):
        end = end_index + 1
        start = end - length
        if start > 0:
            if text[start - 1] in _LOCAL_SCOPE_CHARS:
                continue
            if place_ends is None:
                place_ends = {m.end for m in find_places(text)}
            if start in place_ends:
                continue
        out.append(BodyMatch(start, end, text[start:end], body))
    return out


def policy_heads() -> frozenset[str]:
    """Words that open a policy-document title (关于, ...)."""
    return _vocab().policy_heads


def policy_tails() -> frozenset[str]:
    """Words that close a policy-document title (实施方案, 意见, 通知, ...)."""
    return _vocab().policy_tails


def policy_tail(title: str) -> str | None:
    """The longest policy-title ending of `title`, if any (…的实施方案 -> 实施方案)."""
    for w in sorted(_vocab().policy_tails, key=len, reverse=True):
        if title.endswith(w):
            return w
    return None
