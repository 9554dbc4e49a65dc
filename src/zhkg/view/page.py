"""The interactive page: a network drawn as one self-contained HTML file.

pyvis holds the node and edge lists and its package ships the vis-network code, but its own
template links Bootstrap and vis-network from a CDN and its `add_edge` is quadratic; so the lists
are filled directly and the page is our own template with the shipped vis-network inlined, so it
opens from file:// with no network at all.

Everything derived from text reaches the page only as JSON inside a JSON `<script>` block with
`<`, `>` and `&` escaped, and the page puts it into the DOM with `textContent`: a headline
`</script><script>alert(1)</script>` stays a headline.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from zhkg.atomic import atomic_write_text
from zhkg.view.layout import spring_positions
from zhkg.view.styles import ARTICLE, RELATIONS, TYPE_STYLES, predicate_names

#: Past this many drawn nodes the layout is computed in Python and physics stays off, because
#: vis-network's in-browser stabilisation of thousands of nodes takes tens of seconds.
PHYSICS_LIMIT = 400
#: Edge labels are drawn on the canvas only for small graphs, where they can be read.
EDGE_LABEL_LIMIT = 120


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
    from pyvis.network import Network  # (jinja2 and more: 0.4 s; only drawing needs it)

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
