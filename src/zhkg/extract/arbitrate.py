"""Choosing among the candidates: named passes, in order, like spaCy's `ents_filter`.

The re-ranking passes each return the candidates with some priorities (or ends) changed, where
one source knows better than its rank says; `merge` then keeps the best non-overlapping ones
(priority, then length, then confidence) and the places nested inside the names it kept;
`fill_list_gaps` and `propagate` add what the choice makes plain. `PASSES` lists them in the
order they run; `arbitrate` runs them, and a caller may pass its own list.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace

import ahocorasick

from zhkg.extract.candidates import LEXICON, PATTERN, PROPAGATED, TAGGER, Candidate
from zhkg.extract.context import DocContext
from zhkg.extract.patterns import ADMIN_ENDS, ENUMERATION, NOT_A_PARTY, all_han
from zhkg.model import ORGANISATIONS, PERSONS, Method
from zhkg.nlp import gazetteer, vocabulary
from zhkg.nlp.tagger import TRANSLITERATION

#: One signature for every pass: the document and the candidates in, the candidates out.
Pass = Callable[[DocContext, list[Candidate]], list[Candidate]]

_JOINER = re.compile("[与和及、]")
#: Names a place name can stand inside (某市财政局, 某市高新区, 《某市…办法》).
_HOLD_PLACES = frozenset({*ORGANISATIONS, "Policy", "DevelopmentZone"})
#: Names whose other occurrences are found too (one sense per discourse).
_PROPAGATE_TYPES = {*PERSONS, *ORGANISATIONS}


class Spans:
    """Half-open spans, asked "does one overlap [lo, hi)?" and "which start in [lo, hi)?" in
    logarithmic time: checking each candidate against every span of a long article took time
    quadratic in its length."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]
        self.reach = list(itertools.accumulate((e for _, e in self.spans), max))  # prefix max
        self.exact = set(self.spans)

    def overlaps(self, lo: int, hi: int) -> bool:
        """Whether a span starts before `hi` and ends after `lo`."""
        k = bisect_left(self.starts, hi)
        return k > 0 and self.reach[k - 1] > lo

    def starting_in(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The spans that start in [lo, hi), in order."""
        return self.spans[bisect_left(self.starts, lo) : bisect_left(self.starts, hi)]


# -- re-ranking ------------------------------------------------------------------------------


def longer_titles(ctx: DocContext, cands: list[Candidate]) -> list[Candidate]:
    """A sure tagged post that ends where a title from the vocabulary ends and starts before it
    (设计 + 总监, 行政 + 总裁) is the whole post, unless its head is a place or a body named on
    its own (某市 + 市长 stays 市长, linked to the place) or holds a title (市委书记 + 市长 are
    two posts)."""
    text, sure = ctx.text, ctx.settings.sure
    title_ends = {c.end: c.start for c in cands
                  if c.type == "Post" and c.method is Method.POST_TITLE}
    named = Spans((c.start, c.end) for c in cands
                  if c.type != "Post" and c.method is not Method.TAGGER and c.type not in PERSONS)
    return [
        replace(c, priority=PATTERN)
        if c.method is Method.TAGGER and c.type == "Post" and c.confidence >= sure
        and title_ends.get(c.end, c.start) > c.start
        and not named.overlaps(c.start, title_ends[c.end])
        and not vocabulary.post_pattern().search(text, c.start, title_ends[c.end])
        else c
        for c in cands
    ]


def foreign_places(ctx: DocContext, cands: list[Candidate]) -> list[Candidate]:
    """A sure tagged place that holds a gazetteer place and otherwise only characters that
    transliterate foreign names (巴西 + 利亚, 南里奥格朗 + 德州) is a foreign place of its own,
    not the one inside it: it outranks it."""
    text, sure = ctx.text, ctx.settings.sure
    places = Spans((c.start, c.end) for c in cands if c.method is Method.GAZETTEER)
    return [
        replace(c, priority=LEXICON)
        if c.method is Method.TAGGER and c.type == "Place" and c.confidence >= sure
        and any(e <= c.end and e - s < c.length
                and all(ch in TRANSLITERATION for ch in text[c.start : s] + text[e : c.end])
                for s, e in places.starting_in(c.start, c.end))
        else c
        for c in cands
    ]


def confirm_by_suffix(ctx: DocContext, cands: list[Candidate]) -> list[Candidate]:
    """A tagged company that a firm's-ending pattern found the end of (某国 + 某某兄弟公司, with
    only 兄弟公司 read by the pattern) outranks the pattern: the tagger saw where it starts."""
    latest: dict[int, int] = {}  # end -> the latest start of a suffix pattern ending there
    for c in cands:
        if c.type == "Company" and c.method is Method.COMPANY_SUFFIX:
            latest[c.end] = max(c.start, latest.get(c.end, c.start))
    return [
        replace(c, priority=LEXICON)
        if c.method is Method.TAGGER and c.type == "Company" and c.priority == TAGGER
        and latest.get(c.end, c.start) > c.start
        else c
        for c in cands
    ]


def with_units(ctx: DocContext, cands: list[Candidate]) -> list[Candidate]:
    """A sure tagged body that is a body found by a pattern or lexicon plus a unit of it (某市委
    + 组织部, 某省公安厅 + 经侦总队: the rest ends like a body, and no other known name starts
    there) outranks the shorter one: the tagger saw where the unit ends."""
    text, sure = ctx.text, ctx.settings.sure
    known: dict[int, list[int]] = {}
    for c in cands:
        if c.method is not Method.TAGGER and c.type in ORGANISATIONS:
            known.setdefault(c.start, []).append(c.end)
    return [
        replace(c, priority=PATTERN)
        if c.method is Method.TAGGER and c.type in ORGANISATIONS and c.confidence >= sure
        and any(e < c.end and e not in known and vocabulary.org_suffix_type(text[e : c.end])
                and not _JOINER.search(text, e, c.end) for e in known.get(c.start, ()))
        else c
        for c in cands
    ]


def demote_joined(ctx: DocContext, cands: list[Candidate]) -> list[Candidate]:
    """A sure tagged organisation loses its rank where it joins two names: 甲与乙 (`_joins`), or
    a whole organisation name right followed by another (国家发改委 + 工信部); not where the rest
    is a unit of the first (公安部 + 经济犯罪侦查局)."""
    text, bounds = ctx.text, ctx.bounds
    orgs = Spans((c.start, c.end) for c in cands
                  if c.method is not Method.TAGGER and c.type in ORGANISATIONS)
    org_starts = set(orgs.starts)
    out: list[Candidate] = []
    for c in cands:
        if (
            c.method is Method.TAGGER
            and c.priority == LEXICON
            and (
                any(_joins(text, c.start, j.start(), orgs, bounds)
                    for j in _JOINER.finditer(text, c.start, c.end))
                or any(e < c.end and e in org_starts for _, e in orgs.starting_in(c.start, c.end))
            )
        ):
            c = replace(c, priority=TAGGER)
        out.append(c)
    return out


def _joins(text: str, start: int, j: int, orgs: Spans, bounds: Collection[int]) -> bool:
    """Whether the 与/和/及/、 at `j` joins two names: a word of its own (not the 及 of 埃及), not
    inside a known name (住房和城乡建设部), after a name that stands alone (a place, a body's
    ending, a known name), unlike 某市住房保障 + 和 + 房产管理局, one body."""
    if text[j] == "、":
        return True
    if j not in bounds or j + 1 not in bounds or orgs.overlaps(j, j + 1):
        return False
    head = text[start:j]
    return bool(vocabulary.org_suffix_type(head) or gazetteer.places_named(head)
                or (start, j) in orgs.exact)


def trim_places(ctx: DocContext, cands: list[Candidate]) -> list[Candidate]:
    """大连市 + 市委书记 share the 市: the place gives it up and stays 大连 (the post keeps it)."""
    text = ctx.text
    starts = {
        c.start for c in cands if c.priority == PATTERN and c.type in ("Post", "GovernmentBody")
    }
    out: list[Candidate] = []
    for c in cands:
        if c.method is Method.GAZETTEER and c.end - 1 in starts and text[c.end - 1] in ADMIN_ENDS:
            c = replace(c, end=c.end - 1)
        out.append(c)
    return out


# -- choosing --------------------------------------------------------------------------------


def merge(ctx: DocContext, candidates: list[Candidate]) -> list[Candidate]:
    """Non-overlapping best candidates, plus places nested inside longer names."""
    chosen: list[Candidate] = []
    cands = sorted(candidates, key=lambda c: (-c.priority, -c.length, -c.confidence, c.start))
    size = max((c.end for c in cands), default=0)
    taken = bytearray(size)
    nested: list[Candidate] = []
    for c in cands:
        if c.length <= 0:
            continue
        if any(taken[c.start : c.end]):
            if c.method is Method.GAZETTEER:
                nested.append(c)
            continue
        chosen.append(c)
        taken[c.start : c.end] = b"\x01" * c.length
    # disjoint (chosen names do not overlap): the one that can hold a place starts last before it
    spans = sorted(
        (c.start, c.end)
        for c in chosen
        if c.type in _HOLD_PLACES
    )
    starts = [s for s, _ in spans]
    # A place inside a name (某市财政局) is kept where the article also names the place on its
    # own: it links the organisation to the place without adding a place the article never names.
    top_keys = {c.key for c in chosen if c.method is Method.GAZETTEER}
    for n in nested:
        i = bisect_right(starts, n.start) - 1
        if n.key in top_keys and i >= 0 and n.end <= spans[i][1] and spans[i] != (n.start, n.end):
            chosen.append(n)
    return sorted(set(chosen), key=lambda c: (c.start, -c.end, c.type))


def fill_list_gaps(ctx: DocContext, chosen: list[Candidate]) -> list[Candidate]:
    """In a list of companies before 等企业, a stretch left between two companies is one too."""
    text = ctx.text
    extra: list[Candidate] = []
    companies = sorted((c for c in chosen if c.type == "Company"), key=lambda c: c.start)
    for i, (a, b) in enumerate(zip(companies, companies[1:], strict=False)):
        gap = text[a.end : b.start]
        if 2 <= len(gap) <= 6 and all_han(text, a.end, b.start) and not NOT_A_PARTY.search(gap):
            tail = ENUMERATION.match(text, _list_end(companies, i + 1))
            if tail:
                extra.append(
                    Candidate(a.end, b.start, "Company", Method.ENUMERATION, 0.6, PATTERN)
                )
    return chosen + extra


def _list_end(companies: list[Candidate], i: int) -> int:
    """Where a run of adjacent companies starting at `companies[i]` ends (sorted by start)."""
    end = companies[i].end
    for j in range(i + 1, len(companies)):
        if companies[j].start > end:
            break
        if companies[j].start == end:
            end = companies[j].end
    return end


def propagate(ctx: DocContext, chosen: list[Candidate]) -> list[Candidate]:
    """Other occurrences of names already found, where nothing else was found and the words
    agree (工信部 is not read inside 工信部门)."""
    text, bounds = ctx.text, ctx.bounds
    taken = bytearray(len(text))
    for c in chosen:
        taken[c.start : c.end] = b"\x01" * c.length
    best: dict[str, Candidate] = {}
    for c in chosen:
        if c.type in _PROPAGATE_TYPES and c.length >= 2:
            name = text[c.start : c.end]
            if name not in best or c.confidence > best[name].confidence:
                best[name] = c
    extra: list[Candidate] = []
    order = sorted(best, key=len, reverse=True)
    found = _occurrences(text, order)
    for name in order:
        c = best[name]
        last = 0  # where the occurrence before ends: occurrences of one name do not overlap
        for pos in found[name]:
            if pos < last:
                continue
            end = last = pos + len(name)
            if pos in bounds and end in bounds and not any(taken[pos:end]):
                extra.append(
                    Candidate(pos, end, c.type, Method.PROPAGATED, c.confidence * 0.9, PROPAGATED,
                              c.key)
                )
                taken[pos:end] = b"\x01" * len(name)
    return chosen + extra


def _occurrences(text: str, names: Iterable[str]) -> dict[str, list[int]]:
    """Where each name starts in `text`, overlaps included, in one pass over the text (a search
    for each name in turn took time quadratic in a long article's length)."""
    found: dict[str, list[int]] = {name: [] for name in names}
    if not found:
        return found
    automaton = ahocorasick.Automaton()
    for name in found:
        automaton.add_word(name, name)
    automaton.make_automaton()
    for end, name in automaton.iter(text):
        found[name].append(end + 1 - len(name))
    return found


#: The passes in the order they run: the re-ranking, then the choice and what it adds.
PASSES: tuple[Pass, ...] = (
    longer_titles,
    foreign_places,
    confirm_by_suffix,
    with_units,
    demote_joined,
    trim_places,
    merge,
    fill_list_gaps,
    propagate,
)


def arbitrate(ctx: DocContext, cands: Sequence[Candidate],
              passes: Sequence[Pass] = PASSES) -> list[Candidate]:
    """The chosen mentions' candidates: `passes` run in order."""
    out = list(cands)
    for step in passes:
        out = step(ctx, out)
    return out
