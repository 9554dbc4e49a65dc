"""Writing outputs so that a reader sees the old version or the new one, never half of one.

A build killed midway (Ctrl-C, OOM killer, power loss) must leave the previous outputs usable and
a re-run must complete them. So every output is written to a temporary file in the same folder
(same file system, so the final rename is atomic), flushed and fsynced, then renamed over the
target with `os.replace`; the folder is fsynced too, so the rename itself survives a crash. On an
exception the temporary file is removed and the target is untouched. A process killed with
SIGKILL cannot clean up: it may leave a ``.<name>.*.tmp`` file beside the target, which the next
successful write of the same target removes once it is an hour old (a younger one may belong to
a writer still at work).

Whole output folders (a pyvis page with its assets, an export set) are swapped with
`atomic_dir`: on Linux with ``renameat2(RENAME_EXCHANGE)``, which swaps two paths in one step;
elsewhere with two renames, and a crash between them is repaired by `recover_dir` (called by
`atomic_dir` itself before it starts).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_dir", "atomic_write", "atomic_write_bytes", "atomic_write_text", "recover_dir"]

_WRITE_MODES = frozenset({"w", "wt", "wb", "w+", "w+b", "wb+", "wt+", "w+t"})


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}."


def _fsync_dir(folder: Path) -> None:
    """Makes a rename in `folder` durable; not possible (nor needed) on Windows."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: A temporary file untouched for this long belongs to a writer that was killed.
STALE_SECONDS = 3600.0


def _remove_stale(target: Path, keep: str) -> None:
    """Removes temporary files left beside `target` by killed writers (not `keep`)."""
    prefix = _tmp_prefix(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        name = entry.name
        if name.startswith(prefix) and name.endswith(".tmp") and name != keep:
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > STALE_SECONDS:
                    os.unlink(entry.path)


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "w",
    encoding: str | None = "utf-8",
    *,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """A file object whose content replaces `path` only if the block finishes without error.

    The new file gets the target's permissions if it existed, else the usual ones for a new file
    (0666 less the umask), not the 0600 of a temporary file.
    """
    if mode not in _WRITE_MODES:
        raise ValueError(f"atomic_write supports only write modes, not {mode!r}")
    target = Path(path)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=_tmp_prefix(target), suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        try:
            perms = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            perms = 0o666 & ~_umask()
        os.chmod(tmp, perms)
        binary = "b" in mode
        with os.fdopen(fd, mode, encoding=None if binary else encoding,
                       newline=None if binary else newline) as f:
            fd = -1  # owned by f now
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if fd != -1:
            os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(folder)
    _remove_stale(target, keep=tmp.name)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Writes `text` to `path` atomically."""
    with atomic_write(path, "w", encoding=encoding) as f:
        f.write(text)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Writes `data` to `path` atomically."""
    with atomic_write(path, "wb") as f:
        f.write(data)


# -- whole folders ----------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Swaps two existing paths in one atomic step; False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _old_name(target: Path) -> Path:
    return target.parent / f".{target.name}.old"


def recover_dir(path: str | os.PathLike[str]) -> None:
    """Repairs what a crash in the middle of a two-rename swap left: puts the old folder back
    if the target is missing, and removes leftovers of interrupted swaps."""
    target = Path(path)
    old = _old_name(target)
    if old.is_dir() and not target.exists():
        os.replace(old, target)
    elif old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    prefix = f".{target.name}.new-"
    if target.parent.is_dir():
        for entry in os.scandir(target.parent):
            if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A fresh folder to fill; on success it replaces `path` whole, on error it is removed.

    Readers of `path` see the complete old folder or the complete new one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the output from others
        yield staging
        _sync_tree(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not target.exists():
        os.replace(staging, target)
    elif _renameat2_exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # holds the old content now
    else:
        old = _old_name(target)
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(target.parent)


def _sync_tree(root: Path) -> None:
    """fsyncs every file under `root`, so the swap never publishes unwritten data."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(folder, name)
            try:
                fd = os.open(p, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(folder))
