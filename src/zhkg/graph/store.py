"""The embedded store: pyoxigraph (RocksDB) at `DIR/store`, one named graph per article.

pyoxigraph parses, loads and queries an order of magnitude faster than rdflib's memory store and
keeps the data on disk, so it is the default; rdflib stays the API for the ontology, SHACL and
small graphs. Articles go in through `bulk_load` of N-Quads in large chunks, never triple by triple.
One writer at a time (RocksDB holds a lock); readers open read-only.

Layout of the dataset:
- `graph:article/{id}`: everything one article states (see `zhkg.graph.rdf`);
- `graph:entities`: canonical labels and gazetteer facts, recomputed by
  `zhkg.graph.entities.refresh_entities`;
- `graph:meta`: the content hash of each article, so a resumed build skips what it already has.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox
from rdflib import Graph

from zhkg.children import future_result
from zhkg.errors import QueryError, StoreError, shown
from zhkg.graph import snapshot
from zhkg.graph.rdf import graph_nquads
from zhkg.iris import ARTICLE_GRAPH_PREFIX, META_GRAPH, article_graph_iri, article_iri
from zhkg.namespace import PREFIXES, ZHKG

#: Flush pending N-Quads to `bulk_load` once this many bytes (UTF-8) have piled up.
CHUNK_BYTES = 16 * 1024 * 1024
#: Chunks loading at once, each in its own thread (`bulk_load` uses one core per call).
LOAD_THREADS = 2

_CONTENT_HASH = ox.NamedNode(str(ZHKG.contentHash))
_META = ox.NamedNode(str(META_GRAPH))



ArticleContent = Graph | str | bytes


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """An article whose graph did not load: it has no graph and no hash in the store."""

    doc_id: str
    reason: str


class Store:
    """An open pyoxigraph store. Use `Store.open(path)` as a context manager."""

    def __init__(self, inner: ox.Store, path: Path | None, read_only: bool) -> None:
        self._inner: ox.Store | None = inner
        self.path = path
        self.read_only = read_only
        self._loader: Any = None
        self._inflight: list[Any] = []
        self._loading: set[str] = set()
        self._failed: list[LoadFailure] = []

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None, read_only: bool = False) -> Store:
        """Open (creating it unless read-only) the store at `path`; None is a temporary store."""
        if path is None:
            return cls(ox.Store(), None, read_only=False)
        p = Path(path)
        try:
            if read_only:
                if not (p / "CURRENT").exists():
                    raise StoreError(
                        f"{shown(p)}: no store here (run `zhkg build ... -o DIR` first)")
                return cls(ox.Store.read_only(str(p)), p, read_only=True)
            p.mkdir(parents=True, exist_ok=True)
            return cls(ox.Store(str(p)), p, read_only=False)
        except OSError as exc:
            reason = str(exc)
            if "lock" in reason.lower():
                reason = "locked by another writer (one `zhkg build` at a time)"
            raise StoreError(f"{shown(p)}: cannot open the store: {reason}") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(quiet=exc is not None)

    def close(self, quiet: bool = False) -> None:
        """Wait for loading chunks (raising their error, and the articles that failed to load and
        were never drained, unless `quiet`), flush, release."""
        if self._loader is not None:
            if quiet:
                with contextlib.suppress(Exception):
                    self.drain(stop=True)
            else:
                _raise_failures(self.drain(stop=True))
        if self._inner is not None and not self.read_only:
            with contextlib.suppress(OSError):
                self._inner.flush()
        self._inner = None  # pyoxigraph releases the RocksDB lock when the object goes

    @property
    def inner(self) -> ox.Store:
        """The pyoxigraph store itself: only for the SPARQL endpoint's workers, which run any
        query with their own options (everything else uses this class's methods)."""
        if self._inner is None:
            raise StoreError("the store is closed")
        return self._inner

    def _writable(self) -> ox.Store:
        if self.read_only:
            raise StoreError(f"{shown(self.path)}: opened read-only")
        return self.inner

    # -- articles -------------------------------------------------------------------------------

    def replace_articles(self, items: Iterable[tuple[str, str, ArticleContent]], *,
                         wait: bool = True) -> int:
        """Load articles, each replacing its previous graph; returns how many were given.

        `items` yields (doc_id, content_hash, graph or N-Quads). N-Quads, text or UTF-8 bytes, are
        loaded as they are (they must already be in the article's graph, as
        `zhkg.graph.rdf.article_nquads` writes them; bytes spare a caller that needs them too a
        second encoding); an rdflib Graph is put in the article's graph. Loading is chunked through
        `bulk_load`, which is fast but not transactional, so the hash and the graph change in an
        order that a kill at any point leaves safe: an article's hash goes first, then its old
        graph, and its new hash is written only once its new graph is loaded. An interrupted call
        leaves articles without a hash (loaded or not), which a resumed build loads again; a hash
        always stands for its whole graph.

        An article whose N-Quads do not load is left out (no graph, no hash) and the rest of its
        chunk loads: `drain` returns it as a `LoadFailure`. With `wait`, such a failure is raised.

        Chunks load in `LOAD_THREADS` threads (`bulk_load` parses and sorts on one core, and
        releases the GIL). With `wait=False` the call returns while its last chunks still load,
        so the caller can prepare the next ones; `drain` waits for them.
        """
        store = self._writable()
        pending: list[bytes] = []
        pending_ids: dict[str, tuple[str, int]] = {}  # doc_id -> (content hash, size), in order
        size = 0
        count = 0

        def flush() -> None:
            nonlocal size
            if pending:
                self._submit(b"".join(pending),
                             [(d, h, n) for d, (h, n) in pending_ids.items()])
            pending.clear()
            pending_ids.clear()
            size = 0

        for doc_id, content_hash, content in items:
            if doc_id in pending_ids:
                flush()  # the same article twice in one batch: the later one wins
            if doc_id in self._loading:
                self._wait()  # its earlier version must be in before it is replaced
            self._drop_hash(doc_id)  # first: a hash never stands for a graph being replaced
            store.remove_graph(ox.NamedNode(str(article_graph_iri(doc_id))))
            if isinstance(content, Graph):
                data = graph_nquads(content, article_graph_iri(doc_id)).encode("utf-8")
            elif isinstance(content, bytes):
                data = content
            else:
                data = content.encode("utf-8")
            pending.append(data)
            pending_ids[doc_id] = (content_hash, len(data))
            size += len(data)
            count += 1
            if size >= CHUNK_BYTES:
                flush()
        flush()
        if wait:
            _raise_failures(self.drain())
        return count

    def _submit(self, data: bytes, ids: list[tuple[str, str, int]]) -> None:
        """Load a chunk in a loader thread; at most LOAD_THREADS chunks wait or load at once.
        `ids` are the chunk's articles in order: (doc_id, content hash, bytes of its N-Quads)."""
        if self._loader is None:
            self._loader = ThreadPoolExecutor(LOAD_THREADS, thread_name_prefix="zhkg-load")
        while len(self._inflight) >= LOAD_THREADS:
            self._failed += future_result(self._inflight.pop(0))
        self._loading.update(d for d, _, _ in ids)
        self._inflight.append(self._loader.submit(self._load_chunk, data, ids))

    def _load_chunk(self, data: bytes, ids: list[tuple[str, str, int]]) -> list[LoadFailure]:
        store = self._writable()
        try:
            store.bulk_load(data, ox.RdfFormat.N_QUADS)
        except (SyntaxError, ValueError):
            # Some of the chunk may be in: each article's graph is cleared and loaded alone, so
            # only the articles at fault are left out.
            failed = []
            view = memoryview(data)
            offset = 0
            for doc_id, content_hash, size in ids:
                graph = ox.NamedNode(str(article_graph_iri(doc_id)))
                part = bytes(view[offset:offset + size])
                offset += size
                store.remove_graph(graph)
                try:
                    store.bulk_load(part, ox.RdfFormat.N_QUADS)
                except (SyntaxError, ValueError) as exc:
                    store.remove_graph(graph)
                    failed.append(LoadFailure(doc_id, f"its graph does not load: {exc}"))
                else:
                    self._set_hash(doc_id, content_hash)
            return failed
        for doc_id, content_hash, _ in ids:
            self._set_hash(doc_id, content_hash)
        return []

    def _wait(self, stop: bool = False) -> None:
        """Wait for the chunks still loading, keeping their failures for `drain`; the first
        other error among them is raised. With `stop`, the loader threads end too."""
        inflight, self._inflight = self._inflight, []
        try:
            for future in inflight:
                self._failed += future_result(future)
        finally:
            for future in inflight:
                future.cancel()
            self._loading.clear()
            if stop and self._loader is not None:
                self._loader.shutdown()
                self._loader = None

    def drain(self, stop: bool = False) -> list[LoadFailure]:
        """Wait for the chunks still loading; returns the articles that did not load since the
        last call (an error that is not an article's, a full disk say, is raised). With `stop`,
        the loader threads end too (before forking, say: a child should not inherit them)."""
        self._wait(stop)
        failed, self._failed = self._failed, []
        return failed

    def _drop_hash(self, doc_id: str) -> None:
        store = self._writable()
        subject = ox.NamedNode(str(article_iri(doc_id)))
        for quad in list(store.quads_for_pattern(subject, _CONTENT_HASH, None, _META)):
            store.remove(quad)

    def _set_hash(self, doc_id: str, content_hash: str) -> None:
        # (its old hash went before its old graph, in `replace_articles`)
        self._writable().add(ox.Quad(ox.NamedNode(str(article_iri(doc_id))), _CONTENT_HASH,
                                     ox.Literal(content_hash), _META))

    def has_article(self, doc_id: str, content_hash: str) -> bool:
        """True if the article is loaded from exactly this content (a resumed build skips it)."""
        subject = ox.NamedNode(str(article_iri(doc_id)))
        return any(
            _value(q.object) == content_hash
            for q in self.inner.quads_for_pattern(subject, _CONTENT_HASH, None, _META)
        )

    def article_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every article in the store."""
        out: dict[str, str] = {}
        for q in self.inner.quads_for_pattern(None, None, None, _META):
            if q.predicate == _CONTENT_HASH and isinstance(q.subject, ox.NamedNode):
                out[self._doc_id(q.subject)] = _value(q.object)
        return dict(sorted(out.items()))

    def _doc_id(self, article: ox.NamedNode) -> str:
        # The identifier as written, not the IRI slug (which percent-encodes).
        ident = ox.NamedNode("https://schema.org/identifier")
        graph = ox.NamedNode(ARTICLE_GRAPH_PREFIX + article.value.rsplit("/", 1)[-1])
        for q in self.inner.quads_for_pattern(article, ident, None, graph):
            return str(_value(q.object))
        return unquote(article.value.rsplit("/", 1)[-1])

    def article_ids(self) -> list[str]:
        """Every article that has a graph in the store, sorted."""
        ids = []
        for g in self.inner.named_graphs():
            if isinstance(g, ox.NamedNode) and g.value.startswith(ARTICLE_GRAPH_PREFIX):
                slug = g.value[len(ARTICLE_GRAPH_PREFIX):]
                ids.append(self._doc_id(ox.NamedNode(str(article_iri("")) + slug)))
        return sorted(ids)

    def remove_article(self, doc_id: str) -> bool:
        """Drop the article's graph and hash; False if it was not there.

        The entities graph still names the article's entities until `refresh_entities` runs.
        """
        store = self._writable()
        graph = ox.NamedNode(str(article_graph_iri(doc_id)))
        subject = ox.NamedNode(str(article_iri(doc_id)))
        existed = store.contains_named_graph(graph) or any(
            True for _ in store.quads_for_pattern(subject, _CONTENT_HASH, None, _META))
        # The hash first: killed between the two steps, a graph is left without a hash (a build
        # loads it again, a second remove takes it out), never a hash without its graph.
        for quad in list(store.quads_for_pattern(subject, None, None, _META)):
            store.remove(quad)
        store.remove_graph(graph)
        return existed

    # -- publishing (zhkg serve reads the newest complete checkpoint, never a build half-done) --

    def publish_snapshot(self) -> Path:
        """Publish a checkpoint of the store as it is now (see `zhkg.graph.snapshot`)."""
        if self.path is None:
            raise StoreError("a temporary store has no checkpoints")
        return snapshot.publish(self._writable(), self.path)

    # -- reading --------------------------------------------------------------------------------

    def query(self, sparql: str, **options: Any) -> Any:
        """Run SPARQL over the union of all graphs (no GRAPH clause needed), prefixes declared."""
        options.setdefault("use_default_graph_as_union", True)
        options.setdefault("prefixes", PREFIXES)
        try:
            return self.inner.query(sparql, **options)
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL: {exc}") from None
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise QueryError(f"query failed: {exc}") from None

    def count(self, graph: str | None = None) -> int:
        """Quads in the store, or in one named graph."""
        if graph is None:
            return len(self.inner)
        return sum(1 for _ in self.inner.quads_for_pattern(None, None, None,
                                                           ox.NamedNode(graph)))

    def quads(self, exclude_meta: bool = True) -> Iterator[ox.Quad]:
        """Every quad, without the bookkeeping graph unless asked."""
        for q in self.inner.quads_for_pattern(None, None, None, None):
            if exclude_meta and q.graph_name == _META:
                continue
            yield q

    def graphs(self) -> Sequence[str]:
        """The IRIs of the named graphs, sorted."""
        return sorted(g.value for g in self.inner.named_graphs() if isinstance(g, ox.NamedNode))

    def named_graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """The named graphs (the bookkeeping one too), in the store's order."""
        return list(self.inner.named_graphs())

    def quads_for_pattern(
        self, subject: ox.NamedNode | ox.BlankNode | ox.Triple | None,
        predicate: ox.NamedNode | None, obj: ox.NamedNode | ox.BlankNode | ox.Literal | None,
        graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None,
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern (None matches anything), from Oxigraph's indexes."""
        return iter(self.inner.quads_for_pattern(subject, predicate, obj, graph))

    def dump(self, graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bytes:
        """One graph's triples as Oxigraph's canonical N-Triples (written in Rust)."""
        return self.inner.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""

    def flush(self) -> None:
        """Write what is loaded so far to disk now, not at `close`."""
        self._writable().flush()

    def replace_graph(self, graph: ox.NamedNode, quads: Iterable[ox.Quad]) -> None:
        """Drop `graph` and put `quads` (in it) in its place."""
        store = self._writable()
        store.remove_graph(graph)
        store.extend(quads)


def _raise_failures(failed: list[LoadFailure]) -> None:
    if failed:
        raise StoreError("cannot load articles: " + "; ".join(
            f"{shown(f.doc_id)}: {f.reason}" for f in failed))


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return str(term) if isinstance(term, ox.Triple) else term.value


__all__ = ["CHUNK_BYTES", "LoadFailure", "Store"]
