"""Exports regenerated from the store: graph.ttl, graph.nt, graph.jsonld, graph.trig, graph.nq.

Every file is written from the store (never patched), atomically, and deterministically: lines and
quads are sorted, so the same store gives byte-identical files and a diff between two builds shows
only what changed. The triple files (ttl, nt, jsonld) hold the union of all graphs; the quad files
(trig, nq) keep one named graph per article plus the entities graph. The bookkeeping graph is left
out. pyoxigraph serialises (rdflib takes minutes on a million triples); the JSON-LD gets its
@context by compacting pyoxigraph's expanded output with the project prefixes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from zhkg.atomic import atomic_write_bytes
from zhkg.rdf import PREFIXES
from zhkg.store import Store

EXPORT_NAMES = ("graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "graph.nq")


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What was written: the files, and the triples (union) and quads (named graphs) in them."""

    paths: dict[str, Path]
    triples: int
    quads: int


def sorted_lines(store: Store) -> tuple[list[str], list[str]]:
    """(N-Triples lines of the union, N-Quads lines by graph), sorted, without duplicates."""
    keyed: list[tuple[str, str]] = []
    triple_lines: set[str] = set()
    for q in store.quads():
        spo = f"{q.subject} {q.predicate} {q.object}"
        triple_lines.add(spo + " .")
        if isinstance(q.graph_name, ox.DefaultGraph):
            keyed.append(("", spo + " ."))
        else:
            graph = str(q.graph_name)
            keyed.append((graph, f"{spo} {graph} ."))
    # Graph first, so TriG writes one block per graph.
    keyed.sort()
    return sorted(triple_lines), [line for _, line in keyed]


def write_exports(store: Store, out_dir: str | os.PathLike[str]) -> ExportSummary:
    """Write every export of the store into `out_dir`; returns the paths and the counts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    triple_lines, quad_lines = sorted_lines(store)
    nt = "".join(line + "\n" for line in triple_lines).encode("utf-8")
    nq = "".join(line + "\n" for line in quad_lines).encode("utf-8")
    triples = list(ox.parse(nt, ox.RdfFormat.N_TRIPLES))
    quads = list(ox.parse(nq, ox.RdfFormat.N_QUADS))

    paths = {name: out / name for name in EXPORT_NAMES}
    atomic_write_bytes(paths["graph.nt"], nt)
    atomic_write_bytes(paths["graph.nq"], nq)
    atomic_write_bytes(paths["graph.ttl"],
                       _serialize(triples, ox.RdfFormat.TURTLE))
    atomic_write_bytes(paths["graph.trig"], _serialize(quads, ox.RdfFormat.TRIG))
    atomic_write_bytes(paths["graph.jsonld"], jsonld_with_context(triples))
    return ExportSummary(paths=paths, triples=len(triples), quads=len(quads))


def _serialize(items: list[ox.Triple] | list[ox.Quad], fmt: ox.RdfFormat) -> bytes:
    return ox.serialize(items, format=fmt, prefixes=PREFIXES) or b""


@dataclass(frozen=True, slots=True)
class RemoveReport:
    """Which articles `remove_articles` took out, which it did not find, what is left."""

    removed: list[str]
    missing: list[str]
    triples: int


def remove_articles(out_dir: str | os.PathLike[str], doc_ids: list[str],
                    page: bool = True) -> RemoveReport:
    """Take articles out of a build: drop their graphs, then regenerate everything derived.

    The entities graph is recomputed (an entity only the removed articles named disappears), the
    exports are rewritten and, when the build has a page, so is the page.
    """
    from zhkg import gazetteer, resolve
    from zhkg.errors import StoreError

    out = Path(out_dir)
    if not (out / "store").is_dir():
        raise StoreError(f"{out}: no store here (expected {out / 'store'})")
    with Store.open(out / "store") as store:
        removed = [d for d in doc_ids if store.remove_article(d)]
        missing = [d for d in doc_ids if d not in removed]
        if removed:
            store.refresh_entities(resolve.canonical_name, gazetteer)
            summary = write_exports(store, out)
            if page and (out / "graph.html").exists():
                from zhkg.pipeline import write_page_from_store

                write_page_from_store(store, out / "graph.html")
            triples = summary.triples
        else:
            triples = len({(q.subject, q.predicate, q.object) for q in store.quads()})
    return RemoveReport(removed=removed, missing=missing, triples=triples)


def jsonld_with_context(triples: list[ox.Triple]) -> bytes:
    """JSON-LD whose @context maps the project prefixes, IRIs compacted to `prefix:local`."""
    expanded = json.loads(ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"[]")
    nodes = expanded["@graph"] if isinstance(expanded, dict) else expanded
    compactor = _Compactor(PREFIXES)
    doc = {"@context": dict(PREFIXES), "@graph": [compactor.node(n) for n in nodes]}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


class _Compactor:
    """Shortens IRIs in the places JSON-LD expands them: keys, @id and @type values."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        # Longest namespace first, so graph:article/x never wins over article:x.
        self._prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))

    def iri(self, value: str) -> str:
        for prefix, ns in self._prefixes:
            if value.startswith(ns):
                local = value[len(ns):]
                if not local.startswith("//"):
                    return f"{prefix}:{local}"
        return value

    def node(self, obj: Any) -> Any:
        if isinstance(obj, list):
            return [self.node(x) for x in obj]
        if not isinstance(obj, dict):
            return obj
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if key in ("@id", "@type"):
                out[key] = ([self.iri(v) for v in value] if isinstance(value, list)
                            else self.iri(value))
            elif key.startswith("@"):
                out[key] = value if key in ("@value", "@language") else self.node(value)
            else:
                out[self.iri(key)] = self.node(value)
        return out


__all__ = ["EXPORT_NAMES", "ExportSummary", "RemoveReport", "jsonld_with_context",
           "remove_articles", "sorted_lines",
           "write_exports"]
