"""ontology/zhkg.ttl and zhkg.namespace.ZHKG stay in sync, documented and aligned."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import PROV, SKOS

from zhkg.model import ENTITY_TYPES, PLACES, PREDICATES, SUPERCLASS
from zhkg.namespace import ORG, SCHEMA, ZHKG

ONTOLOGY = Path(__file__).parents[1] / "ontology" / "zhkg.ttl"
NS = str(ZHKG._NS)
NAMESPACE_TERMS = {name for name in ZHKG.__annotations__ if not name.startswith("_")}
KINDS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ONTOLOGY)


def declared(onto: Graph) -> set[str]:
    return {str(s)[len(NS):] for s in onto.subjects(RDF.type, None)
            if str(s).startswith(NS) and str(s) != NS}


def test_namespace_and_ontology_declare_the_same_terms(onto: Graph) -> None:
    in_ontology = declared(onto)
    assert sorted(NAMESPACE_TERMS - in_ontology) == [], "in namespace.py, not in zhkg.ttl"
    assert sorted(in_ontology - NAMESPACE_TERMS) == [], "in zhkg.ttl, not in namespace.py"


@pytest.mark.parametrize("term", sorted(NAMESPACE_TERMS))
def test_every_term_is_labelled_and_commented(onto: Graph, term: str) -> None:
    iri = URIRef(NS + term)
    kinds = set(onto.objects(iri, RDF.type)) & KINDS
    assert len(kinds) == 1, f"{term}: exactly one of owl:Class/ObjectProperty/DatatypeProperty"
    langs = sorted(lbl.language for lbl in onto.objects(iri, RDFS.label))
    assert langs == ["en", "zh"], f"{term}: one rdfs:label @zh and one @en"
    comments = list(onto.objects(iri, RDFS.comment))
    assert len(comments) == 1 and len(str(comments[0])) > 20
    is_class = kinds == {OWL.Class}
    assert term[0].isupper() == is_class, f"{term}: classes PascalCase, properties camelCase"


def test_every_class_is_aligned(onto: Graph) -> None:
    for cls in onto.subjects(RDF.type, OWL.Class):
        assert list(onto.objects(cls, RDFS.subClassOf)), f"{cls} has no super-class"


ALIGNMENTS = [
    ("Post", RDFS.subClassOf, ORG.Post),
    ("Place", RDFS.subClassOf, SCHEMA.Place),
    ("Person", RDFS.subClassOf, SCHEMA.Person),
    ("Official", RDFS.subClassOf, ZHKG.Person),
    ("Company", RDFS.subClassOf, SCHEMA.Corporation),
    ("Company", RDFS.subClassOf, ORG.FormalOrganization),
    ("GovernmentBody", RDFS.subClassOf, SCHEMA.GovernmentOrganization),
    ("Article", RDFS.subClassOf, SCHEMA.NewsArticle),
    ("Evidence", RDFS.subClassOf, PROV.Entity),
    ("Policy", RDFS.subClassOf, SCHEMA.CreativeWork),
    ("holdsPost", RDFS.subPropertyOf, ORG.holds),
    ("postIn", RDFS.subPropertyOf, ORG.postIn),
    ("partOf", RDFS.subPropertyOf, SCHEMA.containedInPlace),
    ("subsidiaryOf", RDFS.subPropertyOf, ORG.subOrganizationOf),
    ("mentions", RDFS.subPropertyOf, SCHEMA.mentions),
    ("author", RDFS.subPropertyOf, SCHEMA.author),
    ("editor", RDFS.subPropertyOf, SCHEMA.editor),
    ("publisher", RDFS.subPropertyOf, SCHEMA.publisher),
    ("photographer", RDFS.subPropertyOf, SCHEMA.contributor),
    ("article", RDFS.subPropertyOf, PROV.wasDerivedFrom),
    ("adcode", RDFS.subPropertyOf, SKOS.notation),
]


@pytest.mark.parametrize(("term", "relation", "parent"), ALIGNMENTS)
def test_alignment(onto: Graph, term: str, relation: URIRef, parent: URIRef) -> None:
    assert (URIRef(NS + term), relation, parent) in onto


def test_place_subclasses_are_places(onto: Graph) -> None:
    for t in ("Country", "Province", "City", "District", "DevelopmentZone"):
        assert (URIRef(NS + t), RDFS.subClassOf, ZHKG.Place) in onto
    assert set(PLACES) == {"Place", "Country", "Province", "City", "District", "DevelopmentZone"}


def test_the_model_class_hierarchy_is_the_ontologys(onto: Graph) -> None:
    # the groups (PLACES, ORGANISATIONS, PERSONS) and `most_specific` are derived from it
    types = set(ENTITY_TYPES)
    pairs = ((str(s)[len(NS):], str(o)[len(NS):]) for s, o in onto.subject_objects(RDFS.subClassOf))
    in_ontology = {s: o for s, o in pairs if s in types and o in types}
    assert in_ontology == SUPERCLASS


def test_model_vocabulary_is_in_the_ontology(onto: Graph) -> None:
    terms = declared(onto)
    assert set(ENTITY_TYPES) <= terms
    assert set(PREDICATES) <= terms


def test_ontology_uses_only_known_external_namespaces(onto: Graph) -> None:
    # A misspelt schema.org or ORG term would silently align to nothing.
    known = {
        str(SCHEMA): {"NewsArticle", "Place", "Country", "AdministrativeArea", "City", "Person",
                      "Organization", "Corporation", "GovernmentOrganization", "CreativeWork",
                      "location", "containedInPlace", "parentOrganization", "author",
                      "contributor", "editor", "publisher", "mentions", "latitude", "longitude"},
        str(ORG): {"Post", "Organization", "FormalOrganization", "holds", "postIn", "linkedTo",
                   "subOrganizationOf"},
        str(PROV): {"Entity", "Agent", "wasDerivedFrom", "value"},
    }
    for _, p, o in onto:
        if p not in (RDFS.subClassOf, RDFS.subPropertyOf):
            continue
        for ns, names in known.items():
            if str(o).startswith(ns):
                assert str(o)[len(ns):] in names, o
