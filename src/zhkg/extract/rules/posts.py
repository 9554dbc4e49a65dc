"""Posts and the officials who hold them: post titles composed from the vocabulary (省委常委,
常务副市长), and the name right after a chain of them.

A title never starts inside a place or a tagged body's name, shares at most a place's
administrative ending (大连市 + 市长), and never runs across two words (万州 + 长江).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from zhkg.extract.candidates import PATTERN, Candidate, Found
from zhkg.extract.context import DocContext
from zhkg.extract.patterns import ADMIN_ENDS
from zhkg.model import ORGANISATIONS, Method
from zhkg.nlp import gazetteer, names, segment, vocabulary

#: A firm's ending before its post (某某集团 + 董事长): the post starts after it.
_FIRM_SCOPE = re.compile("集团|公司|银行|大使馆|领事馆")
_SCOPE_ENDS = ADMIN_ENDS + "镇乡"
_REPEATED_SCOPE = re.compile(f"([{_SCOPE_ENDS}])[副正常务代理]*\\1")


def posts(ctx: DocContext, found: Found) -> list[Candidate]:
    """`post_candidates` of each sentence, with the tagger's names and the places in it."""
    out: list[Candidate] = []
    for (s, e), tagged, places in zip(ctx.sentences, found.tagged, ctx.in_sentences(found.places),
                                      strict=True):
        out += post_candidates(ctx.text, s, e, tagged, places, ctx.bounds)
    return out


def post_candidates(
    text: str,
    start: int,
    end: int,
    tagged: Sequence[Candidate],
    places: Sequence[Candidate] = (),
    bounds: Collection[int] = (),
) -> list[Candidate]:
    """Post titles, and the name right after a post chain as an Official.

    A title never starts inside a place name: in 杭州市委书记 the 州 is the city's, and the post is
    市委书记 (sharing the 市 with 杭州市). A title shares only a place's administrative ending
    (大连市 + 市长, never 万州 + 州长), and only where a word or a tagged name starts after it
    (`bounds`: jieba's word boundaries), so 房山区 + 长阳镇 holds no 区长."""
    out: list[Candidate] = []
    persons = {(c.start, c.end) for c in tagged if c.type == "Person"}
    person_end = dict(sorted(persons))

    def after(i: int) -> bool:  # a word or a tagged name starts at i
        return i in bounds or i in person_end

    place_spans = [
        (p.start, p.end, _administrative_end(text, p)) for p in places
        if start <= p.start < end
    ]
    non_person = [(c.start, c.end) for c in tagged if c.type != "Person"]
    # 某国外交部 + 发言人, 某公司 + 总经理: a title does not start inside a tagged organisation
    # (a party committee's 委 stays a scope: 某市委 + 书记 is 市委书记)
    bodies = [(c.start, c.end, text[c.end - 1] in ADMIN_ENDS) for c in tagged
              if c.type in ORGANISATIONS and text[c.end - 1] != "委" and start <= c.start < end]
    freq = segment.tokenizer().FREQ
    for title in vocabulary.post_pattern().finditer(text, start, end):
        m = _post_outside_places(title, text, place_spans, after)
        if m is not None and bodies:
            m = _post_outside_places(m, text, bodies, after)
        firm = _FIRM_SCOPE.match(m.group()) if m is not None and m.start() > start else None
        if m is not None and firm is not None and "\u4e00" <= text[m.start() - 1] <= "\u9fff":
            # 某某集团董事长: 集团 ends the firm's name, the post is 董事长
            m = vocabulary.post_pattern().fullmatch(text, m.start() + firm.end(), m.end())
        if (m is not None and m.start() > start and m.group()[0] in _SCOPE_ENDS
                and ((bounds and m.start() not in bounds) or _REPEATED_SCOPE.match(m.group()))):
            # 某县 + 副县长, 华北区 + 董事: a scope's character that ends the word before (a
            # place the gazetteer does not know) is not the title's, if a title is left
            rest = vocabulary.post_pattern().fullmatch(text, m.start() + 1, m.end())
            m = rest if rest is not None and rest.end() - rest.start() >= 2 else m
        if m is None or m.end() - m.start() < 2 or (
                bounds and m.start() not in bounds and not after(m.end())):
            continue  # 万州 + 长江: a title across two words is none
        post = Candidate(m.start(), m.end(), "Post", Method.POST_TITLE, 0.85, PATTERN)
        # a bare two-character title (代表, 委员, 主任) is a post only with a holder named after it
        strong = m.end() - m.start() >= 3 or any(w in m.group() for w in ("长", "书记", "常委"))
        if strong:
            out.append(post)
        spans = names.split_names(text, m.end(), end, max_names=1)
        if not spans:
            continue
        s, e = spans[0]
        e = person_end.get(s, e)  # the tagger knows where a name ends (某某生, not 某某 + 生)
        name = text[s:e]
        tagged_person = any(ps <= s and e <= pe or (ps, pe) == (s, e) for ps, pe in persons)
        blocked = any(ns < e and s < ne for ns, ne in non_person)
        common_word = bool(freq.get(name) or freq.get(name[:2], 0) > 50)
        if tagged_person or (not blocked and not common_word):
            if not strong:
                out.append(post)
            out.append(
                Candidate(
                    s, e, "Official", Method.POST_HOLDER, 0.9 if tagged_person else 0.75, PATTERN
                )
            )
    return out


def _post_outside_places(
    m: re.Match[str], text: str, places: Sequence[tuple[int, int, bool]],
    after: Callable[[int], bool],
) -> re.Match[str] | None:
    """`m` moved out of the place or body it starts inside; None if no title is left. The flag
    of each span says whether its last character is an ending the title may share."""
    for ps, pe, shares in places:
        if ps < m.start() < pe:
            # 重庆市 + 市长: the post starts after the place; 大连 + 市委书记 shares the 市
            rest = vocabulary.post_pattern().fullmatch(text, pe, m.end())
            if rest is not None or not shares:
                return rest
            shared = vocabulary.post_pattern().fullmatch(text, pe - 1, m.end())
            return shared if shared is not None and after(shared.end()) else None
    return m


def _administrative_end(text: str, place: Candidate) -> bool:
    """Whether the place name ends with its administrative ending (大连市, not 万州): the name
    without it still names the same place."""
    name = text[place.start : place.end]
    return name[-1] in ADMIN_ENDS and any(
        p.key == place.key for p in gazetteer.places_named(name[:-1]))
