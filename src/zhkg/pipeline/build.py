"""From articles to a built output folder: extract, resolve, store, export, draw.

The per-article job (`zhkg.pipeline.work`) is a pure function of one document, so any engine can
map it: a process pool, a Dask cluster (`zhkg.pipeline.engines`). Everything that sees the whole
corpus (the store writes, the canonical labels, the exports and the page) happens once, in this
process. Articles stream through in batches, so memory stays flat however large the corpus.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zhkg.atomic import atomic_write_text
from zhkg.errors import ArticleError, InputError, output_error
from zhkg.extract import resolve
from zhkg.graph.entities import refresh_entities
from zhkg.graph.export import Spool, write_exports
from zhkg.graph.select import page_nquads
from zhkg.graph.store import Store
from zhkg.iris import META_GRAPH, article_graph_iri
from zhkg.model import Document
from zhkg.nlp import gazetteer
from zhkg.pipeline.engines import Engine, batched, engine_named
from zhkg.pipeline.page import PageDrawing, write_page_from_store
from zhkg.pipeline.work import ArticleResult
from zhkg.read import DEFAULT_MAX_ARTICLE_CHARS, content_hash, iter_documents

#: Articles handed to the workers at a time: large enough to keep every core busy, small enough
#: that a batch of results (N-Quads text) stays a few tens of MB.
BATCH = 256



@dataclass
class BuildReport:
    """What a build did, written to DIR/build.json (run metadata stays out of the graph)."""

    inputs: list[str]
    articles_read: int = 0
    articles_loaded: int = 0
    articles_skipped_unchanged: int = 0
    input_errors: list[str] = field(default_factory=list)
    #: Articles read but not built (their extraction raised, or their graph did not load):
    #: {"id", "source", "error"} each. They are not in the store.
    article_errors: list[dict[str, str]] = field(default_factory=list)
    mentions: int = 0
    relations: int = 0
    characters: int = 0
    triples: int = 0
    quads: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    #: CPU seconds (user + system) of each step, this process and the local workers it waited
    #: for (a Dask cluster's workers are not counted).
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    engine: str = "local"
    jobs: int = 1

    @property
    def ok(self) -> bool:
        return not self.input_errors and not self.article_errors


Progress = Callable[[int, int], None]


def build(
    paths: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    on_error: Callable[[InputError], None] | None = None,
    on_progress: Progress | None = None,
    page: bool = True,
    max_nodes: int | None = 2000,
    exports: bool = True,
    max_article_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
) -> BuildReport:
    """Build (or add to) the graph in `out_dir`: store, exports, page and build.json.

    Articles already in the store with the same content are skipped, so a killed build re-run
    finishes the job, and a new folder adds to the graph; an article built again replaces its
    named graph. Inputs that cannot be read, and articles that cannot be built (an exception in
    their extraction, a graph that does not load), are reported through `on_error` (an
    `ArticleError` for the latter) and left out; the rest is built.
    Without `exports`, the export files are not written (a large corpus's exports take as much
    disk as the store several times over; `zhkg export` writes them later) and `triples` is 0.
    An output that cannot be written (a read-only folder, a full disk) raises `OutputError`.
    """
    out = Path(out_dir)
    report = BuildReport(inputs=[str(p) for p in paths], engine=engine)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _build(report, out, jobs=jobs, engine=engine, scheduler=scheduler, on_error=on_error,
               on_progress=on_progress, page=page, max_nodes=max_nodes, exports=exports,
               max_article_chars=max_article_chars)
    except OSError as exc:
        raise output_error(exc, out) from None
    return report


def _build(report: BuildReport, out: Path, *, jobs: int | None, engine: str,
           scheduler: str | None, on_error: Callable[[InputError], None] | None,
           on_progress: Progress | None, page: bool, max_nodes: int | None,
           exports: bool, max_article_chars: int | None) -> None:
    def error(exc: InputError) -> None:
        if isinstance(exc, ArticleError):
            report.article_errors.append({"id": exc.doc_id, "source": exc.path,
                                          "error": exc.reason})
        else:
            report.input_errors.append(str(exc))
        if on_error is not None:
            on_error(exc)

    marks = [(time.perf_counter(), _cpu())]  # wall and CPU seconds at each step's end
    with contextlib.ExitStack() as cleanup, Store.open(out / "store") as store:
        known = store.article_hashes()
        # The exports read this run's article graphs back from a spool beside the output rather
        # than from the store (the same bytes, several times faster); it is deleted at the end.
        spool: Spool | None = None
        for stale in out.glob(".spool-*"):  # left by a killed build (the store's lock is ours)
            shutil.rmtree(stale, ignore_errors=True)
        if exports:
            spool = Spool(Path(cleanup.enter_context(
                tempfile.TemporaryDirectory(prefix=".spool-", dir=out))))
            cleanup.callback(spool.close)

        def todo() -> Iterator[Document]:
            for doc in iter_documents(report.inputs, error, max_chars=max_article_chars):
                report.articles_read += 1
                if known.get(doc.id) == content_hash(doc):
                    report.articles_skipped_unchanged += 1
                    continue
                yield doc

        loading: dict[str, ArticleResult] = {}

        def loaded(last: bool = False) -> None:
            """Wait for the batch still loading; then it counts (and is in the store)."""
            # after the last, no thread lives on into forked children
            for failure in store.drain(stop=last):
                gone = loading.pop(failure.doc_id, None)
                error(ArticleError(failure.doc_id, gone.source if gone else "", failure.reason))
            for r in loading.values():
                report.articles_loaded += 1
                report.mentions += r.mentions
                report.relations += r.relations
                report.characters += r.chars
            if loading and on_progress is not None:
                on_progress(report.articles_loaded, report.articles_read)
            loading.clear()

        def load(results: list[ArticleResult]) -> None:
            # The batch loads in the store's threads while the next batch's results arrive.
            loaded()
            for r in results:
                if r.error:
                    error(ArticleError(r.doc_id, r.source, r.error))
            results = [r for r in results if not r.error]
            data = [r.nquads.encode("utf-8") for r in results]  # once, for the store and spool
            store.replace_articles(
                ((r.doc_id, r.content_hash, d) for r, d in zip(results, data, strict=True)),
                wait=False)
            loading.update((r.doc_id, r) for r in results)
            if spool is not None:
                # (an article whose graph does not load is not in the store, and the exports
                # take only the store's graphs from the spool)
                for r, d in zip(results, data, strict=True):
                    spool.add(str(article_graph_iri(r.doc_id)), d)

        with engine_named(engine, jobs, scheduler) as eng:
            report.jobs = getattr(eng, "jobs", 1)
            for results in _pipelined(eng, batched(todo(), BATCH)):
                load(results)
            loaded(last=True)
        marks.append((time.perf_counter(), _cpu()))
        refresh_entities(store, resolve.canonical_name, gazetteer)
        store.publish_snapshot()  # the complete graph: what `zhkg serve` switches to
        marks.append((time.perf_counter(), _cpu()))
        if page and report.jobs > 1:
            # The page is drawn (rdflib, networkx, pyvis: Python, one core) in another process
            # while this one writes the exports; only the selection reads the store.
            drawing = cleanup.enter_context(
                PageDrawing(page_nquads(store, max_nodes=max_nodes), out / "graph.html",
                             max_nodes))
        else:
            drawing = None
        marks.append((time.perf_counter(), _cpu()))
        if exports:
            summary = write_exports(store, out, jobs=report.jobs, spool=spool)
            report.triples, report.quads = summary.triples, summary.quads
        else:
            report.quads = store.count() - store.count(str(META_GRAPH))
        marks.append((time.perf_counter(), _cpu()))
        if drawing is not None:
            drawing.wait()
        elif page:
            write_page_from_store(store, out / "graph.html", max_nodes=max_nodes)
    marks.append((time.perf_counter(), _cpu()))
    report.seconds = _steps([wall for wall, _ in marks])
    report.cpu_seconds = _steps([cpu for _, cpu in marks])
    meta = {**asdict(report), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "chars_per_second": round(report.characters
                                      / max(report.seconds["extract_and_load"], 1e-9))}
    atomic_write_text(out / "build.json", json.dumps(meta, ensure_ascii=False, indent=2) + "\n")


def _steps(marks: Sequence[float]) -> dict[str, float]:
    """Seconds of each step from the clock at the start and at the end of each: extract and
    load, entities, the page's selection, exports, the page's drawing. With the page drawn
    alongside, `page` is its selection plus the wait after the exports."""
    start, loaded, refreshed, selected, exported, end = marks
    return {"extract_and_load": round(loaded - start, 3), "entities": round(refreshed - loaded, 3),
            "exports": round(exported - selected, 3),
            "page": round(end - exported + selected - refreshed, 3), "total": round(end - start, 3)}


def _cpu() -> float:
    """CPU seconds so far of this process and of its children that have ended."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _pipelined(eng: Engine, batches: Iterator[list[Document]]
               ) -> Iterator[list[ArticleResult]]:
    """Each batch's results, extracting the next batch while this one is loaded into the store.

    At most two batches are in flight, so memory stays bounded.
    """
    pending: Any = None
    for batch in batches:
        handle = eng.submit(batch)
        if pending is not None:
            yield eng.result(pending)
        pending = handle
    if pending is not None:
        yield eng.result(pending)


