"""zhkg.iris: the IRIs zhkg mints stay the same from build to build and from version to version
(a changed IRI would split an entity in a store built over time). The values were minted by the
code before the IRIs were gathered in this module."""

from __future__ import annotations

from zhkg.extract.resolve import iri_for, iris
from zhkg.iris import (
    article_graph_iri,
    article_iri,
    entity_iri,
    evidence_iri,
    place_iri,
    statement_iri,
)
from zhkg.model import Document, Evidence, Extraction, Mention, Relation

ID = "https://w3id.org/zhkg/id/"


def test_the_iris_are_what_earlier_versions_minted() -> None:
    assert place_iri("210200") == iri_for("City", "大连", "210200") == ID + "place/210200"
    person = ID + "person/853e82816f85155e"
    assert entity_iri("person", "王明") == iri_for("Person", "王明") == person
    assert statement_iri("a", "b", "c") == ID + "statement/c74a3276c7e3cbbf386b6332"
    assert evidence_iri("d", 1, 2, "denotes", "x") == ID + "evidence/7e26cbbcb4f183ff1e04988a"
    assert str(article_iri("新闻 1#a")) == "https://w3id.org/zhkg/article/%E6%96%B0%E9%97%BB%201%23a"
    assert str(article_graph_iri("a")) == "https://w3id.org/zhkg/graph/article/a"


def test_a_post_is_its_title_in_its_organisation() -> None:
    text = "大连市长王明"
    doc = Document("d", text)

    def m(s: int, e: int, t: str, key: str | None = None) -> Mention:
        return Mention(text[s:e], t, Evidence("d", s, e, "tagger", 0.9), key)  # type: ignore[arg-type]

    city, post, person = m(0, 2, "City", "210200"), m(2, 4, "Post"), m(4, 6, "Official")
    ev = Evidence("d", 0, 6, "pattern:post-chain", 0.9)
    ex = Extraction(doc, (city, post, person),
                    (Relation(post, "postIn", city, ev), Relation(person, "holdsPost", post, ev)))
    assert iris(ex)[post] == entity_iri("post", "市长", place_iri("210200"))
