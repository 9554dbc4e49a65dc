"""The data that flows through zhkg: frozen, slotted, no I/O.

Offsets, not copies, are the provenance: every `Mention` and `Relation` points into the text of one
`Document` with half-open character offsets, the way a spaCy `Span` points into its `Doc`.
Per-document stages return an `Extraction`, a plain picklable value, so a process pool or a Dask
cluster can map them; only `resolve` sees many documents at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal, get_args

# -- the vocabularies, once ---------------------------------------------------------------------
# Entity types and predicates are the ontology's local names (ontology/zhkg.ttl; a test keeps
# them equal). As `Literal`s, mypy rejects a misspelt type where a value is written or compared;
# the tuples are derived from them, in this order (reports list types and predicates in it).

#: The classes of places: the ontology's `Place` and its subclasses. A development zone is a
#: place (rdfs:subClassOf zhkg:Place), though named like a body (某市高新区), and is in no
#: other group: the rules that read a place inside a name say so where they do.
PlaceType = Literal["Place", "Country", "Province", "City", "District", "DevelopmentZone"]
EntityType = Literal[
    PlaceType, "Official", "Person", "Company", "GovernmentBody", "Organization", "Policy", "Post"
]
ENTITY_TYPES: tuple[EntityType, ...] = get_args(EntityType)

#: Each entity class's direct superclass among the entity classes (rdfs:subClassOf in the
#: ontology): a mention typed `Place` and one typed `City` of one entity say it is a City.
SUPERCLASS: dict[EntityType, EntityType] = {
    "Country": "Place",
    "Province": "Place",
    "City": "Place",
    "District": "Place",
    "DevelopmentZone": "Place",
    "Official": "Person",
    "Company": "Organization",
    "GovernmentBody": "Organization",
}


#: The same, looked up by any name (a class read from RDF, say), not only an EntityType.
_SUPERCLASS_OF_NAME: dict[str, EntityType] = {k: v for k, v in SUPERCLASS.items()}


def superclass(type_: str) -> EntityType | None:
    """The direct superclass of an entity class (None for a root class or any other name)."""
    return _SUPERCLASS_OF_NAME.get(type_)


def is_a(type_: str, ancestor: EntityType) -> bool:
    """Whether `type_` is `ancestor` or one of its subclasses."""
    t: str | None = type_
    while t is not None:
        if t == ancestor:
            return True
        t = superclass(t)
    return False


def most_specific(types: Iterable[str]) -> list[str]:
    """Drop every type that another type in the set refines (Place beside City), sorted."""
    present = set(types)
    general = set()
    for t in present:
        parent = superclass(t)
        while parent is not None:
            general.add(parent)
            parent = superclass(parent)
    return sorted(present - general)


#: The type groups the rules and the graph read, each derived from the class hierarchy.
PLACES: tuple[EntityType, ...] = tuple(t for t in ENTITY_TYPES if is_a(t, "Place"))
ORGANISATIONS: tuple[EntityType, ...] = tuple(t for t in ENTITY_TYPES if is_a(t, "Organization"))
PERSONS: tuple[EntityType, ...] = tuple(t for t in ENTITY_TYPES if is_a(t, "Person"))
#: What can act: hold a post's organisation, issue a policy, cooperate.
AGENTS: tuple[EntityType, ...] = (*PLACES, *ORGANISATIONS)

#: Gazetteer division levels (GB/T 2260, ISO 3166) as ontology classes.
LEVEL_TYPES: dict[str, EntityType] = {
    "country": "Country",
    "province": "Province",
    "city": "City",
    "prefecture": "City",
    "district": "District",
    "county": "District",
}

#: Relation predicates, the ontology's property local names.
RelationPredicate = Literal[
    "holdsPost",  # Official -> Post            (org:holds)
    "postIn",  # Post -> GovernmentBody | Place | Company   (org:postIn)
    "locatedIn",  # Company | GovernmentBody | Organization -> Place
    "partOf",  # Place -> Place                 (schema:containedInPlace)
    "issues",  # GovernmentBody | Place -> Policy
    "implements",  # GovernmentBody | Place | Company -> Policy
    "cooperatesWith",  # organisation/place <-> organisation/place
    "subsidiaryOf",  # Company -> Company       (org:subOrganizationOf)
]
#: Predicates whose subject is the article itself (`Relation.subject is None`).
ArticlePredicate = Literal["author", "photographer", "editor", "publisher"]
Predicate = Literal[RelationPredicate, ArticlePredicate]
PREDICATES: tuple[Predicate, ...] = get_args(Predicate)
ARTICLE_PREDICATES: frozenset[Predicate] = frozenset(get_args(ArticlePredicate))
#: Every predicate from an article or an entity to an entity: the relations and `mentions`.
LINKS: tuple[str, ...] = (*PREDICATES, "mentions")


class Method(Enum):
    """How a mention or a relation was read. The value is the provenance label that goes to RDF
    (`zhkg:method`) and to `zhkg extract`; code compares members, never labels, so a label can
    be renamed here alone."""

    TAGGER = "tagger"
    PROPAGATED = "propagated"  # another occurrence of a name found elsewhere in the article
    GAZETTEER = "gazetteer"  # a place (mentions), the administrative hierarchy (partOf)
    CENTRAL_BODY = "gazetteer:central-body"
    BYLINE_PUBLISHER = "pattern:byline-publisher"
    BYLINE_AUTHOR = "pattern:byline-author"
    BYLINE_PHOTOGRAPHER = "pattern:byline-photographer"
    BYLINE_EDITOR = "pattern:byline-editor"
    POST_TITLE = "pattern:post-title"
    POST_HOLDER = "pattern:post-holder"
    POLICY_TITLE = "pattern:policy-title"
    SLOGAN = "pattern:slogan"
    ENUMERATION = "pattern:enumeration"
    COMPANY_SUFFIX = "pattern:company-suffix"
    BRAND_INDUSTRY = "pattern:brand-industry"
    BODY_SET_UP = "pattern:body-set-up"
    COOPERATION_PARTY = "pattern:cooperation-party"
    ZONE = "pattern:zone"
    LOCAL_BODY = "pattern:local-body"
    # relations
    POST_CHAIN = "pattern:post-chain"
    POLICY_TITLE_ISSUER = "pattern:policy-title-issuer"
    POLICY_ISSUES = "pattern:policy-issues"
    POLICY_IMPLEMENTS = "pattern:policy-implements"
    COOPERATION = "pattern:cooperation"
    NAME_PLACE = "pattern:name-place"
    NAME_PARENT = "pattern:name-parent"


#: The byline methods and the article's relation to the person or body each finds.
BYLINE_ROLES: dict[Method, ArticlePredicate] = {
    Method.BYLINE_AUTHOR: "author",
    Method.BYLINE_PHOTOGRAPHER: "photographer",
    Method.BYLINE_EDITOR: "editor",
    Method.BYLINE_PUBLISHER: "publisher",
}


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
    method: str  # a `Method`'s label: "tagger", "gazetteer", "pattern:post-title", ...
    confidence: float
    sentence_start: int = 0
    sentence_end: int = 0


@dataclass(frozen=True, slots=True)
class Mention:
    """A name in the text. `key` is an identity hint from a lexicon (an adcode for a place)."""

    text: str
    type: EntityType
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
    predicate: Predicate
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
    type: EntityType
    aliases: tuple[str, ...] = ()  # other names seen, skos:altLabel@zh
    key: str | None = None
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
