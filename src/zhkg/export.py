"""Exports regenerated from the store: graph.ttl, graph.nt, graph.jsonld, graph.trig, graph.nq.

Every file is written from the store (never patched), atomically, and deterministically: lines and
quads are sorted, so the same store gives byte-identical files and a diff between two builds shows
only what changed. The triple files (ttl, nt, jsonld) hold the union of all graphs; the quad files
(trig, nq) keep one named graph per article plus the entities graph. The bookkeeping graph is left
out. pyoxigraph serialises (rdflib takes minutes on a million triples); the JSON-LD gets its
@context by compacting pyoxigraph's expanded output with the project prefixes.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from zhkg.atomic import atomic_write
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


#: Lines sorted in memory at a time (two sorts, ~250 bytes a line: ~100 MB); a larger store spills
#: sorted runs to disk and merges them, so exporting 70M quads needs the same memory as 1M.
SORT_RUN_LINES = 200_000
#: Triples handed to pyoxigraph's JSON-LD writer at a time (cut at a subject boundary).
JSONLD_CHUNK = 20_000


def write_exports(store: Store, out_dir: str | os.PathLike[str]) -> ExportSummary:
    """Write every export of the store into `out_dir`; returns the paths and the counts.

    Streams: the sorted N-Triples and N-Quads come from an external merge sort, and Turtle, TriG
    and JSON-LD are written from those files as they are read back, so memory does not grow
    with the store. The bytes are those of sorting everything in memory.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in EXPORT_NAMES}
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out) as tmp:
        # One pass over the store feeds both sorts: iterating the store costs as much as sorting.
        triple_lines = _ExternalSort(Path(tmp), "nt")
        quad_lines = _ExternalSort(Path(tmp), "nq")
        for q in store.quads():
            spo = f"{q.subject} {q.predicate} {q.object}"
            triple_lines.add(spo + " .\n")
            # Graph first (then the line), so TriG writes one block per graph.
            if isinstance(q.graph_name, ox.DefaultGraph):
                quad_lines.add("\x00" + spo + " .\n")
            else:
                graph = str(q.graph_name)
                quad_lines.add(f"{graph}\x00{spo} {graph} .\n")
        triples = triple_lines.write(paths["graph.nt"], unique=True)
        quads = quad_lines.write(paths["graph.nq"], unique=False, strip_key=True)
    with atomic_write(paths["graph.ttl"], "wb", encoding=None) as f:
        ox.serialize(ox.parse(path=paths["graph.nt"], format=ox.RdfFormat.N_TRIPLES), f,
                     ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    with atomic_write(paths["graph.trig"], "wb", encoding=None) as f:
        ox.serialize(ox.parse(path=paths["graph.nq"], format=ox.RdfFormat.N_QUADS), f,
                     ox.RdfFormat.TRIG, prefixes=PREFIXES)
    with atomic_write(paths["graph.jsonld"], "w", encoding="utf-8") as f:
        _write_jsonld(ox.parse(path=paths["graph.nt"], format=ox.RdfFormat.N_TRIPLES), f)
    return ExportSummary(paths=paths, triples=triples, quads=quads)


class _ExternalSort:
    """Lines (each ending in a newline) sorted in runs of SORT_RUN_LINES spilled to `work`."""

    def __init__(self, work: Path, name: str) -> None:
        self.work = work
        self.name = name
        self.runs: list[Path] = []
        self.buffer: list[str] = []

    def add(self, line: str) -> None:
        self.buffer.append(line)
        if len(self.buffer) >= SORT_RUN_LINES:
            self._spill()

    def _spill(self) -> None:
        self.buffer.sort()
        run = self.work / f"{self.name}-{len(self.runs):05d}"
        with open(run, "w", encoding="utf-8") as f:
            f.writelines(self.buffer)
        self.runs.append(run)
        self.buffer.clear()

    def write(self, path: Path, *, unique: bool, strip_key: bool = False) -> int:
        """Merge into `path`, atomically; returns lines written. With `strip_key`, everything up
        to the first NUL of a line is its sort key and is not written."""
        files = []
        try:
            if self.runs:
                if self.buffer:
                    self._spill()
                files = [open(run, encoding="utf-8") for run in self.runs]  # noqa: SIM115
                merged: Iterable[str] = heapq.merge(*files)
            else:
                self.buffer.sort()
                merged = self.buffer
            count = 0
            previous = None
            with atomic_write(path, "w", encoding="utf-8", newline="") as out:
                for line in merged:
                    if unique and line == previous:
                        continue
                    previous = line
                    out.write(line[line.index("\x00") + 1 :] if strip_key else line)
                    count += 1
        finally:
            for f in files:
                f.close()
            for run in self.runs:
                run.unlink(missing_ok=True)
            self.buffer = []
        return count


def _write_jsonld(triples: Iterable[ox.Triple], out: IO[str]) -> None:
    """`jsonld_with_context` of sorted triples, written node by node.

    The triples come sorted, so each subject's triples are consecutive and pyoxigraph writes one
    node per subject whether it sees them all at once or in subject-aligned chunks.
    """
    head, tail = json.dumps({"@context": dict(PREFIXES), "@graph": ["\x00"]},
                            ensure_ascii=False, indent=1).split('"\\u0000"')
    compactor = _Compactor(PREFIXES)
    first = True

    def flush(chunk: list[ox.Triple]) -> None:
        nonlocal first
        if not chunk:
            return
        expanded = json.loads(ox.serialize(chunk, format=ox.RdfFormat.JSON_LD) or b"[]")
        nodes = expanded["@graph"] if isinstance(expanded, dict) else expanded
        for node in nodes:
            # One node per line: diffable, and without `indent` json uses its C encoder (5x).
            text = json.dumps(compactor.node(node), ensure_ascii=False, separators=(",", ":"))
            out.write(("" if first else ",\n  ") + text)
            first = False

    chunk: list[ox.Triple] = []
    for t in triples:
        if len(chunk) >= JSONLD_CHUNK and t.subject != chunk[-1].subject:
            if first:
                out.write(head)
            flush(chunk)
            chunk = []
        chunk.append(t)
    if first and not chunk:
        out.write(json.dumps({"@context": dict(PREFIXES), "@graph": []}, ensure_ascii=False,
                             indent=1) + "\n")
        return
    if first:
        out.write(head)
    flush(chunk)
    out.write(tail + "\n")


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


__all__ = ["EXPORT_NAMES", "JSONLD_CHUNK", "SORT_RUN_LINES", "ExportSummary", "RemoveReport",
           "jsonld_with_context", "remove_articles", "sorted_lines", "write_exports"]
