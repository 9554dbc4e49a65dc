"""zhkg.query and the `query` / `remove` commands, on a small hand-built store."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from _kg import FakeGazetteer, canonical_name, mention, sample
from click.testing import CliRunner
from test_endpoint_hostile import Listener

from zhkg import iris
from zhkg.cli import cli
from zhkg.errors import QueryError, StoreError
from zhkg.graph import rdf
from zhkg.graph.entities import refresh_entities
from zhkg.graph.export import write_exports
from zhkg.graph.store import Store
from zhkg.model import Document, Extraction
from zhkg.query.run import MAX_QUERY_BYTES, packaged_queries, parse_binding, resolve_query, run

ID = "https://w3id.org/zhkg/id/"


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    with Store.open(out / "store") as st:
        st.replace_articles([(d, "h", rdf.article_nquads(*sample(d))) for d in ("a", "b")])
        refresh_entities(st, canonical_name, FakeGazetteer())
        write_exports(st, out)
    return out


def rows(build_dir: Path, query: str, **bindings: str) -> list[dict[str, str]]:
    text = run(build_dir / "store", query, "csv", bindings)
    return list(csv.DictReader(io.StringIO(text)))


def test_packaged_queries_are_listed_and_described() -> None:
    queries = packaged_queries()
    assert set(queries) == {"officials", "companies-by-city", "policies-by-issuer", "cooperation",
                            "article", "why"}
    assert all(len(about) > 10 for about in queries.values())


def test_officials(build_dir: Path) -> None:
    (row,) = rows(build_dir, "officials")
    assert (row["official"], row["post"], row["in"], row["articles"]) == (
        "王建国", "市委书记", "沈阳市", "2")


def test_companies_by_city(build_dir: Path) -> None:
    (row,) = rows(build_dir, "companies-by-city")
    # located in a district; the city comes from the gazetteer's partOf chain
    assert (row["city"], row["company"], row["place"]) == (
        "沈阳市", "东方重工集团有限公司", "和平区")


def test_policies_by_issuer(build_dir: Path) -> None:
    (row,) = rows(build_dir, "policies-by-issuer")
    assert (row["issuer"], row["policy"], row["implementers"]) == (
        "沈阳市人民政府", "沈阳市促进消费若干措施", "东方重工集团有限公司")


def test_cooperation_counts_evidence_from_every_article(build_dir: Path) -> None:
    (row,) = rows(build_dir, "cooperation")
    assert {row["a"], row["b"]} == {"东方重工集团有限公司", "北方钢铁公司"}
    assert row["evidences"] == "2"


def test_article_states(build_dir: Path) -> None:
    states = rows(build_dir, "article", id="a")
    assert {r["id"] for r in states} == {"a"}
    assert len(states) == 7  # the seven relations of the sample
    author = next(r for r in states if r["predicate"].endswith("#author"))
    # the article's own statements name the article by its identifier
    assert (author["subject"], author["object"], author["anchor"]) == ("a", "张明", "张明")
    assert len(rows(build_dir, "article")) == 14


def test_why_by_names(build_dir: Path) -> None:
    found = rows(build_dir, "why", subject="王建国", p="zhkg:holdsPost")
    assert [r["article"] for r in found] == ["a", "b"]
    assert found[0]["anchor"] == "市委书记王建国"
    assert found[0]["sentence"].startswith("辽宁省委常委")
    assert found[0]["method"] == "pattern:post-title"


def test_why_by_iris(build_dir: Path) -> None:
    found = rows(build_dir, "why", s=f"<{ID}org/dongfang>", o=f"{ID}org/beifang-steel")
    assert {r["p"] for r in found} == {str(rdf.ZHKG.cooperatesWith)}


def test_formats(build_dir: Path) -> None:
    q = "SELECT ?l WHERE { id:place\\/210100 rdfs:label ?l }"
    store = build_dir / "store"
    doc = json.loads(run(store, q, "json"))
    assert doc["results"]["bindings"][0]["l"] == {"type": "literal", "value": "沈阳市",
                                                  "xml:lang": "zh"}
    assert run(store, q, "csv").splitlines() == ["l", "沈阳市"]
    assert run(store, q, "tsv").splitlines() == ["?l", '"沈阳市"@zh']
    table = run(store, q, "table").splitlines()
    assert table[0] == "l" and table[2] == "沈阳市" and table[-1] == "(1 row)"


def test_ask_and_construct(build_dir: Path) -> None:
    store = build_dir / "store"
    assert run(store, "ASK { ?s zhkg:holdsPost ?o }", "table") == "true\n"
    assert json.loads(run(store, "ASK { ?s zhkg:holdsPost ?o }", "json"))["boolean"] is True
    ttl = run(store, "CONSTRUCT { ?s zhkg:holdsPost ?o } WHERE { ?s zhkg:holdsPost ?o }", "json")
    (triple,) = ox.parse(ttl, ox.RdfFormat.TURTLE)
    assert triple.predicate.value == str(rdf.ZHKG.holdsPost)


def test_query_from_file(build_dir: Path, tmp_path: Path) -> None:
    f = tmp_path / "q.rq"
    f.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a a zhkg:Article }", encoding="utf-8")
    assert resolve_query(str(f)).startswith("SELECT")
    assert rows(build_dir, str(f)) == [{"n": "2"}]


def test_errors(build_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="no packaged query named"):
        run(build_dir / "store", "nosuchquery")
    with pytest.raises(QueryError, match="malformed"):
        run(build_dir / "store", "SELECT WHERE {")
    with pytest.raises(QueryError, match="must be one the query selects"):
        run(build_dir / "store", "SELECT ?s WHERE { ?s ?p ?o }", bindings={"zzz": "x"})
    with pytest.raises(StoreError, match="no store"):
        run(tmp_path / "none", "officials")


def test_parse_binding() -> None:
    assert parse_binding("zhkg:holdsPost") == ox.NamedNode(str(rdf.ZHKG.holdsPost))
    assert parse_binding("<http://e/x>") == ox.NamedNode("http://e/x")
    assert parse_binding("大连市") == ox.Literal("大连市", language="zh")
    assert parse_binding("doc-1") == ox.Literal("doc-1")
    assert parse_binding('"x"@en') == ox.Literal("x", language="en")


def test_cli_query(build_dir: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["query", "--store", str(build_dir / "store"), "--format", "csv",
                              "--bind", "subject=王建国", "why"])
    assert res.exit_code == 0, res.output
    assert list(csv.DictReader(io.StringIO(res.output)))[0]["object"] == "市委书记"
    res = runner.invoke(cli, ["query", "--list"])
    assert res.exit_code == 0 and "companies-by-city" in res.output
    res = runner.invoke(cli, ["query", "--store", str(build_dir / "store"), "SELECT nonsense"])
    assert res.exit_code == 1 and "malformed SPARQL" in res.output
    res = runner.invoke(cli, ["query", "--bind", "oops", "officials"])
    assert res.exit_code == 2


def test_cli_remove(tmp_path: Path) -> None:
    text = "北方钢铁公司发布公告。"
    m = mention("c", text, "北方钢铁公司", "Company")
    with Store.open(tmp_path / "store") as st:
        st.replace_articles([
            ("a", "h", rdf.article_nquads(*sample("a"))),
            ("c", "h", rdf.article_nquads(Extraction(Document("c", text), (m,), ()),
                                          {m: ID + "org/beifang-steel"})),
        ])
        refresh_entities(st, canonical_name, FakeGazetteer())
        write_exports(st, tmp_path)
    res = CliRunner().invoke(cli, ["remove", "a", "nosuch", "-o", str(tmp_path)])
    assert res.exit_code == 1  # one id was not there
    assert "not in the store: nosuch" in res.output
    with Store.open(tmp_path / "store", read_only=True) as st:
        assert st.article_ids() == ["c"]
        labels = {row[0].value for row in st.query("SELECT ?e WHERE { ?e rdfs:label ?l }")}
    assert labels == {ID + "org/beifang-steel"}
    nt = (tmp_path / "graph.nt").read_text(encoding="utf-8")
    assert "wang-jianguo" not in nt and "beifang-steel" in nt


def test_table_clips_long_values(build_dir: Path) -> None:
    table = run(build_dir / "store", "SELECT DISTINCT ?s WHERE { ?e zhkg:sentence ?s }", "table")
    lines = table.splitlines()[2:-1]
    assert lines and all(line.endswith("…") for line in lines if len(line) > 30)
    full = rows(build_dir, "SELECT DISTINCT ?s WHERE { ?e zhkg:sentence ?s }")
    assert max(len(r["s"]) for r in full) > 30  # csv keeps whole values


def test_from_names_the_dataset(build_dir: Path) -> None:
    """SPARQL 1.1: the union is the default graph only when the query names no dataset."""
    store = build_dir / "store"
    entities = str(iris.ENTITIES_GRAPH)
    with Store.open(store, read_only=True) as st:
        in_entities = st.count(entities)
        everything = st.count()
    count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ {} }}"
    assert rows(build_dir, count.format("", "?s ?p ?o")) == [{"n": str(everything)}]
    assert rows(build_dir, count.format(f"FROM <{entities}>", "?s ?p ?o")) == \
        [{"n": str(in_entities)}]
    assert rows(build_dir, count.format(f"FROM NAMED <{entities}>", "?s ?p ?o")) == [{"n": "0"}]
    assert rows(build_dir, count.format(f"FROM NAMED <{entities}>",
                                        "GRAPH ?g { ?s ?p ?o }")) == [{"n": str(in_entities)}]


def test_service_fetches_nothing_unless_allowed(build_dir: Path) -> None:
    spy = Listener()  # counts every connection made to it
    try:
        port = spy.port
        for query in (f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
                      f"PREFIX ex: <http://127.0.0.1:{port}/> SELECT * {{ SERVICEex:p {{ }} }}"):
            with pytest.raises(QueryError, match="SERVICE.*refused"):
                run(build_dir / "store", query)
            res = CliRunner().invoke(cli, ["query", "--store", str(build_dir / "store"), query])
            assert res.exit_code == 1 and "--allow-service" in res.output
        time.sleep(0.5)
        assert spy.connections == 0
        # opted in, the fetch happens (and fails: this listener closes without an answer)
        with pytest.raises(QueryError, match="query failed"):
            run(build_dir / "store", f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/> {{ }} }}",
                allow_service=True)
        time.sleep(0.5)
        assert spy.connections == 1
    finally:
        spy.close()


def test_oversized_query_is_refused(build_dir: Path) -> None:
    with pytest.raises(QueryError, match="refused"):
        run(build_dir / "store", "ASK {} # " + "x" * (MAX_QUERY_BYTES + 1))
