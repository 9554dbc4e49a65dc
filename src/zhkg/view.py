"""The interactive page: an RDF graph in the zhkg shape, drawn as a self-contained pyvis page.

Two steps, so that analytics and exports share the first one:

- `graph_to_network` reads the RDF (entities, articles, relations, evidence) into a
  `networkx.MultiDiGraph` whose nodes are things a reader cares about. Evidence nodes, statements
  and article text never become nodes: they are folded into node and edge attributes.
- `write_page` draws that network. pyvis holds the node and edge lists and its package ships the
  vis-network code, but its own template links Bootstrap and vis-network from a CDN and its
  `add_edge` is quadratic; so the lists are filled directly and the page is our own template with
  the shipped vis-network inlined, so it opens from file:// with no network at all.

Everything derived from text reaches the page only as JSON inside a JSON `<script>` block with
`<`, `>` and `&` escaped, and the page puts it into the DOM with `textContent`: a headline
`</script><script>alert(1)</script>` stays a headline.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import networkx as nx
from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from zhkg.atomic import atomic_write_text
from zhkg.errors import InputError, ZhkgError
from zhkg.model import SUPERCLASS, ArticlePredicate, RelationPredicate
from zhkg.namespace import GRAPH, SCHEMA, ZHKG
from zhkg.resources import resource

# -- what is drawn, and how ---------------------------------------------------------------------


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
#: Generic classes lose to a more specific one when a node carries both (Official over Person).
_GENERIC: dict[str, int] = dict.fromkeys(SUPERCLASS.values(), 0)

#: Relations between entities, drawn as edges (their Chinese names shown on hover).
RELATIONS: tuple[str, ...] = get_args(RelationPredicate)
#: Article -> entity links, drawn only when articles are shown.
ARTICLE_LINKS: tuple[str, ...] = (*get_args(ArticlePredicate), "mentions")
#: Every predicate drawn as an edge.
EDGE_PREDICATES: tuple[str, ...] = (*RELATIONS, *ARTICLE_LINKS)


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


#: Past this many drawn nodes the layout is computed in Python and physics stays off, because
#: vis-network's in-browser stabilisation of thousands of nodes takes tens of seconds.
PHYSICS_LIMIT = 400
#: Evidence sentences kept per node or edge: the page lists a few, not the whole corpus.
MAX_SENTENCES = 5
MAX_SENTENCE_CHARS = 240
#: Edge labels are drawn on the canvas only for small graphs, where they can be read.
EDGE_LABEL_LIMIT = 120

_TYPE_BY_IRI: dict[URIRef, str] = {URIRef(str(ZHKG) + t): t for t in TYPE_STYLES}
_PRED_BY_IRI: dict[URIRef, str] = {URIRef(str(ZHKG) + p): p for p in EDGE_PREDICATES}


# -- RDF -> networkx -----------------------------------------------------------------------------


class NQuads:
    """N-Quads text read as a source for `graph_to_network`, without an rdflib Dataset.

    pyoxigraph parses, and the terms become rdflib's (what the reader compares with): filling an
    rdflib Dataset from its N-Quads parser took most of the time of drawing a big store's page.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data

    def quads(self, pattern: object = None) -> Iterator[tuple[Node, Node, Node, str | None]]:
        import pyoxigraph as ox

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


_ARTICLE_GRAPH = str(GRAPH) + "article/"


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
            if name.startswith(_ARTICLE_GRAPH):
                sources[(s, p, o)].add(name[len(_ARTICLE_GRAPH) :])
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


# -- sources: a store or an RDF file ------------------------------------------------------------

#: rdflib parser names by file suffix, for `zhkg view --rdf` / `zhkg stats --rdf`.
RDF_FORMATS = {
    ".trig": "trig",
    ".nq": "nquads",
    ".ttl": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".xml": "xml",
    ".n3": "n3",
}


def load_network(
    *,
    store: str | os.PathLike[str] | None = None,
    rdf: str | os.PathLike[str] | None = None,
    around: str | None = None,
    depth: int = 1,
    article: str | None = None,
    max_nodes: int | None = None,
) -> nx.MultiDiGraph:
    """The network of a store (DIR/store of a build) or of an RDF file, restricted as asked.

    From a store with no restriction but `max_nodes`, only what the page of the most connected
    entities needs is read (`zhkg.pipeline.page_graph`); `around` and `article` read it whole.
    """
    if (store is None) == (rdf is None):
        raise ZhkgError("give either a store or an RDF file")
    graph: Graph
    if rdf is not None:
        graph = _parse_rdf(Path(rdf))
    else:
        from zhkg.pipeline import page_graph
        from zhkg.store import Store

        whole = around is not None or article is not None
        with Store.open(store, read_only=True) as opened:
            graph = page_graph(opened, max_nodes=None if whole else max_nodes)
    return graph_to_network(graph, around=around, depth=depth, article=article, max_nodes=max_nodes)


def _parse_rdf(path: Path) -> Graph:
    from rdflib import Dataset

    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            str(path),
            f"unknown RDF file type {path.suffix!r} (one of {', '.join(sorted(RDF_FORMATS))})",
        )
    dataset = Dataset()
    try:
        if fmt == "json-ld":
            from rdflib.parser import PythonInputSource

            # parsed here and handed over as data, so that rdflib never loads a context itself
            source = PythonInputSource(_offline_json_ld(path), system_id=path.absolute().as_uri())
            dataset.parse(source=source, format=fmt)
        else:
            dataset.parse(path, format=fmt)
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except InputError:
        raise
    except Exception as exc:  # rdflib raises many kinds for bad syntax
        raise InputError(str(path), f"not valid {fmt}: {exc}") from None
    return dataset


def _offline_json_ld(path: Path) -> Any:
    """The JSON of a JSON-LD file whose contexts are all inline.

    A context given by reference (``"@context": "https://..."``, or ``@import``) would make
    rdflib fetch it: reading a file must never reach the network (a file from elsewhere could
    point it at any host, the user's intranet included) nor another local file. zhkg's own
    exports carry their context inline.
    """
    with open(path, "rb") as f:
        data = json.load(f)
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in ("@context", "@import"):
                    for ref in value if isinstance(value, list) else [value]:
                        if isinstance(ref, str):
                            raise InputError(str(path), f"the JSON-LD context {ref!r} is "
                                             "referenced, not inline: zhkg does not fetch "
                                             "contexts (put the context in the file)")
                stack.append(value)
    return data


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


# -- networkx -> page ----------------------------------------------------------------------------


def write_page(
    network: nx.MultiDiGraph,
    path: str | os.PathLike[str],
    *,
    title: str = "zhkg 知识图谱",
    show_articles: bool = False,
    seed: int = 7,
) -> Path:
    """Write the self-contained page for `network` to `path` (UTF-8, atomically); return the path.

    Articles are in the page but hidden behind a toggle unless `show_articles`.
    """
    out = Path(path)
    html = render_page(network, title=title, show_articles=show_articles, seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, html)
    return out


def render_page(
    network: nx.MultiDiGraph,
    *,
    title: str = "zhkg 知识图谱",
    show_articles: bool = False,
    seed: int = 7,
) -> str:
    """The page as a string: template + inlined vis-network + the graph as escaped JSON."""
    from pyvis.network import Network

    data = page_data(network, title=title, show_articles=show_articles, seed=seed)
    net = Network(directed=True, cdn_resources="in_line", height="100%", width="100%")
    # Filled directly: pyvis's add_node/add_edge check every earlier edge, which is quadratic.
    net.nodes = data.pop("nodes")
    net.edges = data.pop("edges")
    net.node_ids = [n["id"] for n in net.nodes]
    net.options = data.pop("options")
    nodes, edges, _, _, _, options = net.get_network_data()
    payload = {**data, "nodes": nodes, "edges": edges, "options": json.loads(options)}
    template = _static("view_page.html")
    replacements = {
        "{{TITLE}}": _html_escape(title),
        "{{VIS_CSS}}": _inline_safe(_pyvis_asset("vis-network.css")),
        "{{PAGE_CSS}}": _inline_safe(_static("view_page.css")),
        "{{VIS_JS}}": _inline_safe(_pyvis_asset("vis-network.min.js")),
        "{{PAGE_JS}}": _inline_safe(_static("view_page.js")),
        "{{DATA}}": script_json(payload),
    }
    # One pass, so text in one replacement can never be read as another placeholder.
    return _substitute(template, replacements)


def page_data(
    network: nx.MultiDiGraph,
    *,
    title: str = "",
    show_articles: bool = False,
    seed: int = 7,
) -> dict[str, Any]:
    """Everything the page script reads: vis nodes and edges, per-node details, legend, options."""
    order = sorted(network.nodes, key=str)
    index = {n: i for i, n in enumerate(order)}
    entity_count = sum(1 for n in order if network.nodes[n]["type"] != ARTICLE)
    positions = _layout(network, seed) if entity_count > PHYSICS_LIMIT else {}
    degree = dict(network.degree())
    nodes: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    article_index: dict[str, int] = {}
    articles: list[dict[str, Any]] = []
    for n in order:
        d = network.nodes[n]
        if d["type"] == ARTICLE:
            article_index[d["article_id"]] = len(articles)
            articles.append(
                {
                    "id": d["article_id"],
                    "title": d.get("title", ""),
                    "published": d.get("published", ""),
                    "node": index[n],
                }
            )
    for n in order:
        d = network.nodes[n]
        style = TYPE_STYLES.get(d["type"], TYPE_STYLES["Place"])
        vis: dict[str, Any] = {
            "id": index[n],
            "label": _short(d.get("label", ""), 14),
            "shape": style.shape,
            "color": style.color,
            "size": _size(_relation_degree(network, n), crowded=bool(positions)),
            "title": _tooltip(d),
            "group": d["type"],
        }
        if n in positions:
            vis["x"], vis["y"] = positions[n]
        nodes.append(vis)
        details.append(
            {
                "iri": d.get("iri", str(n)),
                "type": d["type"],
                "label": d.get("label", ""),
                "aliases": d.get("aliases", []),
                "adcode": d.get("adcode", ""),
                "lat": d.get("lat"),
                "lon": d.get("lon"),
                "posts": d.get("posts", []),
                "sentences": d.get("sentences", []),
                "sentenceCount": d.get("sentence_count", 0),
                "articles": [article_index[a] for a in d.get("articles", []) if a in article_index],
                "published": d.get("published", ""),
                "degree": degree[n],
            }
        )
    edges = []
    edge_details = []
    names = predicate_names()
    small = len(order) <= EDGE_LABEL_LIMIT
    for i, (s, o, key, d) in enumerate(
        sorted(network.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2])))
    ):
        pred = d.get("predicate", str(key))
        word = names.get(pred, pred)
        edge = {
            "id": i,
            "from": index[s],
            "to": index[o],
            "title": f"{word}（{pred}）",
            "pred": pred,
        }
        if small and pred in RELATIONS:
            edge["label"] = word
        edges.append(edge)
        edge_details.append(
            {
                "pred": pred,
                "sentences": d.get("sentences", []),
                "articles": [article_index[a] for a in d.get("articles", []) if a in article_index],
            }
        )
    counts: dict[str, int] = defaultdict(int)
    for d in details:
        counts[d["type"]] += 1
    legend = [
        {"type": t, "name": s.name, "color": s.color, "shape": s.shape, "count": counts[t]}
        for t, s in TYPE_STYLES.items()
        if counts[t]
    ]
    return {
        "title": title,
        "nodes": nodes,
        "edges": edges,
        "details": details,
        "edgeDetails": edge_details,
        "legend": legend,
        "articles": articles,
        "predicates": names,
        "relations": sorted(RELATIONS),
        "showArticles": show_articles,
        "physics": not positions,
        "options": _vis_options(physics=not positions, big=len(order) > 1000),
    }


def _relation_degree(network: nx.MultiDiGraph, n: Any) -> int:
    """Degree over relations only: an entity is not bigger for being mentioned by many articles."""
    if network.nodes[n]["type"] == ARTICLE:
        return int(network.out_degree(n) ** 0.5)
    return sum(1 for *_, k in network.in_edges(n, keys=True) if k in RELATIONS) + sum(
        1 for *_, k in network.out_edges(n, keys=True) if k in RELATIONS
    )


def _size(degree: int, *, crowded: bool) -> float:
    """Area grows with degree, capped so that a hub does not cover its neighbourhood; smaller
    in big (precomputed) layouts, where nodes sit closer together."""
    base, step = (6.0, 3.0) if crowded else (8.0, 5.0)
    return round(min(base + step * math.sqrt(degree), 40.0), 1)


def _tooltip(d: Mapping[str, Any]) -> str:
    """Plain text: vis-network 9 sets a string title with innerText, so it cannot carry markup."""
    style = TYPE_STYLES.get(d["type"])
    lines = [f"{d.get('label', '')}  [{style.name if style else d['type']}]"]
    if d.get("aliases") and d["type"] != ARTICLE:
        lines.append("别名：" + "、".join(d["aliases"][:8]))
    if d.get("adcode"):
        lines.append(f"行政区划代码：{d['adcode']}")
    if d.get("lat") is not None and d.get("lon") is not None:
        lines.append(f"坐标：{d['lat']:.4f}, {d['lon']:.4f}")
    if d.get("posts"):
        lines.append("职务：" + "、".join(d["posts"][:5]))
    if d.get("published"):
        lines.append(f"发布：{d['published']}")
    if d.get("sentences"):
        first = d["sentences"][0]
        source = _short(first["title"] or first["article"], 20)
        lines.append(f"“{_short(first['text'], 60)}”——{source}")
    lines.append("（点击查看详情）")
    return "\n".join(lines)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _vis_options(*, physics: bool, big: bool) -> dict[str, Any]:
    font = "'Noto Sans CJK SC','WenQuanYi Zen Hei','Microsoft YaHei','PingFang SC',sans-serif"
    return {
        "autoResize": True,
        "nodes": {
            "font": {"face": font, "size": 14, "strokeWidth": 3, "strokeColor": "#ffffff"},
            "borderWidth": 1,
            "scaling": {"label": {"enabled": False}},
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "color": {"color": "#b0b7c3", "highlight": "#37474f", "inherit": False},
            "font": {
                "face": font,
                "size": 11,
                "color": "#546e7a",
                "strokeWidth": 2,
                "align": "middle",
            },
            "smooth": False if big else {"enabled": True, "type": "continuous"},
            "width": 1,
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 150,
            "hideEdgesOnDrag": big,
            "hideEdgesOnZoom": big,
            "navigationButtons": False,
            "keyboard": False,
        },
        "physics": {
            "enabled": physics,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -60,
                "springLength": 90,
                "springConstant": 0.06,
                "avoidOverlap": 0.4,
            },
            "stabilization": {"enabled": physics, "iterations": 400, "fit": True},
        },
        "layout": {"improvedLayout": False, "randomSeed": 7},
    }


def _layout(network: nx.MultiDiGraph, seed: int) -> dict[Any, tuple[float, float]]:
    """Positions for big graphs: a spring layout of the entities, articles beside their entities."""
    from zhkg.layout import spring_positions

    entities = [n for n, d in network.nodes(data=True) if d["type"] != ARTICLE]
    simple = nx.Graph()
    simple.add_nodes_from(sorted(entities, key=str))
    simple.add_edges_from(
        (s, o)
        for s, o, k in network.edges(keys=True)
        if k in RELATIONS and s in simple and o in simple
    )
    pos: dict[Any, tuple[float, float]] = dict(spring_positions(simple, seed=seed))
    for n, d in network.nodes(data=True):
        if d["type"] != ARTICLE:
            continue
        linked = [pos[m] for m in network.successors(n) if m in pos]
        if linked:
            pos[n] = (
                round(sum(p[0] for p in linked) / len(linked) + 15, 1),
                round(sum(p[1] for p in linked) / len(linked) - 15, 1),
            )
        else:
            pos[n] = (0.0, 0.0)
    return pos


# -- escaping and assets -------------------------------------------------------------------------

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: Any) -> str:
    """JSON safe inside a `<script>` element: no `</script>`, `<!--` or line separators survive."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text) if _needs_escape(text) else text


def _needs_escape(text: str) -> bool:
    return any(ch in text for ch in _JSON_ESCAPES)


def _html_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


_END_TAG = re.compile(r"</(script|style)", re.IGNORECASE)


def _inline_safe(code: str) -> str:
    """Library code inlined in <script>/<style>: a literal `</script` would end it early.

    Only the end tags are touched (`<\\/script` means the same in a JS string or regex); a blanket
    `</` replacement would change regular expressions in the minified library.
    """
    return _END_TAG.sub(lambda m: "<\\/" + m.group(1), code)


def _substitute(template: str, replacements: Mapping[str, str]) -> str:
    out: list[str] = []
    rest = template
    while True:
        hits = [(rest.find(k), k) for k in replacements if rest.find(k) >= 0]
        if not hits:
            out.append(rest)
            return "".join(out)
        at, key = min(hits)
        out.append(rest[:at])
        out.append(replacements[key])
        rest = rest[at + len(key) :]


def _static(name: str) -> str:
    return resources.files("zhkg").joinpath("static").joinpath(name).read_text(encoding="utf-8")


def _pyvis_asset(name: str) -> str:
    """vis-network as pyvis ships it (pyvis/templates/lib/vis-9.1.2), read from package data."""
    lib = resources.files("pyvis").joinpath("templates").joinpath("lib").joinpath("vis-9.1.2")
    return lib.joinpath(name).read_text(encoding="utf-8")


def iter_names(network: nx.MultiDiGraph) -> Iterable[tuple[str, str]]:
    """(node, name) for every label and alias: what the page's search box matches."""
    for n, d in network.nodes(data=True):
        for name in [d.get("label", ""), *d.get("aliases", [])]:
            if name:
                yield str(n), name
