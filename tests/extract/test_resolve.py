from __future__ import annotations

from zhkg.extract.resolve import canonical_name, identity, iri_for, iris, normalise
from zhkg.model import Document, Evidence, Extraction, Mention, Relation


def _m(text: str, type_: str, start: int = 0, key: str | None = None) -> Mention:
    return Mention(text, type_, Evidence("d", start, start + len(text), "test", 1.0), key)


def test_company_with_and_without_group_suffix_is_one_entity() -> None:
    assert iri_for("Company", "华远") == iri_for("Company", "华远集团")
    assert iri_for("Company", "华远集团") != iri_for("Company", "华星集团")


def test_central_body_abbreviation_is_the_full_name() -> None:
    assert iri_for("GovernmentBody", "工信部") == iri_for("GovernmentBody", "工业和信息化部")
    assert iri_for("GovernmentBody", "国家发改委") == iri_for(
        "GovernmentBody", "国家发展和改革委员会"
    )


def test_places_are_identified_by_adcode() -> None:
    assert iri_for("City", "大连", "210200") == iri_for("City", "大连市", "210200")
    assert iri_for("City", "大连", "210200").endswith("/place/210200")


def test_official_and_person_of_one_name_are_one_person() -> None:
    assert identity("Official", "李明") == identity("Person", "李明")


def test_normalise_folds_width_and_quotes() -> None:
    assert normalise("ＡＢＣ公司") == "abc公司"
    assert normalise("“华远”集团") == "华远集团"


def test_canonical_names() -> None:
    assert canonical_name("City", ["大连"], "210200") == "大连市"
    assert canonical_name("Company", ["华远", "华远集团", "华远"]) == "华远集团"
    assert canonical_name("GovernmentBody", ["工信部"]) == "工业和信息化部"
    assert canonical_name("Person", ["李明", "李明", "李名"]) == "李明"


def test_iris_are_stable_and_posts_belong_to_their_organisation() -> None:
    city = _m("杭州", "City", 0, "330100")
    post = _m("市委书记", "Post", 2)
    person = _m("李明", "Official", 6)
    ev = Evidence("d", 0, 8, "test", 1.0)
    ex = Extraction(
        Document("d", "杭州市委书记李明"),
        (city, post, person),
        (Relation(post, "postIn", city, ev), Relation(person, "holdsPost", post, ev)),
    )
    first, second = iris(ex), iris(ex)
    assert first == second
    assert set(first) == {city, post, person}
    other = Extraction(Document("e", "x"), (city, post), (Relation(post, "postIn", city, ev),))
    assert iris(other)[post] == first[post]  # the same post in the same city, whoever holds it
