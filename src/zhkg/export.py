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
import itertools
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from zhkg.atomic import atomic_write
from zhkg.rdf import META_GRAPH, PREFIXES
from zhkg.store import Store

_META = ox.NamedNode(str(META_GRAPH))

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


#: Bytes of N-Triples lines sorted in memory at a time (~100 MB with the list); a larger store
#: spills sorted runs to disk and merges them, so exporting 70M quads needs the same memory as 1M.
SORT_RUN_BYTES = 64 * 1024 * 1024
#: Bytes of N-Triples handed to pyoxigraph's JSON-LD writer at a time (cut at a subject boundary).
JSONLD_CHUNK_BYTES = 4 * 1024 * 1024


def write_exports(store: Store, out_dir: str | os.PathLike[str]) -> ExportSummary:
    """Write every export of the store into `out_dir`; returns the paths and the counts.

    pyoxigraph writes each graph's N-Triples (`Store.dump`, in Rust: formatting terms in Python
    cost as much as reading the store); the N-Quads are those lines sorted graph by graph (graphs
    in order), and the N-Triples the union of all of them through an external merge sort of bytes
    (UTF-8 bytes sort as the code points do). Turtle, TriG and JSON-LD are written from those files
    as they are read back, so memory is bounded by the largest graph, not the store. The bytes are
    those of sorting every line of the store in memory.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in EXPORT_NAMES}
    inner = store.inner
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph()]
    graphs += sorted((g for g in inner.named_graphs() if g != _META),
                     key=str)  # as `<iri>`: the order of whole N-Quads lines
    quads = 0
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out) as tmp:
        triple_lines = _ExternalSort(Path(tmp), "nt")
        with atomic_write(paths["graph.nq"], "wb", encoding=None) as nq:
            for graph in graphs:
                data = inner.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
                if not data:
                    continue
                lines = data.splitlines(keepends=True)
                lines.sort()
                quads += len(lines)
                block = b"".join(lines)
                # A newline byte only ends a line in N-Triples (literals escape theirs), so every
                # " .\n" is a line's end: the graph goes in front of it.
                nq.write(block if isinstance(graph, ox.DefaultGraph)
                         else block.replace(b" .\n", f" {graph} .\n".encode()))
                triple_lines.extend(lines, len(data))
        triples = triple_lines.write(paths["graph.nt"])
    with atomic_write(paths["graph.ttl"], "wb", encoding=None) as f:
        ox.serialize(ox.parse(path=paths["graph.nt"], format=ox.RdfFormat.N_TRIPLES), f,
                     ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    with atomic_write(paths["graph.trig"], "wb", encoding=None) as f:
        ox.serialize(ox.parse(path=paths["graph.nq"], format=ox.RdfFormat.N_QUADS), f,
                     ox.RdfFormat.TRIG, prefixes=PREFIXES)
    with atomic_write(paths["graph.jsonld"], "w", encoding="utf-8") as f:
        _write_jsonld(paths["graph.nt"], f)
    return ExportSummary(paths=paths, triples=triples, quads=quads)


class _ExternalSort:
    """Distinct byte lines (each ending in a newline), sorted in runs of SORT_RUN_BYTES spilled to
    `work` and merged."""

    def __init__(self, work: Path, name: str) -> None:
        self.work = work
        self.name = name
        self.runs: list[Path] = []
        self.buffer: list[bytes] = []
        self.size = 0

    def extend(self, lines: list[bytes], size: int) -> None:
        self.buffer += lines
        self.size += size
        if self.size >= SORT_RUN_BYTES:
            self._spill()

    def _sorted_buffer(self) -> list[bytes]:
        lines = sorted(set(self.buffer))
        self.buffer = []
        self.size = 0
        return lines

    def _spill(self) -> None:
        run = self.work / f"{self.name}-{len(self.runs):05d}"
        with open(run, "wb") as f:
            f.write(b"".join(self._sorted_buffer()))
        self.runs.append(run)

    def write(self, path: Path) -> int:
        """Merge into `path`, atomically, each line once; returns the lines written."""
        files = []
        try:
            with atomic_write(path, "wb", encoding=None) as out:
                if not self.runs:
                    lines = self._sorted_buffer()
                    out.write(b"".join(lines))
                    return len(lines)
                if self.buffer:
                    self._spill()
                files = [open(run, "rb") for run in self.runs]  # noqa: SIM115
                unique = (line for line, _ in itertools.groupby(heapq.merge(*files)))
                count = 0
                while batch := list(itertools.islice(unique, 10_000)):
                    out.write(b"".join(batch))
                    count += len(batch)
                return count
        finally:
            for f in files:
                f.close()
            for run in self.runs:
                run.unlink(missing_ok=True)
            self.runs = []
            self.buffer = []


def _write_jsonld(nt_path: Path, out: IO[str]) -> None:
    """`jsonld_with_context` of a sorted N-Triples file, written one node a line.

    The lines come sorted, so each subject's triples are consecutive: pyoxigraph writes a chunk
    of whole subjects as expanded JSON-LD (in Rust), each node is found by its subject's @id, and
    the IRIs of the chunk are compacted on the text (parsing and re-encoding the JSON in Python
    took several times longer). The nodes are those pyoxigraph writes for the whole file at once.
    """
    head, tail = json.dumps({"@context": dict(PREFIXES), "@graph": ["\x00"]},
                            ensure_ascii=False, indent=1).split('"\\u0000"')
    compact = _text_compactor(PREFIXES)
    first = True

    def flush(lines: list[bytes]) -> None:
        nonlocal first
        if not lines:
            return
        data = b"".join(lines)
        text = (ox.serialize(ox.parse(data, format=ox.RdfFormat.N_TRIPLES),
                             format=ox.RdfFormat.JSON_LD) or b"[]").decode("utf-8")
        nodes = _split_nodes(text, _subjects(data))
        out.write((head if first else ",\n  ") + compact(",\n  ".join(nodes)))
        first = False

    carry: list[bytes] = []
    with open(nt_path, "rb") as f:
        while True:
            lines = carry + f.readlines(JSONLD_CHUNK_BYTES)
            if len(lines) == len(carry):  # end of file
                flush(carry)
                break
            # Cut before the last subject's first line: its node may go on in the next read.
            last = lines[-1][: lines[-1].index(b" ") + 1]
            cut = len(lines) - 1
            while cut > 0 and lines[cut - 1].startswith(last):
                cut -= 1
            flush(lines[:cut])
            carry = lines[cut:]
    if first:
        out.write(json.dumps({"@context": dict(PREFIXES), "@graph": []}, ensure_ascii=False,
                             indent=1) + "\n")
    else:
        out.write(tail + "\n")


_SUBJECT = re.compile(rb"^(\S+) ", re.M)


def _subjects(data: bytes) -> list[str]:
    """The @id of each subject of sorted N-Triples, once each, in order."""
    ids = []
    for term, _ in itertools.groupby(_SUBJECT.findall(data)):
        text = term.decode("utf-8")
        ids.append(text[1:-1] if text.startswith("<") else text)
    return ids


def _split_nodes(text: str, subjects: list[str]) -> list[str]:
    """The top-level nodes of pyoxigraph's expanded JSON-LD `[{...},{...}]`, one per subject.

    A node starts `{"@id":"S",` (it has properties); a reference to S elsewhere is `{"@id":"S"}`.
    """
    if not (text.startswith("[{") and text.endswith("}]")):
        raise ValueError(f"unexpected JSON-LD from pyoxigraph: {text[:200]!r}")
    starts = []
    at = 0
    for subject in subjects:
        at = text.find('{"@id":' + json.dumps(subject, ensure_ascii=False) + ",", at)
        if at < 0:
            raise ValueError(f"pyoxigraph wrote no JSON-LD node for {subject}")
        starts.append(at)
        at += 1
    ends = [s - 1 for s in starts[1:]] + [len(text) - 1]
    return [text[s:e] for s, e in zip(starts, ends, strict=True)]


def _text_compactor(prefixes: dict[str, str]) -> Callable[[str], str]:
    """Compacts the IRIs of expanded JSON-LD text as `_Compactor` does on its parsed form.

    Every JSON string that is an IRI under a project namespace (a key, an @id or a @type; a local
    part starting with `//` is left alone) becomes `prefix:local`. The literals' @value strings
    are cut out first and put back untouched; outside them, every string is a keyword, an IRI, a
    blank node or a language tag, so a quote followed by a namespace starts an IRI.
    """
    value = re.compile(r'("@value":"(?:[^"\\]|\\.)*")')
    passes = [('"' + ns, f'"{prefix}:', re.compile('"' + re.escape(ns) + "(?!//)"))
              for prefix, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1]))]

    def compact(text: str) -> str:
        parts = value.split(text)
        # Outside the values, joined by a NUL (JSON escapes control characters) to go in one pass.
        rest = "\x00".join(parts[0::2])
        for start, replacement, pattern in passes:
            if start + "//" in rest:
                rest = pattern.sub(replacement, rest)
            else:  # the common case, several times faster
                rest = rest.replace(start, replacement)
        parts[0::2] = rest.split("\x00")
        return "".join(parts)

    return compact


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


__all__ = ["EXPORT_NAMES", "JSONLD_CHUNK_BYTES", "SORT_RUN_BYTES", "ExportSummary", "RemoveReport",
           "jsonld_with_context", "remove_articles", "sorted_lines", "write_exports"]
