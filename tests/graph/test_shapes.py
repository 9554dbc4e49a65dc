"""ontology/shapes.ttl: a built graph satisfies the SHACL shapes; broken ones do not."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from _kg import FakeGazetteer, canonical_name, sample
from pyshacl import validate
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from zhkg.graph import rdf
from zhkg.graph.entities import refresh_entities
from zhkg.graph.store import Store
from zhkg.namespace import ZHKG

ONTOLOGY = Path(__file__).parents[2] / "ontology"
ID = "https://w3id.org/zhkg/id/"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(ONTOLOGY / "shapes.ttl")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY / "zhkg.ttl")


def built_graph(*doc_ids: str) -> Graph:
    """The union of the article graphs and the entities graph, as `zhkg build` leaves it."""
    with Store.open(None) as st:
        st.replace_articles([(d, "h", rdf.article_nquads(*sample(d))) for d in doc_ids or "a"])
        refresh_entities(st, canonical_name, FakeGazetteer())
        nt = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in st.quads())
    return Graph().parse(data=nt, format="nt")


def check(data: Graph, shapes: Graph, ontology: Graph) -> tuple[bool, str]:
    conforms, _, text = validate(data, shacl_graph=shapes, ont_graph=ontology,
                                 inference="none", advanced=True)
    return bool(conforms), str(text)


def test_built_graph_conforms(shapes: Graph, ontology: Graph) -> None:
    conforms, text = check(built_graph("a", "b"), shapes, ontology)
    assert conforms, text


def test_evidence_beyond_the_text_violates(shapes: Graph, ontology: Graph) -> None:
    g = built_graph()
    ev = next(iter(g.subjects(ZHKG.denotes, None)))
    g.set((ev, ZHKG.endOffset, Literal(10_000, datatype=XSD.integer)))
    conforms, text = check(g, shapes, ontology)
    assert not conforms
    assert "within the article text" in text


def test_two_labels_violate(shapes: Graph, ontology: Graph) -> None:
    g = built_graph()
    g.add((URIRef(ID + "org/dongfang"), RDFS.label, Literal("东方", lang="zh")))
    conforms, text = check(g, shapes, ontology)
    assert not conforms
    assert "exactly one rdfs:label" in text


def test_entity_without_type_violates(shapes: Graph, ontology: Graph) -> None:
    g = built_graph()
    g.remove((URIRef(ID + "person/zhang-ming"), RDF.type, None))
    conforms, text = check(g, shapes, ontology)
    assert not conforms
    assert "has a type" in text


def test_post_without_holder_violates(shapes: Graph, ontology: Graph) -> None:
    g = built_graph()
    g.remove((None, ZHKG.holdsPost, None))
    conforms, text = check(g, shapes, ontology)
    assert not conforms
    assert "a post has a holder" in text


def test_export_file_validates(shapes: Graph, ontology: Graph, tmp_path: Path) -> None:
    from zhkg.graph.export import write_exports

    with Store.open(tmp_path / "store") as st:
        st.replace_articles([("a", "h", rdf.article_nquads(*sample("a")))])
        refresh_entities(st, canonical_name, FakeGazetteer())
        write_exports(st, tmp_path)
    data = Graph().parse(tmp_path / "graph.ttl")
    assert len(data) == len(list(ox.parse(path=tmp_path / "graph.nt")))
    conforms, text = check(data, shapes, ontology)
    assert conforms, text
