"""From articles to a built output folder: extract, resolve, store, export, draw.

`extract_document` and `process_document` are pure functions of one document, so any engine can map
them: a process pool here, a Dask cluster in `zhkg.engines`. Everything that sees the whole corpus
(the store writes, the canonical labels, the exports and the page) happens once, in this process.
Articles stream through in batches, so memory stays flat however large the corpus.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zhkg import gazetteer, rdf
from zhkg.atomic import atomic_write, atomic_write_text
from zhkg.children import future_result, kill_workers, pool_result, worker_setup
from zhkg.errors import ArticleError, EngineError, InputError, output_error
from zhkg.export import Spool, write_exports
from zhkg.extract import resolve
from zhkg.extract.context import DocContext
from zhkg.extract.mentions import mentions_in
from zhkg.extract.relations import find_relations
from zhkg.model import Document, Extraction
from zhkg.rdf import META_GRAPH, article_graph_iri
from zhkg.read import DEFAULT_MAX_ARTICLE_CHARS, content_hash, iter_documents
from zhkg.resources import warm
from zhkg.store import Store

#: Articles handed to the workers at a time: large enough to keep every core busy, small enough
#: that a batch of results (N-Quads text) stays a few tens of MB.
BATCH = 256


def extract_document(doc: Document) -> Extraction:
    """Mentions and relations of one document. Pure: same document, same extraction."""
    ctx = DocContext.of(doc)
    mentions = mentions_in(ctx)
    relations = find_relations(ctx, mentions)
    return Extraction(doc, tuple(mentions), tuple(relations))


def extraction_record(ex: Extraction) -> dict[str, Any]:
    """The `zhkg extract` JSON line for one document."""
    def name(m: Any) -> str:
        return ex.doc.id if m is None else str(m.text)

    return {
        "id": ex.doc.id,
        "mentions": [
            {"text": m.text, "type": m.type, "start": m.start, "end": m.end,
             "method": m.evidence.method, "confidence": m.evidence.confidence}
            for m in ex.mentions
        ],
        "relations": [
            {"subject": name(r.subject), "predicate": r.predicate, "object": r.object.text,
             "start": r.evidence.start, "end": r.evidence.end, "method": r.evidence.method,
             "confidence": r.evidence.confidence}
            for r in ex.relations
        ],
    }


@dataclass(frozen=True, slots=True)
class ArticleResult:
    """What a worker sends back for one article: small, picklable, ready to load; or, with an
    `error`, why it could not be built (and no N-Quads)."""

    doc_id: str
    content_hash: str
    nquads: str
    mentions: int
    relations: int
    chars: int
    source: str = ""
    error: str = ""


def process_document(doc: Document) -> ArticleResult:
    """Extract one document and render its named graph as N-Quads (pure; runs on any worker).

    An exception is this article's failure, never the batch's: it comes back as the result's
    `error`, and the build leaves the article out, named, and goes on.
    """
    digest = content_hash(doc)
    try:
        ex = extract_document(doc)
        nquads = rdf.article_nquads(ex, resolve.iris(ex))
    except Exception as exc:
        return ArticleResult(doc.id, digest, "", 0, 0, len(doc.text), doc.source,
                             f"cannot extract: {_describe(exc)}")
    return ArticleResult(doc.id, digest, nquads, len(ex.mentions), len(ex.relations),
                         len(doc.text), doc.source)


def _describe(exc: BaseException) -> str:
    """The exception and where it was raised (the innermost frame), for a one-line report."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


# -- engines -------------------------------------------------------------------------------------

Mapper = Callable[[list[Document]], list[ArticleResult]]


def _batched(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    for d in docs:
        batch.append(d)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class LocalEngine:
    """A process pool (fork, so workers share the warmed models) or, with one job, this process."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs or default_jobs()
        self._pool: Any = None

    def __enter__(self) -> LocalEngine:
        warm()
        if self.jobs > 1:
            import multiprocessing as mp

            ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp
            try:
                self._pool = ctx.Pool(self.jobs, initializer=worker_setup,
                                      initargs=(os.getpid(),))
            except OSError as exc:
                raise EngineError(f"cannot start {self.jobs} worker processes: "
                                  f"{exc.strerror or exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate() if exc[0] else self._pool.close()
            self._pool.join()

    def submit(self, docs: list[Document]) -> Any:
        """Start extracting a batch in the pool (with one job: extract it now); see `result`."""
        if self._pool is None:
            return [process_document(d) for d in docs]
        chunk = max(1, len(docs) // (self.jobs * 4))
        return self._pool.map_async(process_document, docs, chunksize=chunk)

    def result(self, handle: Any) -> list[ArticleResult]:
        """The results of a submitted batch, in document order."""
        return handle if isinstance(handle, list) else list(pool_result(handle))

    def map(self, docs: list[Document]) -> list[ArticleResult]:
        return self.result(self.submit(docs))


# -- build -----------------------------------------------------------------------------------------


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

        with _engine(engine, jobs, scheduler) as eng:
            report.jobs = getattr(eng, "jobs", 1)
            for results in _pipelined(eng, _batched(todo(), BATCH)):
                load(results)
            loaded(last=True)
        marks.append((time.perf_counter(), _cpu()))
        store.refresh_entities(resolve.canonical_name, gazetteer)
        marks.append((time.perf_counter(), _cpu()))
        if page and report.jobs > 1:
            # The page is drawn (rdflib, networkx, pyvis: Python, one core) in another process
            # while this one writes the exports; only the selection reads the store.
            drawing = cleanup.enter_context(
                _PageDrawing(page_nquads(store, max_nodes=max_nodes), out / "graph.html",
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


def _pipelined(eng: Any, batches: Iterator[list[Document]]) -> Iterator[list[ArticleResult]]:
    """Each batch's results, extracting the next batch while this one is loaded into the store.

    At most two batches are in flight, so memory stays bounded; an engine with only `map` (no
    `submit`/`result`) runs one batch at a time.
    """
    if not hasattr(eng, "submit"):
        for batch in batches:
            yield eng.map(batch)
        return
    pending: Any = None
    for batch in batches:
        handle = eng.submit(batch)
        if pending is not None:
            yield eng.result(pending)
        pending = handle
    if pending is not None:
        yield eng.result(pending)


def _engine(engine: str, jobs: int | None, scheduler: str | None) -> Any:
    if engine == "local":
        return LocalEngine(jobs)
    if engine == "dask":
        try:
            from zhkg.engines import DaskEngine
        except ImportError as exc:
            raise EngineError(
                f"--engine dask needs dask.distributed: pip install 'zhkg[dask]' ({exc})"
            ) from None
        return DaskEngine(scheduler=scheduler, jobs=jobs)
    raise ValueError(f"unknown engine {engine!r} (local or dask)")


#: On a page of a large store, the evidence of a node or edge is read from this many of its
#: articles (a node's: the first in the store's index; an edge's: the first by graph IRI): the
#: page shows `zhkg.view.MAX_SENTENCES` sentences, each article gives at least one, and an
#: entity named in 50,000 articles must not pull 50,000 evidence nodes out of the store.
PAGE_EVIDENCE_ARTICLES = 5
#: A store this small is read whole for the page (when it has no more entities than the page).
SMALL_STORE_QUADS = 100_000
#: Evidence properties the page reads (the rest, offsets' ends, methods, PROV, stay in the store).
_PAGE_EVIDENCE = ("article", "sentence", "anchorText", "sentenceStart", "startOffset", "denotes",
                  "supports")


def write_page_from_store(store: Any, path: Path, *, max_nodes: int | None = 2000) -> None:
    """The interactive page of the store: its `max_nodes` most connected entities.

    The selection is computed in the store (SPARQL), and only what the page draws is read out of
    it: the kept nodes' types, labels and coordinates, the relations among them, and a bounded
    sample of their evidence. Reading the whole store into rdflib instead takes minutes and
    gigabytes at 100k articles. A small store is read whole.
    """
    draw_page(page_nquads(store, max_nodes=max_nodes), path, max_nodes)


def draw_page(nquads: bytes, path: str | os.PathLike[str], max_nodes: int | None) -> None:
    """Write the page of `page_nquads`' output (needs no store: runs in any process)."""
    from zhkg import view

    view.write_page(view.graph_to_network(view.NQuads(nquads), max_nodes=max_nodes), path)


class _PageDrawing:
    """`draw_page` in a child process, started now; `wait` raises what the child raised.

    Forked where possible, like the extraction workers (the child never touches the store);
    the N-Quads of the selection are all it is sent. A context manager: left before `wait`
    (an error or Ctrl-C in the exports), it kills the child rather than wait for its page.
    """

    def __init__(self, nquads: bytes, path: Path, max_nodes: int | None) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        self._pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=worker_setup,
                                         initargs=(os.getpid(),))
        self._future = self._pool.submit(draw_page, nquads, str(path), max_nodes)

    def __enter__(self) -> _PageDrawing:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._future.done():
            kill_workers(self._pool)
        self._pool.shutdown(cancel_futures=True)

    def wait(self) -> None:
        try:
            future_result(self._future)
        finally:
            self._pool.shutdown()


def page_nquads(store: Any, *, max_nodes: int | None = 2000) -> bytes:
    """N-Quads of the part of the store that the page needs (see `page_graph`)."""
    import pyoxigraph as ox

    # (counting a large store's quads takes as long as reading them: stop past the limit)
    small = sum(1 for _ in itertools.islice(store.inner.quads_for_pattern(None, None, None, None),
                                            SMALL_STORE_QUADS + 1)) <= SMALL_STORE_QUADS
    if max_nodes is None or (small and _entity_count(store) <= max_nodes):
        return ox.serialize(store.quads(), format=ox.RdfFormat.N_QUADS) or b""
    keep = _most_connected_entities(store, max_nodes)
    room = max_nodes - len(keep)
    linked = _most_connected_articles(store, room) if room > 0 else []
    return ox.serialize(_page_quads(store, keep, linked), format=ox.RdfFormat.N_QUADS) or b""


def page_graph(store: Any, *, max_nodes: int | None = 2000) -> Any:
    """The part of the store that the page of its `max_nodes` most connected entities needs.

    Returns an rdflib Dataset (article graphs kept, for the relations' sources) that
    `zhkg.view.graph_to_network(..., max_nodes=max_nodes)` turns into the same network as the
    whole store would, except that a node's or edge's sentences and articles come from at most
    `PAGE_EVIDENCE_ARTICLES` of its articles (its `sentence_count` counts those), and an
    official's `posts` name only the posts drawn on the page.
    """

    return _parse_dataset(page_nquads(store, max_nodes=max_nodes))


def _dataset(quads: Iterable[Any]) -> Any:
    import pyoxigraph as ox

    return _parse_dataset(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")


def _parse_dataset(nquads: bytes) -> Any:
    from rdflib import Dataset

    graph = Dataset()
    graph.parse(data=nquads.decode("utf-8"), format="nquads")
    return graph


def _page_types() -> tuple[list[str], list[str]]:
    """(entity classes drawn on the page, predicates drawn as edges), as full IRIs."""
    from zhkg import view
    from zhkg.namespace import ZHKG

    classes = [str(ZHKG) + t for t in view.TYPE_STYLES if t != view.ARTICLE]
    predicates = [str(ZHKG) + p for p in view.EDGE_PREDICATES]
    return classes, predicates


def _entity_count(store: Any) -> int:
    classes, _ = _page_types()
    values = " ".join(f"<{c}>" for c in classes)
    rows = list(store.query(
        f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ VALUES ?t {{ {values} }} ?e a ?t }}"))
    return int(rows[0]["n"].value) if rows else 0


def _most_connected_entities(store: Any, limit: int) -> list[str]:
    """The `limit` entities with most distinct edges, ties by IRI: `zhkg.view`'s ranking.

    An article's `mentions` of each entity are counted by Oxigraph (they are distinct as they
    stand). The relations are counted in a stream of their quads, each distinct edge once (an
    entity's relation repeats in every article stating it): the edges are packed into int64 keys
    and made unique with numpy, so memory is 8 bytes an edge. A SPARQL GROUP BY over all the
    distinct edges held them as rows: 2.7 GB at 100,000 articles.
    """
    from array import array

    import numpy as np
    import pyoxigraph as ox

    from zhkg.namespace import ARTICLE, ZHKG

    classes, predicates = _page_types()
    values = " ".join(f"<{c}>" for c in classes)
    typed = {row["e"].value for row in store.query(
        f"SELECT DISTINCT ?e WHERE {{ VALUES ?t {{ {values} }} ?e a ?t . FILTER isIRI(?e) }}")
        if not row["e"].value.startswith(str(ARTICLE))}
    # An article names an entity once in its own graph, so its `mentions` edges are distinct as
    # they stand and Oxigraph counts them per entity without decoding them (most of the edges).
    mentions = str(ZHKG.mentions)
    degrees = {row[0].value: int(row[1].value) for row in store.query(
        f"SELECT ?e (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?a <{mentions}> ?e }} }} GROUP BY ?e")
        if isinstance(row[0], ox.NamedNode)}
    ids: dict[str, int] = {}
    keys = array("q")
    for pid, predicate in enumerate(predicates):
        if predicate == mentions:
            continue
        for q in store.inner.quads_for_pattern(None, ox.NamedNode(predicate), None, None):
            s, o = str(q.subject), str(q.object)
            sid = ids.setdefault(s, len(ids))
            oid = ids.setdefault(o, len(ids))
            keys.append((sid << 34) | (pid << 29) | oid)
    if len(ids) >= 1 << 29 or len(predicates) > 32:
        raise ValueError("too many nodes to rank for the page")
    edges = np.unique(np.frombuffer(keys, dtype=np.int64)) if keys else np.zeros(0, np.int64)
    degree = (np.bincount(edges >> 34, minlength=len(ids))
              + np.bincount(edges & ((1 << 29) - 1), minlength=len(ids)))
    del keys, edges
    terms = list(ids)  # in id order
    for i in np.flatnonzero(degree).tolist():
        if terms[i].startswith("<"):
            degrees[terms[i][1:-1]] = degrees.get(terms[i][1:-1], 0) + int(degree[i])
    scored = [(-d, iri) for iri, d in degrees.items() if d and iri in typed]
    ranked = [iri for _, iri in sorted(scored)[:limit]]
    if len(ranked) < limit:  # entities with no edge at all fill the rest, in IRI order
        seen = set(ranked)
        ranked += sorted(typed - seen)[: limit - len(ranked)]
    return ranked


def _most_connected_articles(store: Any, limit: int) -> list[str]:
    """The `limit` articles with most distinct links to entities, ties by IRI (as `zhkg.view`)."""
    from zhkg.namespace import ZHKG

    _, predicates = _page_types()
    rows = store.query(f"""
        SELECT ?a (COUNT(*) AS ?degree) WHERE {{
          {{ SELECT DISTINCT ?a ?p ?e WHERE {{
               VALUES ?p {{ {" ".join(f"<{p}>" for p in predicates)} }}
               ?a a <{ZHKG.Article}> ; ?p ?e }} }}
        }}
        GROUP BY ?a ORDER BY DESC(?degree) STR(?a) LIMIT {int(limit)}""")
    return [row["a"].value for row in rows]


def _page_quads(store: Any, keep: list[str], linked: Sequence[str] = ()) -> Iterator[Any]:
    """The quads the page needs about the kept entities and articles (see `page_graph`)."""
    import pyoxigraph as ox
    from rdflib import RDF

    from zhkg.namespace import SCHEMA, ZHKG
    from zhkg.rdf import ENTITIES_GRAPH, statement_iri

    _, predicates = _page_types()
    edge_predicates = set(predicates)
    inner = store.inner
    kept = set(keep)
    meta = ox.NamedNode(str(META_GRAPH))
    denotes = ox.NamedNode(str(ZHKG.denotes))
    mentions = ox.NamedNode(str(ZHKG.mentions))
    supports = ox.NamedNode(str(ZHKG.supports))
    rdf_subject = ox.NamedNode(str(RDF.subject))
    article_facts = [ox.NamedNode(str(p)) for p in (RDF.type, SCHEMA.identifier,
                                                    SCHEMA.headline, SCHEMA.datePublished)]
    evidence_predicates = [ox.NamedNode(str(ZHKG) + p) for p in _PAGE_EVIDENCE]
    article_predicate = evidence_predicates[0]
    articles: set[ox.NamedNode] = set()
    edges: set[tuple[str, str, str]] = set()

    def expand(evidence: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        """Evidence quads (`denotes`, `supports`) and the evidence's own properties."""
        for q in evidence:
            yield q
            for pred in evidence_predicates:
                for eq in inner.quads_for_pattern(q.subject, pred, None, q.graph_name):
                    if pred == article_predicate:
                        articles.add(eq.object)
                    yield eq

    def sample(evidence: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        """The evidence quads from the first PAGE_EVIDENCE_ARTICLES article graphs, and theirs."""
        by_graph: dict[str, list[ox.Quad]] = {}
        for q in evidence:
            by_graph.setdefault(str(q.graph_name), []).append(q)
        for g in sorted(by_graph)[:PAGE_EVIDENCE_ARTICLES]:
            yield from expand(by_graph[g])

    # An entity's types, labels and codes repeat in every article naming it (a country's in
    # tens of thousands): Oxigraph keeps them DISTINCT on its encoded terms, and only the few
    # distinct facts are decoded. They go in the entities graph; only relations need theirs.
    not_facts = ", ".join(f"<{x}>" for x in sorted(edge_predicates))
    entities = ox.NamedNode(str(ENTITIES_GRAPH))
    for iri in keep:
        node = ox.NamedNode(iri)
        rows = inner.query(f"SELECT DISTINCT ?p ?o WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} "
                           f"FILTER (?g != <{meta.value}> && ?p NOT IN ({not_facts})) }}")
        facts = sorted(((r[0], r[1]) for r in rows), key=lambda po: (str(po[0]), str(po[1])))
        yield from (ox.Quad(node, fp, fo, entities) for fp, fo in facts)
        # Its relations to kept entities, each in (a sample of) the article graphs stating it.
        for edge in sorted(edge_predicates):
            sources: dict[str, int] = {}
            for q in inner.quads_for_pattern(node, ox.NamedNode(edge), None, None):
                o = q.object
                if q.graph_name != meta and isinstance(o, ox.NamedNode) and o.value in kept:
                    edges.add((iri, edge, o.value))
                    if sources.get(o.value, 0) < PAGE_EVIDENCE_ARTICLES:
                        sources[o.value] = sources.get(o.value, 0) + 1
                        yield q
        # Its mentions, from PAGE_EVIDENCE_ARTICLES of the articles naming it: the first in the
        # store's index (a fixed order, unlike sorting tens of thousands of article names).
        for m in itertools.islice(inner.quads_for_pattern(None, mentions, node, None),
                                  PAGE_EVIDENCE_ARTICLES):
            yield from expand(inner.quads_for_pattern(None, denotes, node, m.graph_name))

    # Articles drawn as nodes: their links to the kept entities, in their graphs.
    for iri in linked:
        node = ox.NamedNode(iri)
        articles.add(node)
        for q in inner.quads_for_pattern(node, None, None, None):
            o = q.object
            if (q.predicate.value in edge_predicates and isinstance(o, ox.NamedNode)
                    and o.value in kept):
                edges.add((iri, q.predicate.value, o.value))
                yield q

    # Each edge's reified statement (its IRI is a function of the triple), from one of the
    # article graphs stating it, and a sample of its evidence.
    for s, p, o in sorted(edges):
        stmt = ox.NamedNode(statement_iri(s, p, o))
        first = next(inner.quads_for_pattern(stmt, rdf_subject, None, None), None)
        if first is not None:
            yield from inner.quads_for_pattern(stmt, None, None, first.graph_name)
            yield from sample(inner.quads_for_pattern(None, supports, stmt, None))

    # The articles drawn or cited by the sampled evidence: their ids and titles.
    for art in sorted(articles, key=str):
        for pred in article_facts:
            yield from inner.quads_for_pattern(art, pred, None, None)


def extract_to_jsonl(
    paths: Iterable[str | os.PathLike[str]],
    out_file: str | os.PathLike[str],
    *,
    on_error: Callable[[InputError], None] | None = None,
    max_article_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
) -> tuple[int, int]:
    """`zhkg extract`: one JSON line per readable document, written atomically.

    The output file is never read as an input (it may be in a folder given as one). An article
    whose extraction raises is reported (an `ArticleError`) and left out. Returns (documents
    written, inputs and articles reported); an output that cannot be written raises
    `OutputError`."""
    errors = 0

    def error(exc: InputError) -> None:
        nonlocal errors
        errors += 1
        if on_error is not None:
            on_error(exc)

    n = 0
    warm()
    try:
        with atomic_write(out_file, "w", encoding="utf-8") as f:
            for doc in iter_documents([str(p) for p in paths], error, exclude=[out_file],
                                      max_chars=max_article_chars):
                try:
                    record = extraction_record(extract_document(doc))
                except Exception as exc:
                    error(ArticleError(doc.id, doc.source, f"cannot extract: {_describe(exc)}"))
                    continue
                f.write(json.dumps(record, ensure_ascii=False))
                f.write("\n")
                n += 1
    except OSError as exc:
        raise output_error(exc, out_file) from None
    return n, errors
