"""The mention rules, one file per family, and `MENTION_RULES`: the one place they are listed.

Every rule has one signature, `rule(ctx, found) -> list[Candidate]` (`zhkg.extract.candidates`):
it reads the document (`ctx`: sentences, words, word boundaries, the tagger's names, the
settings) and, read-only, what the rules before it found (`found`: the tagger's reading, every
earlier candidate, the gazetteer's places), and proposes candidates. `find_mentions` runs them
in this order, then the overlap passes of `zhkg.extract.arbitrate` choose among the candidates.

The order matters twice: a rule sees only what the rules before it found, and among candidates
equal in priority, length, confidence and start, the earlier one wins.
"""

from __future__ import annotations

from zhkg.extract.candidates import Rule
from zhkg.extract.rules import bodies, bylines, companies, places, policies, posts, tagged

MENTION_RULES: tuple[Rule, ...] = (
    places.gazetteer_places,  # divisions and countries, resolved by the article's geography
    bodies.central_bodies,  # 国家发改委, 工信部
    bylines.bylines,  # publisher, reporters, photographers, editors
    places.zones,  # a place + a zone suffix: 某市高新区
    bodies.local_bodies,  # a place + a committee, government or department: 某市财政局
    tagged.names,  # the tagger's names, a body taking in the place before it
    posts.posts,  # post titles, and the official named after a chain of them
    policies.policies,  # titles after a drafting or carrying-out verb
    policies.slogans,  # 三去一降一补
    companies.enumerations,  # 甲钢铁乙水泥等企业
    companies.suffixes,  # 某某集团, 某某钢铁公司
    companies.brands,  # 某某铝业
    bodies.set_up,  # 成立某某领导小组
    companies.parties,  # 甲与乙合作, split where a group's stem starts again
)

__all__ = ["MENTION_RULES"]
