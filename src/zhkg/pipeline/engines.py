"""Where the per-article job runs: `LocalEngine` (a process pool on this machine, or this process)
and, on a cluster, `zhkg.pipeline.dask_engine.DaskEngine`.

An engine maps `process_document` over one batch of documents at a time; `submit` starts a batch
and `result` waits for it, so the build extracts the next batch while it loads this one. Every
engine loads the models once per worker process (`zhkg.resources.warm`) before its first task.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from zhkg.children import cpus, pool_result, worker_setup
from zhkg.errors import EngineError
from zhkg.model import Document
from zhkg.pipeline.work import ArticleResult, process_document
from zhkg.resources import warm


class Engine(Protocol):
    """What `zhkg.pipeline.build.build` needs of an engine (a context manager)."""

    jobs: int

    def __enter__(self) -> Engine: ...
    def __exit__(self, *exc: object) -> None: ...
    def submit(self, docs: list[Document]) -> Any: ...
    def result(self, handle: Any) -> list[ArticleResult]: ...


def batched(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    """`docs` in lists of `size` (the last one shorter)."""
    batch: list[Document] = []
    for d in docs:
        batch.append(d)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class LocalEngine:
    """A process pool (fork, so workers share the warmed models) or, with one job, this process."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs or cpus()
        self._pool: Any = None

    def __enter__(self) -> LocalEngine:
        warm()
        if self.jobs > 1:
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


def engine_named(name: str, jobs: int | None = None, scheduler: str | None = None) -> Engine:
    """The engine called `name` (local or dask)."""
    if name == "local":
        return LocalEngine(jobs)
    if name == "dask":
        try:
            # dask.distributed is an optional dependency (zhkg[dask]) and takes most of a second
            # to import: only a Dask build loads it.
            from zhkg.pipeline.dask_engine import DaskEngine
        except ImportError as exc:
            raise EngineError(
                f"--engine dask needs dask.distributed: pip install 'zhkg[dask]' ({exc})"
            ) from None
        return DaskEngine(scheduler=scheduler, jobs=jobs)
    raise ValueError(f"unknown engine {name!r} (local or dask)")
