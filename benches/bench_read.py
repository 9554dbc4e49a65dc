"""Reading speed and memory: prints figures, asserts nothing (targets are judged by people).

    .venv/bin/python benches/bench_read.py [--files 20000] [--lines 100000] [--huge-mb 50]

* a folder of many small .txt articles (UTF-8, a share in GBK) in nested subfolders;
* one JSON Lines file of many articles;
* the set of ids a run keeps to report duplicates, for a million articles;
* one huge single-line .txt and one huge single-line JSON line: the peak of Python allocations
  while reading each, as a multiple of the file size (tracemalloc), and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from zhkg.read import DEFAULT_MAX_ARTICLE_CHARS, iter_documents

PARAGRAPH = ("浙江省杭州市人民政府近日印发通知，支持企业加快数字化转型，推动制造业高质量发展。"
             "市发展和改革委员会负责人表示，今年将新建一批重点项目。\n")


def _count(paths: list[Path], max_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
           ) -> tuple[int, int, int, float]:
    errors: list[str] = []
    t0 = time.perf_counter()
    n = chars = 0
    for doc in iter_documents(paths, lambda e: errors.append(str(e)), max_chars=max_chars):
        n += 1
        chars += len(doc.text)
    return n, chars, len(errors), time.perf_counter() - t0


def bench_folder(root: Path, files: int) -> None:
    body = PARAGRAPH * 8
    size = 0
    for i in range(files):
        folder = root / f"{i // 1000:03d}" / f"{i // 100 % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        text = f"标题{i}\n2021-03-{i % 28 + 1:02d} 10:00\n{body}"
        data = text.encode("gbk" if i % 10 == 0 else "utf-8")
        (folder / f"a{i}.txt").write_bytes(data)
        size += len(data)
    n, chars, errs, secs = _count([root])
    print(f"folder: {n} .txt files ({size / 1e6:.1f} MB, 10% GBK), {errs} errors: "
          f"{secs:.2f} s, {n / secs:,.0f} articles/s, {size / 1e6 / secs:.1f} MB/s")


def bench_jsonl(path: Path, lines: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(lines):
            f.write(json.dumps({"id": f"n{i}", "title": "标题", "date": "2021-03-01",
                                "text": "<p>" + PARAGRAPH * 4 + "</p>"}, ensure_ascii=False))
            f.write("\n")
    size = path.stat().st_size
    n, chars, errs, secs = _count([path])
    print(f"jsonl: {n} lines ({size / 1e6:.1f} MB, with markup), {errs} errors: {secs:.2f} s, "
          f"{n / secs:,.0f} articles/s, {size / 1e6 / secs:.1f} MB/s")


def bench_huge(path: Path, mb: int, jsonl: bool) -> None:
    unit = PARAGRAPH.replace("\n", "")
    text = unit * (mb * (1 << 20) // len(unit.encode("utf-8")))
    if jsonl:
        path.write_text(json.dumps({"id": "huge", "text": text}, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    else:
        path.write_text(text, encoding="utf-8")
    del text
    size = path.stat().st_size
    tracemalloc.start()
    n, chars, errs, secs = _count([path], max_chars=None)  # read whole, past the default limit
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kind = "jsonl line" if jsonl else ".txt line"
    print(f"huge {kind}: {size / 1e6:.1f} MB, {n} doc of {chars:,} chars, {errs} errors: "
          f"{secs:.2f} s (traced), peak Python allocations {peak / 1e6:.1f} MB = "
          f"{peak / size:.2f}x the file")


def bench_ids(n: int) -> None:
    """The one per-corpus structure: the set of ids given out (duplicate detection)."""
    from zhkg.read.inputs import Run as _Run

    ids = [f"article-{i:09d}" for i in range(n)]
    run = _Run(on_error=lambda e: None, max_bytes=None)
    t0 = time.perf_counter()
    for doc_id in ids:
        run.claim(doc_id)
    secs = time.perf_counter() - t0
    run = _Run(on_error=lambda e: None, max_bytes=None)
    tracemalloc.start()
    for doc_id in ids:
        run.claim(doc_id)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"ids: {n:,} claimed in {secs:.2f} s, {current / 1e6:.1f} MB held "
          f"({current / n:.0f} bytes per article)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--lines", type=int, default=100000)
    ap.add_argument("--huge-mb", type=int, default=50)
    ap.add_argument("--ids", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench_folder(root / "folder", args.files)
        bench_jsonl(root / "news.jsonl", args.lines)
        bench_huge(root / "huge.txt", args.huge_mb, jsonl=False)
        bench_huge(root / "huge.jsonl", args.huge_mb, jsonl=True)
    bench_ids(args.ids)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
