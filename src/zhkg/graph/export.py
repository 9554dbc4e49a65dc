"""Exports regenerated from the store: graph.ttl, graph.nt, graph.jsonld, graph.trig, graph.nq.

Every file is written from the store's graphs (never patched), atomically, and deterministically:
lines and quads are sorted, so the same store gives byte-identical files and a diff between two
builds shows only what changed. A build reads the article graphs it has just loaded from its
`Spool` instead of the store: the same bytes, without decoding them from RocksDB. The triple
files (ttl, nt, jsonld) hold the union of all graphs; the quad files (trig, nq) keep one named
graph per article plus the entities graph. The bookkeeping graph is left out. pyoxigraph
serialises (rdflib takes minutes on a million triples); the JSON-LD gets its @context by
compacting pyoxigraph's expanded output with the project prefixes.
"""

from __future__ import annotations

import bisect
import itertools
import multiprocessing as mp
import operator
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from zhkg.atomic import atomic_write
from zhkg.children import cpus, kill_workers, wait_futures, worker_setup
from zhkg.graph import jsonld
from zhkg.graph.store import Store
from zhkg.iris import META_GRAPH
from zhkg.namespace import PREFIXES

_META = ox.NamedNode(str(META_GRAPH))

EXPORT_NAMES = ("graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "graph.nq")


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What was written: the files, and the triples (union) and quads (named graphs) in them."""

    paths: dict[str, Path]
    triples: int
    quads: int


#: Bytes of N-Triples lines sorted in memory at a time (~100 MB with the list); a larger store
#: spills sorted runs to disk and merges them, so exporting 70M quads needs the same memory as 1M.
SORT_RUN_BYTES = 64 * 1024 * 1024
#: Bytes of each sorted run read at a time while the runs are merged.
MERGE_BLOCK_BYTES = 256 * 1024
#: Below this many bytes of N-Quads the files are written one after another in this process:
#: starting processes would cost more than it saves.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
#: At most this many processes write Turtle, TriG and the parts of the JSON-LD at a time (there
#: are only three files; the JSON-LD is cut in as many parts as there are processes).
MAX_JOBS = 4

#: The end of an N-Triples line; the lines are kept without it while they are sorted (see
#: `write_exports`) and get it back, or the graph before it, when they are written.
_END = b" .\n"


class Spool:
    """The N-Quads of the article graphs a build loaded, kept on disk in load order, so the
    exports read them back as written instead of from the store (decoding a RocksDB store costs ~5
    µs a quad; these are the same bytes, as `zhkg.graph.rdf` writes Oxigraph's canonical N-Triples).

    Only whole article graphs go in, each exactly as loaded (a graph added twice keeps its last
    version). Graphs not added (unchanged articles of a resumed build, the entities graph) are read
    from the store as before; tests/test_export.py checks that both give the same bytes.
    """

    def __init__(self, directory: Path) -> None:
        self._path = directory / "articles.nq"
        self._file = open(self._path, "w+b")  # noqa: SIM115 - closed by close()
        self._where: dict[str, tuple[int, int]] = {}

    def add(self, graph_iri: str, nquads: bytes) -> None:
        """The whole named graph `graph_iri`: N-Quads lines, each ending in ` <graph_iri> .\n`."""
        self._where[f"<{graph_iri}>"] = (self._file.seek(0, os.SEEK_END), len(nquads))
        self._file.write(nquads)

    def __contains__(self, graph: object) -> bool:
        return str(graph) in self._where

    def triples(self, graph: ox.NamedNode) -> tuple[list[bytes], int]:
        """The graph's N-Triples lines without their " .\n", sorted, no repeats; and the size
        of its N-Quads."""
        offset, size = self._where[str(graph)]
        self._file.flush()
        data = os.pread(self._file.fileno(), size, offset)
        lines = data.split(f" {graph} .\n".encode())
        if lines.pop():
            raise ValueError(f"spooled N-Quads of {graph} not all in that graph")
        return sorted(set(lines)), size

    def close(self) -> None:
        self._file.close()
        self._path.unlink(missing_ok=True)


def write_exports(store: Store, out_dir: str | os.PathLike[str], *,
                  jobs: int | None = None, spool: Spool | None = None) -> ExportSummary:
    """Write every export of the store into `out_dir`; returns the paths and the counts.

    pyoxigraph writes each graph's N-Triples (`Store.dump`, in Rust: formatting terms in Python
    cost as much as reading the store); the N-Quads are those lines sorted graph by graph (graphs
    in order), and the N-Triples the union of all of them through an external merge sort of bytes
    (UTF-8 bytes sort as the code points do). Turtle, TriG and JSON-LD are written from those files
    as they are read back, so memory is bounded by the largest graph, not the store. The bytes are
    those of sorting every line of the store in memory.

    With `jobs` > 1 (default: the CPUs this process may use) and fork available, TriG is written
    by a child process while this one sorts the N-Triples, then Turtle and the parts of the
    JSON-LD by up to `jobs` children at once (they never touch the store); an error in a child
    is raised here. `jobs=1` writes everything in this process. The files are the same bytes.

    With a `spool`, the article graphs in it are read from it rather than from the store.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in EXPORT_NAMES}
    # Every chunk still loading goes in before the store is read, and the loader threads end:
    # the children forked below should not inherit them.
    store.drain(stop=True)
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph()]
    graphs += sorted((g for g in store.named_graphs() if g != _META),
                     key=str)  # as `<iri>`: the order of whole N-Quads lines
    quads = 0
    _remove_stale_work(out)
    with tempfile.TemporaryDirectory(prefix=f".export-{os.getpid()}-", dir=out) as tmp:
        triple_lines = _ExternalSort(Path(tmp), "nt")
        with atomic_write(paths["graph.nq"], "wb", encoding=None) as nq:
            for graph in graphs:
                if spool is not None and graph in spool:
                    assert isinstance(graph, ox.NamedNode)
                    triples, size = spool.triples(graph)
                else:
                    data = store.dump(graph)
                    # A newline byte only ends a line in N-Triples (literals escape theirs), so
                    # every " .\n" is a line's end. The triples sort as their lines do: where one
                    # is the start of another, the longer goes on with a character above the
                    # space after the shorter (`"a"@en` after `"a"`, `_:b12` after `_:b1`).
                    triples = data.split(_END)
                    if triples.pop():
                        raise ValueError(f"pyoxigraph wrote N-Triples not ending in ' .': {graph}")
                    triples.sort()
                    size = len(data)
                if not triples:
                    continue
                quads += len(triples)
                end = _END if isinstance(graph, ox.DefaultGraph) else f" {graph} .\n".encode()
                nq.write(end.join(triples))
                nq.write(end)
                triple_lines.extend(triples, size)
        workers = _jobs(jobs) if paths["graph.nq"].stat().st_size >= PARALLEL_MIN_BYTES else 1
        nt = paths["graph.nt"]
        with _Children(workers) if workers > 1 else _InProcess() as children:
            children.run(_write_rdf, paths["graph.nq"], "nq", paths["graph.trig"], "trig")
            triples_written = triple_lines.write(nt)
            ranges = jsonld.subject_ranges(nt, workers)
            parts = [Path(tmp) / f"jsonld-{i:03d}" for i in range(len(ranges))]
            nonempty = [children.run(jsonld.write_part, nt, start, stop, part)
                        for (start, stop), part in zip(ranges, parts, strict=True)]
            children.run(_write_rdf, nt, "nt", paths["graph.ttl"], "ttl")
            children.wait()
        with atomic_write(paths["graph.jsonld"], "w", encoding="utf-8") as f:
            written = [p for p, has in zip(parts, nonempty, strict=True) if has.result()]
            jsonld.join_parts(written, f)
    return ExportSummary(paths=paths, triples=triples_written, quads=quads)


def _remove_stale_work(out: Path) -> None:
    """Removes the work folders (`.export-PID-*`) that killed runs left in `out`: those whose
    process is gone (another export may be at work in its own)."""
    for folder in out.glob(".export-*"):
        pid = folder.name.split("-")[1]
        if not (pid.isdigit() and _running(int(pid))):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap check: left alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


_FORMATS = {"nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS,
            "ttl": ox.RdfFormat.TURTLE, "trig": ox.RdfFormat.TRIG}


def _write_rdf(source: Path, source_format: str, target: Path, target_format: str) -> None:
    """`target`, atomically: the RDF of `source` written by pyoxigraph with the project prefixes."""
    with atomic_write(target, "wb", encoding=None) as f:
        ox.serialize(ox.parse(path=source, format=_FORMATS[source_format]), f,
                     _FORMATS[target_format], prefixes=PREFIXES)


def _jobs(jobs: int | None) -> int:
    """Processes to write with: `jobs`, or the CPUs this process may use (at most MAX_JOBS);
    1 without fork."""
    if jobs is None:
        jobs = cpus()
    if "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
        return 1  # a daemonic process (a pool's worker) may not start children
    return max(1, min(jobs, MAX_JOBS))


class _Children:
    """Calls run by up to `jobs` forked child processes (`jobs` > 1, fork available).

    Forked like the extraction workers and the page (pipeline.py), so a child starts with this
    process's modules and settings; children only read and write files, never the store. Each
    file is written by its child with `atomic_write`, so an error leaves the previous file, not
    a part of one. Leaving the block waits for every child; left by an error (or Ctrl-C), it
    kills them first, so no child writes once `write_exports` has returned or raised. A child
    dies with this process, even killed (`zhkg.children`).
    """

    def __init__(self, jobs: int) -> None:
        self._pool = ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork"),
                                         initializer=worker_setup, initargs=(os.getpid(),))
        self._futures: list[Future[Any]] = []

    def __enter__(self) -> _Children:
        return self

    def run(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """`fn(*args)` in a child; its result is the Future's."""
        future = self._pool.submit(fn, *args)
        self._futures.append(future)
        return future

    def wait(self) -> None:
        """Waits for every call; raises the error of the first that failed (in call order)."""
        _, pending = wait_futures(self._futures, first_exception=True)
        for future in pending:
            future.cancel()
        wait_futures(pending)
        for future in self._futures:
            error = None if future.cancelled() else future.exception()
            if error is not None:
                raise error

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                self.wait()
        except BaseException:
            kill_workers(self._pool)
            raise
        finally:
            if exc_type is not None:
                kill_workers(self._pool)
            self._pool.shutdown(wait=True, cancel_futures=True)


class _InProcess:
    """`_Children`'s interface for one job: each call runs here as it is made (an error is
    raised at once, and nothing is left to wait for)."""

    def __enter__(self) -> _InProcess:
        return self

    def run(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args))
        return future

    def wait(self) -> None:
        pass

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        pass


class _ExternalSort:
    """Distinct N-Triples lines, sorted in runs of SORT_RUN_BYTES spilled to `work` and merged.

    They come in without their ending (see `_END`) in sorted lists, and are written with it.
    """

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
        # The buffer is a series of sorted lists, which the sort merges (faster than sorting a
        # set, and no line is hashed).
        self.buffer.sort()
        lines = _unique(self.buffer)
        self.buffer = []
        self.size = 0
        return lines

    def _spill(self) -> None:
        run = self.work / f"{self.name}-{len(self.runs):05d}"
        with open(run, "wb") as f:
            _write_lines(f, self._sorted_buffer())
        self.runs.append(run)

    def write(self, path: Path) -> int:
        """Merge into `path`, atomically, each line once; returns the lines written."""
        files = []
        try:
            with atomic_write(path, "wb", encoding=None) as out:
                if not self.runs:
                    lines = self._sorted_buffer()
                    _write_lines(out, lines)
                    return len(lines)
                if self.buffer:
                    self._spill()
                files = [open(run, "rb") for run in self.runs]  # noqa: SIM115
                return _merge(files, out)
        finally:
            for f in files:
                f.close()
            for run in self.runs:
                run.unlink(missing_ok=True)
            self.runs = []
            self.buffer = []


def _write_lines(out: IO[bytes], lines: list[bytes]) -> None:
    if lines:
        out.write(_END.join(lines))
        out.write(_END)


def _unique(lines: list[bytes]) -> list[bytes]:
    """Sorted lines without repeats (each line that differs from the one before it)."""
    keep = itertools.chain((True,), map(operator.ne, itertools.islice(lines, 1, None), lines))
    return list(itertools.compress(lines, keep))


def _merge(runs: Sequence[IO[bytes]], out: IO[bytes]) -> int:
    """Merges sorted files of distinct lines into `out`, each line once; returns the lines.

    MERGE_BLOCK_BYTES of lines are read from each run; every line up to the smallest last line
    of the blocks is in the blocks (the runs are sorted), so those lines are sorted together
    (the sort merges the runs' slices), written, and the blocks read on. Memory is a block per
    run; the work is done by sorting and joining lists, not line by line in Python.
    """
    blocks = [(f, lines) for f in runs if (lines := f.readlines(MERGE_BLOCK_BYTES))]
    count = 0
    while blocks:
        bound = min(lines[-1] for _, lines in blocks)
        batch: list[bytes] = []
        left = []
        for f, lines in blocks:
            cut = bisect.bisect_right(lines, bound)
            batch += lines[:cut]
            rest = lines[cut:] or f.readlines(MERGE_BLOCK_BYTES)
            if rest:
                left.append((f, rest))
        batch.sort()
        unique = _unique(batch)  # the runs share lines
        out.write(b"".join(unique))
        count += len(unique)
        blocks = left
    return count


__all__ = ["EXPORT_NAMES", "SORT_RUN_BYTES", "ExportSummary", "Spool", "write_exports"]
