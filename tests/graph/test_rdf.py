"""zhkg.graph.rdf: one article's extraction as its named graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from _kg import ID, TEXT, mention, relation, sample
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import SKOS

from zhkg.errors import ZhkgError
from zhkg.graph import rdf
from zhkg.iris import article_graph_iri, article_iri
from zhkg.model import Document, Evidence, Extraction, Mention, most_specific
from zhkg.namespace import ZHKG

GOLDEN = Path(__file__).parents[1] / "data" / "golden"


def assert_isomorphic(expected: Graph, actual: Graph) -> None:
    """Compare graphs; on failure show only the triples that are on one side."""
    if isomorphic(expected, actual):
        return
    _, only_expected, only_actual = graph_diff(to_isomorphic(expected), to_isomorphic(actual))
    lines = ["graphs differ", "only in expected:"]
    lines += sorted(f"  {s.n3()} {p.n3()} {o.n3()}" for s, p, o in only_expected)
    lines += ["only in actual:"]
    lines += sorted(f"  {s.n3()} {p.n3()} {o.n3()}" for s, p, o in only_actual)
    pytest.fail("\n".join(lines))


def test_article_graph_matches_golden() -> None:
    ex, iris = sample()
    expected = Graph().parse(GOLDEN / "article.ttl")
    assert_isomorphic(expected, rdf.article_graph(ex, iris))


def test_graph_shape() -> None:
    ex, iris = sample()
    g = rdf.article_graph(ex, iris)
    art = article_iri("doc-1")
    assert g.identifier == URIRef("https://w3id.org/zhkg/graph/article/doc-1")
    assert (art, RDF.type, ZHKG.Article) in g
    assert (art, ZHKG.textLength, Literal(len(TEXT), datatype=XSD.integer)) in g
    assert (art, URIRef("https://schema.org/datePublished"),
            Literal("2020-09-08T09:21:24", datatype=XSD.dateTime)) in g
    # the article's own relation
    assert (art, ZHKG.author, URIRef(ID + "person/zhang-ming")) in g
    # direct triples
    official, post = URIRef(ID + "person/wang-jianguo"), URIRef(ID + "post/shenyang-secretary")
    assert (official, ZHKG.holdsPost, post) in g
    assert (post, ZHKG.postIn, URIRef(ID + "place/210100")) in g
    # no canonical label in an article graph: that is the entities graph's job
    assert not list(g.triples((None, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None)))
    # one zhkg:mentions per entity, every surface form as altLabel
    company = URIRef(ID + "org/dongfang")
    assert len(list(g.objects(art, ZHKG.mentions))) == len(set(iris.values())) == 10
    assert set(g.objects(company, SKOS.altLabel)) == {
        Literal("东方重工集团有限公司", lang="zh"), Literal("东方重工", lang="zh")}
    # Organization and Company mentions of one entity: the more specific type only
    assert set(g.objects(company, RDF.type)) == {ZHKG.Company}
    assert (URIRef(ID + "place/210102"), ZHKG.adcode, Literal("210102")) in g


def test_statement_provenance() -> None:
    ex, iris = sample()
    g = rdf.article_graph(ex, iris)
    official, post = URIRef(ID + "person/wang-jianguo"), URIRef(ID + "post/shenyang-secretary")
    stmts = [s for s in g.subjects(RDF.subject, official)
             if (s, RDF.predicate, ZHKG.holdsPost) in g]
    assert len(stmts) == 1
    assert (stmts[0], RDF.object, post) in g
    (ev,) = g.subjects(ZHKG.supports, stmts[0])
    start = int(g.value(ev, ZHKG.startOffset))
    end = int(g.value(ev, ZHKG.endOffset))
    assert str(g.value(ev, ZHKG.anchorText)) == TEXT[start:end] == "市委书记王建国"
    sentence = str(g.value(ev, ZHKG.sentence))
    assert TEXT[int(g.value(ev, ZHKG.sentenceStart)):int(g.value(ev, ZHKG.sentenceEnd))] == sentence
    assert sentence.startswith("辽宁省委常委")
    assert str(g.value(ev, ZHKG.method)) == "pattern:post-title"
    assert g.value(ev, ZHKG.confidence) == Literal("0.85", datatype=XSD.decimal)
    assert g.value(ev, ZHKG.article) == article_iri("doc-1")


def test_mention_evidence_for_every_mention() -> None:
    ex, iris = sample()
    g = rdf.article_graph(ex, iris)
    denoting = list(g.subject_objects(ZHKG.denotes))
    assert len(denoting) == len(ex.mentions)
    assert {o for _, o in denoting} == {URIRef(i) for i in iris.values()}


def test_deterministic_and_no_blank_nodes() -> None:
    ex, iris = sample()
    first = rdf.article_nquads(ex, iris)
    assert first == rdf.article_nquads(ex, iris)
    g = rdf.article_graph(ex, iris)
    assert not any(isinstance(t, BNode) for triple in g for t in triple)


def test_nquads_parse_into_the_article_graph() -> None:
    ex, iris = sample()
    quads = list(ox.parse(rdf.article_nquads(ex, iris), ox.RdfFormat.N_QUADS))
    assert len(quads) == len(rdf.article_graph(ex, iris))
    assert {q.graph_name.value for q in quads} == {str(article_graph_iri("doc-1"))}


def test_post_without_holder_or_body_is_left_out() -> None:
    doc_id, text = "d", "市长王某视察，副市长出席。"
    mayor = mention(doc_id, text, "市长", "Post")
    person = mention(doc_id, text, "王某", "Official")
    deputy = mention(doc_id, text, "副市长", "Post")
    iris = {mayor: ID + "post/a", person: ID + "person/w", deputy: ID + "post/b"}
    ex = Extraction(Document(doc_id, text), (mayor, person, deputy),
                    (relation(person, "holdsPost", mayor),))
    g = rdf.article_graph(ex, iris)
    assert not list(g.subjects(RDF.type, ZHKG.Post))
    assert not list(g.triples((None, ZHKG.holdsPost, None)))
    assert (URIRef(ID + "person/w"), RDF.type, ZHKG.Official) in g


def test_missing_iri_is_an_error() -> None:
    ex, iris = sample()
    del iris[ex.mentions[0]]
    with pytest.raises(ZhkgError, match="no IRI for mention"):
        rdf.article_graph(ex, iris)


@pytest.mark.parametrize(("published", "expected"), [
    ("2020-09-08", Literal("2020-09-08", datatype=XSD.date)),
    ("2020/12/3 9:26", Literal("2020-12-03T09:26:00", datatype=XSD.dateTime)),
    ("yesterday", None),
    (None, None),
])
def test_published(published: str | None, expected: Literal | None) -> None:
    g = rdf.article_graph(Extraction(Document("x", "正文", published=published)), {})
    assert g.value(article_iri("x"), URIRef("https://schema.org/datePublished")) == expected


def test_article_ids_are_made_safe_for_iris() -> None:
    iri = article_iri("新闻 1#a")
    assert " " not in iri and "#" not in iri
    g = rdf.article_graph(Extraction(Document("新闻 1#a", "正文")), {})
    assert (iri, URIRef("https://schema.org/identifier"), Literal("新闻 1#a")) in g
    ox.parse(rdf.article_nquads(Extraction(Document("新闻 1#a", "正文")), {}),
             ox.RdfFormat.N_QUADS)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_nt_term_round_trips_any_text(value: str) -> None:
    value = value.replace("\x00", "")
    for lit in (Literal(value), Literal(value, lang="zh")):
        line = f"<http://e/s> <http://e/p> {rdf.nt_term(lit)} ."
        (triple,) = ox.parse(line, ox.RdfFormat.N_TRIPLES)
        assert triple.object.value == value


def test_most_specific() -> None:
    assert most_specific(["Place", "City"]) == ["City"]
    assert most_specific(["Organization", "Company", "Person"]) == ["Company", "Person"]
    assert most_specific(["Official", "Person"]) == ["Official"]


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)


@settings(max_examples=80, deadline=None)
@given(text=_TEXT, data=st.data())
def test_any_text_and_spans_give_valid_nquads(text: str, data: st.DataObject) -> None:
    """Quotes, backslashes, newlines and control characters in text or ids never break N-Quads."""
    doc_id = data.draw(st.text(min_size=1, max_size=10), label="doc_id")
    mentions = []
    for _ in range(data.draw(st.integers(0, 4), label="n")):
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        ev = Evidence(doc_id, start, end, 'm"\\\n', 0.5, 0, len(text))
        mentions.append(Mention(text[start:end], "Company", ev))
    iris = {m: f"{ID}org/{i}" for i, m in enumerate(mentions)}
    ex = Extraction(Document(doc_id, text, title=text), tuple(mentions), ())
    quads = list(ox.parse(rdf.article_nquads(ex, iris), ox.RdfFormat.N_QUADS))
    assert len(quads) == len(rdf.article_graph(ex, iris))
    anchors = {q.object.value for q in quads if q.predicate.value == str(ZHKG.anchorText)}
    assert anchors == {m.text for m in mentions}
    ids = [q.object.value for q in quads if q.predicate.value == "https://schema.org/identifier"]
    assert ids == [doc_id]


@pytest.mark.parametrize("value", [1.0, 0.95, 0.5, 0.0, 0.12345, 0.99999, 10.0])
def test_confidences_are_written_as_oxigraph_writes_them_back(value: float) -> None:
    # zhkg.graph.export.Spool relies on the build's N-Quads being the store's own bytes
    _same_after_oxigraph(rdf._confidence(value))


@pytest.mark.parametrize("text", ["\t\b\f\r\n", "".join(map(chr, range(32))) + "\x7f",
                                  '"\\é\u2028\u0080', "plain 中文"])
def test_strings_are_escaped_as_oxigraph_escapes_them(text: str) -> None:
    _same_after_oxigraph(rdf._nt_lit(text, "zh"))
    _same_after_oxigraph(rdf.nt_term(Literal(text)))


def _same_after_oxigraph(term: str) -> None:
    import pyoxigraph as ox

    line = f"<http://example.org/s> <http://example.org/p> {term} .\n".encode()
    store = ox.Store()
    store.bulk_load(line, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    assert store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) == line


@pytest.mark.parametrize("value", ["2020-01-01 24:00", "2020-12-31T24:00:00", "2020-02-30 24:00",
                                   "2020-2-3", "2020/02/03 9:05", "2020-01-01 25:00",
                                   "2020-02-30 10:00"])
def test_dates_are_written_as_oxigraph_writes_them_back(value: str) -> None:
    term = rdf._published(value)
    assert term is not None
    _same_after_oxigraph(term)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from('\t\b\f\r\n\x00\x01\x1f\x7f"\\ é\u2028'),
                                  st.characters(blacklist_categories=("Cs",))), max_size=120),
       st.sampled_from([None, "2021-03-04", "2021-03-04 24:00", "2021-03-04 08:30:15"]))
def test_article_nquads_are_the_bytes_oxigraph_dumps(text: str, published: str | None) -> None:
    # zhkg.graph.export.Spool exports a build's article graphs as written: they must be what the
    # store gives back for them, whatever the text (control characters, quotes, any script)
    import pyoxigraph as ox

    from zhkg.pipeline.work import process_document

    body = "某市市长王大明说：" + text + "。某某集团与某某公司合作。"
    doc = Document("doc-x", body, title=text[:20], published=published)
    written = process_document(doc).nquads.encode("utf-8")
    store = ox.Store()
    store.bulk_load(written, format=ox.RdfFormat.N_QUADS)
    assert sorted(store.dump(format=ox.RdfFormat.N_QUADS).splitlines()) == sorted(
        set(written.splitlines()))
