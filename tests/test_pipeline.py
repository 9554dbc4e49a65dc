"""The whole pipeline on the seed articles: the contract of `extract` and the outputs of `build`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhkg.cli import cli
from zhkg.export import EXPORT_NAMES
from zhkg.model import ENTITY_TYPES, PREDICATES
from zhkg.read import iter_documents

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
OUTPUTS = ["graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "graph.html", "build.json"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(cli, ["build", str(SEEDS), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    return out


def test_extract_honours_the_contract(tmp_path: Path) -> None:
    out = tmp_path / "seeds.jsonl"
    result = CliRunner().invoke(cli, ["extract", str(SEEDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    texts = {d.id: d.text for d in iter_documents([SEEDS], print)}
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in records) == sorted(texts)
    for r in records:
        text = texts[r["id"]]
        assert r["mentions"] and r["relations"]
        for m in r["mentions"]:
            assert text[m["start"] : m["end"]] == m["text"]
            assert m["type"] in ENTITY_TYPES
        for rel in r["relations"]:
            assert rel["predicate"] in PREDICATES
            assert 0 <= rel["start"] < rel["end"] <= len(text)
            assert {"subject", "object"} <= rel.keys()


def test_extract_accepts_jsonl_and_indexes_its_text_field(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a1", "text": "浙江省委常委杭州市委书记李明会见了客人。"},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert CliRunner().invoke(cli, ["extract", str(src), "-o", str(out)]).exit_code == 0
    (record,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    text = "浙江省委常委杭州市委书记李明会见了客人。"
    assert record["id"] == "a1"
    assert {(m["text"], m["type"]) for m in record["mentions"]} >= {("李明", "Official")}
    for m in record["mentions"]:
        assert text[m["start"] : m["end"]] == m["text"]


def test_build_writes_every_output(built: Path) -> None:
    for name in OUTPUTS:
        assert (built / name).stat().st_size > 0, name
    assert (built / "store").is_dir()
    meta = json.loads((built / "build.json").read_text(encoding="utf-8"))
    assert meta["articles_loaded"] == 2
    assert meta["input_errors"] == []
    # wall and CPU seconds of the same steps; extraction and loading take CPU time
    assert meta["cpu_seconds"].keys() == meta["seconds"].keys()
    assert meta["cpu_seconds"]["extract_and_load"] > 0
    assert meta["cpu_seconds"]["total"] >= meta["cpu_seconds"]["extract_and_load"]


def test_build_is_deterministic(built: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(SEEDS), "-o", str(tmp_path), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "graph.nt").read_bytes() == (built / "graph.nt").read_bytes()


def test_building_again_skips_unchanged_articles(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(SEEDS), "-o", str(tmp_path), "-j", "1"]).exit_code == 0
    first = (tmp_path / "graph.nt").read_bytes()
    result = runner.invoke(cli, ["build", str(SEEDS), "-o", str(tmp_path), "-j", "1"])
    assert result.exit_code == 0
    meta = json.loads((tmp_path / "build.json").read_text(encoding="utf-8"))
    assert meta["articles_skipped_unchanged"] == 2 and meta["articles_loaded"] == 0
    assert (tmp_path / "graph.nt").read_bytes() == first


def test_build_without_exports_then_export(built: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["build", str(SEEDS), "-o", str(tmp_path), "-j", "1",
                                 "--no-exports", "--no-page"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "store").is_dir()
    assert not any((tmp_path / name).exists() for name in EXPORT_NAMES)
    meta = json.loads((tmp_path / "build.json").read_text(encoding="utf-8"))
    assert meta["quads"] > 1000 and meta["triples"] == 0
    result = runner.invoke(cli, ["export", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in EXPORT_NAMES:  # the same files as a build that wrote them
        assert (tmp_path / name).read_bytes() == (built / name).read_bytes(), name


def test_parallel_build_gives_the_same_graph(built: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(SEEDS), "-o", str(tmp_path), "-j", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "graph.nt").read_bytes() == (built / "graph.nt").read_bytes()


def test_page_is_self_contained_utf8(built: Path) -> None:
    html = (built / "graph.html").read_text(encoding="utf-8")
    assert "谭作钧" in html or "\\u8c2d\\u4f5c\\u94a7" in html
    import re

    assert not re.search(r"<(?:script|link)[^>]+(?:src|href)=[\"']?(?:https?:)?//", html)


def test_one_entity_across_articles_with_one_label(tmp_path: Path) -> None:
    src = tmp_path / "two.jsonl"
    lines = [
        {"id": "a", "text": "国家发改委与华远集团签署合作协议。杭州市出台新规。"},
        {"id": "b", "text": "国家发展和改革委员会表示，华远集团有限公司在杭州投资。"},
    ]
    src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(src), "-o", str(out), "-j", "1", "--no-page"])
    assert result.exit_code == 0, result.output
    from zhkg.store import Store

    with Store.open(out / "store", read_only=True) as store:
        rows = store.query(
            """PREFIX zhkg: <https://w3id.org/zhkg/ontology#>
            PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
            SELECT ?e (COUNT(DISTINCT ?a) AS ?n) (SAMPLE(?l) AS ?label) WHERE {
              ?a zhkg:mentions ?e . ?e rdfs:label ?l .
              FILTER(?l IN ("国家发展和改革委员会"@zh, "华远集团有限公司"@zh, "杭州市"@zh))
            } GROUP BY ?e"""
        )
        found = {str(r["label"].value): int(r["n"].value) for r in rows}
    assert found == {"国家发展和改革委员会": 2, "华远集团有限公司": 2, "杭州市": 2}
