"""zhkg.view: RDF -> network (what becomes a node, what it carries), restrictions, the page file.

The browser half (does the page draw, search, stay offline) is tests/test_page_browser.py.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Dataset, Graph

from zhkg import view
from zhkg.cli import cli
from zhkg.errors import InputError, ZhkgError
from zhkg.graph.select import NQuads
from zhkg.namespace import GRAPH
from zhkg.view import network, page, styles
from zhkg.view.layout import spring_positions

DATA = Path(__file__).parents[1] / "data"
SAMPLE = DATA / "view_sample.trig"
ID = "https://w3id.org/zhkg/id/"
ART = "https://w3id.org/zhkg/article/"
HOSTILE = "</script><script>alert(1)</script>宁波发布数字经济条例 & <b>x</b>"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    ds = Dataset()
    ds.parse(SAMPLE, format="trig")
    return ds


@pytest.fixture(scope="module")
def net(dataset: Dataset) -> nx.MultiDiGraph:
    return view.graph_to_network(dataset)


def page_payload(html: str) -> dict[str, Any]:
    """The JSON the page script reads, exactly as the browser would get it."""
    m = re.search(r'<script type="application/json" id="zhkg-data">(.*?)</script>', html, re.S)
    assert m, "no data block"
    return dict(json.loads(m.group(1)))


# -- RDF -> network ------------------------------------------------------------------------------


def test_nodes_are_entities_and_articles_only(net: nx.MultiDiGraph) -> None:
    expected = {ID + n for n in ("city-ningbo", "official-zhangsan", "post-ningbo-mayor",
                                 "body-ningbo-gov", "policy-digital", "person-lisi",
                                 "district-beilun", "company-yongjiang", "province-zhejiang",
                                 "country-china")} | {ART + "a1", ART + "a2"}
    assert set(net.nodes) == expected  # no evidence, statement or literal nodes


def test_node_attributes(net: nx.MultiDiGraph) -> None:
    city = net.nodes[ID + "city-ningbo"]
    assert city["type"] == "City"
    assert city["label"] == "宁波市"  # the canonical rdfs:label, not an altLabel
    assert city["aliases"] == ["宁波"]
    assert (city["adcode"], city["lat"], city["lon"]) == ("330200", 29.8683, 121.544)
    assert city["articles"] == ["a1", "a2"]
    sentence = "宁波市政府发布<img src=x onerror=alert(2)>数字经济促进条例。"
    assert city["sentences"] == [{"text": sentence, "article": "a1", "title": HOSTILE}]
    official = net.nodes[ID + "official-zhangsan"]
    assert official["type"] == "Official"  # the most specific of Official and Person
    assert official["posts"] == ["市长（宁波市人民政府）"]
    article = net.nodes[ART + "a1"]
    assert (article["type"], article["article_id"], article["title"]) == ("Article", "a1", HOSTILE)
    assert article["published"] == "2021-03-04T10:00:00"


def test_label_falls_back_to_the_fullest_alias(dataset: Dataset) -> None:
    one_article = Graph()
    for s, p, o in dataset.graph(GRAPH["article/a2"]):
        one_article.add((s, p, o))
    net = view.graph_to_network(one_article)
    assert net.nodes[ID + "company-yongjiang"]["label"] == "甬江科技有限公司"
    assert net.nodes[ID + "company-yongjiang"]["aliases"] == ["甬江科技"]


def test_edges_carry_predicate_articles_and_sentences(net: nx.MultiDiGraph) -> None:
    holds = net.edges[ID + "official-zhangsan", ID + "post-ningbo-mayor", "holdsPost"]
    assert holds["predicate"] == "holdsPost"
    assert holds["articles"] == ["a1"]
    assert holds["sentences"][0]["text"] == "市长张三表示，条例将于明年实施。"
    # evidence that `zhkg:supports` a separate rdf:Statement
    located = net.edges[ID + "company-yongjiang", ID + "district-beilun", "locatedIn"]
    assert located["sentences"][0]["article"] == "a2"
    # no evidence: the article graph that states it still counts
    assert net.edges[ID + "body-ningbo-gov", ID + "city-ningbo", "locatedIn"]["articles"] == ["a1"]
    # gazetteer facts belong to no article
    assert net.edges[ID + "city-ningbo", ID + "province-zhejiang", "partOf"]["articles"] == []
    assert net.has_edge(ART + "a1", ID + "person-lisi", "author")
    preds = {k for *_, k in net.edges(keys=True)}
    assert preds <= set(styles.EDGE_PREDICATES)


def test_plain_graph_gives_the_same_network(dataset: Dataset, net: nx.MultiDiGraph) -> None:
    flat = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        flat.add((s, p, o))
    other = view.graph_to_network(flat)
    assert set(other.nodes) == set(net.nodes)
    assert set(other.edges(keys=True)) == set(net.edges(keys=True))


def test_around_keeps_the_neighbourhood(dataset: Dataset) -> None:
    one = view.graph_to_network(dataset, around="宁波", depth=1)
    entities = {n for n, d in one.nodes(data=True) if d["type"] != "Article"}
    assert entities == {ID + "city-ningbo", ID + "province-zhejiang", ID + "district-beilun",
                        ID + "body-ningbo-gov"}
    assert {ART + "a1", ART + "a2"} <= set(one.nodes)  # the articles mentioning them come along
    two = view.graph_to_network(dataset, around="宁波市", depth=2)
    assert ID + "country-china" in two and ID + "post-ningbo-mayor" in two
    assert ID + "official-zhangsan" not in two  # three steps away
    zero = view.graph_to_network(dataset, around=ID + "city-ningbo", depth=0)
    assert {n for n, d in zero.nodes(data=True) if d["type"] != "Article"} == {ID + "city-ningbo"}


def test_around_unknown_name(dataset: Dataset) -> None:
    with pytest.raises(ZhkgError, match="不存在"):
        view.graph_to_network(dataset, around="不存在")


def test_find_node_prefers_exact_then_most_connected(net: nx.MultiDiGraph) -> None:
    assert network.find_node(net, "甬江科技") == ID + "company-yongjiang"  # an alias
    assert network.find_node(net, "宁波") == ID + "city-ningbo"  # exact alias beats 宁波市人民政府
    assert network.find_node(net, "人民政府") == ID + "body-ningbo-gov"  # part of a name


def test_article_restriction(dataset: Dataset) -> None:
    a2 = view.graph_to_network(dataset, article="a2")
    assert set(a2.nodes) == {ART + "a2", ID + "district-beilun", ID + "company-yongjiang",
                             ID + "city-ningbo", ID + "body-ningbo-gov"}
    # the relation a1 states between two of these entities is not a2's
    assert not a2.has_edge(ID + "body-ningbo-gov", ID + "city-ningbo", "locatedIn")
    assert a2.has_edge(ID + "district-beilun", ID + "city-ningbo", "partOf")
    by_title = view.graph_to_network(dataset, article="北仑港区与企业签署合作协议")
    assert set(by_title.nodes) == set(a2.nodes)
    with pytest.raises(ZhkgError):
        view.graph_to_network(dataset, article="zz")


def test_max_nodes_keeps_the_most_connected(dataset: Dataset, net: nx.MultiDiGraph) -> None:
    small = view.graph_to_network(dataset, max_nodes=3)
    assert small.number_of_nodes() == 3
    kept_degrees = sorted((net.degree(n) for n in small), reverse=True)
    others = [net.degree(n) for n, d in net.nodes(data=True)
              if n not in small and d["type"] != "Article"]
    assert min(kept_degrees) >= max(others)
    assert set(view.graph_to_network(dataset, max_nodes=3).nodes) == set(small.nodes)
    with pytest.raises(ZhkgError):
        view.graph_to_network(dataset, max_nodes=0)


# -- the page file -------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_page_is_self_contained_and_escaped(net: nx.MultiDiGraph, tmp_path: Path) -> None:
    out = view.write_page(net, tmp_path / "sub" / "page.html", title="<script>alert(3)</script>图")
    raw = out.read_bytes()
    html = raw.decode("utf-8")  # UTF-8, whatever the platform's default
    parser = _Tags()
    parser.feed(html)
    tags = parser.tags
    assert not [t for t, a in tags if t in ("link", "img", "iframe", "object", "embed")]
    assert all(a.get("src") is None for t, a in tags if t == "script")
    scripts = [t for t, _ in tags if t == "script"]
    assert len(scripts) == 3 and html.count("</script>") == 3  # data, vis-network, page script
    assert "<script>alert" not in html and "alert(1)</script>" not in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;图" in html
    assert "cdnjs.cloudflare.com" not in html and "cdn.jsdelivr.net" not in html
    assert "bootstrap" not in html.lower()  # pyvis's template links it; ours does not need it
    payload = page_payload(html)
    assert payload["articles"][0]["title"] == HOSTILE  # the text survives, as text
    assert len(payload["nodes"]) == net.number_of_nodes()
    assert len(payload["edges"]) == net.number_of_edges()
    assert not list(out.parent.glob(".*tmp"))  # the atomic write left nothing behind


def test_page_data_nodes_and_legend(net: nx.MultiDiGraph) -> None:
    data = page.page_data(net)
    ids = [n["id"] for n in data["nodes"]]
    assert ids == list(range(net.number_of_nodes()))
    by_label = {d["label"]: (n, d) for n, d in zip(data["nodes"], data["details"], strict=True)}
    node, detail = by_label["张三"]
    assert (node["shape"], node["color"]) == (styles.TYPE_STYLES["Official"].shape,
                                             styles.TYPE_STYLES["Official"].color)
    assert "市长（宁波市人民政府）" in node["title"]  # hover text
    assert detail["posts"] == ["市长（宁波市人民政府）"]
    # size by degree: the body with four relations is drawn bigger than the lone person
    assert by_label["宁波市人民政府"][0]["size"] > by_label["李四"][0]["size"]
    assert {entry["type"]: entry["count"] for entry in data["legend"]}["Article"] == 2
    assert data["physics"] is True and "x" not in node  # small: the browser lays it out
    assert data["options"]["physics"]["stabilization"]["enabled"] is True


def test_big_network_gets_positions_and_no_physics() -> None:
    from _pagegraph import synthetic_graph

    net = view.graph_to_network(synthetic_graph(entities=page.PHYSICS_LIMIT + 100, articles=10))
    data = page.page_data(net)
    assert data["physics"] is False and data["options"]["physics"]["enabled"] is False
    assert all(math.isfinite(n["x"]) and math.isfinite(n["y"]) for n in data["nodes"])


def test_layout_puts_neighbours_closer_than_strangers() -> None:
    graph = nx.connected_watts_strogatz_graph(600, 4, 0.05, seed=3)
    pos = spring_positions(graph, seed=1)
    assert set(pos) == set(graph.nodes)

    def dist(a: int, b: int) -> float:
        return math.dist(pos[a], pos[b])

    linked = sum(dist(a, b) for a, b in graph.edges) / graph.number_of_edges()
    strangers = [(a, (a * 7919 + 13) % 600) for a in range(600)]
    apart = sum(dist(a, b) for a, b in strangers if not graph.has_edge(a, b)) / len(strangers)
    assert linked * 3 < apart
    assert len({pos[n] for n in graph}) == 600  # no two nodes on the same spot
    assert spring_positions(graph, seed=1) == pos  # deterministic


@given(st.text())
def test_script_json_cannot_close_the_script(text: str) -> None:
    out = page.script_json({"t": text, "k": [text]})
    assert not set(out) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(out) == {"t": text, "k": [text]}


# -- CLI -----------------------------------------------------------------------------------------


def test_cli_view_from_rdf(tmp_path: Path, dataset: Dataset) -> None:
    out = tmp_path / "page.html"
    result = CliRunner().invoke(cli, ["view", "--rdf", str(SAMPLE), "--around", "宁波",
                                      "--depth", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    payload = page_payload(out.read_text(encoding="utf-8"))
    expected = view.graph_to_network(dataset, around="宁波", depth=2)
    assert {d["iri"] for d in payload["details"]} == set(expected.nodes)
    assert "宁波" in payload["title"]


def test_cli_view_from_store(tmp_path: Path, net: nx.MultiDiGraph) -> None:
    import pyoxigraph as ox

    from zhkg.graph.store import Store

    with Store.open(tmp_path / "store") as store:
        store.inner.load(path=str(SAMPLE), format=ox.RdfFormat.TRIG)
        store.inner.flush()
    out = tmp_path / "page.html"
    result = CliRunner().invoke(cli, ["view", "--store", str(tmp_path / "store"), "--article",
                                      "a1", "-o", str(out), "--show-articles"])
    assert result.exit_code == 0, result.output
    payload = page_payload(out.read_text(encoding="utf-8"))
    assert payload["showArticles"] is True
    iris = {d["iri"] for d in payload["details"]}
    assert ART + "a1" in iris and ART + "a2" not in iris
    assert ID + "company-yongjiang" not in iris
    whole = CliRunner().invoke(cli, ["view", "--store", str(tmp_path / "store"),
                                     "--max-nodes", "5", "-o", str(out)])
    assert whole.exit_code == 0, whole.output
    assert len(page_payload(out.read_text(encoding="utf-8"))["nodes"]) == 5


def test_cli_view_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["view", "--rdf", str(SAMPLE), "--around", "不存在",
                                      "-o", str(tmp_path / "p.html")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: no entity or article named '不存在' "
                                                  "in the graph"]
    assert not (tmp_path / "p.html").exists()
    missing = CliRunner().invoke(cli, ["view", "--store", str(tmp_path / "nostore"),
                                       "-o", str(tmp_path / "p.html")])
    assert missing.exit_code == 1 and "no store here" in missing.output


def test_unknown_rdf_suffix(tmp_path: Path) -> None:
    bad = tmp_path / "graph.csv"
    bad.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown RDF file type"):
        view.load_network(rdf=bad)


def test_empty_network_still_makes_a_page(tmp_path: Path) -> None:
    out = view.write_page(nx.MultiDiGraph(), tmp_path / "empty.html")
    payload = page_payload(out.read_text(encoding="utf-8"))
    assert payload["nodes"] == [] and payload["legend"] == [] and payload["articles"] == []


def test_nquads_source_reads_like_a_dataset(dataset: Dataset) -> None:
    """The build draws its page from N-Quads through `NQuads` (pyoxigraph parses), which
    must give the network an rdflib Dataset of the same N-Quads gives."""
    from pathlib import Path

    from zhkg.pipeline.work import process_document
    from zhkg.read import iter_documents

    seeds = Path(__file__).resolve().parents[2] / "seeds"
    extracted = "".join(process_document(d).nquads for d in iter_documents([seeds], print))
    for data in (dataset.serialize(format="nquads").encode("utf-8"), extracted.encode("utf-8")):
        parsed = Dataset()
        parsed.parse(data=data.decode("utf-8"), format="nquads")
        for max_nodes in (None, 15):
            a = view.graph_to_network(parsed, max_nodes=max_nodes)
            b = view.graph_to_network(NQuads(data), max_nodes=max_nodes)
            assert a.number_of_nodes() > 10
            assert sorted(a.nodes(data=True), key=str) == sorted(b.nodes(data=True), key=str)
            assert sorted(a.edges(keys=True, data=True), key=str) == sorted(
                b.edges(keys=True, data=True), key=str)


def test_the_pages_names_of_types_and_predicates_are_the_ontologys() -> None:
    from rdflib import RDFS
    from rdflib import Graph as RdfGraph

    from zhkg.model import ENTITY_TYPES, LINKS
    from zhkg.namespace import ZHKG

    onto = RdfGraph().parse(Path(__file__).parents[2] / "ontology" / "zhkg.ttl")

    def zh(term: str) -> str:
        return next(str(o) for o in onto.objects(ZHKG[term], RDFS.label) if o.language == "zh")

    assert {t: s.name for t, s in styles.TYPE_STYLES.items()} == {
        t: zh(t) for t in styles.TYPE_STYLES}
    assert styles.predicate_names() == {p: zh(p) for p in LINKS}
    # the page draws every entity type, and what the store's selection reads for it
    assert set(styles.TYPE_STYLES) - {styles.ARTICLE} == set(ENTITY_TYPES)
    assert (*styles.RELATIONS, *styles.ARTICLE_LINKS) == styles.EDGE_PREDICATES
