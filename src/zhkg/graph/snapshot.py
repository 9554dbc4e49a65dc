"""Published checkpoints of the store, so readers see one complete build while the next one runs.

`zhkg build` writes into `DIR/store` for minutes or hours; a reader that opened the live store
beside it would see half a build, and one that reopens it (a query worker replaced after a
timeout) would answer from another state than its siblings. So a build that completes publishes
a checkpoint of the store, `DIR/store.snapshots/NAME`, and `zhkg serve` reads only the newest
published one, switching every worker at once when a newer one appears.

A checkpoint is RocksDB's (`pyoxigraph.Store.backup`): the immutable table files are hard links
into the store, so publishing costs a few small files and no copy. What it does cost is that a
table the live store later compacts away stays on disk while a checkpoint links it: at worst one
more copy of the store per checkpoint kept. So only the newest is kept, plus any older one a
server still reads (it holds a shared `flock` on the folder; pruning takes the folder only
with an exclusive lock, so a checkpoint in use is never deleted under its readers).

Names sort in publication order (nanoseconds since the epoch, zero-padded); a checkpoint is
written under a dot-name and renamed into place, so a name without a dot is always complete.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox


def folder(store: Path) -> Path:
    """Where the checkpoints of the store at `store` live: beside it, on the same file system
    (hard links need that)."""
    return store.with_name(store.name + ".snapshots")


def newest(store: Path) -> Path | None:
    """The newest complete checkpoint of `store`, or None."""
    try:
        names = [p for p in folder(store).iterdir()
                 if not p.name.startswith(".") and (p / "CURRENT").exists()]
    except FileNotFoundError:
        return None
    return max(names, key=lambda p: p.name, default=None)


def publish(inner: ox.Store, store: Path) -> Path:
    """Checkpoint `inner` (the open store at `store`) as the newest snapshot; prune the rest."""
    target = folder(store)
    target.mkdir(exist_ok=True)
    name = f"{time.time_ns():020d}"
    partial = target / f".{name}"
    inner.backup(str(partial))
    final = target / name
    os.replace(partial, final)
    prune(store, unfinished=True)
    return final


def prune(store: Path, unfinished: bool = False) -> list[Path]:
    """Delete every checkpoint but the newest that no reader holds; returns what was deleted.

    With `unfinished`, also the partial ones a killed publisher left (only the publisher may ask:
    it holds the store's lock, so no other publisher is writing one now)."""
    keep = newest(store)
    gone = []
    with contextlib.suppress(FileNotFoundError):
        for path in sorted(folder(store).iterdir()):
            if path == keep or not path.is_dir() or (path.name.startswith(".")
                                                     and not unfinished):
                continue
            with contextlib.suppress(OSError), _locked(path, fcntl.LOCK_EX) as free:
                if free:
                    shutil.rmtree(path)
                    gone.append(path)
    return gone


class Hold:
    """A reader's claim on a checkpoint: a shared lock on its folder, kept until `release`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = os.open(path, os.O_RDONLY)
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


@contextlib.contextmanager
def _locked(path: Path, mode: int) -> Iterator[bool]:
    """Yields whether `mode` could be taken on `path` without waiting."""
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


__all__ = ["Hold", "folder", "newest", "prune", "publish"]
