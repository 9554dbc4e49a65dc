"""Every IRI zhkg mints: articles and their named graphs, entities, posts, statements, evidence,
and the store's own graphs.

An IRI is a pure function of what it names, never a counter or a blank node, so every build
(incremental, distributed, on another machine) gives the same thing the same IRI. No character
of a name reaches an IRI: entities are digests of their identity (`zhkg.extract.resolve`
decides what that is), places their gazetteer code, articles their percent-encoded id.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from rdflib import URIRef

from zhkg.namespace import ARTICLE, GRAPH, ID

#: The corpus-level graph of canonical labels and gazetteer facts.
ENTITIES_GRAPH = URIRef(GRAPH["entities"])
#: Store bookkeeping (content hashes); never exported.
META_GRAPH = URIRef(GRAPH["meta"])
#: Where the article graphs' IRIs start.
ARTICLE_GRAPH_PREFIX = str(GRAPH) + "article/"


def article_iri(doc_id: str) -> URIRef:
    return URIRef(ARTICLE + _slug(doc_id))


def article_graph_iri(doc_id: str) -> URIRef:
    """The named graph that holds everything the article states."""
    return URIRef(ARTICLE_GRAPH_PREFIX + _slug(doc_id))


def _slug(doc_id: str) -> str:
    # Article ids come from file names and JSON Lines fields: keep them readable, but never let a
    # space or a '#' break the IRI. A lone surrogate (a file name's undecodable byte, a JSON
    # "\udc80") is percent-encoded too, as its UTF-8-style bytes, rather than fail.
    return quote(doc_id.encode("utf-8", "surrogatepass"), safe="-._~")


def place_iri(code: str) -> str:
    """A place the gazetteer knows: its adcode (`id:place/210200`) or ISO code (`id:place/CN`),
    percent-encoded should a code ever need it."""
    return str(ID["place/" + quote(code, safe="")])


def entity_iri(namespace: str, *key: str) -> str:
    """Any other entity (or a post): a digest of its identity, `id:{namespace}/{digest}`."""
    digest = hashlib.sha1("\x1f".join((namespace, *key)).encode("utf-8", "surrogatepass"))
    return str(ID[f"{namespace}/{digest.hexdigest()[:16]}"])


def _digest(*parts: object) -> str:
    data = "|".join(str(p) for p in parts).encode("utf-8", "surrogatepass")
    return hashlib.sha1(data).hexdigest()[:24]


def statement_iri(subject: str, predicate: str, obj: str) -> str:
    """The IRI of the reified statement of a relation, the same in every article stating it."""
    return f"{ID}statement/{_digest(subject, predicate, obj)}"


def evidence_iri(*parts: object) -> str:
    """An Evidence node: a digest of the article, the span and what it supports or denotes."""
    return f"{ID}evidence/{_digest(*parts)}"
