"""The packaged queries are shaped for Oxigraph's planner (DISTINCT sub-selects, GRAPH ?g around
reified statements, a LATERAL OPTIONAL): they must still give the rows of the plain formulations
below, which say the same thing the obvious way, over the union of graphs, on a store where every
fact repeats in several article graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _kg import FakeGazetteer, canonical_name, mention, sample

from zhkg.graph import rdf
from zhkg.graph.entities import refresh_entities
from zhkg.graph.store import Store
from zhkg.model import Document, Evidence, Extraction, Mention, Relation
from zhkg.query.run import execute, packaged_queries

ID = "https://w3id.org/zhkg/id/"

PREFIXES = """
PREFIX zhkg: <https://w3id.org/zhkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX schema: <https://schema.org/>
"""

#: The plain formulations: every pattern in the union of graphs, DISTINCT or COUNT(DISTINCT ...)
#: to undo the repeats. Slow on a large store (the repeats multiply), right on any.
REFERENCE = {
    "article": """
SELECT DISTINCT ?id ?subject ?predicate ?object ?anchor ?start ?end ?method ?confidence
WHERE {
  ?articleIri schema:identifier ?id .
  ?evidence zhkg:article ?articleIri ; zhkg:supports ?statement ; zhkg:anchorText ?anchor ;
            zhkg:startOffset ?start ; zhkg:endOffset ?end ; zhkg:method ?method ;
            zhkg:confidence ?confidence .
  ?statement rdf:subject ?s ; rdf:predicate ?predicate ; rdf:object ?o .
  OPTIONAL { ?s rdfs:label|schema:identifier ?sName }
  OPTIONAL { ?o rdfs:label ?oName }
  BIND (COALESCE(?sName, STR(?s)) AS ?subject)
  BIND (COALESCE(?oName, STR(?o)) AS ?object)
}""",
    "companies-by-city": """
SELECT DISTINCT ?city ?company ?place ?companyIri
WHERE {
  ?companyIri zhkg:locatedIn ?placeIri ; a zhkg:Company .
  OPTIONAL { ?companyIri rdfs:label ?company }
  OPTIONAL { ?placeIri rdfs:label ?place }
  OPTIONAL {
    ?placeIri zhkg:partOf? ?mid .
    ?mid zhkg:partOf? ?cityIri .
    ?cityIri a zhkg:City .
    OPTIONAL { ?cityIri rdfs:label ?city }
  }
}""",
    "cooperation": """
SELECT ?a ?b (COUNT(DISTINCT ?evidence) AS ?evidences) ?aIri ?bIri
WHERE {
  { ?aIri zhkg:cooperatesWith ?bIri } UNION { ?bIri zhkg:cooperatesWith ?aIri }
  FILTER (STR(?aIri) < STR(?bIri))
  OPTIONAL { ?aIri rdfs:label ?a }
  OPTIONAL { ?bIri rdfs:label ?b }
  OPTIONAL {
    ?statement rdf:predicate zhkg:cooperatesWith .
    { ?statement rdf:subject ?aIri ; rdf:object ?bIri }
    UNION { ?statement rdf:subject ?bIri ; rdf:object ?aIri }
    ?evidence zhkg:supports ?statement .
  }
}
GROUP BY ?a ?b ?aIri ?bIri""",
    "officials": """
SELECT ?official ?post ?in (COUNT(DISTINCT ?article) AS ?articles) ?officialIri
WHERE {
  ?officialIri zhkg:holdsPost ?postIri .
  OPTIONAL { ?officialIri rdfs:label ?official }
  OPTIONAL { ?postIri rdfs:label ?post }
  OPTIONAL { ?postIri zhkg:postIn ?org . OPTIONAL { ?org rdfs:label ?in } }
  OPTIONAL { ?article zhkg:mentions ?officialIri }
}
GROUP BY ?official ?post ?in ?officialIri""",
    "policies-by-issuer": """
SELECT ?issuer ?policy (GROUP_CONCAT(DISTINCT ?implementer; SEPARATOR="、") AS ?implementers)
       (COUNT(DISTINCT ?article) AS ?articles) ?policyIri
WHERE {
  ?issuerIri zhkg:issues ?policyIri .
  OPTIONAL { ?issuerIri rdfs:label ?issuer }
  OPTIONAL { ?policyIri rdfs:label ?policy }
  OPTIONAL { ?implIri zhkg:implements ?policyIri . ?implIri rdfs:label ?implementer }
  OPTIONAL { ?article zhkg:mentions ?policyIri }
}
GROUP BY ?issuer ?policy ?policyIri""",
    "why": """
SELECT DISTINCT ?subject ?p ?object ?article ?anchor ?sentence ?start ?end ?method ?confidence
                ?s ?o
WHERE {
  ?s rdfs:label|schema:identifier ?subject .
  ?statement rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  ?evidence zhkg:supports ?statement ; zhkg:article ?articleIri ; zhkg:anchorText ?anchor ;
            zhkg:startOffset ?start ; zhkg:endOffset ?end ; zhkg:method ?method ;
            zhkg:confidence ?confidence .
  OPTIONAL { ?evidence zhkg:sentence ?sentence }
  ?o rdfs:label ?object .
  ?articleIri schema:identifier ?article .
}""",
}

D_TEXT = (
    "北方钢铁公司与东方重工集团有限公司签署合作协议。北方钢铁公司位于沈阳市。南方物流公司位于大东区。"
    "东方研究院位于和平区。北方钢铁公司将落实《沈阳市促进消费若干措施》。王建国兼任沈阳市市长。"
)


def _other_article() -> tuple[Extraction, dict[Mention, str]]:
    """What the sample lacks: cooperation stated the other way round, a company in a city (no
    partOf step), one in a place no gazetteer knows (no city), an organisation that is no
    company, a second implementer, a second post, and an evidence without a sentence."""
    t = D_TEXT
    m = {
        "steel": mention("d", t, "北方钢铁公司", "Company"),
        "dongfang": mention("d", t, "东方重工集团有限公司", "Company"),
        "steel1": mention("d", t, "北方钢铁公司", "Company", nth=1),
        "city": mention("d", t, "沈阳市", "City", method="gazetteer", confidence=1.0,
                        key="210100"),
        "logistics": mention("d", t, "南方物流公司", "Company"),
        "dadong": mention("d", t, "大东区", "District"),
        "institute": mention("d", t, "东方研究院", "Organization"),
        "heping": mention("d", t, "和平区", "District", method="gazetteer", confidence=1.0,
                          key="210102"),
        "steel2": mention("d", t, "北方钢铁公司", "Company", nth=2),
        "policy": mention("d", t, "沈阳市促进消费若干措施", "Policy"),
        "official": mention("d", t, "王建国", "Official"),
        "mayor": mention("d", t, "市长", "Post"),
        "city2": mention("d", t, "沈阳市", "City", nth=2, method="gazetteer", confidence=1.0,
                         key="210100"),
    }
    iris = {
        m["steel"]: ID + "org/beifang-steel", m["steel1"]: ID + "org/beifang-steel",
        m["steel2"]: ID + "org/beifang-steel", m["dongfang"]: ID + "org/dongfang",
        m["city"]: ID + "place/210100", m["city2"]: ID + "place/210100",
        m["logistics"]: ID + "org/nanfang-logistics", m["dadong"]: ID + "place/dadong",
        m["institute"]: ID + "org/dongfang-institute", m["heping"]: ID + "place/210102",
        m["policy"]: ID + "policy/consumption", m["official"]: ID + "person/wang-jianguo",
        m["mayor"]: ID + "post/shenyang-mayor",
    }

    def rel(s: str, p: str, o: str, sentence: bool = True) -> Relation:
        subj, obj = m[s], m[o]
        start, end = min(subj.start, obj.start), max(subj.end, obj.end)
        ss, se = (obj.evidence.sentence_start, obj.evidence.sentence_end) if sentence else (0, 0)
        return Relation(subj, p, obj, Evidence("d", start, end, "pattern:test", 0.8, ss, se))

    rels = (
        rel("steel", "cooperatesWith", "dongfang"),
        rel("steel1", "locatedIn", "city"),
        rel("logistics", "locatedIn", "dadong", sentence=False),
        rel("institute", "locatedIn", "heping"),
        rel("steel2", "implements", "policy"),
        rel("official", "holdsPost", "mayor"),
        rel("mayor", "postIn", "city2"),
    )
    return Extraction(Document("d", t), tuple(m.values()), rels), iris


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plans") / "store"
    with Store.open(out) as st:
        # The same article three times: every fact and statement repeats in three graphs.
        items = [(d, "h", rdf.article_nquads(*sample(d))) for d in ("a", "b", "c")]
        items.append(("d", "h", rdf.article_nquads(*_other_article())))
        st.replace_articles(items)
        refresh_entities(st, canonical_name, FakeGazetteer())
    return out


def _rows(store: Store, query: str, bindings: dict[str, str], name: str) -> list[tuple[str, ...]]:
    result = json.loads(execute(store, query, "json", bindings or None))
    names = result["head"]["vars"]
    out = []
    for b in result["results"]["bindings"]:
        row = [json.dumps(b.get(v), sort_keys=True, ensure_ascii=False) for v in names]
        if name == "policies-by-issuer" and "implementers" in b:
            # GROUP_CONCAT's order is the order rows come in, which SPARQL leaves open.
            row[names.index("implementers")] = sorted(b["implementers"]["value"].split("、"))
        out.append(tuple(map(str, row)))
    return sorted(out)


def _cases(store: Store) -> list[tuple[str, dict[str, str]]]:
    def values(q: str) -> list[str]:
        return sorted({row[0].value for row in store.query(q)})

    articles = values("SELECT ?id WHERE { ?a a zhkg:Article ; schema:identifier ?id }")
    subjects = values("SELECT ?n WHERE { ?st rdf:subject ?s . ?s rdfs:label|schema:identifier ?n }")
    objects = values("SELECT ?n WHERE { ?st rdf:object ?o . ?o rdfs:label ?n }")
    predicates = values("SELECT ?p WHERE { ?st rdf:predicate ?p }")
    pairs = sorted({(r[0].value, r[1].value) for r in store.query(
        "SELECT ?s ?o WHERE { ?st rdf:subject ?s ; rdf:object ?o }")})
    cases: list[tuple[str, dict[str, str]]] = [(name, {}) for name in packaged_queries()]
    cases += [("article", {"id": a}) for a in articles]
    cases += [("why", {"subject": s}) for s in subjects]
    cases += [("why", {"object": o}) for o in objects]
    cases += [("why", {"p": f"<{p}>"}) for p in predicates]
    cases += [("why", {"s": f"<{s}>", "o": f"<{o}>"}) for s, o in pairs]
    cases += [("why", {"subject": "王建国", "p": "zhkg:holdsPost"})]
    return cases


def test_packaged_queries_give_the_rows_of_the_plain_formulations(store_path: Path) -> None:
    assert set(REFERENCE) == set(packaged_queries())
    with Store.open(store_path, read_only=True) as store:
        cases = _cases(store)
        assert len(cases) > 40
        for name, bindings in cases:
            want = _rows(store, PREFIXES + REFERENCE[name], bindings, name)
            got = _rows(store, name, bindings, name)
            assert got == want, (name, bindings)


def test_the_fixture_has_what_the_rewrites_are_about(store_path: Path) -> None:
    def run(name: str, **bindings: str) -> list[dict[str, str]]:
        with Store.open(store_path, read_only=True) as store:
            result = json.loads(execute(store, name, "json", bindings or None))
        return [{k: v["value"] for k, v in b.items()} for b in result["results"]["bindings"]]

    cities = {(r["company"], r.get("city")) for r in run("companies-by-city")}
    assert cities == {("东方重工集团有限公司", "沈阳市"),  # a district, then its city
                      ("北方钢铁公司", "沈阳市"),  # the city itself
                      ("南方物流公司", None)}  # a place of no known city; 东方研究院 is no company
    (pair,) = run("cooperation")
    assert pair["evidences"] == "4"  # three articles one way, one the other
    posts = {(r["post"], r["in"], r["articles"]) for r in run("officials")}
    assert posts == {("市委书记", "沈阳市", "4"), ("市长", "沈阳市", "4")}
    (policy,) = run("policies-by-issuer")
    assert sorted(policy["implementers"].split("、")) == ["东方重工集团有限公司", "北方钢铁公司"]
    assert policy["articles"] == "4"
    found = run("why", subject="南方物流公司")
    assert [r.get("sentence") for r in found] == [None]  # the OPTIONAL sentence, absent
    assert [r["article"] for r in run("why", subject="王建国", p="zhkg:holdsPost")] == [
        "a", "b", "c", "d"]
    assert len(run("article", id="a")) == 7
