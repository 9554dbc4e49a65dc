"""Extraction time per character and peak memory as one article grows. Prints figures only.

    .venv/bin/python benches/article_length.py [--sizes 10K,100K,1M,4M]
        [--source seeds|run-on|data] [--data ../shared/data] [--rdf]

Each size (UTF-8 bytes of the article's text) is one article made of real news text end to end:
the bodies of `seeds/` repeated (default); the same with every sentence end made a comma
(`run-on`: one sentence as long as the article, as in a page scraped without its punctuation);
or the sentences of `../shared/data` (CLUENER2020 train, People's Daily dev), shuffled anew each
time round (`data`). Each size runs in a child process of its own, so its peak RSS is its own.
The child warms the models and extracts a short article once (so one-time costs are not counted
against the smallest size), then times
`zhkg.pipeline.work.extract_document` (mentions and relations; with `--rdf` the article's N-Quads as
well) and `jieba.lcut` on the same text, in CPU seconds. It prints the time per character of
both, their ratio (flat from the smallest to the largest size when extraction is linear), and
the peak RSS while extracting with its rise over the warmed process's RSS before (Linux).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _size(text: str) -> int:
    units = {"K": 1000, "M": 1000 * 1000}
    text = text.strip().upper().removesuffix("B")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def _pieces(source: str, data: Path) -> list[str]:
    if source == "run-on":
        return [re.sub(r"[。！？；\n]", "，", p) for p in _pieces("seeds", data)]
    if source == "seeds":
        from zhkg.read import iter_documents

        # sentence by sentence, so an article stops near its size
        return [s for d in iter_documents([ROOT / "seeds"], print)
                for s in re.findall(r"[^。]+。?", d.text)]
    out = []
    for name in ("cluener2020/train.json", "peoples_daily_ner/dev.jsonl"):
        with open(data / name, encoding="utf-8") as f:
            out += [t for line in f if line.strip() and (t := json.loads(line)["text"].strip())]
    return out


def article(size: int, source: str, data: Path) -> str:
    """Real news text, paragraph after paragraph, up to `size` UTF-8 bytes."""
    pieces = _pieces(source, data)
    out: list[str] = []
    total = 0
    rounds = 0
    while total < size:
        order = list(pieces)
        if source == "data" and rounds:
            random.Random(rounds).shuffle(order)
        for p in order:
            out.append(p)
            total += len(p.encode("utf-8")) + (source == "data")
            if total >= size:
                break
        rounds += 1
    return "\n".join(out) if source == "data" else "".join(out)


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1e3
    return float("nan")


def _reset_peak() -> None:
    """Peak RSS (VmHWM) from now on: the warm-up's own peak would hide a small article's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def child(size: int, source: str, data: Path, with_rdf: bool) -> dict[str, float]:
    import jieba

    from zhkg import resources
    from zhkg.extract import resolve
    from zhkg.graph import rdf
    from zhkg.model import Document
    from zhkg.pipeline import work

    text = article(size, source, data)
    resources.warm()
    work.extract_document(Document(id="warm", text=article(3000, source, data)))
    jieba.setLogLevel(60)
    jieba.initialize()
    doc = Document(id="long", text=text)
    _reset_peak()
    before = _status_mb("VmRSS")
    t0 = time.process_time()
    ex = work.extract_document(doc)
    if with_rdf:
        rdf.article_nquads(ex, resolve.iris(ex))
    t_extract = time.process_time() - t0
    peak = _status_mb("VmHWM")
    t0 = time.process_time()
    jieba.lcut(text)
    t_jieba = time.process_time() - t0
    return {"bytes": len(text.encode("utf-8")), "chars": len(text), "extract": t_extract,
            "jieba": t_jieba, "peak": peak, "rise": peak - before,
            "mentions": len(ex.mentions), "relations": len(ex.relations)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10K,100K,1M,4M")
    ap.add_argument("--source", choices=["seeds", "run-on", "data"], default="seeds")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--rdf", action="store_true", help="Time the article's N-Quads too.")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.source, args.data, args.rdf)))
        return
    what = "extract_document" + (" + article_nquads" if args.rdf else "")
    print(f"{what} on one article of {args.source} text, CPU time; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'size':>6} {'chars':>10} {'mentions':>9} {'extract s':>10} {'µs/char':>8} "
          f"{'jieba s':>8} {'µs/char':>8} {'ratio':>6} {'peak RSS':>9} {'rise':>8}")
    for size in args.sizes.split(","):
        cmd = [sys.executable, __file__, "--child", str(_size(size)), "--source", args.source,
               "--data", str(args.data)] + (["--rdf"] if args.rdf else [])
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                      text=True).stdout.splitlines()[-1])
        n = r["chars"]
        print(f"{size:>6} {n:>10,} {r['mentions']:>9,} {r['extract']:>10.2f} "
              f"{r['extract'] / n * 1e6:>8.2f} {r['jieba']:>8.2f} {r['jieba'] / n * 1e6:>8.2f} "
              f"{r['extract'] / r['jieba']:>6.2f} {r['peak']:>6,.0f} MB {r['rise']:>5,.0f} MB",
              flush=True)


if __name__ == "__main__":
    main()
