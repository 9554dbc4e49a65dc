"""The page's share of the store: what a page of its most connected entities draws, read out
with Oxigraph's indexes, as N-Quads; and N-Quads read back as rdflib terms for `zhkg.view`.

The selection is computed in the store (SPARQL and index scans), and only what the page draws is
read out of it: the kept nodes' types, labels and coordinates, the relations among them, and a
bounded sample of their evidence. Reading the whole store into rdflib instead takes minutes and
gigabytes at 100k articles. A small store is read whole. It lives with the store, not with the
page, because it is a store query: `zhkg.view` draws any RDF and never touches the store.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyoxigraph as ox
from rdflib import RDF, BNode, Dataset, Literal, URIRef
from rdflib.term import Node

from zhkg.graph.store import Store
from zhkg.iris import ENTITIES_GRAPH, META_GRAPH, statement_iri
from zhkg.model import ENTITY_TYPES, LINKS
from zhkg.namespace import ARTICLE, SCHEMA, ZHKG

#: On a page of a large store, the evidence of a node or edge is read from this many of its
#: articles (a node's: the first in the store's index; an edge's: the first by graph IRI): the
#: page shows `zhkg.view.MAX_SENTENCES` sentences, each article gives at least one, and an
#: entity named in 50,000 articles must not pull 50,000 evidence nodes out of the store.
PAGE_EVIDENCE_ARTICLES = 5
#: A store this small is read whole for the page (when it has no more entities than the page).
SMALL_STORE_QUADS = 100_000
#: Evidence properties the page reads (the rest, offsets' ends, methods, PROV, stay in the store).
_PAGE_EVIDENCE = ("article", "sentence", "anchorText", "sentenceStart", "startOffset", "denotes",
                  "supports")


def page_nquads(store: Store, *, max_nodes: int | None = 2000) -> bytes:
    """N-Quads of the part of the store that the page needs (see `page_graph`)."""
    # (counting a large store's quads takes as long as reading them: stop past the limit)
    small = sum(1 for _ in itertools.islice(store.quads_for_pattern(None, None, None, None),
                                            SMALL_STORE_QUADS + 1)) <= SMALL_STORE_QUADS
    if max_nodes is None or (small and _entity_count(store) <= max_nodes):
        return ox.serialize(store.quads(), format=ox.RdfFormat.N_QUADS) or b""
    keep = _most_connected_entities(store, max_nodes)
    room = max_nodes - len(keep)
    linked = _most_connected_articles(store, room) if room > 0 else []
    return ox.serialize(_page_quads(store, keep, linked), format=ox.RdfFormat.N_QUADS) or b""


def page_graph(store: Store, *, max_nodes: int | None = 2000) -> Dataset:
    """The part of the store that the page of its `max_nodes` most connected entities needs.

    Returns an rdflib Dataset (article graphs kept, for the relations' sources) that
    `zhkg.view.graph_to_network(..., max_nodes=max_nodes)` turns into the same network as the
    whole store would, except that a node's or edge's sentences and articles come from at most
    `PAGE_EVIDENCE_ARTICLES` of its articles (its `sentence_count` counts those), and an
    official's `posts` name only the posts drawn on the page.
    """

    return _parse_dataset(page_nquads(store, max_nodes=max_nodes))


def _parse_dataset(nquads: bytes) -> Dataset:
    graph = Dataset()
    graph.parse(data=nquads.decode("utf-8"), format="nquads")
    return graph


def _page_types() -> tuple[list[str], list[str]]:
    """(entity classes drawn on the page, predicates drawn as edges), as full IRIs."""
    return [str(ZHKG) + t for t in ENTITY_TYPES], [str(ZHKG) + p for p in LINKS]


def _entity_count(store: Store) -> int:
    classes, _ = _page_types()
    values = " ".join(f"<{c}>" for c in classes)
    rows = list(store.query(
        f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ VALUES ?t {{ {values} }} ?e a ?t }}"))
    return int(rows[0]["n"].value) if rows else 0


def _most_connected_entities(store: Store, limit: int) -> list[str]:
    """The `limit` entities with most distinct edges, ties by IRI: `zhkg.view`'s ranking.

    An article's `mentions` of each entity are counted by Oxigraph (they are distinct as they
    stand). The relations are counted in a stream of their quads, each distinct edge once (an
    entity's relation repeats in every article stating it): the edges are packed into int64 keys
    and made unique with numpy, so memory is 8 bytes an edge. A SPARQL GROUP BY over all the
    distinct edges held them as rows: 2.7 GB at 100,000 articles.
    """
    classes, predicates = _page_types()
    values = " ".join(f"<{c}>" for c in classes)
    typed = {row["e"].value for row in store.query(
        f"SELECT DISTINCT ?e WHERE {{ VALUES ?t {{ {values} }} ?e a ?t . FILTER isIRI(?e) }}")
        if not row["e"].value.startswith(str(ARTICLE))}
    # An article names an entity once in its own graph, so its `mentions` edges are distinct as
    # they stand and Oxigraph counts them per entity without decoding them (most of the edges).
    mentions = str(ZHKG.mentions)
    degrees = {row[0].value: int(row[1].value) for row in store.query(
        f"SELECT ?e (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?a <{mentions}> ?e }} }} GROUP BY ?e")
        if isinstance(row[0], ox.NamedNode)}
    ids: dict[str, int] = {}
    keys = array("q")
    for pid, predicate in enumerate(predicates):
        if predicate == mentions:
            continue
        for q in store.quads_for_pattern(None, ox.NamedNode(predicate), None, None):
            s, o = str(q.subject), str(q.object)
            sid = ids.setdefault(s, len(ids))
            oid = ids.setdefault(o, len(ids))
            keys.append((sid << 34) | (pid << 29) | oid)
    if len(ids) >= 1 << 29 or len(predicates) > 32:
        raise ValueError("too many nodes to rank for the page")
    edges = np.unique(np.frombuffer(keys, dtype=np.int64)) if keys else np.zeros(0, np.int64)
    degree = (np.bincount(edges >> 34, minlength=len(ids))
              + np.bincount(edges & ((1 << 29) - 1), minlength=len(ids)))
    del keys, edges
    terms = list(ids)  # in id order
    for i in np.flatnonzero(degree).tolist():
        if terms[i].startswith("<"):
            degrees[terms[i][1:-1]] = degrees.get(terms[i][1:-1], 0) + int(degree[i])
    scored = [(-d, iri) for iri, d in degrees.items() if d and iri in typed]
    ranked = [iri for _, iri in sorted(scored)[:limit]]
    if len(ranked) < limit:  # entities with no edge at all fill the rest, in IRI order
        seen = set(ranked)
        ranked += sorted(typed - seen)[: limit - len(ranked)]
    return ranked


def _most_connected_articles(store: Store, limit: int) -> list[str]:
    """The `limit` articles with most distinct links to entities, ties by IRI (as `zhkg.view`)."""
    _, predicates = _page_types()
    rows = store.query(f"""
        SELECT ?a (COUNT(*) AS ?degree) WHERE {{
          {{ SELECT DISTINCT ?a ?p ?e WHERE {{
               VALUES ?p {{ {" ".join(f"<{p}>" for p in predicates)} }}
               ?a a <{ZHKG.Article}> ; ?p ?e }} }}
        }}
        GROUP BY ?a ORDER BY DESC(?degree) STR(?a) LIMIT {int(limit)}""")
    return [row["a"].value for row in rows]


def _page_quads(store: Store, keep: list[str], linked: Sequence[str] = ()) -> Iterator[ox.Quad]:
    """The quads the page needs about the kept entities and articles (see `page_graph`)."""
    _, predicates = _page_types()
    edge_predicates = set(predicates)
    kept = set(keep)
    meta = ox.NamedNode(str(META_GRAPH))
    denotes = ox.NamedNode(str(ZHKG.denotes))
    mentions = ox.NamedNode(str(ZHKG.mentions))
    supports = ox.NamedNode(str(ZHKG.supports))
    rdf_subject = ox.NamedNode(str(RDF.subject))
    article_facts = [ox.NamedNode(str(p)) for p in (RDF.type, SCHEMA.identifier,
                                                    SCHEMA.headline, SCHEMA.datePublished)]
    evidence_predicates = [ox.NamedNode(str(ZHKG) + p) for p in _PAGE_EVIDENCE]
    article_predicate = evidence_predicates[0]
    articles: set[ox.NamedNode] = set()
    edges: set[tuple[str, str, str]] = set()

    def expand(evidence: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        """Evidence quads (`denotes`, `supports`) and the evidence's own properties."""
        for q in evidence:
            yield q
            for pred in evidence_predicates:
                for eq in store.quads_for_pattern(q.subject, pred, None, q.graph_name):
                    if pred == article_predicate and isinstance(eq.object, ox.NamedNode):
                        articles.add(eq.object)
                    yield eq

    def sample(evidence: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        """The evidence quads from the first PAGE_EVIDENCE_ARTICLES article graphs, and theirs."""
        by_graph: dict[str, list[ox.Quad]] = {}
        for q in evidence:
            by_graph.setdefault(str(q.graph_name), []).append(q)
        for g in sorted(by_graph)[:PAGE_EVIDENCE_ARTICLES]:
            yield from expand(by_graph[g])

    # An entity's types, labels and codes repeat in every article naming it (a country's in
    # tens of thousands): Oxigraph keeps them DISTINCT on its encoded terms, and only the few
    # distinct facts are decoded. They go in the entities graph; only relations need theirs.
    not_facts = ", ".join(f"<{x}>" for x in sorted(edge_predicates))
    entities = ox.NamedNode(str(ENTITIES_GRAPH))
    for iri in keep:
        node = ox.NamedNode(iri)
        rows = store.query(f"SELECT DISTINCT ?p ?o WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} "
                           f"FILTER (?g != <{meta.value}> && ?p NOT IN ({not_facts})) }}",
                           use_default_graph_as_union=False, prefixes={})
        facts = sorted(((r[0], r[1]) for r in rows), key=lambda po: (str(po[0]), str(po[1])))
        yield from (ox.Quad(node, fp, fo, entities) for fp, fo in facts)
        # Its relations to kept entities, each in (a sample of) the article graphs stating it.
        for edge in sorted(edge_predicates):
            sources: dict[str, int] = {}
            for q in store.quads_for_pattern(node, ox.NamedNode(edge), None, None):
                o = q.object
                if q.graph_name != meta and isinstance(o, ox.NamedNode) and o.value in kept:
                    edges.add((iri, edge, o.value))
                    if sources.get(o.value, 0) < PAGE_EVIDENCE_ARTICLES:
                        sources[o.value] = sources.get(o.value, 0) + 1
                        yield q
        # Its mentions, from PAGE_EVIDENCE_ARTICLES of the articles naming it: the first in the
        # store's index (a fixed order, unlike sorting tens of thousands of article names).
        for m in itertools.islice(store.quads_for_pattern(None, mentions, node, None),
                                  PAGE_EVIDENCE_ARTICLES):
            yield from expand(store.quads_for_pattern(None, denotes, node, m.graph_name))

    # Articles drawn as nodes: their links to the kept entities, in their graphs.
    for iri in linked:
        node = ox.NamedNode(iri)
        articles.add(node)
        for q in store.quads_for_pattern(node, None, None, None):
            o = q.object
            if (q.predicate.value in edge_predicates and isinstance(o, ox.NamedNode)
                    and o.value in kept):
                edges.add((iri, q.predicate.value, o.value))
                yield q

    # Each edge's reified statement (its IRI is a function of the triple), from one of the
    # article graphs stating it, and a sample of its evidence.
    for subject, predicate, obj in sorted(edges):
        stmt = ox.NamedNode(statement_iri(subject, predicate, obj))
        first = next(store.quads_for_pattern(stmt, rdf_subject, None, None), None)
        if first is not None:
            yield from store.quads_for_pattern(stmt, None, None, first.graph_name)
            yield from sample(store.quads_for_pattern(None, supports, stmt, None))

    # The articles drawn or cited by the sampled evidence: their ids and titles.
    for art in sorted(articles, key=str):
        for pred in article_facts:
            yield from store.quads_for_pattern(art, pred, None, None)


class NQuads:
    """N-Quads text read as a source for `graph_to_network`, without an rdflib Dataset.

    pyoxigraph parses, and the terms become rdflib's (what the reader compares with): filling an
    rdflib Dataset from its N-Quads parser took most of the time of drawing a big store's page.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data

    def quads(self, pattern: object = None) -> Iterator[tuple[Node, Node, Node, str | None]]:
        iris: dict[str, URIRef] = {}
        xsd_string = "http://www.w3.org/2001/XMLSchema#string"

        def term(t: Any) -> Node:
            if isinstance(t, ox.NamedNode):
                iri = iris.get(t.value)
                if iri is None:
                    iri = iris[t.value] = URIRef(t.value)
                return iri
            if isinstance(t, ox.Literal):
                if t.language:
                    return Literal(t.value, lang=t.language)
                if t.datatype.value == xsd_string:
                    return Literal(t.value)
                return Literal(t.value, datatype=URIRef(t.datatype.value))
            return BNode(t.value)

        for q in ox.parse(self.data, ox.RdfFormat.N_QUADS):
            g = q.graph_name
            yield (term(q.subject), term(q.predicate), term(q.object),
                   g.value if isinstance(g, ox.NamedNode) else None)
