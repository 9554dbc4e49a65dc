"""A build that dies midway and is run again ends with the graph of a build that never died.

The corpus is generated at test time: the two seed articles cut into short articles of a few
sentences each (nothing is committed). Batches are made small so that "midway" has many batches
before and after it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from zhkg.graph.store import Store
from zhkg.pipeline import build
from zhkg.read import iter_documents

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SMALL_BATCH = 4


def make_corpus(folder: Path, sentences_per_article: int = 2) -> list[Path]:
    """The seeds cut into articles of a few sentences, one .txt each (title, date, body)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc in iter_documents([SEEDS], print):
        sentences = [s for s in re.split(r"(?<=[。！？])", doc.text) if s.strip()]
        for i in range(0, len(sentences), sentences_per_article):
            body = "".join(sentences[i : i + sentences_per_article])
            path = folder / f"{doc.id}_{i // sentences_per_article:03d}.txt"
            path.write_text(f"{doc.title}\n{doc.published or ''}\n{body}\n", encoding="utf-8")
            paths.append(path)
    return sorted(paths)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    paths = make_corpus(folder)
    assert len(paths) >= 4 * SMALL_BATCH  # enough batches for a midway
    return folder


@pytest.fixture(scope="module")
def uninterrupted(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whole")
    report = build.build([corpus], out, jobs=1, page=False)
    assert report.ok and report.articles_loaded == len(list(corpus.iterdir()))
    return out


@pytest.fixture()
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(build, "BATCH", SMALL_BATCH)
    yield


class Stop(Exception):
    pass


def test_exception_after_first_batch_then_rerun_gives_the_same_graph(
        corpus: Path, uninterrupted: Path, tmp_path: Path, small_batches: None) -> None:
    def fail_after_first_batch(loaded: int, read: int) -> None:
        raise Stop(f"after {loaded} articles")

    with pytest.raises(Stop):
        build.build([corpus], tmp_path, jobs=1, page=False,
                       on_progress=fail_after_first_batch)
    with Store.open(tmp_path / "store", read_only=True) as store:
        assert len(store.article_hashes()) == SMALL_BATCH

    report = build.build([corpus], tmp_path, jobs=1, page=False)
    assert report.articles_skipped_unchanged == SMALL_BATCH
    assert report.articles_loaded == report.articles_read - SMALL_BATCH
    assert (tmp_path / "graph.nt").read_bytes() == (uninterrupted / "graph.nt").read_bytes()


def test_parallel_build_stopped_midway_then_rerun_gives_the_same_graph(
        corpus: Path, uninterrupted: Path, tmp_path: Path, small_batches: None) -> None:
    # With two processes the next batch is already being extracted when the error comes.
    def fail_at_second_batch(loaded: int, read: int) -> None:
        if loaded > SMALL_BATCH:
            raise Stop(f"after {loaded} articles")

    with pytest.raises(Stop):
        build.build([corpus], tmp_path, jobs=2, page=False,
                       on_progress=fail_at_second_batch)
    report = build.build([corpus], tmp_path, jobs=2, page=False)
    assert report.articles_skipped_unchanged == 2 * SMALL_BATCH
    assert (tmp_path / "graph.nt").read_bytes() == (uninterrupted / "graph.nt").read_bytes()


# The child builds the corpus with small batches, prints each batch as it is loaded, and waits
# after the second one, so the parent kills it at a known point with the store open and written.
CHILD = """
import json, sys, time
from zhkg.pipeline import build
build.BATCH = int(sys.argv[3])

def progress(loaded, read):
    print(json.dumps([loaded, read]), flush=True)
    if loaded >= 2 * build.BATCH:
        time.sleep(120)

build.build([sys.argv[1]], sys.argv[2], jobs=1, page=False, on_progress=progress)
print("finished", flush=True)
"""


def test_build_killed_with_sigkill_then_rerun_gives_the_same_graph(
        corpus: Path, uninterrupted: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # An earlier, complete build of part of the corpus: its outputs must survive the killed run.
    first = tmp_path / "first"
    first.mkdir()
    for path in sorted(corpus.iterdir())[:3]:
        (first / path.name).write_bytes(path.read_bytes())
    assert build.build([first], out, jobs=1, page=False).ok
    before = (out / "graph.nt").read_bytes()

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(corpus), str(out), str(SMALL_BATCH)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stdout is not None
        seen = []
        for line in child.stdout:
            seen.append(json.loads(line))
            if seen[-1][0] >= 2 * SMALL_BATCH:
                break
        else:
            pytest.fail(f"the child ended early: {child.stderr.read() if child.stderr else ''}")
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()

    # The earlier outputs are untouched and usable, and the store opens.
    assert (out / "graph.nt").read_bytes() == before
    assert len(Graph().parse(out / "graph.nt", format="nt")) > 0
    with Store.open(out / "store", read_only=True) as store:
        done = store.article_hashes()
    assert len(done) >= 2 * SMALL_BATCH

    assert list(out.glob(".spool-*"))  # the killed build's spool, left behind

    report = build.build([corpus], out, jobs=1, page=False)
    assert report.articles_skipped_unchanged == len(done)
    assert report.articles_loaded + report.articles_skipped_unchanged == report.articles_read
    assert (out / "graph.nt").read_bytes() == (uninterrupted / "graph.nt").read_bytes()
    assert not list(out.glob(".spool-*"))  # cleared by the next build


# The child starts an update build (every article changed) and stops inside the store's load of
# its first chunk: the old graphs are out and the new ones not yet in. The parent kills it there.
UPDATE_CHILD = """
import sys, time
from zhkg.pipeline import build
from zhkg.graph.store import Store
build.BATCH = int(sys.argv[3])

def stalled(self, data, ids):
    print("loading", len(ids), flush=True)
    time.sleep(120)

Store._load_chunk = stalled
build.build([sys.argv[1]], sys.argv[2], jobs=1, page=False)
print("finished", flush=True)
"""


def test_update_killed_while_loading_then_rebuilding_the_original_restores_it(
        corpus: Path, uninterrupted: Path, tmp_path: Path) -> None:
    """Issue 13: an update killed between dropping the old graphs and loading the new ones left
    the old hashes behind, so rebuilding the original corpus took those articles as unchanged
    ("0 built") and their graphs were lost for good."""
    out = tmp_path / "out"
    shutil.copytree(uninterrupted, out)
    changed = tmp_path / "changed"
    changed.mkdir()
    for path in sorted(corpus.iterdir()):
        text = path.read_text(encoding="utf-8")
        (changed / path.name).write_text(text.rstrip("\n") + "会议还研究了其他事项。\n",
                                         encoding="utf-8")

    child = subprocess.Popen(
        [sys.executable, "-c", UPDATE_CHILD, str(changed), str(out), str(SMALL_BATCH)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.startswith("loading"):
            pytest.fail(f"the child did not reach the load: {line!r} "
                        f"{child.stderr.read() if child.stderr else ''}")
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()

    with Store.open(out / "store", read_only=True) as store:
        hashes, ids = store.article_hashes(), set(store.article_ids())
    assert set(hashes) <= ids  # no hash without its graph
    dropped = len(list(corpus.iterdir())) - len(ids)
    assert dropped > 0  # the kill came inside the window

    report = build.build([corpus], out, jobs=1, page=False)
    assert report.ok
    assert report.articles_loaded == dropped
    assert (out / "graph.nt").read_bytes() == (uninterrupted / "graph.nt").read_bytes()
