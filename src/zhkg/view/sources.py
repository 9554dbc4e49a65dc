"""Where a network comes from: a build's store (only the page's share of it when that is all
that is asked) or an RDF file, read without ever reaching the network.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import networkx as nx
from rdflib import Dataset, Graph
from rdflib.parser import PythonInputSource

from zhkg.errors import InputError, ZhkgError
from zhkg.graph.select import page_graph
from zhkg.graph.store import Store
from zhkg.view.network import graph_to_network

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
    entities needs is read (`zhkg.graph.select.page_graph`); `around` and `article` read it whole.
    """
    if (store is None) == (rdf is None):
        raise ZhkgError("give either a store or an RDF file")
    graph: Graph
    if rdf is not None:
        graph = _parse_rdf(Path(rdf))
    else:
        whole = around is not None or article is not None
        with Store.open(store, read_only=True) as opened:
            graph = page_graph(opened, max_nodes=None if whole else max_nodes)
    return graph_to_network(graph, around=around, depth=depth, article=article, max_nodes=max_nodes)


def _parse_rdf(path: Path) -> Graph:
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            str(path),
            f"unknown RDF file type {path.suffix!r} (one of {', '.join(sorted(RDF_FORMATS))})",
        )
    dataset = Dataset()
    try:
        if fmt == "json-ld":
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

