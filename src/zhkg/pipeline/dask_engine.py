"""Extraction on a Dask cluster: the same pure per-document function, mapped by dask.distributed.

`zhkg.pipeline.build` hands an engine one batch of documents at a time and loads what comes back; an
engine only decides where `process_document` runs. `LocalEngine` (`zhkg.pipeline.engines`) forks a
process pool; `DaskEngine` sends chunks of a batch to the workers of a cluster, so extraction can
use more machines than one. Only extraction is distributed: the results come back to the one process
that owns the store, which writes them and then does the corpus-level steps once.

With no scheduler address the engine starts a LocalCluster of single-threaded worker processes
bound to 127.0.0.1 (its HTTP port too) and shuts it down on exit. With an address it connects to an
existing cluster, leaves it running on exit, and needs zhkg (same version) installed on every
worker. Either way each worker loads the tokenizer, tagger and gazetteer once, through a worker
plugin, before its first task.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from distributed import Client, LocalCluster, WorkerPlugin

from zhkg.children import cpus
from zhkg.errors import EngineError
from zhkg.model import Document
from zhkg.pipeline.work import ArticleResult, process_document
from zhkg.resources import warm

#: Chunks per worker thread in one batch: several, so a slow chunk does not idle the others, few,
#: so the per-task overhead of the scheduler (about a millisecond) stays small.
CHUNKS_PER_THREAD = 4

#: Seconds to wait for a remote scheduler before giving up with a message.
CONNECT_TIMEOUT = 30


def process_documents(docs: Sequence[Document]) -> list[ArticleResult]:
    """`process_document` over a chunk: one task per chunk, not per article. Pure."""
    return [process_document(d) for d in docs]


def _warm_worker() -> None:
    warm()  # what this module's imports registered: the extraction's resources


def _chunks(docs: Sequence[Document], n: int) -> list[list[Document]]:
    """`docs` cut into at most `n` contiguous, nearly equal chunks (order kept)."""
    n = max(1, min(n, len(docs)))
    size, extra = divmod(len(docs), n)
    out: list[list[Document]] = []
    start = 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        out.append(list(docs[start:end]))
        start = end
    return out


class DaskEngine:
    """Maps `process_document` over a batch on a Dask cluster. A context manager.

    `jobs` is the number of worker processes of the LocalCluster it starts (default: all cores);
    with a `scheduler` address it is ignored and the cluster's own thread count is used.
    `timeout` is how long to wait for a remote scheduler.
    """

    def __init__(self, scheduler: str | None = None, jobs: int | None = None, *,
                 timeout: float = CONNECT_TIMEOUT) -> None:
        self.scheduler = scheduler
        self.timeout = timeout
        self.jobs = jobs or cpus()
        self._cluster: Any = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The `distributed.Client`, while the engine is open."""
        if self._client is None:
            raise EngineError("the Dask engine is not open (use it in a `with` block)")
        return self._client

    def __enter__(self) -> DaskEngine:
        try:
            if self.scheduler is None:
                self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=self.jobs, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)  # type: ignore[no-untyped-call]
            else:
                self._client = Client(  # type: ignore[no-untyped-call]
                    self.scheduler, timeout=self.timeout)
                threads = sum(self._client.nthreads().values())
                if threads == 0:
                    raise EngineError(f"Dask scheduler {self.scheduler} has no workers")
                self.jobs = threads
            self._client.register_plugin(_WarmPlugin(), name="zhkg-warm")
        except EngineError:
            self.close()
            raise
        except (OSError, TimeoutError) as exc:
            self.close()
            where = self.scheduler or "a LocalCluster on 127.0.0.1"
            raise EngineError(f"cannot start the Dask engine ({where}): {exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect; shut down the LocalCluster if this engine started it."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def submit(self, docs: list[Document]) -> list[Any]:
        """Start extracting a batch; returns futures, one per chunk, for `result`."""
        chunks = _chunks(docs, self.jobs * CHUNKS_PER_THREAD)
        return list(self.client.map(process_documents, chunks, pure=True))

    def result(self, futures: list[Any]) -> list[ArticleResult]:
        """The results of a submitted batch, in document order. Worker errors are raised here."""
        chunks = self.client.gather(futures)
        for f in futures:
            f.release()
        return [r for chunk in chunks for r in chunk]

    def map(self, docs: list[Document]) -> list[ArticleResult]:
        """Extract one batch and wait for it: the engine protocol of `zhkg.pipeline.build`."""
        return self.result(self.submit(docs))


class _WarmPlugin(WorkerPlugin):
    """Loads the models once per worker process, when the worker starts or joins."""

    name = "zhkg-warm"

    def setup(self, worker: Any) -> None:
        _warm_worker()


__all__ = ["CHUNKS_PER_THREAD", "DaskEngine", "process_documents"]
