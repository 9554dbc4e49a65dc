"""The data that flows through zhkg: frozen, slotted, no I/O.

Offsets, not copies, are the provenance: every `Mention` and `Relation` points into the text of one
`Document` with half-open character offsets, the way a spaCy `Span` points into its `Doc`.
Per-document stages return an `Extraction`, a plain picklable value, so a process pool or a Dask
cluster can map them; only `resolve` sees many documents at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Entity types, the ontology's class local names. Place subtypes first, then the rest.
PLACE_TYPES = ("Place", "Country", "Province", "City", "District", "DevelopmentZone")
ENTITY_TYPES = (
    *PLACE_TYPES,
    "Official",
    "Person",
    "Company",
    "GovernmentBody",
    "Organization",
    "Policy",
    "Post",
)

#: Relation predicates, the ontology's property local names.
#: `author`, `photographer`, `editor` and `publisher` have the article as subject (`subject=None`).
PREDICATES = (
    "holdsPost",  # Official -> Post            (org:holds)
    "postIn",  # Post -> GovernmentBody | Place | Company   (org:postIn)
    "locatedIn",  # Company | GovernmentBody | Organization -> Place
    "partOf",  # Place -> Place                 (schema:containedInPlace)
    "issues",  # GovernmentBody | Place -> Policy
    "implements",  # GovernmentBody | Place | Company -> Policy
    "cooperatesWith",  # organisation/place <-> organisation/place
    "subsidiaryOf",  # Company -> Company       (org:subOrganizationOf)
    "author",  # article -> Person
    "photographer",  # article -> Person
    "editor",  # article -> Person
    "publisher",  # article -> GovernmentBody | Company | Organization
)
ARTICLE_PREDICATES = frozenset({"author", "photographer", "editor", "publisher"})


@dataclass(frozen=True, slots=True)
class Document:
    """One article. `text` is the body that every offset indexes (for JSON Lines: its `text`)."""

    id: str
    text: str
    title: str = ""
    published: str | None = None  # ISO 8601, "2020-09-08T09:21:24" or "2020-09-08"
    source: str = ""  # where it was read: a path, "path:line" for JSON Lines


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where and how a fact was read: the article, the span, the sentence around it."""

    doc_id: str
    start: int  # half-open character offsets into Document.text
    end: int
    method: str  # "tagger", "gazetteer", "pattern:post-title", ...
    confidence: float
    sentence_start: int = 0
    sentence_end: int = 0


@dataclass(frozen=True, slots=True)
class Mention:
    """A name in the text. `key` is an identity hint from a lexicon (an adcode for a place)."""

    text: str
    type: str  # one of ENTITY_TYPES
    evidence: Evidence
    key: str | None = None

    @property
    def start(self) -> int:
        return self.evidence.start

    @property
    def end(self) -> int:
        return self.evidence.end


@dataclass(frozen=True, slots=True)
class Relation:
    """`subject predicate object`; `subject is None` means the article itself (author...)."""

    subject: Mention | None
    predicate: str  # one of PREDICATES
    object: Mention
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the per-document stages found in one document."""

    doc: Document
    mentions: tuple[Mention, ...] = ()
    relations: tuple[Relation, ...] = ()


@dataclass(frozen=True, slots=True)
class Entity:
    """One real thing after resolution, with a stable IRI shared by every build."""

    iri: str
    name: str  # canonical name, becomes rdfs:label@zh
    type: str
    aliases: tuple[str, ...] = ()  # other names seen, skos:altLabel@zh
    key: str | None = None
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
