"""The zhkg vocabulary as an rdflib `DefinedNamespace`, mirroring `ontology/zhkg.ttl`.

`_fail = True` makes a misspelt term an error at import time rather than a silent new IRI; a test
keeps this list and the Turtle file in sync.
"""

from __future__ import annotations

from rdflib import RDF, XSD, Namespace, URIRef
from rdflib.namespace import PROV, RDFS, SKOS, DefinedNamespace

#: Where entity, article and graph IRIs live; the same name gives the same IRI in every build.
BASE = "https://w3id.org/zhkg/"
ID = Namespace(BASE + "id/")
ARTICLE = Namespace(BASE + "article/")
GRAPH = Namespace(BASE + "graph/")

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")


class ZHKG(DefinedNamespace):
    """Classes (PascalCase) and properties (camelCase) of the zhkg ontology."""

    _fail = True
    _NS = Namespace(BASE + "ontology#")

    # classes
    Article: URIRef
    Place: URIRef
    Country: URIRef
    Province: URIRef
    City: URIRef
    District: URIRef
    DevelopmentZone: URIRef
    Person: URIRef
    Official: URIRef
    Company: URIRef
    GovernmentBody: URIRef
    Organization: URIRef
    Policy: URIRef
    Post: URIRef
    Evidence: URIRef

    # relations between entities
    holdsPost: URIRef
    postIn: URIRef
    locatedIn: URIRef
    partOf: URIRef
    issues: URIRef
    implements: URIRef
    cooperatesWith: URIRef
    subsidiaryOf: URIRef
    # article -> entity
    author: URIRef
    photographer: URIRef
    editor: URIRef
    publisher: URIRef
    mentions: URIRef

    # place data from the gazetteer
    adcode: URIRef
    latitude: URIRef
    longitude: URIRef
    isoCode: URIRef  # ISO 3166-1 alpha-2 code of a country

    # store bookkeeping (graph <https://w3id.org/zhkg/graph/meta>, never exported)
    contentHash: URIRef

    # article data
    textLength: URIRef

    # provenance: an Evidence node says where a mention or a statement was read
    denotes: URIRef  # Evidence -> entity (a mention)
    supports: URIRef  # Evidence -> rdf:Statement (a relation)
    article: URIRef  # Evidence -> Article
    anchorText: URIRef
    startOffset: URIRef
    endOffset: URIRef
    sentence: URIRef
    sentenceStart: URIRef
    sentenceEnd: URIRef
    method: URIRef
    confidence: URIRef


#: Prefixes used by every serialisation (Turtle, TriG, JSON-LD @context, query output).
PREFIXES: dict[str, str] = {
    "zhkg": str(ZHKG._NS),
    "id": str(ID),
    "article": str(ARTICLE),
    "graph": str(GRAPH),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "skos": str(SKOS),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
}
