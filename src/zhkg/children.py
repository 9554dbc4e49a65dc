"""Worker processes that never outlive the run that started them, and signals that stop a run.

zhkg forks workers for extraction, the exports and the page. Killed with SIGKILL, a parent cannot
end them, and a worker blocked on its pipe (or still writing graph.ttl) would live on with its
hundreds of megabytes: so each worker asks the kernel to kill it when its parent dies
(`PR_SET_PDEATHSIG` on Linux; elsewhere a thread that watches the parent's id). A worker ignores
Ctrl-C, which the terminal sends to every process of the group: the parent alone handles it and
ends its workers, so one Ctrl-C gives one message, not a traceback per worker. SIGTERM stops a
run as Ctrl-C does (`on_sigterm`): cleaned up, with a non-zero exit status.

A signal reaches Python's handler in the main thread only when that thread runs: the kernel may
deliver it to any thread (a loader's, a pool's), and then a main thread blocked on a lock for a
worker's result would wait for ever. So the main thread's waits for workers wake every
`POLL_SECONDS` (`future_result`, `pool_result`, `wait_futures`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from zhkg.errors import Interrupted

__all__ = ["POLL_SECONDS", "cpus", "future_result", "kill_workers", "on_sigterm", "pool_result",
           "wait_futures", "worker_setup"]

_PR_SET_PDEATHSIG = 1
#: How long a wait for workers may go without handling a signal.
POLL_SECONDS = 0.2

T = TypeVar("T")


def cpus() -> int:
    """The CPUs this process may use: how many workers to start by default."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def worker_setup(parent: int) -> None:
    """The initializer of every worker process: pass it `os.getpid()` of the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's SIGTERM handler (on_sigterm) came with the fork: a worker that is told to end
    # (a pool's terminate) just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:  # the parent died before the signal was asked for
                os._exit(1)
            return
    threading.Thread(target=_watch, args=(parent,), name="zhkg-parent", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def kill_workers(pool: Any) -> None:
    """End a `concurrent.futures.ProcessPoolExecutor`'s workers now, mid-task (its shutdown
    would wait for their tasks: minutes of writing an export after a Ctrl-C)."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            process.kill()


def on_sigterm() -> Callable[[], None]:
    """Make SIGTERM raise `Interrupted` in the main thread, as SIGINT raises KeyboardInterrupt,
    so the same cleanup runs; returns the function that puts the old handler back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def stop(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    old = signal.signal(signal.SIGTERM, stop)

    def restore() -> None:
        signal.signal(signal.SIGTERM, old)

    return restore


def future_result(future: cf.Future[T]) -> T:
    """`future.result()`, handling signals while it waits."""
    while not future.done():
        cf.wait([future], timeout=POLL_SECONDS)
    return future.result()


def pool_result(handle: Any) -> Any:
    """`handle.get()` of a `multiprocessing` AsyncResult, handling signals while it waits."""
    while not handle.ready():
        handle.wait(POLL_SECONDS)
    return handle.get()


def wait_futures(futures: Collection[cf.Future[Any]], first_exception: bool = False
                 ) -> tuple[set[cf.Future[Any]], set[cf.Future[Any]]]:
    """`concurrent.futures.wait` for all of them (or until one raises), handling signals."""
    when = cf.FIRST_EXCEPTION if first_exception else cf.ALL_COMPLETED
    while True:
        done, pending = cf.wait(futures, timeout=POLL_SECONDS, return_when=when)
        if not pending or (first_exception and any(
                not f.cancelled() and f.exception() is not None for f in done)):
            return done, pending
