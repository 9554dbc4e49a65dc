"""zhkg/__init__: the public API, like sqlite_utils' top level: the data model and the errors
at once, the entry points on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zhkg

ROOT = Path(__file__).resolve().parents[1]


def test_importing_zhkg_loads_no_model_store_or_page() -> None:
    code = ("import sys, zhkg; heavy = ['jieba', 'pyoxigraph', 'networkx', 'numba', "
            "'zhkg.pipeline.build']; print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_every_name_of_the_api_is_there() -> None:
    from zhkg.graph.store import Store
    from zhkg.pipeline.build import build
    from zhkg.pipeline.remove import remove_articles
    from zhkg.query.run import run

    assert [getattr(zhkg, name) for name in ("build", "remove", "Store", "run_query")] == [
        build, remove_articles, Store, run]
    assert all(hasattr(zhkg, name) for name in zhkg.__all__)


def test_the_entry_points_work_end_to_end(tmp_path: Path) -> None:
    doc = zhkg.Document("a1", "浙江省委常委杭州市委书记李明会见了客人。")
    ex = zhkg.extract_document(doc)
    assert ("李明", "holdsPost", "市委书记") in {
        (r.subject.text, r.predicate, r.object.text) for r in ex.relations if r.subject}
    src = tmp_path / "a1.txt"
    src.write_text(f"标题\n2024-01-02\n{doc.text}\n", encoding="utf-8")
    report = zhkg.build([src], tmp_path / "out", jobs=1, page=False, exports=False)
    assert isinstance(report, zhkg.BuildReport) and report.articles_loaded == 1
    assert "李明" in zhkg.run_query(tmp_path / "out" / "store", "officials", "csv")
    with zhkg.Store.open(tmp_path / "out" / "store", read_only=True) as store:
        assert store.article_ids() == ["a1"]
    assert zhkg.remove(tmp_path / "out", ["a1"], page=False).removed == ["a1"]
