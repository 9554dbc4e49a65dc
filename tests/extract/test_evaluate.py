"""The scorer on small hand-made gold and predictions, where every figure can be counted by eye."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zhkg.errors import InputError
from zhkg.extract.evaluate import PRF, check_gold, format_report, load_gold, score_documents

GOLD: dict[str, Any] = {
    "documents": [
        {
            "id": "d1",
            "entities": [
                {"name": "大连", "type": "City", "forms": ["大连", "大连市"]},
                {"name": "谭作钧", "type": "Official", "forms": ["谭作钧"]},
                {"name": "市委书记", "type": "Post", "forms": ["市委书记", "大连市委书记"]},
                {"name": "张三", "type": "Person", "forms": ["张三"]},
                {"name": "甲公司", "type": "Company", "forms": ["甲公司"]},
                {"name": "乙公司", "type": "Company", "forms": ["乙公司"]},
            ],
            "relations": [
                {"subject": "谭作钧", "predicate": "holdsPost", "object": "市委书记",
                 "evidence": "大连市委书记谭作钧", "implied": False},
                {"subject": "市委书记", "predicate": "postIn", "object": "大连",
                 "evidence": "大连市委书记", "implied": False},
                {"subject": "@article", "predicate": "author", "object": "张三",
                 "evidence": "记者张三", "implied": False},
                {"subject": "甲公司", "predicate": "cooperatesWith", "object": "乙公司",
                 "evidence": "甲公司与乙公司合作", "implied": False},
                {"subject": "甲公司", "predicate": "locatedIn", "object": "大连",
                 "evidence": "甲公司", "implied": True},
            ],
        }
    ]
}


def mention(text: str, type_: str) -> dict[str, Any]:
    return {"text": text, "type": type_, "start": 0, "end": len(text)}


def relation(subject: str, predicate: str, obj: str) -> dict[str, Any]:
    return {"subject": subject, "predicate": predicate, "object": obj, "start": 0, "end": 1}


PERFECT = {
    "id": "d1",
    "mentions": [mention("大连市", "City"), mention("大连", "City"),
                 mention("谭作钧", "Official"), mention("市委书记", "Post"),
                 mention("张三", "Person"), mention("甲公司", "Company"),
                 mention("乙公司", "Company")],
    "relations": [relation("谭作钧", "holdsPost", "市委书记"),
                  relation("大连市委书记", "postIn", "大连市"),
                  relation("d1", "author", "张三"),
                  relation("乙公司", "cooperatesWith", "甲公司"),
                  relation("甲公司", "locatedIn", "大连")],
}


def test_prf_ratios_and_sum() -> None:
    a = PRF(gold=4, found=3, predicted=5, correct=4)
    assert (a.recall, a.precision) == (0.75, 0.8)
    assert a.f1 == pytest.approx(2 * 0.75 * 0.8 / 1.55)
    assert a + PRF(gold=1, predicted=1) == PRF(gold=5, found=3, predicted=6, correct=4)
    assert (PRF().precision, PRF().recall, PRF().f1) == (0.0, 0.0, 0.0)


def test_perfect_prediction_scores_one_everywhere() -> None:
    s = score_documents(GOLD, [PERFECT])
    # Two forms of one entity are two correct predicted pairs, one gold entity found.
    assert s.entities == PRF(gold=6, found=6, predicted=7, correct=7)
    assert s.entities_untyped == PRF(gold=6, found=6, predicted=7, correct=7)
    assert s.relations == PRF(gold=5, found=5, predicted=5, correct=5)
    # The implied relation leaves the stated figures entirely: neither gold nor a false positive.
    assert s.relations_stated == PRF(gold=4, found=4, predicted=4, correct=4)
    assert set(s.relations_stated_by_predicate) == {"holdsPost", "postIn", "author",
                                                    "cooperatesWith"}
    assert s.relations_by_predicate["locatedIn"] == PRF(gold=1, found=1, predicted=1, correct=1)
    assert s.documents == ("d1",) and s.unknown_ids == ()


def test_partial_prediction() -> None:
    pred = {
        "id": "d1",
        "mentions": [mention("大连", "City"), mention("谭作钧", "Official"),
                     mention("新华社", "GovernmentBody"), mention("大连", "City")],
        "relations": [relation("谭作钧", "holdsPost", "市委书记"),
                      relation("谭作钧", "postIn", "大连")],
    }
    s = score_documents(GOLD, [pred])
    # Duplicated mentions count once; 新华社 is not in the gold.
    assert s.entities == PRF(gold=6, found=2, predicted=3, correct=2)
    assert s.entities_by_type["City"] == PRF(gold=1, found=1, predicted=1, correct=1)
    assert s.entities_by_type["GovernmentBody"] == PRF(gold=0, found=0, predicted=1, correct=0)
    assert s.entities_by_type["Company"] == PRF(gold=2, found=0)
    # Right predicate with the wrong subject is wrong.
    assert s.relations == PRF(gold=5, found=1, predicted=2, correct=1)
    assert s.relations_by_predicate["postIn"] == PRF(gold=1, found=0, predicted=1, correct=0)
    assert s.relations_stated.recall == 0.25


def test_type_mismatch_counts_only_in_the_untyped_figure() -> None:
    pred = {"id": "d1", "mentions": [mention("大连", "Province"), mention("谭作钧", "Person")],
            "relations": []}
    s = score_documents(GOLD, [pred])
    assert s.entities == PRF(gold=6, found=0, predicted=2, correct=0)
    assert s.entities_untyped == PRF(gold=6, found=2, predicted=2, correct=2)
    assert s.entities_by_type["Province"] == PRF(predicted=1)
    assert s.entities_by_type["City"] == PRF(gold=1)


def test_article_relations_take_the_document_id_as_subject() -> None:
    right = {"id": "d1", "mentions": [], "relations": [relation("d1", "author", "张三")]}
    assert score_documents(GOLD, [right]).relations_by_predicate["author"] == PRF(1, 1, 1, 1)
    for wrong_subject in ("d2", "张三"):
        wrong = {"id": "d1", "mentions": [],
                 "relations": [relation(wrong_subject, "author", "张三")]}
        assert score_documents(GOLD, [wrong]).relations_by_predicate["author"] == PRF(1, 0, 1, 0)
    wrong_predicate = {"id": "d1", "mentions": [], "relations": [relation("d1", "editor", "张三")]}
    s = score_documents(GOLD, [wrong_predicate])
    assert s.relations_by_predicate["author"] == PRF(gold=1)
    assert s.relations_by_predicate["editor"] == PRF(predicted=1)


def test_direction_matters_except_for_symmetric_predicates() -> None:
    pred = {"id": "d1", "mentions": [],
            "relations": [relation("市委书记", "holdsPost", "谭作钧"),
                          relation("乙公司", "cooperatesWith", "甲公司")]}
    s = score_documents(GOLD, [pred])
    assert s.relations_by_predicate["holdsPost"] == PRF(gold=1, found=0, predicted=1, correct=0)
    assert s.relations_by_predicate["cooperatesWith"] == PRF(1, 1, 1, 1)


def test_prediction_matching_only_an_implied_relation_is_not_scored_as_stated() -> None:
    pred = {"id": "d1", "mentions": [], "relations": [relation("甲公司", "locatedIn", "大连市")]}
    s = score_documents(GOLD, [pred])
    assert s.relations == PRF(gold=5, found=1, predicted=1, correct=1)
    assert s.relations_stated == PRF(gold=4, found=0, predicted=0, correct=0)


def test_missing_and_unknown_documents() -> None:
    s = score_documents(GOLD, [{"id": "zz", "mentions": [mention("大连", "City")],
                                "relations": []}])
    assert s.entities == PRF(gold=6) and s.relations == PRF(gold=5)
    assert s.unknown_ids == ("zz",)
    assert "zz" in format_report(s)


def test_records_for_one_document_are_merged() -> None:
    half1 = {"id": "d1", "mentions": [mention("大连", "City")], "relations": []}
    half2 = {"id": "d1", "mentions": [mention("大连", "City"), mention("张三", "Person")],
             "relations": [relation("d1", "author", "张三")]}
    s = score_documents(GOLD, [half1, half2])
    assert s.entities == PRF(gold=6, found=2, predicted=2, correct=2)
    assert s.relations.found == 1


def test_micro_average_over_documents() -> None:
    gold = {"documents": [
        {"id": "a", "entities": [{"name": "甲", "type": "Person", "forms": ["甲"]}],
         "relations": []},
        {"id": "b", "entities": [{"name": "乙", "type": "Person", "forms": ["乙"]},
                                 {"name": "丙", "type": "Person", "forms": ["丙"]}],
         "relations": []},
    ]}
    # 甲 predicted in the wrong document does not count there.
    preds = [{"id": "a", "mentions": [mention("甲", "Person")], "relations": []},
             {"id": "b", "mentions": [mention("甲", "Person"), mention("乙", "Person")],
              "relations": []}]
    s = score_documents(gold, preds)
    assert s.entities == PRF(gold=3, found=2, predicted=3, correct=2)


def test_format_report_lists_every_figure() -> None:
    report = format_report(score_documents(GOLD, [PERFECT]))
    lines = report.splitlines()
    assert lines[0] == "documents: d1"
    for label in ("entities (form + type)", "entities (form, any type)", "  City", "  Post",
                  "relations (all)", "relations (stated, no implied)", "  holdsPost",
                  "  cooperatesWith"):
        assert any(line.startswith(label) for line in lines), label
    row = next(line for line in lines if line.startswith("relations (all)"))
    assert row.split()[-7:] == ["5", "5", "1.000", "5", "5", "1.000", "1.000"]


def test_load_gold_reads_and_checks(tmp_path: Path) -> None:
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(GOLD, ensure_ascii=False), encoding="utf-8")
    assert load_gold(path) == GOLD

    bad = json.loads(json.dumps(GOLD))
    bad["documents"][0]["entities"][0]["type"] = "Town"
    bad["documents"][0]["relations"][0]["object"] = "省长"
    bad["documents"][0]["relations"][2]["subject"] = "张三"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match="unknown type 'Town'") as info:
        load_gold(path)
    assert info.value.path == str(path)
    problems = check_gold(bad)
    assert any("'省长' is not an entity" in p for p in problems)
    assert any("author needs subject '@article'" in p for p in problems)


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid UTF-8 JSON"),
    (b"\xff\xfe", "not valid UTF-8 JSON"),
    (b"[]", 'expected an object with a "documents" list'),
    (b'{"documents": [{"id": "a"}, {"id": "a"}]}', "duplicate id"),
    (b'{"documents": [{"id": "a", "entities": [{"name": "x", "type": "City", "forms": []}]}]}',
     "non-empty list"),
])
def test_load_gold_rejects_malformed_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "gold.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_gold(path)


def test_load_gold_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_gold(tmp_path / "nope.json")
