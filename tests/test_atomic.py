"""Atomic writes: the old output or the new one, never half of one, even when killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from zhkg import atomic
from zhkg.atomic import (
    atomic_dir,
    atomic_write,
    atomic_write_bytes,
    atomic_write_text,
    recover_dir,
)


def test_write_replaces_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target) as f:
        f.write("新内容")
        assert target.read_text(encoding="utf-8") == "old"  # not visible until the end
    assert target.read_text(encoding="utf-8") == "新内容"
    assert os.listdir(tmp_path) == ["out.ttl"]


def test_write_failure_keeps_old_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as f:
        f.write("half")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["out.ttl"]


def test_write_failure_without_previous_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "new.nt") as f:
        f.write("x")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_binary_mode_and_helpers(tmp_path: Path) -> None:
    with atomic_write(tmp_path / "b.bin", "wb") as f:
        f.write(b"\x00\x01")
    atomic_write_bytes(tmp_path / "c.bin", b"\xff")
    atomic_write_text(tmp_path / "sub" / "d.txt", "甲\n", encoding="gb18030")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.bin").read_bytes() == b"\xff"
    assert (tmp_path / "sub" / "d.txt").read_bytes() == "甲\n".encode("gb18030")


def test_newline_is_passed_through(tmp_path: Path) -> None:
    with atomic_write(tmp_path / "a.csv", newline="\r\n") as f:
        f.write("a\nb\n")
    assert (tmp_path / "a.csv").read_bytes() == b"a\r\nb\r\n"


def test_refuses_non_write_modes(tmp_path: Path) -> None:
    for mode in ("r", "a", "rb", "x"):
        with pytest.raises(ValueError, match="write modes"), atomic_write(tmp_path / "f", mode):
            pass
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_permissions_kept_or_default(tmp_path: Path) -> None:
    existing = tmp_path / "e.txt"
    existing.write_text("x")
    existing.chmod(0o640)
    atomic_write_text(existing, "y")
    assert existing.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "f.txt"
    atomic_write_text(fresh, "y")
    mask = os.umask(0)
    os.umask(mask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600


def test_stale_temp_files_of_killed_writers_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    old_tmp = tmp_path / ".out.ttl.abc123.tmp"
    young_tmp = tmp_path / ".out.ttl.def456.tmp"
    other = tmp_path / ".other.ttl.abc.tmp"
    for p in (old_tmp, young_tmp, other):
        p.write_text("partial")
    hours_ago = time.time() - atomic.STALE_SECONDS - 60
    os.utime(old_tmp, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))
    atomic_write_text(target, "done")
    assert sorted(os.listdir(tmp_path)) == [".other.ttl.abc.tmp", ".out.ttl.def456.tmp", "out.ttl"]


_KILLED_WRITER = textwrap.dedent(
    """
    import os, sys
    from zhkg.atomic import atomic_write
    with atomic_write(sys.argv[1]) as f:
        f.write("partial new content " * 1000)
        f.flush()
        print("writing", flush=True)
        sys.stdin.readline()  # wait here until killed
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_writer_killed_midway_leaves_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "graph.nt"
    target.write_text("previous complete output\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "writing\n"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text(encoding="utf-8") == "previous complete output\n"
    leftovers = [n for n in os.listdir(tmp_path) if n != "graph.nt"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".graph.nt.")
    atomic_write_text(target, "re-run\n")  # a re-run completes it
    assert target.read_text(encoding="utf-8") == "re-run\n"


# -- folders ----------------------------------------------------------------------------------


def test_atomic_dir_creates_and_swaps(tmp_path: Path) -> None:
    out = tmp_path / "site"
    with atomic_dir(out) as staging:
        (staging / "index.html").write_text("v1")
        assert not out.exists()
    assert (out / "index.html").read_text() == "v1"
    with atomic_dir(out) as staging:
        (staging / "index.html").write_text("v2")
        (staging / "lib").mkdir()
        (staging / "lib" / "a.js").write_text("js")
        assert (out / "index.html").read_text() == "v1"
    assert (out / "index.html").read_text() == "v2"
    assert (out / "lib" / "a.js").read_text() == "js"
    assert os.listdir(tmp_path) == ["site"]


def test_atomic_dir_failure_keeps_old(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("v1")
    with pytest.raises(OSError, match="disk"), atomic_dir(out) as staging:
        (staging / "index.html").write_text("half")
        raise OSError("disk full")
    assert (out / "index.html").read_text() == "v1"
    assert os.listdir(tmp_path) == ["site"]


def test_atomic_dir_two_rename_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "_renameat2_exchange", lambda a, b: False)
    out = tmp_path / "site"
    for version in ("v1", "v2"):
        with atomic_dir(out) as staging:
            (staging / "index.html").write_text(version)
    assert (out / "index.html").read_text() == "v2"
    assert os.listdir(tmp_path) == ["site"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux only")
def test_renameat2_exchange_swaps(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("a")
    (b / "f").write_text("b")
    if not atomic._renameat2_exchange(a, b):
        pytest.skip("file system without RENAME_EXCHANGE")
    assert ((a / "f").read_text(), (b / "f").read_text()) == ("b", "a")


def test_recover_dir_after_crash_between_renames(tmp_path: Path) -> None:
    out = tmp_path / "site"
    old = tmp_path / ".site.old"  # state after the first of two renames
    old.mkdir()
    (old / "index.html").write_text("v1")
    staging = tmp_path / ".site.new-xyz"
    staging.mkdir()
    (staging / "index.html").write_text("half")
    recover_dir(out)
    assert (out / "index.html").read_text() == "v1"
    assert os.listdir(tmp_path) == ["site"]
    with atomic_dir(out) as new:  # and a re-run completes
        (new / "index.html").write_text("v2")
    assert (out / "index.html").read_text() == "v2"
