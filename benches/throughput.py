"""End-to-end build throughput, memory, store loading and query latency. Prints figures only.

    .venv/bin/python benches/throughput.py [--data ../shared/data] [--replicas 10] [--jobs N]
        [--engine local|dask] [--page] [--keep DIR]

The corpus: every sentence of the annotated sets in --data (CLUENER2020 train, People's Daily dev),
in file order, grouped into ~1,500-character articles; `--replicas N` repeats the corpus N times,
each replica with its sentences shuffled (fixed seed) into different articles, so the corpus grows
in articles and text while its vocabulary stays that of the data. It is written as one JSON Lines
file in a temporary folder.

Printed:
* the corpus (articles, characters);
* `jieba.lcut` over the same article texts, in this process, one core: characters/s;
* the build (`zhkg.pipeline.build.build`, in a child process so its memory is its own): wall
  seconds by step, characters/s end to end (all steps) and for the extract-and-load step, the same
  per core (divided by --jobs), characters per CPU-second (user+system of the build and its workers,
  which other load on the machine does not inflate), the CPU seconds of each step (`BuildReport.
  cpu_seconds`) and each as a multiple of jieba's time, and the ratio build time / jieba time on the
  same text (per core: build wall x jobs / jieba wall);
* peak RSS of the build process and of its largest worker;
* store load: the build's article graphs loaded into a fresh store through
  `Store.replace_articles` (the build's path): triples/s;
* latency of each packaged query on the built store (median of 5 runs, rows read), with its
  triple count: pass enough --replicas to reach 1M triples.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ARTICLE_CHARS = 1500
ROOT = Path(__file__).resolve().parent.parent


def sentences(data: Path) -> list[str]:
    out = []
    for name in ("cluener2020/train.json", "peoples_daily_ner/dev.jsonl"):
        with open(data / name, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    text = json.loads(line)["text"].strip()
                    if text:
                        out.append(text)
    return out


def articles(texts: list[str], replicas: int) -> Iterator[tuple[str, str]]:
    """(id, text) of ~ARTICLE_CHARS-character articles; replica 0 keeps file order."""
    for r in range(replicas):
        order = list(texts)
        if r:
            random.Random(r).shuffle(order)
        body: list[str] = []
        size = n = 0
        for t in order:
            body.append(t)
            size += len(t)
            if size >= ARTICLE_CHARS:
                yield f"r{r:03d}-{n:05d}", "\n".join(body)
                n += 1
                body, size = [], 0
        if body:
            yield f"r{r:03d}-{n:05d}", "\n".join(body)


def write_corpus(data: Path, replicas: int, path: Path) -> tuple[int, int]:
    n = chars = 0
    with open(path, "w", encoding="utf-8") as f:
        for ident, text in articles(sentences(data), replicas):
            f.write(json.dumps({"id": ident, "title": "", "text": text}, ensure_ascii=False))
            f.write("\n")
            n += 1
            chars += len(text)
    return n, chars


def _texts(corpus: Path, limit: int = 0) -> Iterator[str]:
    with open(corpus, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if limit and n >= limit:
                return
            yield json.loads(line)["text"]


def jieba_seconds(corpus: Path, limit: int = 0) -> float:
    """Bare `jieba.lcut` over the article texts (all, or the first `limit`), read in chunks
    before each is timed."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    total = 0.0
    chunk: list[str] = []

    def run() -> float:
        t0 = time.perf_counter()
        for text in chunk:
            jieba.lcut(text)
        return time.perf_counter() - t0

    for text in _texts(corpus, limit):
        chunk.append(text)
        if len(chunk) >= 2000:
            total += run()
            chunk = []
    return total + run()


CHILD = r"""
import json, resource, sys, time
from zhkg.pipeline.build import build
args = json.loads(sys.argv[1])
t0 = time.perf_counter()
report = build([args["corpus"]], args["out"], jobs=args["jobs"], engine=args["engine"],
               page=args["page"], exports=args["exports"])
wall = time.perf_counter() - t0
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall": wall, "seconds": report.seconds, "cpu_seconds": report.cpu_seconds,
    "jobs": report.jobs,
    "articles": report.articles_loaded,
    "chars": report.characters, "triples": report.triples, "quads": report.quads,
    "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
    "rss_main_mb": me.ru_maxrss / 1024, "rss_worker_mb": kids.ru_maxrss / 1024,
}))
"""


def run_build(corpus: Path, out: Path, jobs: int, engine: str, page: bool,
              exports: bool = True) -> dict[str, Any]:
    arg = json.dumps({"corpus": str(corpus), "out": str(out), "jobs": jobs, "engine": engine,
                      "page": page, "exports": exports})
    done = subprocess.run([sys.executable, "-c", CHILD, arg], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        sys.exit(f"build failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def store_load(out: Path) -> tuple[int, float]:
    """The build's article graphs (graph.nq) loaded afresh through Store.replace_articles."""
    from zhkg.graph.store import Store

    prefix = "<https://w3id.org/zhkg/graph/article/"
    graphs: dict[str, list[str]] = {}
    with open(out / "graph.nq", encoding="utf-8") as f:
        for line in f:
            at = line.rfind(" <", 0, len(line) - 3)
            graph = line[at + 1 : line.rfind(">") + 1]
            if graph.startswith(prefix):
                graphs.setdefault(graph, []).append(line)
    items = [(g, "h", "".join(lines)) for g, lines in graphs.items()]
    triples = sum(len(v) for v in graphs.values())
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "store") as store:
        t0 = time.perf_counter()
        store.replace_articles(items)
        store.flush()
        secs = time.perf_counter() - t0
    return triples, secs


QUERY_CHILD = r"""
import json, statistics, sys, time
from zhkg.query.run import execute
from zhkg.graph.store import Store
store_path, name, bindings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with Store.open(store_path, read_only=True) as store:
    times, rows = [], 0
    for _ in range(5):
        t0 = time.perf_counter()
        text = execute(store, name, "json", bindings or None)
        times.append(time.perf_counter() - t0)
        rows = len(json.loads(text)["results"]["bindings"])
print(json.dumps([statistics.median(times), rows]))
"""


def query_latency(out: Path, timeout: float) -> Iterator[tuple[str, float | None, int]]:
    """(name, median seconds or None if over `timeout`, rows) of each packaged query.

    Each query runs in its own process, so one that runs away is stopped at `timeout`."""
    from zhkg.graph.store import Store
    from zhkg.query.run import packaged_queries

    with Store.open(out / "store", read_only=True) as store:
        # An article that states relations, so `article` has rows to return.
        cited = list(store.query(
            "SELECT ?id WHERE { ?e zhkg:supports ?st ; zhkg:article ?a . ?a schema:identifier ?id }"
            " LIMIT 1"))
        some_article = cited[0]["id"].value if cited else ""
        busiest = list(store.query(
            "SELECT ?name (COUNT(*) AS ?n) WHERE { ?st rdf:subject ?s . ?s rdfs:label ?name }"
            " GROUP BY ?name ORDER BY DESC(?n) LIMIT 1"))
        subject = busiest[0]["name"].value if busiest else ""
    bindings = {"article": {"id": some_article}, "why": {"subject": subject}}
    for name in packaged_queries():
        try:
            done = subprocess.run(
                [sys.executable, "-c", QUERY_CHILD, str(out / "store"), name,
                 json.dumps(bindings.get(name, {}), ensure_ascii=False)],
                capture_output=True, text=True, timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            yield name, None, 0
            continue
        secs, rows = json.loads(done.stdout.strip().splitlines()[-1])
        yield name, secs, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--replicas", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--engine", choices=["local", "dask"], default="local")
    ap.add_argument("--page", action="store_true", help="Also draw the page (not by default).")
    ap.add_argument("--keep", type=Path, default=None, help="Build here and keep it.")
    ap.add_argument("--jieba-articles", type=int, default=0,
                    help="Time jieba on this many articles only (0: all) and scale.")
    ap.add_argument("--no-exports", action="store_true",
                    help="Build without the export files (for corpora whose exports would not "
                         "fit on the disk); skips the store-load figure too.")
    ap.add_argument("--no-queries", action="store_true")
    ap.add_argument("--query-timeout", type=float, default=60.0,
                    help="Seconds before a packaged query is reported as too slow.")
    args = ap.parse_args()
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        n, chars = write_corpus(args.data, args.replicas, corpus)
        print(f"corpus: {n:,} articles, {chars:,} characters ({args.replicas} replicas of "
              f"{args.data}), {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

        jsecs = jieba_seconds(corpus, limit=args.jieba_articles)
        jchars = min(chars, sum(len(t) for t in _texts(corpus, args.jieba_articles)))
        jsecs *= chars / jchars  # the time for the whole corpus at the measured speed
        print(f"jieba.lcut: {jsecs:.1f} s, {chars / jsecs:,.0f} characters/s (one core"
              + (f", measured on the first {args.jieba_articles:,} articles)"
                 if args.jieba_articles else ")"))

        out = args.keep or Path(tmp) / "build"
        b = run_build(corpus, out, args.jobs, args.engine, args.page, not args.no_exports)
        wall, steps, jobs, cpu = b["wall"], b["seconds"], b["jobs"], b["cpu"]
        extract = steps["extract_and_load"]
        print(f"build ({args.engine}, {jobs} jobs): {wall:.1f} s wall; steps: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
        print(f"  end to end: {chars / wall:,.0f} characters/s, "
              f"{chars / wall / jobs:,.0f} per core; "
              f"extract+load step: {chars / extract:,.0f} characters/s, "
              f"{chars / extract / jobs:,.0f} per core")
        print(f"  CPU: {cpu:.1f} s, {chars / cpu:,.0f} characters per CPU-second; by step, as "
              "jieba.lcut times: " + ", ".join(f"{k} {v:.1f} s ({v / jsecs:.2f})"
                                              for k, v in b["cpu_seconds"].items()))
        print(f"  build time / jieba.lcut time (per core): {wall * jobs / jsecs:.2f} end to end, "
              f"{extract * jobs / jsecs:.2f} extract+load; by CPU time: {cpu / jsecs:.2f}")
        print(f"  peak RSS: build process {b['rss_main_mb']:,.0f} MB, "
              f"largest worker {b['rss_worker_mb']:,.0f} MB")
        print(f"  graph: {b['triples']:,} triples, {b['quads']:,} quads"
              + (" (triples not counted: no exports)" if args.no_exports else ""))
        du = sum(f.stat().st_size for f in (out / "store").iterdir() if f.is_file())
        print(f"  store on disk: {du / 1e9:.2f} GB")

        if not args.no_exports:
            triples, secs = store_load(out)
            print(f"store load (replace_articles, fresh store): {triples:,} quads in {secs:.1f} s, "
                  f"{triples / secs:,.0f} quads/s")

        if not args.no_queries:
            print(f"packaged queries on {b['quads']:,} quads (median of 5, JSON results):")
            for name, median, rows in query_latency(out, args.query_timeout):
                if median is None:
                    print(f"  {name:20s} over {args.query_timeout:.0f} s (stopped)")
                else:
                    print(f"  {name:20s} {median * 1000:8.1f} ms  {rows:,} rows")


if __name__ == "__main__":
    main()
