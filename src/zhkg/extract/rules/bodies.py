"""Government and party bodies: the central ones the gazetteer lists (工信部), a place's
committee, government or department (某市委, 某省人民政府, 某市财政局), and a body an article
says was set up (成立某某领导小组)."""

from __future__ import annotations

import re

from zhkg.extract.candidates import LEXICON, PATTERN, Candidate, Found
from zhkg.extract.context import DocContext
from zhkg.extract.patterns import ADMIN_ENDS
from zhkg.model import Method
from zhkg.nlp import vocabulary

_LOCAL_BODY = re.compile(
    "(?:省委|市委|县委|区委|州委|省政府|市政府|县政府|区政府|人民政府|人大常委会|政协|纪委|监委"
    # a department in the place: 某市财政局, 某地工信部门 (a short name, then a body ending)
    r"|[省市县区]?[^\W的和与及在对为将把了从向等]{1,5}?(?:部门|委员会|局|厅|办公室))"
)

# 成立某某领导小组: a body that the article says was set up, named up to its ending.
_SET_UP = re.compile(
    r"(?:成立|设立|组建|成立了|组建了)"
    r"([^\W的了在]{2,40}?(?:领导小组|工作专班|专班|工作组|指挥部|委员会|保障组|办公室))(?=[，。；、,;]|$)"
)


def central_bodies(ctx: DocContext, found: Found) -> list[Candidate]:
    """Central bodies and their abbreviations (国家发改委, 工信部), where a word starts, and not
    a department's name (工信部门)."""
    text = ctx.text
    out: list[Candidate] = []
    for b in vocabulary.find_central_bodies(text):
        if b.start not in ctx.bounds or text[b.end : b.end + 1] == "门":  # 工信部门
            continue
        out.append(
            Candidate(
                b.start, b.end, b.body.type, Method.CENTRAL_BODY, 0.95, LEXICON, b.body.name
            )
        )
    return out


def local_bodies(ctx: DocContext, found: Found) -> list[Candidate]:
    """A place name followed by a party committee, a government or a department (某市委,
    某省人民政府, 某市财政局), ending where a word ends."""
    text, bounds = ctx.text, ctx.bounds
    out: list[Candidate] = []
    for p in found.places:
        m = _LOCAL_BODY.match(text, p.end - 1 if text[p.end - 1] in ADMIN_ENDS else p.end)
        if not m or m.end() not in bounds:
            continue
        # 某市 + 市委 share the 市: "某市委"
        if text[m.end() : m.end() + 2] in ("书记", "常委") or text[m.end() : m.end() + 3] in (
            "副书记",
        ):
            continue  # 某市委书记: a post chain, handled by post_candidates
        out.append(
            Candidate(p.start, m.end(), "GovernmentBody", Method.LOCAL_BODY, 0.85, PATTERN)
        )
    return out


def set_up(ctx: DocContext, found: Found) -> list[Candidate]:
    """A body the article says was set up, in each sentence, named up to its ending."""
    return [
        Candidate(m.start(1), m.end(1), "GovernmentBody", Method.BODY_SET_UP, 0.75, PATTERN)
        for s, e in ctx.sentences
        for m in _SET_UP.finditer(ctx.text, s, e)
    ]
