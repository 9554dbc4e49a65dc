"""Published checkpoints, and an endpoint that reads one complete build while another is written."""

from __future__ import annotations

import json
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_endpoint import http_get, make_store

from zhkg.graph import snapshot
from zhkg.graph.store import Store
from zhkg.query.endpoint import EndpointConfig, SparqlEndpoint

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:x:new> { ?s ?p ?o } }"


def add_graph(store: Store, size: int) -> None:
    graph = ox.NamedNode("urn:x:new")
    store.inner.extend(ox.Quad(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"),
                               ox.Literal(str(i)), graph) for i in range(size))


def test_publish_keeps_only_the_newest_unless_held(tmp_path: Path) -> None:
    path = make_store(tmp_path / "store")
    with Store.open(path) as store:
        first = store.publish_snapshot()
        held = snapshot.Hold(first)
        second = store.publish_snapshot()
        assert snapshot.newest(path) == second
        assert first.exists()  # a reader holds it
        held.release()
        assert snapshot.prune(path) == [first]
        add_graph(store, 3)
        third = store.publish_snapshot()
    assert sorted(p.name for p in snapshot.folder(path).iterdir()) == [third.name]
    reader = ox.Store.read_only(str(third))
    assert len(list(reader.quads_for_pattern(None, None, None, ox.NamedNode("urn:x:new")))) == 3


def test_a_checkpoint_links_the_store_files_rather_than_copying(tmp_path: Path) -> None:
    path = make_store(tmp_path / "store", bulk=20_000)
    with Store.open(path) as store:
        published = store.publish_snapshot()
    tables = list(published.glob("*.sst"))
    assert tables and all(t.stat().st_nlink >= 2 for t in tables)


def test_unfinished_checkpoints_are_not_served_and_are_cleaned(tmp_path: Path) -> None:
    path = make_store(tmp_path / "store")
    with Store.open(path) as store:
        done = store.publish_snapshot()
        partial = snapshot.folder(path) / ".99999999999999999999"
        partial.mkdir()
        (partial / "CURRENT").write_text("half\n")
        assert snapshot.newest(path) == done
        assert partial not in snapshot.prune(path)  # a reader never removes a publisher's work
        store.publish_snapshot()
    assert not partial.exists()


def count(endpoint: SparqlEndpoint) -> int:
    url = endpoint.url + "?" + urllib.parse.urlencode({"query": COUNT})
    status, _, body = http_get(url, {"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.server
def test_readers_see_one_state_until_the_build_completes(tmp_path: Path) -> None:
    path = make_store(tmp_path / "store", bulk=3000)
    config = EndpointConfig(store=path, port=0, timeout=1.5, workers=2, snapshot_poll=0.2)
    with SparqlEndpoint(config) as endpoint:
        first = endpoint.pool.source
        assert count(endpoint) == 0
        with Store.open(path) as build:  # a build writing beside the server
            add_graph(build, 5)
            build.inner.flush()
            # workers restarted mid-build (here: killed by a timeout) still see the old state
            slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
            for _ in range(2):
                status, _, _ = http_get(endpoint.url + "?" + urllib.parse.urlencode(
                    {"query": slow}))
                assert status == 503
            time.sleep(2)  # the replacements have started
            assert [count(endpoint) for _ in range(6)] == [0] * 6
            add_graph(build, 5)  # idempotent: still 5 distinct quads
            build.publish_snapshot()  # the build completes
        answers = []
        for _ in range(100):  # switches within a few polls; bounded wait, not a timing check
            answers.append(count(endpoint))
            if answers[-1] == 5:
                break
            time.sleep(0.2)
        assert answers[-1] == 5 and set(answers) <= {0, 5}
        assert all(n == 5 for n in (count(endpoint) for _ in range(6)))  # never back
        for _ in range(100):
            if not first.exists():
                break
            time.sleep(0.2)
        assert not first.exists()  # the old checkpoint went once no worker read it


def test_a_completed_build_publishes_its_graph(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from zhkg.cli import cli

    seeds = Path(__file__).resolve().parents[2] / "seeds"
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(seeds), "-o", str(out), "-j", "1", "--no-page",
                                      "--no-exports"])
    assert result.exit_code == 0, result.output
    published = snapshot.newest(out / "store")
    assert published is not None
    with Store.open(out / "store", read_only=True) as live, \
            Store.open(published, read_only=True) as copy:
        assert copy.graphs() == live.graphs() and copy.count() == live.count() > 0
