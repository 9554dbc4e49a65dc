"""The page of a build: its share of the store selected in the store (`zhkg.graph.select`),
drawn (`zhkg.view`) here or in a child process while the exports are written.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from zhkg import view
from zhkg.children import future_result, kill_workers, worker_setup
from zhkg.graph.select import NQuads, page_nquads
from zhkg.graph.store import Store


def write_page_from_store(store: Store, path: Path, *, max_nodes: int | None = 2000) -> None:
    """The interactive page of the store: its `max_nodes` most connected entities.

    The selection is computed in the store (SPARQL), and only what the page draws is read out of
    it: the kept nodes' types, labels and coordinates, the relations among them, and a bounded
    sample of their evidence. Reading the whole store into rdflib instead takes minutes and
    gigabytes at 100k articles. A small store is read whole.
    """
    draw_page(page_nquads(store, max_nodes=max_nodes), path, max_nodes)


def draw_page(nquads: bytes, path: str | os.PathLike[str], max_nodes: int | None) -> None:
    """Write the page of `page_nquads`' output (needs no store: runs in any process)."""
    view.write_page(view.graph_to_network(NQuads(nquads), max_nodes=max_nodes), path)


class PageDrawing:
    """`draw_page` in a child process, started now; `wait` raises what the child raised.

    Forked where possible, like the extraction workers (the child never touches the store);
    the N-Quads of the selection are all it is sent. A context manager: left before `wait`
    (an error or Ctrl-C in the exports), it kills the child rather than wait for its page.
    """

    def __init__(self, nquads: bytes, path: Path, max_nodes: int | None) -> None:
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        self._pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=worker_setup,
                                         initargs=(os.getpid(),))
        self._future = self._pool.submit(draw_page, nquads, str(path), max_nodes)

    def __enter__(self) -> PageDrawing:
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

