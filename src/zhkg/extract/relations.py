"""Relations between the mentions of one document, each with its trigger as evidence.

Every relation rule has one signature, `rule(ctx, mentions) -> relations` (the document's
context, its mentions sorted by start, longest first), and `RELATION_RULES` lists them in the
order they run (among relations with the same evidence span, predicate and object, the earlier
rule's comes first). All rules look at mentions that stand next to each other or share a
sentence with a trigger word; none of them crosses sentence boundaries except `partOf`, which
comes from the gazetteer and holds wherever both places are mentioned.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence

from zhkg.extract import resolve
from zhkg.extract.context import DocContext
from zhkg.extract.patterns import POLICY_VERB, policy_trigger_kind
from zhkg.model import (
    AGENTS,
    BYLINE_ROLES,
    ORGANISATIONS,
    PLACES,
    ArticlePredicate,
    Mention,
    Method,
    Predicate,
    Relation,
)
from zhkg.nlp import gazetteer

#: The one signature of a relation rule: the context and the sorted mentions in.
RelationRule = Callable[[DocContext, Sequence[Mention]], Iterable[Relation]]

#: A mention's method label -> the article's relation to it (the byline's roles).
_ROLE: dict[str, ArticlePredicate] = {m.value: role for m, role in BYLINE_ROLES.items()}
#: Names that carry a place: bodies are located in it, a development zone is part of it.
_NAMED_AFTER_PLACES = frozenset({*ORGANISATIONS, "DevelopmentZone"})
_POLICY_METHOD = {"issues": Method.POLICY_ISSUES, "implements": Method.POLICY_IMPLEMENTS}
_JOINERS = set("和、及与暨")
_COOP = re.compile("合作|对接|签约|签署|携手|共建|联手|战略协议|结对")
_COOP_CONNECTOR = re.compile("与|同|跟")  # 和 mostly joins a list: 甲和乙与丙合作
_URGES = re.compile("鼓励|引导|支持|帮助|推动|督促|指导|要求|号召|动员")
_VERB_BEFORE = re.compile(f"(?:{POLICY_VERB.pattern})$")


def find_relations(ctx: DocContext, mentions: Sequence[Mention],
                   rules: Sequence[RelationRule] | None = None) -> list[Relation]:
    """Every relation the rules (`RELATION_RULES` unless given) find, in text order."""
    ms = sorted(mentions, key=lambda m: (m.start, -m.end))
    rels: list[Relation] = []
    for rule in RELATION_RULES if rules is None else rules:
        rels += rule(ctx, ms)
    return sorted(
        rels, key=lambda r: (r.evidence.start, r.evidence.end, r.predicate, r.object.start)
    )


def article_roles(ctx: DocContext, ms: Sequence[Mention]) -> Iterator[Relation]:
    """The article's author, photographer, editor and publisher: its byline's names."""
    seen: set[tuple[str, str]] = set()
    for m in ms:
        role = _ROLE.get(m.evidence.method)
        if role and (role, m.text) not in seen:
            seen.add((role, m.text))
            yield Relation(
                None, role, m, ctx.evidence(m.start, m.end, Method(m.evidence.method), 0.9)
            )


def _top_level(ms: Sequence[Mention]) -> list[Mention]:
    """Mentions not nested inside another one."""
    out: list[Mention] = []
    for m in ms:
        if out and m.start < out[-1].end:
            continue
        out.append(m)
    return out


def post_holders(ctx: DocContext, ms: Sequence[Mention]) -> Iterator[Relation]:
    """省委常委 + 市委书记 + name: each post in the chain is held by the name; a place or body right
    before a post is where the post is."""
    top = _top_level(ms)
    text = ctx.text
    for i, m in enumerate(top):
        if m.type != "Post":
            continue
        if i > 0 and top[i - 1].end == m.start and top[i - 1].type in AGENTS:
            org = top[i - 1]
            yield Relation(
                m, "postIn", org, ctx.evidence(org.start, m.end, Method.POST_CHAIN, 0.85)
            )
    for i, m in enumerate(top):
        if m.type != "Official":
            continue
        j, pos = i - 1, m.start
        while (
            j >= 0 and top[j].end >= pos - 1 and (top[j].end == pos or text[top[j].end] in _JOINERS)
        ):
            prev = top[j]
            if prev.type == "Post":
                yield Relation(
                    m,
                    "holdsPost",
                    prev,
                    ctx.evidence(prev.start, m.end, Method.POST_CHAIN, 0.9),
                )
            elif prev.type not in AGENTS:
                break
            pos = prev.start
            j -= 1


def policy_issuers(ctx: DocContext, ms: Sequence[Mention]) -> Iterator[Relation]:
    """Who issues or implements a policy: the place or body its title begins with, else the
    nearest place or body before the verb in the same sentence (not one that only urges others:
    某市鼓励企业建立…制度). Titles listed right after one another share the first one's verb."""
    text = ctx.text
    top = _top_level(ms)
    # `ms` is sorted by start; `top` by start and by end (its mentions do not overlap)
    starts = [m.start for m in ms]
    top_starts = [m.start for m in top]
    top_ends = [m.end for m in top]
    previous: tuple[Mention, Relation] | None = None
    for p in ms:
        if p.type != "Policy":
            continue
        inner = [m for m in ms[bisect_left(starts, p.start) : bisect_right(starts, p.start)]
                 if m.end < p.end and m.type in AGENTS]
        if inner:
            ev = ctx.evidence(p.start, p.end, Method.POLICY_TITLE_ISSUER, 0.8)
            yield Relation(inner[0], "issues", p, ev)
            continue
        if previous is not None and previous[0].end == p.start:
            r = previous[1]
            ev = ctx.evidence(r.evidence.start, p.end, Method(r.evidence.method),
                              r.evidence.confidence)
            rel = Relation(r.subject, r.predicate, p, ev)
            previous = (p, rel)
            yield rel
            continue
        ss, _ = ctx.sentence_of(p.start)
        lead = text[max(ss, p.start - 12) : p.start]
        verb = _VERB_BEFORE.search(lead)
        if not verb:
            continue
        verb_start = p.start - len(lead) + verb.start()
        # the last place or body that starts in the sentence and ends before the verb
        first = bisect_left(top_starts, ss)
        k = bisect_right(top_ends, verb_start) - 1
        while k >= first and top[k].type not in AGENTS:
            k -= 1
        if k < first or _URGES.search(text, top[k].end, verb_start):
            continue
        who = top[k]
        kind = policy_trigger_kind(verb.group())
        rel = Relation(
            who, kind, p, ctx.evidence(who.start, p.end, _POLICY_METHOD[kind], 0.7)
        )
        previous = (p, rel)
        yield rel


def _group(top: Sequence[Mention], idx: int, step: int, text: str) -> list[Mention]:
    """Mentions joined by 和/、/及 (or nothing) around top[idx], walking in `step` direction."""
    group = [top[idx]]
    j = idx + step
    while 0 <= j < len(top):
        a, b = (top[j], group[-1]) if step < 0 else (group[-1], top[j])
        gap = text[a.end : b.start]
        if top[j].type not in AGENTS or len(gap) > 1 or (gap and gap not in _JOINERS):
            break
        group.append(top[j])
        j += step
    return group


def cooperation(ctx: DocContext, ms: Sequence[Mention]) -> Iterator[Relation]:
    """A 与 B 合作/对接/签约: every organisation or place on the left with each on the right."""
    text = ctx.text
    top = _top_level(ms)
    for i, m in enumerate(top[:-1]):
        if m.type not in AGENTS:
            continue
        nxt = top[i + 1]
        conn = text[m.end : nxt.start]
        if not _COOP_CONNECTOR.fullmatch(conn) or nxt.type not in AGENTS:
            continue
        right = _group(top, i + 1, +1, text)
        tail = text[right[-1].end : right[-1].end + 8]
        trig = _COOP.search(tail)
        if not trig or ctx.sentence_of(right[-1].end) != ctx.sentence_of(m.start):
            continue
        left = _group(top, i, -1, text)
        end = right[-1].end + trig.end()
        for a in left:
            for b in right:
                if a.text != b.text:
                    yield Relation(
                        a,
                        "cooperatesWith",
                        b,
                        ctx.evidence(min(a.start, b.start), end, Method.COOPERATION, 0.75),
                    )


_GROUP_SUB = re.compile("集团|控股|股份")


def located_and_subsidiary(ctx: DocContext, ms: Sequence[Mention]) -> Iterator[Relation]:
    """Names that carry a place (某市财政局, 某集团某地有限公司) are located there; a company named
    after another company found in the document (甲集团 -> 甲某某) is its subsidiary."""
    orgs = [
        m for m in ms if m.type in _NAMED_AFTER_PLACES
    ]
    places = [m for m in ms if m.type in PLACES]
    place_starts = [p.start for p in places]
    for o in orgs:
        # the first place inside the name, short of its end: one of those that start inside it
        i = bisect_left(place_starts, o.start)
        while i < len(places) and places[i].start < o.end and places[i].end >= o.end:
            i += 1
        if i < len(places) and places[i].start < o.end:
            p = places[i]
            pred: Predicate = "partOf" if o.type == "DevelopmentZone" else "locatedIn"
            yield Relation(
                o, pred, p, ctx.evidence(o.start, o.end, Method.NAME_PLACE, 0.8)
            )
    # 甲集团 is found, and 甲红旗 or 甲集团某地有限公司 is another company: its subsidiary
    stems: dict[str, Mention] = {}
    for c in ms:
        g = _GROUP_SUB.search(c.text) if c.type == "Company" else None
        if g and g.end() == len(c.text) and g.start() >= 2:
            stems.setdefault(c.text[: g.start()], c)
    order = {stem: i for i, stem in enumerate(stems)}
    lengths = sorted({len(stem) for stem in stems})
    for c in ms:
        if c.type != "Company":
            continue
        # the stems the name starts with and goes on after by two characters, first found first
        heads = sorted((c.text[:n] for n in lengths if n <= len(c.text) - 2
                        and c.text[:n] in stems), key=order.__getitem__)
        for stem in heads:
            parent = stems[stem]
            rest = c.text[len(stem) :]
            if (
                resolve.identity("Company", c.text) != resolve.identity("Company", parent.text)
                and (c.text.startswith(parent.text) or not _GROUP_SUB.match(rest))
            ):
                ev = ctx.evidence(c.start, c.end, Method.NAME_PARENT, 0.7)
                yield Relation(c, "subsidiaryOf", parent, ev)
                break


def part_of(ctx: DocContext, ms: Sequence[Mention]) -> Iterator[Relation]:
    """Administrative hierarchy among the places the article mentions, from the gazetteer."""
    first: dict[str, Mention] = {}
    for m in ms:
        if m.key and m.type in PLACES and m.key not in first:
            first[m.key] = m
    for key, child in first.items():
        for anc in gazetteer.ancestors(key):
            parent = first.get(anc.adcode)
            if parent is not None:
                yield Relation(
                    child,
                    "partOf",
                    parent,
                    ctx.evidence(child.start, child.end, Method.GAZETTEER, 0.95),
                )
                break


RELATION_RULES: tuple[RelationRule, ...] = (
    article_roles,  # the byline's people and publisher: author, photographer, editor, publisher
    post_holders,  # 省委常委 + 市委书记 + name: holdsPost; a body or place before a post: postIn
    policy_issuers,  # who issues or implements a policy
    cooperation,  # 甲与乙合作: cooperatesWith
    located_and_subsidiary,  # a place inside a name: locatedIn / partOf; 甲集团 -> 甲某某
    part_of,  # the gazetteer's hierarchy among the places named
)
