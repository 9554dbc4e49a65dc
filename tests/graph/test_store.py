"""zhkg.graph.store: the pyoxigraph store, one named graph per article, the entities graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from _kg import TEXT, FakeGazetteer, canonical_name, sample

from zhkg.errors import QueryError, StoreError
from zhkg.graph import rdf, store
from zhkg.graph.entities import refresh_entities
from zhkg.graph.store import Store
from zhkg.iris import ENTITIES_GRAPH
from zhkg.model import Document, Extraction

ID = "https://w3id.org/zhkg/id/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _article(doc_id: str, text: str = TEXT) -> str:
    ex, iris = sample(doc_id, text)
    return rdf.article_nquads(ex, iris)


def _select(st: Store, q: str) -> list[tuple[str, ...]]:
    return sorted(tuple(t.value for t in row) for row in st.query(q))


def test_replace_is_idempotent_and_replaces(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as st:
        assert st.replace_articles([("a", "h1", _article("a"))]) == 1
        n = st.count()
        assert n == len(rdf.article_graph(*sample("a"))) + 1  # + the content hash
        # building the same article again: no duplicates
        st.replace_articles([("a", "h1", _article("a"))])
        assert st.count() == n
        # new content replaces the old graph (nothing of the old text survives)
        ex, iris = sample("a")
        smaller = Extraction(Document("a", "短文"), (), ())
        st.replace_articles([("a", "h2", rdf.article_graph(smaller, iris))])
        assert st.count() == len(rdf.article_graph(smaller, {})) + 1  # + the hash
        assert st.article_hashes() == {"a": "h2"}
        assert not st.has_article("a", "h1") and st.has_article("a", "h2")


def test_many_articles_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "CHUNK_BYTES", 5000)  # forces several bulk loads
    items = [(f"d{i}", f"h{i}", _article(f"d{i}")) for i in range(12)]
    with Store.open(tmp_path / "store") as st:
        assert st.replace_articles(iter(items)) == 12
        assert st.article_ids() == sorted(f"d{i}" for i in range(12))
        per_article = len(rdf.article_graph(*sample("d0")))
        assert st.count() == 12 * (per_article + 1)
        # the same article twice in one batch: the later wins, no duplicates
        st.replace_articles([("d0", "x", _article("d0")), ("d0", "y", _article("d0"))])
        assert st.count() == 12 * (per_article + 1)
        assert st.article_hashes()["d0"] == "y"


def test_loading_in_threads_without_waiting(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "CHUNK_BYTES", 3000)  # many chunks, two loading at a time
    items = [(f"d{i}", f"h{i}", _article(f"d{i}")) for i in range(20)]
    short = rdf.article_nquads(Extraction(Document("d3", "短文"), (), ()), {})
    with Store.open(tmp_path / "threads") as st:
        st.replace_articles(iter(items[:10]), wait=False)
        # an article still loading is replaced by its new version, never doubled
        st.replace_articles([("d3", "new", short)], wait=False)
        st.replace_articles(iter(items[10:]), wait=False)
        st.drain()
        threaded = sorted(str(q) for q in st.quads())
    with Store.open(tmp_path / "sequential") as st:
        for item in items:
            st.replace_articles([item])
        st.replace_articles([("d3", "new", short)])
        assert sorted(str(q) for q in st.quads()) == threaded
        assert st.article_hashes()["d3"] == "new"


def test_an_article_that_fails_to_load_is_named_and_the_rest_of_its_chunk_loads(
        tmp_path: Path) -> None:
    # The bad article comes after good lines of its own graph, so part of it may be in the
    # store when the chunk's load fails: it must not stay.
    bad = _article("bad") + "<https://w3id.org/zhkg/id/x> <p> <not n-quads\n"
    items = [("a", "h", _article("a")), ("bad", "h", bad), ("b", "h", _article("b"))]
    with Store.open(tmp_path / "store") as st:
        st.replace_articles(items, wait=False)
        (failure,) = st.drain()
        assert failure.doc_id == "bad" and "does not load" in failure.reason
        assert st.article_hashes() == {"a": "h", "b": "h"}  # no hash for what did not load
        assert st.article_ids() == ["a", "b"]  # and no part of its graph
        assert st.count() == 2 * (len(rdf.article_graph(*sample("a"))) + 1)
        assert st.drain() == []  # each failure is reported once
        with pytest.raises(StoreError, match="cannot load articles: bad: its graph does not"):
            st.replace_articles([("bad", "h", bad)])  # waiting: raised


def test_a_graph_is_never_kept_with_the_hash_of_another_content(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """While an article's new graph loads, its old hash is gone: interrupted there, a resumed
    build of the old content loads it again instead of taking it as unchanged (issue 13)."""
    with Store.open(tmp_path / "store") as st:
        st.replace_articles([("a", "old", _article("a")), ("b", "old", _article("b"))])
        seen = {}

        def interrupted(self: Store, data: bytes, ids: object) -> list[object]:
            seen["hashes"] = st.article_hashes()
            seen["ids"] = st.article_ids()
            raise KeyboardInterrupt  # stands for a kill before the new graph is in

        monkeypatch.setattr(Store, "_load_chunk", interrupted)
        with pytest.raises(KeyboardInterrupt):
            st.replace_articles([("a", "new", rdf.article_nquads(
                Extraction(Document("a", "短文"), (), ()), {}))])
        assert seen == {"hashes": {"b": "old"}, "ids": ["b"]}
        assert st.article_hashes() == {"b": "old"}


def test_remove_article(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as st:
        st.replace_articles([("a", "h", _article("a")), ("b", "h", _article("b"))])
        before = st.count()
        assert st.remove_article("a") is True
        assert st.article_ids() == ["b"]
        assert st.article_hashes() == {"b": "h"}
        assert st.count() == before // 2
        assert st.remove_article("a") is False


def test_refresh_entities_labels_and_place_chains() -> None:
    with Store.open(None) as st:
        st.replace_articles([("a", "h", _article("a"))])
        summary = refresh_entities(st, canonical_name, FakeGazetteer())
        assert summary.places == 3
        labels = _select(st, f"SELECT ?e ?l WHERE {{ GRAPH <{ENTITIES_GRAPH}> "
                             f"{{ ?e <{LABEL}> ?l }} }}")
        entities = [e for e, _ in labels]
        # the ten entities of the article, and China above the province
        assert len(entities) == len(set(entities)) == summary.entities == 11
        assert (ID + "place/CN", "中国") in labels
        assert (ID + "place/210100", "沈阳市") in labels  # the gazetteer's name, not "沈阳"
        assert (ID + "org/dongfang", "东方重工集团有限公司") in labels
        chain = _select(st, "SELECT ?a ?b WHERE { ?a zhkg:partOf ?b }")
        assert chain == [(ID + "place/210000", ID + "place/CN"),
                         (ID + "place/210100", ID + "place/210000"),
                         (ID + "place/210102", ID + "place/210100")]
        coords = _select(st, "SELECT ?lat WHERE { id:place\\/210102 zhkg:latitude ?lat }")
        assert coords == [("41.7889",)]
        # refreshing again gives the same graph, not a second copy
        n = st.count()
        refresh_entities(st, canonical_name, FakeGazetteer())
        assert st.count() == n


def test_refresh_after_removal_forgets_entities() -> None:
    with Store.open(None) as st:
        st.replace_articles([("a", "h", _article("a"))])
        other = "北方钢铁公司发布公告。"
        ex, iris = sample("a")
        steel = next(m for m in ex.mentions if m.text == "北方钢铁公司")
        from _kg import mention
        m = mention("b", other, "北方钢铁公司", "Company")
        st.replace_articles([("b", "h", rdf.article_nquads(
            Extraction(Document("b", other), (m,), ()), {m: iris[steel]}))])
        st.remove_article("a")
        refresh_entities(st, canonical_name, FakeGazetteer())
        labelled = _select(st, f"SELECT ?e WHERE {{ ?e <{LABEL}> ?l }}")
        assert labelled == [(ID + "org/beifang-steel",)]  # no places left, so no China either


def test_ancestors_get_entities_not_mentioned() -> None:
    doc_id, text = "c", "和平区召开会议。"
    from _kg import mention
    m = mention(doc_id, text, "和平区", "District", key="210102")
    with Store.open(None) as st:
        st.replace_articles([(doc_id, "h", rdf.article_nquads(
            Extraction(Document(doc_id, text), (m,), ()), {m: ID + "place/heping"}))])
        refresh_entities(st, canonical_name, FakeGazetteer())
        rows = _select(st, "SELECT ?e ?l ?c WHERE { ?e a zhkg:Province ; rdfs:label ?l ; "
                           "zhkg:adcode ?c }")
        assert rows == [(ID + "place/210000", "辽宁省", "210000")]


def test_read_only(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store") as st:
        st.replace_articles([("a", "h", _article("a"))])
        n = st.count()
    with Store.open(tmp_path / "store", read_only=True) as ro:
        assert ro.count() == n
        assert ro.article_hashes() == {"a": "h"}
        with pytest.raises(StoreError, match="read-only"):
            ro.remove_article("a")


def test_missing_store_read_only(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store"):
        Store.open(tmp_path / "nothing", read_only=True)


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store"), pytest.raises(StoreError, match="locked"):
        Store.open(tmp_path / "store")


def test_bad_sparql_is_a_query_error() -> None:
    with Store.open(None) as st, pytest.raises(QueryError):
        st.query("SELECT WHERE {")


def test_closed_store() -> None:
    st = Store.open(None)
    st.close()
    with pytest.raises(StoreError, match="closed"):
        st.count()


def test_a_mentioned_china_tops_the_chain() -> None:
    doc_id, text = "cn", "中华人民共和国辽宁省发布通知。"
    from _kg import mention
    cn = mention(doc_id, text, "中华人民共和国", "Country", key="CN")
    ln = mention(doc_id, text, "辽宁省", "Province", key="210000")
    iris = {cn: ID + "place/china", ln: ID + "place/210000"}
    with Store.open(None) as st:
        st.replace_articles([(doc_id, "h", rdf.article_nquads(
            Extraction(Document(doc_id, text), (cn, ln), ()), iris))])
        refresh_entities(st, canonical_name, FakeGazetteer())
        assert _select(st, "SELECT ?b WHERE { id:place\\/210000 zhkg:partOf ?b }") == [
            (ID + "place/china",)]
        assert _select(st, "SELECT ?l WHERE { id:place\\/china rdfs:label ?l }") == [
            ("中华人民共和国",)]
        assert _select(st, "SELECT ?c WHERE { id:place\\/china zhkg:isoCode ?c }") == [("CN",)]
