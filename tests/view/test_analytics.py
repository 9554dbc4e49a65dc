"""zhkg.view.analytics: figures on the hand-made sample graph, exports that Gephi (networkx) reads
back, and `zhkg stats` checked against the library."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Dataset

from zhkg import view
from zhkg.cli import cli
from zhkg.view import analytics, styles

SAMPLE = Path(__file__).parents[1] / "data" / "view_sample.trig"
ID = "https://w3id.org/zhkg/id/"


@pytest.fixture(scope="module")
def net() -> nx.MultiDiGraph:
    ds = Dataset()
    ds.parse(SAMPLE, format="trig")
    return view.graph_to_network(ds)


def test_entity_graph_leaves_out_articles_and_mentions(net: nx.MultiDiGraph) -> None:
    graph = analytics.entity_graph(net)
    assert graph.number_of_nodes() == 10
    assert all(d["type"] != "Article" for _, d in graph.nodes(data=True))
    assert graph.number_of_edges() == 9  # the nine relations, no mentions/author/publisher


def test_stats_figures(net: nx.MultiDiGraph) -> None:
    figures = analytics.stats(net, top=3)
    assert (figures["nodes"], figures["edges"]) == (12, 21)
    assert (figures["entities"], figures["articles"], figures["relations"]) == (10, 2, 9)
    assert figures["by_type"]["Article"] == 2 and figures["by_type"]["City"] == 1
    assert list(figures["by_type"])[0] == "Country"  # legend order
    assert figures["by_predicate"]["mentions"] == 10
    assert figures["by_predicate"]["partOf"] == 3
    # four degree-2 entities tie for third place: the IRI decides (company-... < district-...)
    assert [e["label"] for e in figures["top_degree"]] == ["宁波市人民政府", "宁波市",
                                                          "甬江科技有限公司"]
    assert figures["top_degree"][0]["degree"] == 4
    assert figures["top_pagerank"][0]["iri"] == ID + "body-ningbo-gov"
    assert len(figures["top_pagerank"]) == 3
    # the lone person is its own component; everything else hangs together
    assert (figures["components"], figures["largest_component"]) == (2, 9)
    sizes = [c["size"] for c in figures["communities"]]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) <= 10
    assert figures["community_count"] >= 2 and 0 < figures["modularity"] < 1
    json.dumps(figures)  # JSON-ready
    assert analytics.stats(net, top=3) == figures  # deterministic


def test_pagerank_is_a_distribution(net: nx.MultiDiGraph) -> None:
    figures = analytics.stats(net, top=100)
    assert len(figures["top_pagerank"]) == 10
    assert abs(sum(e["pagerank"] for e in figures["top_pagerank"]) - 1.0) < 1e-4


def test_stats_of_a_graph_without_relations() -> None:
    net = nx.MultiDiGraph()
    net.add_node("x", type="City", label="某市")
    figures = analytics.stats(net)
    assert figures["relations"] == 0 and figures["top_pagerank"] == []
    assert figures["top_degree"] == [{"iri": "x", "label": "某市", "type": "City", "degree": 0}]
    assert "某市" in analytics.format_stats(figures)


def test_graphml_round_trip(net: nx.MultiDiGraph, tmp_path: Path) -> None:
    out = analytics.write_graphml(net, tmp_path / "g.graphml")
    back = nx.read_graphml(out)
    assert set(back.nodes) == set(net.nodes)
    assert back.number_of_edges() == net.number_of_edges()
    city = back.nodes[ID + "city-ningbo"]
    assert city["label"] == "宁波市" and json.loads(city["aliases"]) == ["宁波"]
    assert city["lat"] == pytest.approx(29.8683)
    labels = {d["label"] for *_, d in back.edges(data=True)}
    assert "holdsPost" in labels


def test_gexf_round_trip_with_colours(net: nx.MultiDiGraph, tmp_path: Path) -> None:
    out = analytics.write_gexf(net, tmp_path / "g.gexf")
    back = nx.read_gexf(out)
    assert set(back.nodes) == set(net.nodes)
    assert back.number_of_edges() == net.number_of_edges()
    colour = back.nodes[ID + "official-zhangsan"]["viz"]["color"]
    hex_colour = "#{:02x}{:02x}{:02x}".format(colour["r"], colour["g"], colour["b"])
    assert hex_colour == styles.TYPE_STYLES["Official"].color


def test_cli_stats_json_matches_library(net: nx.MultiDiGraph, tmp_path: Path) -> None:
    graphml = tmp_path / "out.graphml"
    gexf = tmp_path / "out.gexf"
    result = CliRunner().invoke(cli, ["stats", "--rdf", str(SAMPLE), "--format", "json",
                                      "--top", "5", "--graphml", str(graphml),
                                      "--gexf", str(gexf)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == analytics.stats(net, top=5)
    assert nx.read_graphml(graphml).number_of_nodes() == net.number_of_nodes()
    assert nx.read_gexf(gexf).number_of_nodes() == net.number_of_nodes()


def test_cli_stats_text(net: nx.MultiDiGraph) -> None:
    result = CliRunner().invoke(cli, ["stats", "--rdf", str(SAMPLE), "--around", "北仑"])
    assert result.exit_code == 0, result.output
    assert "most central (PageRank):" in result.stdout
    assert "北仑区" in result.stdout
    assert "张三" not in result.stdout  # outside the neighbourhood
