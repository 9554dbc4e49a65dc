"""How the page draws each kind of node and edge: colours, shapes, the predicates drawn, and the
Chinese names of types and predicates, read from the ontology (`ontology/zhkg.ttl`'s
rdfs:label@zh), never written a second time here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import get_args

from rdflib import RDFS, Graph, Literal

from zhkg.model import LINKS, ArticlePredicate, RelationPredicate
from zhkg.namespace import ZHKG
from zhkg.resources import resource


@dataclass(frozen=True, slots=True)
class TypeStyle:
    """How one entity type looks on the page and in the legend."""

    type: str  # the ontology class
    color: str
    shape: str  # a vis-network shape whose label sits outside, so `size` applies

    @property
    def name(self) -> str:
        """The Chinese name shown in the legend: the class's rdfs:label@zh in the ontology."""
        return ontology_label(self.type)


#: Entity types in legend order. Places share green hues, people warm colours, bodies blue.
TYPE_STYLES: dict[str, TypeStyle] = {t: TypeStyle(t, color, shape) for t, color, shape in (
    ("Country", "#1b5e20", "dot"),
    ("Province", "#2e7d32", "dot"),
    ("City", "#43a047", "dot"),
    ("District", "#9ccc65", "dot"),
    ("DevelopmentZone", "#00897b", "dot"),
    ("Place", "#80cbc4", "dot"),
    ("Official", "#d32f2f", "diamond"),
    ("Person", "#f57c00", "triangle"),
    ("Post", "#f9a825", "star"),
    ("GovernmentBody", "#1565c0", "hexagon"),
    ("Company", "#8e24aa", "square"),
    ("Organization", "#5c6bc0", "square"),
    ("Policy", "#6d4c41", "triangleDown"),
    ("Article", "#757575", "dot"),
)}
ARTICLE = "Article"

#: Relations between entities, drawn as edges (their Chinese names shown on hover).
RELATIONS: tuple[str, ...] = get_args(RelationPredicate)
#: Article -> entity links, drawn only when articles are shown.
ARTICLE_LINKS: tuple[str, ...] = (*get_args(ArticlePredicate), "mentions")
#: Every predicate drawn as an edge (the relations, then the article's links): what
#: `zhkg.graph.select` reads out of the store for the page.
EDGE_PREDICATES: tuple[str, ...] = LINKS


@resource
def _ontology_labels() -> dict[str, str]:
    """The rdfs:label@zh of every class and property of the ontology, by local name."""
    graph = Graph().parse(
        data=resources.files("zhkg").joinpath("ontology").joinpath("zhkg.ttl").read_text(encoding="utf-8"),
        format="turtle")
    ns = str(ZHKG)
    return {str(term)[len(ns):]: str(label) for term, label in graph.subject_objects(RDFS.label)
            if str(term).startswith(ns) and isinstance(label, Literal) and label.language == "zh"}


def ontology_label(term: str) -> str:
    """The Chinese name of an ontology class or property (its local name if it has none)."""
    return _ontology_labels().get(term, term)


def predicate_names() -> dict[str, str]:
    """Each predicate drawn as an edge and its Chinese name, as the page shows it."""
    return {p: ontology_label(p) for p in EDGE_PREDICATES}

