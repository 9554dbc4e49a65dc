"""The tagger's names: its reading of each sentence, cleaned and filtered, and the rule that
adds them to the candidates.

`reading` runs before any rule (the gazetteer's rule and the posts' read it): the CRF's names
in the news convention (CLUENER's), less loose brackets and leading particles, less those it is
unsure of that do not look like their type; then People's Daily's reading of places and
organisations where the news reading found nothing. `names` is the rule: the reading, with a
body right after a place taking the place in (某市 + 财政局).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace

from zhkg.extract.candidates import LEXICON, TAGGER, Candidate, Found
from zhkg.extract.context import DocContext, Settings, Word
from zhkg.extract.patterns import particle
from zhkg.model import ORGANISATIONS, Method
from zhkg.nlp import gazetteer, segment, vocabulary
from zhkg.nlp.tagger import TaggedSpan

_GENERIC_AFTER = re.compile("企业|行业|产业|零部件|配件|厂家|厂商")
_PLACE_END = re.compile("[省市县区镇乡村州盟旗岛山江河湖海港湾路街道]$|国$")

# Two bodies the tagger reads as one: 市委市政府, 省委省政府.
_TWO_BODIES = re.compile(r"^(.{1,8}?(?:委|政府|局|厅))((?:省|市|县|区|州).{0,8}(?:委|政府|局|厅))$")
#: How a person's role ends (分析师, 驾驶员, 经济学家, 主持人): a tagged post needs less then.
_ROLE_END = frozenset("师员家手者人长官")
#: Marks at a tagged name's edges that are not its own.
_EDGE = frozenset("【】()（）“”\"'‘’《》[]<>·• 　、，。：:；;")
_PAIR = {a: b for x, y in ("【】", "()", "（）", "“”", "《》", "[]", "‘’")
         for a, b in ((x, y), (y, x))}  # a balanced bracket at the edge stays: 某行（601398.sh）
_BRACKETS = re.compile(r"[【】()（）\[\]“”\"《》]+")


def reading(ctx: DocContext) -> tuple[tuple[Candidate, ...], ...]:
    """The tagger's names in each sentence, less those it is unsure of that do not look like
    their type (`_keep_tagged`). A job written before a byline's names (记者 + names) is a post
    here too, as CLUENER marks it."""
    text, settings = ctx.text, ctx.settings
    freq = segment.tokenizer().FREQ
    out: list[tuple[Candidate, ...]] = []
    for (s, _), ws, news, pd in zip(ctx.sentences, ctx.words, ctx.tagged, ctx.tagged_pd,
                                    strict=True):
        local = [(w, a - s, b - s) for w, a, b in ws]
        tagged = [_without_lead(p, local) for t in news for p in _pieces(text, t, s)]
        tagged_pd = [_without_lead(p, local) for t in pd
                     if t.type in settings.pd_types and t.confidence >= settings.pd_sure
                     for p in _pieces(text, t, s)]
        cands = _kept(text, s, tagged, freq, settings)
        # People's Daily's convention marks every place and organisation named (CLUENER's, the
        # news domain, mostly only addresses and some bodies): its reading fills in where the
        # news reading found nothing.
        for t in tagged_pd:
            start, end = t.start + s, t.end + s
            if any(c.start < end and start < c.end for c in cands):
                continue
            type_, key = t.type, None
            if end - start == 1:  # 中美, 京津冀: only a known abbreviation, as its place
                place = gazetteer.abbreviation(text[start]) if t.type == "Place" else None
                if place is None:
                    continue
                type_, key = place.type, place.key
            conf = round(t.confidence, 3)
            cands.append(Candidate(start, end, type_, Method.TAGGER, conf,
                                   _rank(type_, conf, settings), key))
        out.append(tuple(cands))
    return tuple(out)


def names(ctx: DocContext, found: Found) -> list[Candidate]:
    """The tagger's names (`found.tagged`). A tagged body right after a place belongs to it
    (某市 + 财政局, 某地 + 工信部门); a body ending in 部 before 门 is a department (工信部门),
    not the ministry."""
    text = ctx.text
    place_at = {p.end: p for p in found.places}
    out: list[Candidate] = []
    for c in (c for ts in found.tagged for c in ts):
        if c.type not in ORGANISATIONS:
            out.append(c)
            continue
        start, end = c.start, c.end
        if text[end - 1 : end + 1] == "部门":
            end += 1
        p = place_at.get(start)
        if p is not None:
            start = p.start
        out.append(replace(c, start=start, end=end))
    return out


def _looks_like_body(name: str) -> bool:
    """Whether a name ends like a body (a suffix of the vocabulary) or is a central one."""
    found = vocabulary.org_suffix(name)
    if found is None or len(name) < 3:
        return vocabulary.central_body(name) is not None
    # a one-character ending that makes a common word with the character before it (格局, 当局)
    return not (len(found[0]) == 1 and segment.tokenizer().FREQ.get(name[-2:], 0) > 1000)


def _pieces(text: str, t: TaggedSpan, s: int) -> list[TaggedSpan]:
    """A tagged name without the brackets, quotes and dots at its edges (【某某】, 某某·); a
    tagged person with a bracket inside is the names on either side (某某(某某))."""
    start, end = t.start + s, t.end + s
    while start < end and _loose(text[start], text[start + 1 : end]):
        start += 1
    while end > start and _loose(text[end - 1], text[start : end - 1]):
        end -= 1
    spans = [(start, end)]
    if t.type == "Person" and _BRACKETS.search(text, start, end):
        cuts = [start, *(x for m in _BRACKETS.finditer(text, start, end) for x in m.span()), end]
        spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True) if b > a]
    if spans == [(t.start + s, t.end + s)]:
        return [t]
    return [replace(t, start=a - s, end=b - s) for a, b in spans if b > a]


def _loose(ch: str, rest: str) -> bool:
    """An edge character to drop: a bracket or quote whose partner is not in the rest of the
    name, or another mark (·, a comma)."""
    return ch in _EDGE and (ch not in _PAIR or _PAIR[ch] not in rest)


def _without_lead(t: TaggedSpan, words: Sequence[Word]) -> TaggedSpan:
    """A tagged name less the prepositions and conjunctions it starts with, and less all up to
    a 的 inside it (与 + 某某公司, 简陋的 + 乡卫生院): jieba's `words` of its sentence (offsets
    in the sentence, as `t`'s) tell where they end."""
    if t.type == "Person":
        return t  # 于, 向, 但 are surnames too
    i = bisect_left(words, t.start, key=lambda w: w[1])
    pos = cut = t.start
    while i < len(words) and words[i][1] == pos and words[i][2] < t.end:
        word, start, pos = words[i]
        if word == "的" or (start == cut and particle(word)):
            cut = pos
        i += 1
    return t if cut == t.start else replace(t, start=cut)


def _kept(text: str, s: int, spans: Sequence[TaggedSpan], freq: dict[str, int],
          settings: Settings) -> list[Candidate]:
    """The tagged names that `_keep_tagged` keeps, two bodies or two titles run together cut in
    two."""
    out: list[Candidate] = []
    for t in spans:
        start, end = t.start + s, t.end + s
        name = text[start:end]
        conf = round(t.confidence, 3)
        if not _keep_tagged(t.type, name, conf, text, start, end, freq, settings):
            continue
        two = _TWO_BODIES.match(name) if t.type == "GovernmentBody" else None
        if two:
            mid = start + two.end(1)
            out.append(Candidate(start, mid, t.type, Method.TAGGER, conf, TAGGER))
            out.append(Candidate(mid, end, t.type, Method.TAGGER, conf, TAGGER))
            continue
        titles = _titles_run_together(name) if t.type == "Post" else []
        if len(titles) > 1:  # 市委书记 + 市长: two posts, each a title of the vocabulary
            out += [Candidate(start + a, start + b, t.type, Method.TAGGER, conf, TAGGER)
                    for a, b in titles]
            continue
        out.append(Candidate(start, end, t.type, Method.TAGGER, conf,
                             _rank(t.type, conf, settings)))
    return out


def _rank(type_: str, conf: float, settings: Settings) -> int:
    """A sure organisation name competes with the lexicons on length (某国银行 over 某国)."""
    return LEXICON if conf >= settings.sure and type_ in ORGANISATIONS else TAGGER


def _titles_run_together(name: str) -> list[tuple[int, int]]:
    """The spans of the vocabulary titles that `name` is made of, end to end, else []."""
    spans = [(m.start(), m.end()) for m in vocabulary.post_pattern().finditer(name)]
    whole = bool(spans) and spans[0][0] == 0 and spans[-1][1] == len(name) and all(
        a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    return spans if whole else []


def _keep_tagged(
    type_: str, name: str, conf: float, text: str, start: int, end: int, freq: dict[str, int],
    settings: Settings,
) -> bool:
    """Whether to keep a tagged name: a sure one, or one that looks like its type."""
    if type_ == "Post":
        return (conf >= settings.sure or vocabulary.is_post_title(name)
                or (conf >= settings.post_floor and name[-1] in _ROLE_END))
    if type_ == "Company" and _GENERIC_AFTER.match(text, end):
        return False  # 某地汽车 + 零部件企业: a kind of firm, not a firm
    if conf >= settings.sure:
        return True
    if type_ != "Person" and len(name) == 2 and freq.get(name, 0) > 50:
        return False  # 青山, 伟业: a common word, not a name
    if type_ in ("GovernmentBody", "Organization"):
        return _looks_like_body(name)  # 新格局, 中央: a tagged body must end like one
    if type_ == "Place":
        return bool(_PLACE_END.search(name))  # 新兴产业领域: CLUENER's "scene" is wider
    return True
