"""The Dask engine: the same graph as the local build, on a cluster the test starts and stops."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhkg.cli import cli
from zhkg.errors import EngineError
from zhkg.graph.store import Store
from zhkg.model import Document
from zhkg.pipeline import build
from zhkg.pipeline.dask_engine import DaskEngine, process_documents
from zhkg.read import iter_documents

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A two-worker LocalCluster on loopback; yields the scheduler address."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.ERROR) as c:
        yield c.scheduler_address


@pytest.fixture(scope="module")
def local_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    assert build.build([SEEDS], out, jobs=1, page=False).ok
    return out


def short_documents() -> list[Document]:
    """The seeds cut at sentence ends into many short documents, so a batch has many chunks."""
    docs = []
    for doc in iter_documents([SEEDS], print):
        for i, sentence in enumerate(s for s in re.split(r"(?<=。)", doc.text) if s.strip()):
            docs.append(Document(id=f"{doc.id}-{i:03d}", text=sentence, title=doc.title))
    return docs


def test_dask_build_of_the_seeds_equals_the_local_build(
        cluster: str, local_build: Path, tmp_path: Path) -> None:
    report = build.build([SEEDS], tmp_path, engine="dask", scheduler=cluster, page=False)
    assert report.ok and report.articles_loaded == 2
    assert report.engine == "dask" and report.jobs == 2  # the cluster's threads
    assert (tmp_path / "graph.nt").read_bytes() == (local_build / "graph.nt").read_bytes()
    assert (tmp_path / "graph.trig").read_bytes() == (local_build / "graph.trig").read_bytes()


def test_results_come_back_in_document_order(cluster: str) -> None:
    docs = short_documents()
    assert len(docs) > 2 * 4 * 2  # more documents than chunks
    with DaskEngine(scheduler=cluster) as engine:
        results = engine.map(docs)
    assert [r.doc_id for r in results] == [d.id for d in docs]
    assert results == process_documents(docs)


def test_cli_build_with_the_dask_engine(cluster: str, local_build: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(SEEDS), "-o", str(tmp_path), "--engine", "dask",
                                      "--scheduler", cluster, "--no-page"])
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "store", read_only=True) as built, \
            Store.open(local_build / "store", read_only=True) as local:
        assert built.article_hashes() == local.article_hashes()
        assert built.count() == local.count()


def test_without_a_scheduler_it_starts_and_stops_its_own_cluster() -> None:
    docs = short_documents()[:5]
    with DaskEngine(jobs=1) as engine:
        cluster = engine._cluster
        assert cluster is not None and cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert len(engine.client.nthreads()) == 1
        results = engine.map(docs)
    assert results == process_documents(docs)
    assert cluster.status.name == "closed"
    with pytest.raises(EngineError):
        _ = engine.client


def test_an_unreachable_scheduler_is_a_one_line_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EngineError, match=f"127.0.0.1:{port}"), \
            DaskEngine(scheduler=f"tcp://127.0.0.1:{port}", timeout=1):
        pass
