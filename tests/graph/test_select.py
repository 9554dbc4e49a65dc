"""The page of a store is drawn from a selection made in the store, not from the whole store.

`zhkg.graph.select.page_graph` reads out only what the page of the `max_nodes` most connected
entities needs; the network drawn from it must be the one drawn from the whole store (the seeds have
fewer articles per entity than the evidence sample, so even the sentences must match).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zhkg import view
from zhkg.graph import select
from zhkg.graph.store import Store
from zhkg.pipeline.build import build
from zhkg.view.styles import ARTICLE

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("seeds")
    assert build([SEEDS], out, jobs=1, page=False).ok
    with Store.open(out / "store", read_only=True) as s:
        yield s


def whole(store: Any, max_nodes: int) -> Any:
    return view.graph_to_network(select.page_graph(store, max_nodes=None), max_nodes=max_nodes)


def picture(net: Any) -> tuple[dict[str, Any], dict[tuple[str, str, str], Any]]:
    # An official's posts are listed in rdflib's iteration order, which differs between two
    # graphs with the same triples: compare them sorted.
    nodes = {n: {**d, "posts": sorted(d.get("posts", []))} for n, d in net.nodes(data=True)}
    return nodes, {(s, o, k): d for s, o, k, d in net.edges(keys=True, data=True)}


@pytest.mark.parametrize("max_nodes", [5, 12, 40])
def test_the_selected_page_equals_the_page_of_the_whole_store(store: Any, max_nodes: int) -> None:
    entities = select._entity_count(store)
    assert entities > max_nodes  # the selective path, not the small-store shortcut
    selected = view.graph_to_network(select.page_graph(store, max_nodes=max_nodes),
                                     max_nodes=max_nodes)
    expected = whole(store, max_nodes)
    assert selected.number_of_nodes() == max_nodes
    nodes, edges = picture(selected)
    want_nodes, want_edges = picture(expected)
    assert sorted(nodes) == sorted(want_nodes)
    for n, data in want_nodes.items():
        # An official's posts: on the selected page, only the posts that are drawn too.
        assert set(nodes[n].pop("posts")) <= set(data.pop("posts")), n
        assert nodes[n] == data, n
    assert edges == want_edges


def test_a_small_store_is_read_whole(store: Any) -> None:
    entities = select._entity_count(store)
    graph = select.page_graph(store, max_nodes=entities)
    assert len(list(graph.quads((None, None, None, None)))) == sum(1 for _ in store.quads())


def test_the_page_reads_a_bounded_sample_of_evidence(store: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # With one article of evidence per node, nothing from the other article's evidence is read.
    monkeypatch.setattr(select, "PAGE_EVIDENCE_ARTICLES", 1)
    net = view.graph_to_network(select.page_graph(store, max_nodes=12), max_nodes=12)
    full = whole(store, 12)
    assert set(net.nodes) == set(full.nodes)
    for n, data in net.nodes(data=True):
        sampled = {s["article"] for s in data["sentences"]}
        assert len(sampled) <= 1
        # All of that one article's sentences, as the whole store's page lists them.
        assert data["sentences"] == [s for s in full.nodes[n]["sentences"]
                                     if s["article"] in sampled]


@pytest.mark.parametrize("extra", [1, 2, 5])
def test_with_room_left_the_most_connected_articles_are_drawn_too(
        store: Any, extra: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every entity fits, and `extra` places are left for articles: the page picks the same ones.
    monkeypatch.setattr(select, "SMALL_STORE_QUADS", 0)
    max_nodes = select._entity_count(store) + extra
    selected = view.graph_to_network(select.page_graph(store, max_nodes=max_nodes),
                                     max_nodes=max_nodes)
    nodes, edges = picture(selected)
    want_nodes, want_edges = picture(whole(store, max_nodes))
    assert sum(1 for d in nodes.values() if d["type"] == ARTICLE) == min(extra, 2)
    assert nodes == want_nodes
    assert edges == want_edges
