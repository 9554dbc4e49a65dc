"""zhkg.graph.export: every export loads elsewhere, with the same triples, deterministically."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from _kg import FakeGazetteer, canonical_name, sample
from rdflib.compare import isomorphic

from zhkg.graph import rdf
from zhkg.graph.entities import refresh_entities
from zhkg.graph.export import EXPORT_NAMES, ExportSummary, write_exports
from zhkg.graph.store import Store
from zhkg.iris import ENTITIES_GRAPH, article_graph_iri
from zhkg.namespace import PREFIXES


@pytest.fixture
def built(tmp_path: Path) -> Path:
    with Store.open(tmp_path / "store") as st:
        st.replace_articles([(d, "h", rdf.article_nquads(*sample(d))) for d in ("a", "b")])
        refresh_entities(st, canonical_name, FakeGazetteer())
        write_exports(st, tmp_path)
    return tmp_path


FORMATS = {
    "graph.ttl": (ox.RdfFormat.TURTLE, "turtle"),
    "graph.nt": (ox.RdfFormat.N_TRIPLES, "nt"),
    "graph.jsonld": (ox.RdfFormat.JSON_LD, "json-ld"),
    "graph.trig": (ox.RdfFormat.TRIG, "trig"),
    "graph.nq": (ox.RdfFormat.N_QUADS, "nquads"),
}


@pytest.mark.parametrize("name", EXPORT_NAMES)
def test_exports_load_in_pyoxigraph_and_rdflib_alike(built: Path, name: str) -> None:
    ox_format, rdflib_format = FORMATS[name]
    ox_count = len(set(ox.parse(path=built / name, format=ox_format)))
    ds = rdflib.Dataset()
    ds.parse(built / name, format=rdflib_format)
    rdflib_count = len(list(ds.quads((None, None, None, None))))
    assert ox_count == rdflib_count > 0


def test_counts_match_the_store(built: Path) -> None:
    with Store.open(built / "store", read_only=True) as st:
        quads = sum(1 for _ in st.quads())
        triples = len({(q.subject, q.predicate, q.object) for q in st.quads()})
    assert len((built / "graph.nq").read_text(encoding="utf-8").splitlines()) == quads
    nt = (built / "graph.nt").read_text(encoding="utf-8").splitlines()
    assert len(nt) == triples
    assert nt == sorted(nt)
    for name in ("graph.ttl", "graph.jsonld"):
        assert len(list(ox.parse(path=built / name))) == triples


def test_named_graphs_per_article_and_entities(built: Path) -> None:
    graphs = {q.graph_name.value for q in ox.parse(path=built / "graph.trig")}
    assert graphs == {str(article_graph_iri("a")), str(article_graph_iri("b")),
                      str(ENTITIES_GRAPH)}
    assert "contentHash" not in (built / "graph.nq").read_text(encoding="utf-8")


def test_jsonld_has_context(built: Path) -> None:
    doc = json.loads((built / "graph.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"]["zhkg"] == "https://w3id.org/zhkg/ontology#"
    assert doc["@context"]["schema"] == "https://schema.org/"
    keys = {k for node in doc["@graph"] for k in node}
    assert "zhkg:holdsPost" in keys and "rdfs:label" in keys
    # compact IRIs expand back: rdflib reads the same graph as the N-Triples file
    g = rdflib.Graph().parse(built / "graph.jsonld", format="json-ld")
    nt = rdflib.Graph().parse(built / "graph.nt", format="nt")
    assert isomorphic(g, nt)


def test_exports_are_deterministic(built: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    again = tmp_path_factory.mktemp("again")
    with Store.open(built / "store", read_only=True) as st:
        write_exports(st, again)
    for name in EXPORT_NAMES:
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


def test_rewrite_leaves_no_temp_files(built: Path) -> None:
    with Store.open(built / "store", read_only=True) as st:
        write_exports(st, built)
    assert not [p for p in built.iterdir() if p.name.endswith(".tmp")]


def test_spilled_sort_runs_give_the_same_bytes(
        built: Path, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from zhkg.graph import export, jsonld

    monkeypatch.setattr(export, "SORT_RUN_BYTES", 2_000)  # many runs to merge
    monkeypatch.setattr(export, "MERGE_BLOCK_BYTES", 300)  # read a few lines at a time
    monkeypatch.setattr(jsonld, "JSONLD_CHUNK_BYTES", 1_000)  # many JSON-LD chunks
    again = tmp_path_factory.mktemp("runs")
    with Store.open(built / "store", read_only=True) as st:
        write_exports(st, again)
    for name in EXPORT_NAMES:
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


def test_jsonld_compaction_leaves_literals_alone(tmp_path: Path) -> None:
    ns = PREFIXES["zhkg"]
    tricky = [f'"{ns}x"', f"{ns}y", '\\"' + ns, "@value", 'a"b\\', "\x00"]
    with Store.open(tmp_path / "store") as st:
        st.inner.extend([
            ox.Quad(ox.NamedNode(ns + "s"), ox.NamedNode(ns + "p"), ox.Literal(t),
                    ox.NamedNode(str(ENTITIES_GRAPH))) for t in tricky])
        st.inner.add(ox.Quad(ox.NamedNode(ns + "//odd"), ox.NamedNode(ns + "p"),
                             ox.Literal("x", datatype=ox.NamedNode(ns + "T")),
                             ox.NamedNode(str(ENTITIES_GRAPH))))
        write_exports(st, tmp_path)
    doc = json.loads((tmp_path / "graph.jsonld").read_text(encoding="utf-8"))
    values = {v["@value"] for node in doc["@graph"] for v in node.get("zhkg:p", [])}
    assert values == set(tricky) | {"x"}
    assert {node["@id"] for node in doc["@graph"]} == {"zhkg:s", ns + "//odd"}
    g = rdflib.Graph().parse(tmp_path / "graph.jsonld", format="json-ld")
    assert isomorphic(g, rdflib.Graph().parse(tmp_path / "graph.nt", format="nt"))


needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the exports are written by forked children")


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Children even for the test store, and many runs, merge blocks and JSON-LD chunks."""
    from zhkg.graph import export, jsonld

    monkeypatch.setattr(export, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(export, "SORT_RUN_BYTES", 2_000)
    monkeypatch.setattr(export, "MERGE_BLOCK_BYTES", 300)
    monkeypatch.setattr(jsonld, "JSONLD_CHUNK_BYTES", 1_000)


@needs_fork
@pytest.mark.parametrize("jobs", [2, 3, 4])
def test_children_write_the_same_bytes(
        built: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        small_pieces: None, jobs: int) -> None:
    from zhkg.graph import export

    started = []

    class Counted(export._Children):
        def __init__(self, jobs: int) -> None:
            started.append(jobs)
            super().__init__(jobs)

    monkeypatch.setattr(export, "_Children", Counted)
    parallel = tmp_path_factory.mktemp("parallel")
    sequential = tmp_path_factory.mktemp("sequential")
    with Store.open(built / "store", read_only=True) as st:
        summary = write_exports(st, parallel, jobs=jobs)
        assert started == [jobs]
        assert write_exports(st, sequential, jobs=1) == ExportSummary(
            paths={n: sequential / n for n in EXPORT_NAMES}, triples=summary.triples,
            quads=summary.quads)
    assert started == [jobs]  # jobs=1: no children
    for name in EXPORT_NAMES:
        assert (parallel / name).read_bytes() == (built / name).read_bytes(), name
        assert (sequential / name).read_bytes() == (built / name).read_bytes(), name
    assert sorted(p.name for p in parallel.iterdir()) == sorted(EXPORT_NAMES)


def test_jsonld_parts_cut_between_subjects(built: Path) -> None:
    from zhkg.graph.jsonld import subject_ranges as _subject_ranges

    nt = built / "graph.nt"
    data = nt.read_bytes()
    for parts in (1, 2, 3, 7, 1000):
        ranges = _subject_ranges(nt, parts)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert all(a < b == c for (a, b), (c, _) in itertools.pairwise(ranges))
        assert len(ranges) <= parts
        for start, _ in ranges[1:]:
            before = data[:start].splitlines()[-1]
            after = data[start:].splitlines()[0]
            assert before.split(b" ")[0] != after.split(b" ")[0]
    assert len(_subject_ranges(nt, 3)) == 3


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=needs_fork)])
def test_an_error_in_a_writer_reaches_the_caller_and_leaves_the_old_file(
        built: Path, monkeypatch: pytest.MonkeyPatch, small_pieces: None, jobs: int) -> None:
    from zhkg.graph import jsonld

    real_node_text = jsonld._node_text

    def failing_node_text(prefixes: dict[str, str]) -> Callable[[bytes], str]:
        """The JSON-LD node writer, failing (with its process id) from its second chunk on."""
        nodes = real_node_text(prefixes)
        calls = []

        def failing(data: bytes) -> str:
            calls.append(data)
            if len(calls) > 1:
                raise RuntimeError(f"boom in {os.getpid()}")
            return nodes(data)

        return failing

    before = {name: (built / name).read_bytes() for name in EXPORT_NAMES}
    (built / "graph.jsonld").write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(jsonld, "_node_text", failing_node_text)  # children are forked
    with Store.open(built / "store", read_only=True) as st, \
            pytest.raises(RuntimeError, match=r"boom in \d+") as raised:
        write_exports(st, built, jobs=jobs)
    pid = int(str(raised.value).rsplit(" ", 1)[1])
    assert (pid != os.getpid()) == (jobs > 1)  # raised in a child, and passed on
    assert (built / "graph.jsonld").read_text(encoding="utf-8") == "old\n"
    for name in ("graph.nq", "graph.nt", "graph.trig", "graph.ttl"):
        assert (built / name).read_bytes() == before[name], name  # rewritten whole, or not
    assert sorted(p.name for p in built.iterdir()) == sorted([*EXPORT_NAMES, "store"])


@needs_fork
def test_an_error_in_the_turtle_child_reaches_the_caller(
        built: Path, monkeypatch: pytest.MonkeyPatch, small_pieces: None) -> None:
    from zhkg.graph import export

    before = (built / "graph.ttl").read_bytes()
    monkeypatch.setitem(export._FORMATS, "ttl", "no such format")
    with Store.open(built / "store", read_only=True) as st, \
            pytest.raises(ValueError, match="no such format"):
        write_exports(st, built, jobs=2)
    assert (built / "graph.ttl").read_bytes() == before
    assert sorted(p.name for p in built.iterdir()) == sorted([*EXPORT_NAMES, "store"])


def test_articles_still_loading_are_exported(tmp_path: Path) -> None:
    articles = [(d, "h", rdf.article_nquads(*sample(d))) for d in ("a", "b", "c")]
    for wait in (True, False):
        with Store.open(tmp_path / f"store-{wait}") as st:
            st.replace_articles(articles, wait=wait)
            write_exports(st, tmp_path / str(wait))
    for name in EXPORT_NAMES:
        assert (tmp_path / "False" / name).read_bytes() == (tmp_path / "True" / name).read_bytes()


def test_a_build_exports_its_spooled_graphs_as_the_store_would(tmp_path: Path) -> None:
    """The build writes this run's article graphs from its spool (zhkg.graph.export.Spool); the same
    store exported on its own must give the same bytes, also after a resumed build whose earlier
    articles come from the store and whose new ones come from the spool."""
    from zhkg.pipeline.build import build

    src = tmp_path / "in"
    src.mkdir()
    weird = '\t"\\é\u2028\x01'  # the reader keeps tabs, makes \x01 a space
    (src / "a.txt").write_text(
        f"某市召开会议\t{weird}\n2024年3月5日\n某市市长王大明\t在会上说，某某集团与某某公司合作。\r\n"
        f"某省人民政府发布《某某行动方案》{weird}。\n", encoding="utf-8")
    (src / "b.txt").write_text("第二篇\n2024-03-06\n记者李小红报道：某区区长张三出席。\n",
                               encoding="utf-8")
    out, alone = tmp_path / "out", tmp_path / "alone"
    for round_ in range(2):
        if round_:
            (src / "c.txt").write_text("第三篇\n\n某国外交部发言人表示欢迎。\n", encoding="utf-8")
        build([src], out, jobs=1, page=False)
        with Store.open(out / "store", read_only=True) as store:
            write_exports(store, alone, jobs=1)
        for name in EXPORT_NAMES:
            assert (out / name).read_bytes() == (alone / name).read_bytes(), (round_, name)
    quads = (out / "graph.nq").read_text(encoding="utf-8")
    assert '\\t\\"\\\\é\u2028 ' in quads  # escaped as Oxigraph escapes them
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_work_folders_of_killed_exports_are_removed_by_the_next(tmp_path: Path) -> None:
    import subprocess
    import sys

    from zhkg.graph.export import _remove_stale_work

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f".export-{gone.stdout.strip()}-abc"  # its process has ended
    older = tmp_path / ".export-k2j3x_9q"  # named before the process id was in the name
    live = tmp_path / f".export-{os.getpid()}-def"  # an export at work
    for folder in (dead, older, live):
        folder.mkdir()
        (folder / "nt-00000").write_bytes(b"x")
    _remove_stale_work(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]
