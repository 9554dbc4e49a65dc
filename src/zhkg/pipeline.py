"""From articles to a built output folder: extract, resolve, store, export, draw.

`extract_document` and `process_document` are pure functions of one document, so any engine can map
them: a process pool here, a Dask cluster in `zhkg.engines`. Everything that sees the whole corpus
(the store writes, the canonical labels, the exports and the page) happens once, in this process.
Articles stream through in batches, so memory stays flat however large the corpus.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zhkg import gazetteer, segment
from zhkg.errors import InputError
from zhkg.mentions import find_mentions
from zhkg.model import Document, Extraction
from zhkg.relations import find_relations
from zhkg.tagger import Tagger

#: Articles handed to the workers at a time: large enough to keep every core busy, small enough
#: that a batch of results (N-Quads text) stays a few tens of MB.
BATCH = 256


def warm() -> None:
    """Load the tokenizer, tagger and gazetteer once, before forking workers that share them."""
    segment.tokenizer()
    Tagger.default()
    gazetteer.find_places("中国")


def extract_document(doc: Document) -> Extraction:
    """Mentions and relations of one document. Pure: same document, same extraction."""
    mentions = find_mentions(doc)
    relations = find_relations(doc, mentions, segment.sentences(doc.text))
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
    """What a worker sends back for one article: small, picklable, ready to load."""

    doc_id: str
    content_hash: str
    nquads: str
    mentions: int
    relations: int
    chars: int


def process_document(doc: Document) -> ArticleResult:
    """Extract one document and render its named graph as N-Quads (pure; runs on any worker)."""
    from zhkg import rdf, resolve
    from zhkg.read import content_hash

    ex = extract_document(doc)
    nquads = rdf.article_nquads(ex, resolve.iris(ex))
    return ArticleResult(doc.id, content_hash(doc), nquads, len(ex.mentions), len(ex.relations),
                         len(doc.text))


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
            self._pool = ctx.Pool(self.jobs)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate() if exc[0] else self._pool.close()
            self._pool.join()

    def map(self, docs: list[Document]) -> list[ArticleResult]:
        if self._pool is None:
            return [process_document(d) for d in docs]
        chunk = max(1, len(docs) // (self.jobs * 4))
        return list(self._pool.imap(process_document, docs, chunksize=chunk))


# -- build -----------------------------------------------------------------------------------------


@dataclass
class BuildReport:
    """What a build did, written to DIR/build.json (run metadata stays out of the graph)."""

    inputs: list[str]
    articles_read: int = 0
    articles_loaded: int = 0
    articles_skipped_unchanged: int = 0
    input_errors: list[str] = field(default_factory=list)
    mentions: int = 0
    relations: int = 0
    characters: int = 0
    triples: int = 0
    quads: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    engine: str = "local"
    jobs: int = 1

    @property
    def ok(self) -> bool:
        return not self.input_errors


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
) -> BuildReport:
    """Build (or add to) the graph in `out_dir`: store, exports, page and build.json.

    Articles already in the store with the same content are skipped, so a killed build re-run
    finishes the job, and a new folder adds to the graph; an article built again replaces its
    named graph. Inputs that cannot be read are reported through `on_error` and left out.
    """
    from zhkg import resolve
    from zhkg.atomic import atomic_write_text
    from zhkg.export import write_exports
    from zhkg.read import content_hash, iter_documents
    from zhkg.store import Store

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = BuildReport(inputs=[str(p) for p in paths], engine=engine)

    def error(exc: InputError) -> None:
        report.input_errors.append(str(exc))
        if on_error is not None:
            on_error(exc)

    t0 = time.perf_counter()
    with Store.open(out / "store") as store:
        known = store.article_hashes()

        def todo() -> Iterator[Document]:
            for doc in iter_documents(report.inputs, error):
                report.articles_read += 1
                if known.get(doc.id) == content_hash(doc):
                    report.articles_skipped_unchanged += 1
                    continue
                yield doc

        with _engine(engine, jobs, scheduler) as eng:
            report.jobs = getattr(eng, "jobs", 1)
            for batch in _batched(todo(), BATCH):
                results = eng.map(batch)
                store.replace_articles((r.doc_id, r.content_hash, r.nquads) for r in results)
                for r in results:
                    report.articles_loaded += 1
                    report.mentions += r.mentions
                    report.relations += r.relations
                    report.characters += r.chars
                if on_progress is not None:
                    on_progress(report.articles_loaded, report.articles_read)
        t1 = time.perf_counter()
        store.refresh_entities(resolve.canonical_name, gazetteer)
        t2 = time.perf_counter()
        summary = write_exports(store, out)
        report.triples, report.quads = summary.triples, summary.quads
        t3 = time.perf_counter()
        if page:
            write_page_from_store(store, out / "graph.html", max_nodes=max_nodes)
    t4 = time.perf_counter()
    report.seconds = {"extract_and_load": round(t1 - t0, 3), "entities": round(t2 - t1, 3),
                      "exports": round(t3 - t2, 3), "page": round(t4 - t3, 3),
                      "total": round(t4 - t0, 3)}
    meta = {**asdict(report), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "chars_per_second": round(report.characters / max(t1 - t0, 1e-9))}
    atomic_write_text(out / "build.json", json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    return report


def _engine(engine: str, jobs: int | None, scheduler: str | None) -> Any:
    if engine == "local":
        return LocalEngine(jobs)
    if engine == "dask":
        from zhkg.engines import DaskEngine

        return DaskEngine(scheduler=scheduler, jobs=jobs)
    raise ValueError(f"unknown engine {engine!r} (local or dask)")


def write_page_from_store(store: Any, path: Path, *, max_nodes: int | None = 2000) -> None:
    """The interactive page of everything in the store (the most connected nodes, if many)."""
    import pyoxigraph as ox
    from rdflib import Dataset

    from zhkg import view

    data = ox.serialize(list(store.quads()), format=ox.RdfFormat.N_QUADS) or b""
    graph = Dataset()
    graph.parse(data=data.decode("utf-8"), format="nquads")
    view.write_page(view.graph_to_network(graph, max_nodes=max_nodes), path)


def extract_to_jsonl(
    paths: Iterable[str | os.PathLike[str]],
    out_file: str | os.PathLike[str],
    *,
    on_error: Callable[[InputError], None] | None = None,
) -> tuple[int, int]:
    """`zhkg extract`: one JSON line per readable document, written atomically.

    Returns (documents written, inputs reported)."""
    from zhkg.atomic import atomic_write
    from zhkg.read import iter_documents

    errors = 0

    def error(exc: InputError) -> None:
        nonlocal errors
        errors += 1
        if on_error is not None:
            on_error(exc)

    n = 0
    warm()
    with atomic_write(out_file, "w", encoding="utf-8") as f:
        for doc in iter_documents([str(p) for p in paths], error):
            f.write(json.dumps(extraction_record(extract_document(doc)), ensure_ascii=False))
            f.write("\n")
            n += 1
    return n, errors
