"""Entity mentions in one document: the rules propose, the passes choose.

`find_mentions` builds the document's context once (`zhkg.extract.context`), runs the tagger's
reading and every rule of `MENTION_RULES` in order, each seeing what the ones before it found,
and lets the overlap passes (`zhkg.extract.arbitrate.PASSES`) choose: patterns over lexicons
over the tagger, then the longest; places nested inside organisation and policy names are kept
(they carry the place's adcode), and `propagate` finds the other occurrences of names already
found (one sense per discourse), which is how a name the tagger saw once in a clear context is
found everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from zhkg.extract.arbitrate import PASSES, Pass, arbitrate
from zhkg.extract.candidates import Candidate, Found, Rule
from zhkg.extract.context import SETTINGS, DocContext, Settings
from zhkg.extract.rules import MENTION_RULES, tagged
from zhkg.model import BYLINE_ROLES, Document, Mention
from zhkg.nlp.tagger import Tagger


def find_mentions(doc: Document, tagger: Tagger | None = None,
                  settings: Settings = SETTINGS) -> list[Mention]:
    """All mentions in `doc`, sorted by offset, each with its evidence."""
    if not doc.text.strip():
        return []
    return mentions_in(DocContext.of(doc, tagger, settings))


def mentions_in(ctx: DocContext, rules: Sequence[Rule] = MENTION_RULES,
                passes: Sequence[Pass] = PASSES) -> list[Mention]:
    """`find_mentions` of a document whose context is already built; `rules` and `passes`
    replace `MENTION_RULES` and `PASSES` (to try a rule, say)."""
    if not ctx.text.strip():
        return []
    found = Found(tagged.reading(ctx))
    for rule in rules:
        found = found.plus(rule(ctx, found))
    return to_mentions(ctx, arbitrate(ctx, found.candidates, passes))


def to_mentions(ctx: DocContext, chosen: Sequence[Candidate]) -> list[Mention]:
    """The chosen candidates as mentions, sorted; a person named elsewhere with a post is an
    official everywhere (but in the byline)."""
    text = ctx.text
    officials = {text[c.start : c.end] for c in chosen if c.type == "Official"}
    out: list[Mention] = []
    for c in sorted(chosen, key=lambda c: (c.start, -c.end, c.type)):
        type_ = c.type
        if (type_ == "Person" and text[c.start : c.end] in officials
                and c.method not in BYLINE_ROLES):
            type_ = "Official"
        ev = ctx.evidence(c.start, c.end, c.method, c.confidence)
        out.append(Mention(text[c.start : c.end], type_, ev, c.key))
    return out
