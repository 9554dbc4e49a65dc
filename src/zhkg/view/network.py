"""RDF to a network: entities, articles, relations and evidence read into a
`networkx.MultiDiGraph` whose nodes are things a reader cares about (the page, the analytics and
the Gephi exports share it). Evidence nodes, statements and article text never become nodes:
they are folded into node and edge attributes. Then the restrictions: around one entity, one
article, the most connected nodes.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.term import Node

from zhkg.errors import ZhkgError
from zhkg.graph.select import NQuads
from zhkg.iris import ARTICLE_GRAPH_PREFIX
from zhkg.model import SUPERCLASS
from zhkg.namespace import SCHEMA, ZHKG
from zhkg.view.styles import ARTICLE, EDGE_PREDICATES, TYPE_STYLES

#: Evidence sentences kept per node or edge: the page lists a few, not the whole corpus.
MAX_SENTENCES = 5
MAX_SENTENCE_CHARS = 240
#: Generic classes lose to a more specific one when a node carries both (Official over Person).
_GENERIC: dict[str, int] = dict.fromkeys(SUPERCLASS.values(), 0)

_TYPE_BY_IRI: dict[URIRef, str] = {URIRef(str(ZHKG) + t): t for t in TYPE_STYLES}
_PRED_BY_IRI: dict[URIRef, str] = {URIRef(str(ZHKG) + p): p for p in EDGE_PREDICATES}


# -- RDF -> networkx -----------------------------------------------------------------------------


def graph_to_network(
    graph: Graph | NQuads,
    *,
    around: str | None = None,
    depth: int = 1,
    article: str | None = None,
    max_nodes: int | None = None,
) -> nx.MultiDiGraph:
    """Read entities, articles and relations from `graph` into a `MultiDiGraph`.

    Nodes are IRIs (strings) carrying `type`, `label`, `iri`, `aliases`, `articles` (ids of the
    articles that mention them), `sentences` (dicts with `text`, `article`, `title`) and, where
    known, `adcode`, `lat`, `lon`, `posts`; article nodes carry `article_id`, `title`,
    `published`. Edges are keyed by predicate and carry `predicate`, `articles`, `sentences`.

    `around` keeps one entity (found by any of its names or its IRI) and what lies within `depth`
    relation steps of it; `article` keeps what one article states; `max_nodes` keeps the most
    connected nodes. A Dataset or ConjunctiveGraph is read as the union of its graphs.
    """
    union, sources = _union(graph)
    net = _Reader(union, sources).network()
    if article is not None:
        net = _restrict_to_article(net, article)
    if around is not None:
        net = _restrict_around(net, around, depth)
    if max_nodes is not None:
        net = _keep_most_connected(net, max_nodes)
    return net


class _Index:
    """The triples of a graph indexed by subject and by predicate, read once.

    Copying a Dataset's union into an rdflib Graph took most of the time for big graphs; the
    reader needs only these four look-ups, which plain dicts answer (duplicates across named
    graphs collapse, insertion order is kept).
    """

    def __init__(self) -> None:
        self.by_subject: dict[Node, dict[Node, dict[Node, None]]] = {}
        self.by_predicate: dict[Node, dict[tuple[Node, Node], None]] = {}

    def add(self, s: Node, p: Node, o: Node) -> None:
        self.by_subject.setdefault(s, {}).setdefault(p, {})[o] = None
        self.by_predicate.setdefault(p, {})[(s, o)] = None

    def subject_objects(self, p: Node) -> Iterable[tuple[Node, Node]]:
        return list(self.by_predicate.get(p, {}))

    def subjects(self, p: Node) -> list[Node]:
        return list(dict.fromkeys(s for s, _ in self.by_predicate.get(p, {})))

    def objects(self, s: Node, p: Node) -> list[Node]:
        return list(self.by_subject.get(s, {}).get(p, {}))

    def value(self, s: Node | None, p: Node) -> Node | None:
        if s is None:
            return None
        return next(iter(self.by_subject.get(s, {}).get(p, {})), None)


def _union(graph: Graph | NQuads) -> tuple[_Index, dict[tuple[Node, Node, Node], set[str]]]:
    """The triples of every named graph, since entity labels and article facts live apart.

    Also which article graphs state each relation, so that a relation read without evidence
    still belongs to its article (for the page's article filter).
    """
    index = _Index()
    sources: dict[tuple[Node, Node, Node], set[str]] = defaultdict(set)
    if not hasattr(graph, "quads"):
        for s, p, o in graph.triples((None, None, None)):
            index.add(s, p, o)
        return index, sources
    for s, p, o, ctx in graph.quads((None, None, None, None)):
        index.add(s, p, o)
        if p in _PRED_BY_IRI:
            name = str(getattr(ctx, "identifier", ctx))
            if name.startswith(ARTICLE_GRAPH_PREFIX):
                sources[(s, p, o)].add(name[len(ARTICLE_GRAPH_PREFIX) :])
    return index, sources


class _Reader:
    """One pass over the triples that matter, indexed by subject."""

    def __init__(self, graph: _Index, sources: Mapping[tuple[Node, Node, Node], set[str]]) -> None:
        self.g = graph
        self.sources = sources
        self.types: dict[Node, str] = {}
        for s, o in graph.subject_objects(RDF.type):
            t = _TYPE_BY_IRI.get(o)  # type: ignore[call-overload]
            if t is None:
                continue
            old = self.types.get(s)
            # the most specific class wins; between two specific ones, the same one every time
            if old is None or (_GENERIC.get(t, 1), t) > (_GENERIC.get(old, 1), old):
                self.types[s] = t
        self.titles: dict[Node, str] = {}
        self.article_ids: dict[Node, str] = {}
        for a, t in self.types.items():
            if t == ARTICLE:
                self.article_ids[a] = _text(graph.value(a, SCHEMA.identifier)) or _local(a)
                self.titles[a] = _text(graph.value(a, SCHEMA.headline))

    def network(self) -> nx.MultiDiGraph:
        net = nx.MultiDiGraph()
        for node, t in sorted(self.types.items(), key=lambda kv: str(kv[0])):
            net.add_node(str(node), **self._node_attrs(node, t))
        self._add_edges(net)
        self._add_evidence(net)
        self._add_posts(net)
        return net

    def _node_attrs(self, node: Node, t: str) -> dict[str, Any]:
        g = self.g
        attrs: dict[str, Any] = {"type": t, "iri": str(node), "articles": [], "sentences": []}
        if t == ARTICLE:
            attrs["article_id"] = self.article_ids[node]
            attrs["title"] = self.titles[node]
            attrs["label"] = self.titles[node] or self.article_ids[node]
            attrs["aliases"] = [self.article_ids[node]]
            published = _text(g.value(node, SCHEMA.datePublished))
            if published:
                attrs["published"] = published
            attrs["articles"] = [self.article_ids[node]]
            return attrs
        labels = sorted({_text(o) for o in g.objects(node, RDFS.label)} - {""})
        alt = {_text(o) for o in g.objects(node, SKOS.altLabel)} - {""}
        # No canonical label (an article graph alone): the fullest surface form stands in.
        label = labels[0] if labels else min(alt, key=lambda s: (-len(s), s), default=_local(node))
        attrs["label"] = label
        attrs["aliases"] = sorted((alt | set(labels)) - {label})
        adcode = _text(g.value(node, ZHKG.adcode))
        if adcode:
            attrs["adcode"] = adcode
        for key, prop in (("lat", ZHKG.latitude), ("lon", ZHKG.longitude)):
            value = g.value(node, prop)
            if isinstance(value, Literal):
                with contextlib.suppress(ValueError):
                    attrs[key] = float(value)
        return attrs

    def _add_edges(self, net: nx.MultiDiGraph) -> None:
        for pred_iri, pred in _PRED_BY_IRI.items():
            for s, o in self.g.subject_objects(pred_iri):
                s_id, o_id = str(s), str(o)
                if s_id in net and o_id in net:
                    arts = sorted(self.sources.get((s, pred_iri, o), ()))
                    net.add_edge(s_id, o_id, key=pred, predicate=pred, articles=arts, sentences=[])
                    if self.types[s] == ARTICLE and self.types[o] != ARTICLE:
                        _add_unique(net.nodes[o_id]["articles"], self.article_ids[s])

    def _add_evidence(self, net: nx.MultiDiGraph) -> None:
        """Fold Evidence nodes into the sentences of the entity or edge they support."""
        g = self.g
        for ev in g.subjects(ZHKG.article):
            art = g.value(ev, ZHKG.article)
            if art is None:
                continue
            art_id = self.article_ids.get(art) or _local(art)
            text = _text(g.value(ev, ZHKG.sentence)) or _text(g.value(ev, ZHKG.anchorText))
            start = g.value(ev, ZHKG.sentenceStart)
            if start is None:  # not `or`: a Literal 0 is falsy
                start = g.value(ev, ZHKG.startOffset)
            record = {
                "text": text[:MAX_SENTENCE_CHARS],
                "article": art_id,
                "title": self.titles.get(art, ""),
                "_start": _int(start),
            }
            targets: list[dict[str, Any]] = []
            for entity in g.objects(ev, ZHKG.denotes):
                if str(entity) in net:
                    targets.append(net.nodes[str(entity)])
            # The statement is either the evidence itself or what it `supports`.
            for stmt in [ev, *g.objects(ev, ZHKG.supports)]:
                s, p, o = (
                    g.value(stmt, RDF.subject),
                    g.value(stmt, RDF.predicate),
                    g.value(stmt, RDF.object),
                )
                pred = _PRED_BY_IRI.get(p) if isinstance(p, URIRef) else None
                if pred and net.has_edge(str(s), str(o), key=pred):
                    targets.append(net.edges[str(s), str(o), pred])
            for target in targets:
                _add_unique(target["articles"], art_id)
                if text:
                    target["sentences"].append(record)
        for _, data in net.nodes(data=True):
            _finish_sentences(data)
        for _, _, data in net.edges(data=True):
            _finish_sentences(data)

    def _add_posts(self, net: nx.MultiDiGraph) -> None:
        """Officials show their posts as words, e.g. "市委书记（大连市委）"."""
        for s, o, pred in net.edges(keys=True):
            if pred != "holdsPost":
                continue
            post = net.nodes[o]
            bodies = [
                net.nodes[b]["label"] for _, b, k in net.out_edges(o, keys=True) if k == "postIn"
            ]
            words = post["label"] + (f"（{'、'.join(sorted(bodies))}）" if bodies else "")
            _add_unique(net.nodes[s].setdefault("posts", []), words)
        for _, data in net.nodes(data=True):  # in one order, whatever order the triples came in
            if "posts" in data:
                data["posts"].sort()


def _text(node: Node | None) -> str:
    return str(node).strip() if node is not None else ""


def _int(node: Node | None) -> int:
    try:
        return int(str(node)) if node is not None else 0
    except ValueError:
        return 0


def _local(node: Node) -> str:
    text = str(node).rstrip("/")
    return text.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _add_unique(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _finish_sentences(data: dict[str, Any]) -> None:
    """Deduplicate, order by article then position, and keep the first few."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for rec in sorted(data.get("sentences", []), key=lambda r: (r["article"], r["_start"])):
        key = (rec["article"], rec["text"])
        if key not in seen:
            seen.add(key)
            kept.append({k: v for k, v in rec.items() if k != "_start"})
    data["sentence_count"] = len(kept)
    data["sentences"] = kept[:MAX_SENTENCES]
    data["articles"] = sorted(data.get("articles", []))


# -- restrictions --------------------------------------------------------------------------------


def find_node(net: nx.MultiDiGraph, name: str) -> str:
    """The node called `name`: its IRI, label or an alias; failing that, a name containing it.

    Ties go to the most connected node, so "大连" finds the city rather than a small company.
    """
    wanted = name.strip().casefold()
    if name in net:
        return name
    exact, partial = [], []
    for node, data in net.nodes(data=True):
        names = [data.get("label", ""), *data.get("aliases", [])]
        folded = [n.casefold() for n in names]
        if wanted in folded:
            exact.append(node)
        elif wanted and any(wanted in n for n in folded):
            partial.append(node)
    found = exact or partial
    if not found:
        raise ZhkgError(f"no entity or article named {name!r} in the graph")
    return str(max(found, key=lambda n: (net.degree(n), -len(str(n)), str(n))))


def _restrict_to_article(net: nx.MultiDiGraph, article: str) -> nx.MultiDiGraph:
    """What one article states: its entities, and the relations it (or the gazetteer) gives."""
    art_node = next(
        (
            n
            for n, d in net.nodes(data=True)
            if d["type"] == ARTICLE and article in (d["article_id"], n, d["title"])
        ),
        None,
    )
    if art_node is None:
        raise ZhkgError(f"no article {article!r} in the graph")
    art_id = net.nodes[art_node]["article_id"]
    keep = {n for n, d in net.nodes(data=True) if art_id in d.get("articles", [])}
    keep.add(art_node)
    sub = net.subgraph(keep).copy()
    drop = [
        (s, o, k)
        for s, o, k, d in sub.edges(keys=True, data=True)
        if d["articles"] and art_id not in d["articles"]
    ]
    sub.remove_edges_from(drop)
    return sub


def _restrict_around(net: nx.MultiDiGraph, name: str, depth: int) -> nx.MultiDiGraph:
    """An entity and its neighbourhood over relations; articles come along but do not bridge."""
    centre = find_node(net, name)
    entities = net.subgraph(n for n, d in net.nodes(data=True) if d["type"] != ARTICLE)
    if centre in entities:
        keep = set(
            nx.single_source_shortest_path_length(
                entities.to_undirected(as_view=True), centre, cutoff=max(depth, 0)
            )
        )
    else:
        keep = {centre} | set(net.successors(centre))
    keep |= {a for n in list(keep) for a in net.predecessors(n) if net.nodes[a]["type"] == ARTICLE}
    return net.subgraph(keep).copy()


def _keep_most_connected(net: nx.MultiDiGraph, max_nodes: int) -> nx.MultiDiGraph:
    """The `max_nodes` entities with most relations; articles kept only if they still link in."""
    if max_nodes <= 0:
        raise ZhkgError("--max-nodes must be positive")
    entities = [n for n, d in net.nodes(data=True) if d["type"] != ARTICLE]
    articles = [n for n, d in net.nodes(data=True) if d["type"] == ARTICLE]
    if len(entities) + len(articles) <= max_nodes:
        return net
    ranked = sorted(entities, key=lambda n: (-net.degree(n), str(n)))
    keep = set(ranked[:max_nodes])
    room = max_nodes - len(keep)
    linked = sorted(
        (a for a in articles if any(m in keep for m in net.successors(a))),
        key=lambda a: (-net.degree(a), str(a)),
    )
    keep |= set(linked[:room])
    return net.subgraph(keep).copy()

