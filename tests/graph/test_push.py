"""`zhkg push` against a real Oxigraph server that the test starts on loopback and stops."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import JSON, SPARQLWrapper

from zhkg.cli import cli
from zhkg.errors import StoreError
from zhkg.graph.push import DEFAULT, push

DATA = Path(__file__).parents[1] / "data" / "serve_small.trig"
META = "https://w3id.org/zhkg/graph/meta"

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def oxigraph_binary() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if found is None:
        pytest.skip("the oxigraph server (pip install oxigraph) is not installed")
    return found


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    """A real Oxigraph server on a free loopback port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(tmp_path / "remote"),
         "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("oxigraph did not start: " +
                                       (process.stderr.read() if process.stderr else b"")
                                       .decode(errors="replace")) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The fixture dataset plus one bookkeeping quad in the meta graph, which must stay local."""
    path = tmp_path / "store"
    s = ox.Store(str(path))
    s.bulk_load(path=str(DATA), format=ox.RdfFormat.TRIG)
    s.add(ox.Quad(ox.NamedNode("https://w3id.org/zhkg/article/t1"),
                  ox.NamedNode("https://w3id.org/zhkg/ontology#contentHash"), ox.Literal("abc"),
                  ox.NamedNode(META)))
    s.flush()
    del s
    return path


def local_graphs() -> dict[str, Graph]:
    dataset = Dataset()
    dataset.parse(DATA, format="trig")
    graphs: dict[str, Graph] = {}
    for context in dataset.contexts():
        name = str(context.identifier)
        key = DEFAULT if name.startswith("urn:x-rdflib:") else name
        graph = Graph()
        for triple in context:
            graph.add(triple)
        if len(graph):
            graphs[key] = graph
    return graphs


def remote_graph(base: str, name: str) -> Graph:
    selector = "default" if name == DEFAULT else "graph=" + urllib.parse.quote(name, safe="")
    request = urllib.request.Request(f"{base}/store?{selector}",
                                     headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return Graph().parse(data=response.read(), format="nt")


def remote_counts(base: str) -> dict[str, int]:
    sparql = SPARQLWrapper(base + "/query")
    sparql.setQuery("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    sparql.setReturnFormat(JSON)
    result = sparql.queryAndConvert()
    assert isinstance(result, dict)
    return {b["g"]["value"]: int(b["n"]["value"]) for b in result["results"]["bindings"]}


def test_push_sends_each_graph(store: Path, oxigraph: str) -> None:
    expected = local_graphs()
    report = push(store, oxigraph + "/store")
    assert {g.graph for g in report.graphs} == set(expected)
    assert {g.graph: g.triples for g in report.graphs} == {k: len(v) for k, v in expected.items()}
    assert report.triples == sum(len(g) for g in expected.values())
    assert all(g.status in (200, 201, 204) for g in report.graphs)
    for name, graph in expected.items():
        got = remote_graph(oxigraph, name)
        assert isomorphic(got, graph), (name, sorted(set(got) ^ set(graph)))
    counts = remote_counts(oxigraph)
    assert META not in counts
    assert counts == {k: len(v) for k, v in expected.items() if k != DEFAULT}


def test_push_twice_replaces_not_adds(store: Path, oxigraph: str) -> None:
    push(store, oxigraph + "/store")
    first = remote_counts(oxigraph)
    stale = ox.Store(str(store))  # the article changes locally: one statement fewer
    t2 = ox.NamedNode("https://w3id.org/zhkg/graph/article/t2")
    quad = next(iter(stale.quads_for_pattern(
        None, ox.NamedNode("https://w3id.org/zhkg/ontology#locatedIn"), None, t2)))
    stale.remove(quad)
    stale.flush()
    del stale
    report = push(store, oxigraph + "/store")
    second = remote_counts(oxigraph)
    assert second[t2.value] == first[t2.value] - 1
    assert {k: v for k, v in second.items() if k != t2.value} == \
        {k: v for k, v in first.items() if k != t2.value}
    assert {g.graph: g.triples for g in report.graphs}[t2.value] == second[t2.value]


def test_cli_push(store: Path, oxigraph: str) -> None:
    result = CliRunner().invoke(cli, ["push", "--store", str(store), "--endpoint",
                                      oxigraph + "/store"])
    assert result.exit_code == 0, result.output
    expected = local_graphs()
    total = sum(len(g) for g in expected.values())
    assert f"pushed {len(expected)} graphs, {total} triples" in result.output
    assert remote_counts(oxigraph) == {k: len(v) for k, v in expected.items() if k != DEFAULT}


def test_connection_refused_names_the_url(store: Path) -> None:
    port = free_port()  # nothing listens there
    endpoint = f"http://someone:secret@127.0.0.1:{port}/store"
    with pytest.raises(StoreError) as caught:
        push(store, endpoint)
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}/store" in message and "refused" in message
    assert "secret" not in message
    result = CliRunner().invoke(cli, ["push", "--store", str(store), "--endpoint", endpoint])
    assert result.exit_code == 1
    assert "refused" in result.output and "Traceback" not in result.output


def test_server_error_is_reported(store: Path, oxigraph: str) -> None:
    with pytest.raises(StoreError) as caught:
        push(store, oxigraph + "/no-such-service")
    message = str(caught.value)
    assert "/no-such-service" in message and "404" in message
    assert "0 graphs pushed before this" in message


def test_bad_endpoint_and_missing_store(store: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not an http"):
        push(store, "ftp://127.0.0.1/store")
    with pytest.raises(StoreError, match="no store"):
        push(tmp_path / "nothing", "http://127.0.0.1:1/store")


@pytest.fixture
def dripping() -> Iterator[str]:
    """A loopback server that reads a request, then answers one byte every 0.3 s for 20 s: no
    read waits long, so only a bound on the whole request stops a client."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                with contextlib.suppress(OSError):
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536)
                    head, _, body = data.partition(b"\r\n\r\n")
                    found = re.search(rb"(?i)content-length: *(\d+)", head)
                    length = int(found[1]) if found else 0
                    while len(body) < length:
                        body += conn.recv(65536)
                    end = time.monotonic() + 20
                    for byte in b"HTTP/1.1 204 No Content\r\n" * 100:
                        if stop.is_set() or time.monotonic() > end:
                            break
                        conn.sendall(bytes([byte]))
                        time.sleep(0.3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/store"
    finally:
        stop.set()
        thread.join(30)
        listener.close()


def test_timeout_bounds_each_whole_request(store: Path, dripping: str) -> None:
    """Issue 13: `--timeout` bounded each read, so a server dripping a byte at a time held a
    push for ever."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            push(store, dripping, timeout=1.0)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(15)
    assert not worker.is_alive(), "push still waiting after 15 s with --timeout 1"
    assert time.monotonic() - started < 5
    (error,) = outcome
    assert isinstance(error, StoreError) and "no answer within 1 s" in str(error)
