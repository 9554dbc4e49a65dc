"""Figures about the graph with networkx: counts, the most central entities, communities; exports
for Gephi (GraphML, GEXF).

Works on the network `zhkg.view.graph_to_network` builds. Centrality and communities are
computed over the entities and their relations only: an article mentioning thirty entities is a
document, not a hub, and would otherwise dominate both rankings.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx

from zhkg.atomic import atomic_write
from zhkg.view.styles import ARTICLE, RELATIONS, TYPE_STYLES

__all__ = ["entity_graph", "format_stats", "stats", "write_gexf", "write_graphml"]


def entity_graph(network: nx.MultiDiGraph) -> nx.Graph:
    """Entities joined by relations, undirected and simple: what centrality should look at."""
    simple = nx.Graph()
    simple.add_nodes_from(
        (n, {"label": d.get("label", ""), "type": d["type"]})
        for n, d in network.nodes(data=True)
        if d["type"] != ARTICLE
    )
    simple.add_edges_from(
        (s, o)
        for s, o, k in network.edges(keys=True)
        if k in RELATIONS and s != o and s in simple and o in simple
    )
    return simple


def stats(network: nx.MultiDiGraph, *, top: int = 10, seed: int = 7) -> dict[str, Any]:
    """Counts by type and predicate, the `top` entities by degree and PageRank, communities.

    Plain JSON-ready values. Ties are broken by IRI and Louvain is seeded, so the same graph
    always gives the same figures.
    """
    graph = entity_graph(network)
    by_type = Counter(d["type"] for _, d in network.nodes(data=True))
    by_predicate = Counter(k for *_, k in network.edges(keys=True))
    order = {t: i for i, t in enumerate(TYPE_STYLES)}

    def entry(n: str, **figures: Any) -> dict[str, Any]:
        d = network.nodes[n]
        return {"iri": n, "label": d.get("label", ""), "type": d["type"], **figures}

    degree = sorted(graph.degree(), key=lambda nd: (-nd[1], nd[0]))[:top]
    pagerank = nx.pagerank(graph) if graph.number_of_edges() else {}
    ranked = sorted(pagerank.items(), key=lambda nr: (-nr[1], nr[0]))[:top]
    components = list(nx.connected_components(graph))
    communities: list[set[str]] = []
    modularity = 0.0
    if graph.number_of_edges():
        communities = [set(c) for c in nx.community.louvain_communities(graph, seed=seed)]
        modularity = nx.community.modularity(graph, communities)
    communities.sort(key=lambda c: (-len(c), min(c)))
    shown = [c for c in communities if len(c) > 1][:top]
    return {
        "nodes": network.number_of_nodes(),
        "edges": network.number_of_edges(),
        "entities": graph.number_of_nodes(),
        "articles": by_type.get(ARTICLE, 0),
        "relations": graph.number_of_edges(),
        "by_type": {t: by_type[t] for t in sorted(by_type, key=lambda t: (order.get(t, 99), t))},
        "by_predicate": dict(sorted(by_predicate.items(), key=lambda kv: (-kv[1], kv[0]))),
        "components": len(components),
        "largest_component": max((len(c) for c in components), default=0),
        "top_degree": [entry(n, degree=d) for n, d in degree],
        "top_pagerank": [entry(n, pagerank=round(r, 6)) for n, r in ranked],
        "community_count": len(communities),
        "modularity": round(modularity, 4),
        "communities": [
            {
                "size": len(c),
                "types": dict(Counter(network.nodes[n]["type"] for n in c).most_common()),
                "members": [
                    network.nodes[n].get("label", "")
                    for n in sorted(c, key=lambda n: (-graph.degree(n), n))[:8]
                ],
            }
            for c in shown
        ],
    }


def format_stats(figures: dict[str, Any]) -> str:
    """The figures as the text `zhkg stats` prints."""
    lines = [
        f"nodes {figures['nodes']}  edges {figures['edges']}  entities {figures['entities']}  "
        f"articles {figures['articles']}  relations {figures['relations']}",
        f"components {figures['components']} (largest {figures['largest_component']})  "
        f"communities {figures['community_count']} (modularity {figures['modularity']})",
        "",
        "by type:",
    ]
    lines += [f"  {t:<16} {n:>7}" for t, n in figures["by_type"].items()]
    lines += ["", "by predicate:"]
    lines += [f"  {p:<16} {n:>7}" for p, n in figures["by_predicate"].items()]
    lines += ["", "most connected (degree):"]
    lines += [f"  {e['degree']:>6}  {e['label']}  [{e['type']}]" for e in figures["top_degree"]]
    lines += ["", "most central (PageRank):"]
    lines += [
        f"  {e['pagerank']:.4f}  {e['label']}  [{e['type']}]" for e in figures["top_pagerank"]
    ]
    lines += ["", "largest communities:"]
    for c in figures["communities"]:
        lines.append(f"  {c['size']:>6}  " + "、".join(c["members"]))
    return "\n".join(lines)


# -- exports for Gephi ---------------------------------------------------------------------------


def write_graphml(network: nx.MultiDiGraph, path: str | os.PathLike[str]) -> Path:
    """GraphML (UTF-8, atomically). Lists and sentences become JSON strings: it has no lists."""
    return _write(nx.generate_graphml(_flat(network)), path)


def write_gexf(network: nx.MultiDiGraph, path: str | os.PathLike[str]) -> Path:
    """GEXF 1.2 for Gephi (UTF-8, atomically), flattened the same way as GraphML, with the
    page's colours so Gephi opens it looking like the page."""
    flat = _flat(network)
    for _, d in flat.nodes(data=True):
        style = TYPE_STYLES.get(str(d.get("type")))
        if style:
            r, g, b = (int(style.color[i : i + 2], 16) for i in (1, 3, 5))
            d["viz"] = {"color": {"r": r, "g": g, "b": b, "a": 1.0}}
    return _write(nx.generate_gexf(flat), path)


def _write(lines: Iterator[str], path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")
    return out


def _flat(network: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose attributes are all str, int, float or bool, with the edge's predicate as its
    label and id, so that Gephi shows what the edge means."""
    flat = nx.MultiDiGraph()
    for n, d in network.nodes(data=True):
        flat.add_node(n, **_scalars(d))
    for s, o, k, d in network.edges(keys=True, data=True):
        attrs = _scalars(d)
        attrs["label"] = str(d.get("predicate", k))
        flat.add_edge(s, o, key=k, **attrs)
    return flat


def _scalars(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, (str, int, float, bool)):
            out[key] = value
        else:
            out[key] = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return out
