"""The whole pipeline on the seed articles: the contract of `extract` and the outputs of `build`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhkg.cli import cli
from zhkg.graph.export import EXPORT_NAMES
from zhkg.model import ENTITY_TYPES, PREDICATES, Document
from zhkg.read import iter_documents

ROOT = Path(__file__).resolve().parents[2]
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
    from zhkg.graph.store import Store

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


# Texts in which the tagger reads a place name holding a character that no IRI may hold: the
# name reached the entity's IRI, its N-Quads did not parse, and the load of the whole batch failed
# on every run (issue 13).
HOSTILE = ["记者在a>b区采访。", "他来到`东`区。", "他来到东\\区。", "他来到<东>区。",
           "他来到东-->区。"]


def _jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def test_names_that_no_iri_may_hold_never_fail_a_build(tmp_path: Path) -> None:
    import pyoxigraph as ox

    from zhkg.graph.store import Store

    records = [{"id": f"h{i}", "text": t} for i, t in enumerate(HOSTILE)]
    records.append({"id": "plain", "text": "杭州市出台新规。"})
    src = _jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(src), "-o", str(out), "-j", "1", "--no-page"])
    assert result.exit_code == 0, result.output
    with Store.open(out / "store", read_only=True) as store:
        assert store.article_ids() == sorted(r["id"] for r in records)
    quads = list(ox.parse(path=out / "graph.nq", format=ox.RdfFormat.N_QUADS))
    places = {q.subject.value for q in quads if q.object.value.endswith("#Place")}
    assert len(places) == len(HOSTILE)  # each still read as its own place


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_article_that_fails_is_skipped_named_and_the_rest_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    """An exception in one article's extraction, or a graph of one article that does not load,
    leaves that article out, named with its id and source, and never the build (issue 13)."""
    from zhkg.graph import rdf
    from zhkg.graph.store import Store
    from zhkg.pipeline import work

    real_mentions_in, real_nquads = work.mentions_in, rdf.article_nquads

    def mentions_in(ctx: Any) -> Any:
        if "引发异常" in ctx.text:
            raise RuntimeError("boom")
        return real_mentions_in(ctx)

    def article_nquads(ex: Any, iris: Any) -> str:
        text = real_nquads(ex, iris)
        return text + "<urn:x> <urn:p> <not an iri> .\n" if ex.doc.id == "unloadable" else text

    monkeypatch.setattr(work, "mentions_in", mentions_in)  # the workers are forked
    monkeypatch.setattr(rdf, "article_nquads", article_nquads)
    src = _jsonl(tmp_path / "in.jsonl", [
        {"id": "first", "text": "杭州市出台新规。"},
        {"id": "raises", "text": "这篇文章引发异常。"},
        {"id": "unloadable", "text": "宁波市发布通知。"},
        {"id": "last", "text": "温州市召开会议。"},
    ])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(src), "-o", str(out), "-j", str(jobs)])
    assert result.exit_code == 1, result.output
    assert f"{src}:2: article raises: cannot extract: RuntimeError: boom" in result.output
    assert f"{src}:3: article unloadable: its graph does not load" in result.output
    assert "2 articles built, 0 unchanged, 0 inputs skipped, 2 articles failed" in result.output
    meta = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert meta["articles_loaded"] == 2
    assert [(e["id"], e["source"]) for e in meta["article_errors"]] == [
        ("raises", f"{src}:2"), ("unloadable", f"{src}:3")]
    assert "RuntimeError: boom (at test_build.py:" in meta["article_errors"][0]["error"]
    with Store.open(out / "store", read_only=True) as store:
        assert store.article_ids() == ["first", "last"]
        assert sorted(store.article_hashes()) == ["first", "last"]
    nq = (out / "graph.nq").read_text(encoding="utf-8")
    assert "article/first>" in nq and "unloadable" not in nq and "raises" not in nq

    # Run again: the failed articles are tried again (they have no hash), the rest skipped.
    monkeypatch.setattr(work, "mentions_in", real_mentions_in)
    monkeypatch.setattr(rdf, "article_nquads", real_nquads)
    result = CliRunner().invoke(cli, ["build", str(src), "-o", str(out), "-j", str(jobs)])
    assert result.exit_code == 0, result.output
    assert "2 articles built, 2 unchanged" in result.output


_NAME_CHARS = "王李张刘陈杨大明华东西南北中青红石山河海湖新城市区县省镇村开发集团公司委员会书记长局"
_HOSTILE_CHARS = "[]`‹›\\<>-|^{}\"'%#?&= \t\n\r\x00\x01\x7f\x85\u2028\ufeff。，、：；《》（）"
_FUZZ_FREE = st.text(alphabet=st.one_of(st.sampled_from(_NAME_CHARS + _HOSTILE_CHARS),
                                        st.characters(blacklist_categories=("Cs",))),
                     min_size=1, max_size=60)
# A name in a frame where the extractor reads one (a place, a company, an official, a body).
_FRAMES = ["在{}{}区", "{}{}区", "他来到{}区。", "记者在{}市采访。", "{}开发区的企业很多。",
           "{}集团有限公司与{}公司合作。", "{}省委书记{}会见了客人。",
           "{}县人民政府发布《{}方案》。", "记者{}报道。"]
_FUZZ_NAME = st.text(alphabet=st.sampled_from(_NAME_CHARS + _HOSTILE_CHARS), min_size=1,
                     max_size=6)
_FUZZ_FRAMED = st.builds(lambda frame, a, b: frame.format(a, b), st.sampled_from(_FRAMES),
                         _FUZZ_NAME, _FUZZ_NAME)
_FUZZ_TEXT = st.one_of(_FUZZ_FRAMED, _FUZZ_FREE)
_FUZZ_ID = st.text(alphabet=st.one_of(st.characters(), st.characters(min_codepoint=0xDC80,
                                                                      max_codepoint=0xDCFF)),
                   min_size=1, max_size=12)
#: Examples per run; fuzz longer with e.g. ZHKG_FUZZ_EXAMPLES=20000.
FUZZ_EXAMPLES = int(os.environ.get("ZHKG_FUZZ_EXAMPLES", "150"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=_FUZZ_TEXT, doc_id=_FUZZ_ID)
def test_any_text_extracts_to_nquads_that_oxigraph_loads(text: str, doc_id: str) -> None:
    """From the extractor's input to the N-Quads it loads, through every IRI minted on the way
    (entities, posts, statements, evidence, the article): valid for any text and any id."""
    import pyoxigraph as ox

    from zhkg.iris import article_graph_iri
    from zhkg.pipeline.work import process_document
    from zhkg.read import clean_text

    result = process_document(Document(doc_id, clean_text(text), title=clean_text(text[:10])))
    graph = ox.NamedNode(str(article_graph_iri(doc_id)))
    store = ox.Store()
    store.bulk_load(result.nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    assert list(store.named_graphs()) == [graph]  # (an article that failed has no graph)


def test_extract_skips_an_article_that_fails_and_writes_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zhkg.pipeline import work

    real_mentions_in = work.mentions_in

    def mentions_in(ctx: Any) -> Any:
        if ctx.doc.id == "raises":
            raise ValueError("bad")
        return real_mentions_in(ctx)

    monkeypatch.setattr(work, "mentions_in", mentions_in)
    src = _jsonl(tmp_path / "in.jsonl", [{"id": "raises", "text": "杭州市出台新规。"},
                                          {"id": "fine", "text": "宁波市发布通知。"}])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["extract", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert f"skipped {src}:1: article raises: cannot extract: ValueError: bad" in result.output
    assert [json.loads(x)["id"] for x in out.read_text("utf-8").splitlines()] == ["fine"]
