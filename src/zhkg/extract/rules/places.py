"""Places: the administrative divisions and countries of the gazetteer, resolved by the other
places the article names, and development zones named after a place (某市高新区)."""

from __future__ import annotations

import re
from collections.abc import Collection

from zhkg.extract.candidates import LEXICON, PATTERN, Candidate, Found
from zhkg.extract.context import DocContext
from zhkg.model import Method
from zhkg.nlp import gazetteer

_BODY_AFTER_PLACE = re.compile("[省市县区州]?(?:委|政府|人民政府|人大|政协)")
_BROAD = ("country", "province")
# Characters that follow a place name as words of their own (在大连投资, 大连的企业).
_FUNCTION_CHARS = set("在的和与及是将把对为从向等也都就还又已被让给以于了着过而并或今年月日市")

_ZONE = re.compile(
    r"[^\W与和及同跟、的在对向为]{0,10}?(?:经济技术开发区|高新技术产业开发区|经济开发区|开发区|"
    r"高新区|[\u4e00-\u9fff]开区|保税区|综合保税区|自贸区|自由贸易试验区|新区|工业园区|产业园区|产业园|"
    r"产业基地|配套基地|示范基地)"
)
# A zone's name that goes on is a body's (某新区管委会, 某基地领导小组): not the zone itself.
_ZONE_BODY = re.compile("领导小组|管委会|管理委员会|党工委|工委|办公室|指挥部|建设|暨")


def gazetteer_places(ctx: DocContext, found: Found) -> list[Candidate]:
    """Places from the gazetteer, resolved by the places around them.

    A place must start on a word boundary; a short form (大连, not 大连市) must also end on one,
    unless a party committee or government follows (大连市委), so 惠民 is not read in 惠民生.
    A short form of a city or district must also fit the article's geography (its province, or
    a place inside it, is named too) or be read as a place by the tagger: 保定 in 保定单 is not.
    """
    text, bounds = ctx.text, ctx.bounds
    tagged_places = {(c.start, c.end) for ts in found.tagged for c in ts if c.type == "Place"}
    out: list[Candidate] = []
    matches = [
        m
        for m in gazetteer.find_places(text, bounds)
        if m.start in bounds and (m.full or m.end in bounds or _BODY_AFTER_PLACE.match(text, m.end))
    ]
    context = gazetteer.PlaceContext(
        m.candidates[0].key for m in matches if len(m.candidates) == 1)
    resolved = [(m, context.resolve(m.candidates)) for m in matches]
    anchors = {p.key for m, p in resolved if p is not None and (m.full or p.level in _BROAD)}
    for _ in range(2):  # a supported city supports its districts
        holding = _holding(anchors)
        anchors |= {p.key for m, p in resolved if p is not None and _fits(p, anchors, holding)}
    holding = _holding(anchors)
    for m, place in resolved:
        if place is None:
            continue
        if not (
            m.full
            or place.level in _BROAD
            or (m.start, m.end) in tagged_places
            or _fits(place, anchors, holding, itself=m.full)
            or (place.level == "city" and not _glued(text, m.end, bounds))
        ):
            continue
        conf = 0.95 if len(m.candidates) == 1 else 0.7
        out.append(
            Candidate(m.start, m.end, place.type, Method.GAZETTEER, conf, LEXICON, place.key))
    return out


def zones(ctx: DocContext, found: Found) -> list[Candidate]:
    """Development zones: a place, a short qualifier, a zone suffix (某市高新区, 某某经开区)."""
    text = ctx.text
    out: list[Candidate] = []
    for p in found.places:
        m = _ZONE.match(text, p.end, min(len(text), p.end + 16))
        if m and not _ZONE_BODY.match(text, m.end()):
            out.append(Candidate(p.start, m.end(), "DevelopmentZone", Method.ZONE, 0.8, PATTERN))
    return out


def _glued(text: str, end: int, bounds: Collection[int]) -> bool:
    """Whether a name ending at `end` is followed by a lone character that is no word of its own
    (保定 + 单, 惠民 + 生): the sign that the name was read out of a longer phrase."""
    nxt = text[end : end + 1]
    return (
        bool(nxt)
        and "\u4e00" <= nxt <= "\u9fff"
        and end + 1 in bounds
        and nxt not in _FUNCTION_CHARS
    )


def _holding(anchors: set[str]) -> set[str]:
    """The adcodes of the divisions that contain one of the anchor places."""
    return {a.adcode for k in anchors if k.isdigit() for a in gazetteer.ancestors(k)}


def _fits(place: gazetteer.Place, anchors: set[str], holding: set[str], *,
          itself: bool = True) -> bool:
    """Whether a named place lies in, or contains (`holding`: `_holding(anchors)`), one of the
    article's anchor places; with `itself` false, being an anchor is not enough."""
    if itself and place.key in anchors:
        return True
    if isinstance(place, gazetteer.Country):
        return False
    if any(a.adcode in anchors for a in gazetteer.ancestors(place.adcode)):
        return True
    return place.adcode in holding

