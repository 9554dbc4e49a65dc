"""What mention rules propose (`Candidate`), and what a rule sees of the rules before it (`Found`).

A rule is `rule(ctx, found) -> list[Candidate]`: it reads the document's context and, read-only,
what was found before it, and proposes names. The overlap passes (`zhkg.extract.arbitrate`) then
choose among all the candidates by `priority`, length and confidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from zhkg.extract.context import DocContext
from zhkg.model import EntityType, Method

#: Priorities: a pattern knows more than a lexicon, which knows more than the tagger; another
#: occurrence of a name found elsewhere comes last.
PATTERN, LEXICON, TAGGER, PROPAGATED = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed mention: half-open offsets into the document, a type, how it was found."""

    start: int
    end: int
    type: EntityType
    method: Method
    confidence: float
    priority: int
    key: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Found:
    """What the rules before this one found, read-only.

    `tagged` is the tagger's reading of each sentence (`zhkg.extract.rules.tagged.reading`),
    there before any rule runs; `candidates` is everything the earlier rules returned, in order;
    `places` the gazetteer's places among them.
    """

    tagged: tuple[tuple[Candidate, ...], ...]
    candidates: tuple[Candidate, ...] = ()
    places: tuple[Candidate, ...] = ()

    def plus(self, more: Iterable[Candidate]) -> Found:
        """This plus a rule's candidates."""
        more = tuple(more)
        places = tuple(c for c in more if c.method is Method.GAZETTEER)
        return Found(self.tagged, self.candidates + more, self.places + places)


#: The one signature of a mention rule.
Rule = Callable[[DocContext, Found], list[Candidate]]
