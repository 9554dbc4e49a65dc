"""Archive scale: a real zhkg graph grown to N quads, bulk-loaded into SPARQL servers and queried
over HTTP. Prints figures only.

    .venv/bin/python benches/archive_scale.py [--quads 10000000] [--nq graph.nq | --replicas 3]
        [--stores oxigraph,virtuoso] [--corpus-steps] [--work DIR] [--keep]

The graph: `zhkg build` of the `benches/throughput.py` corpus (`--replicas` copies of the
sentences of `--data`, shuffled into ~1,500-character articles), or the `graph.nq` of any build
given with `--nq`. Its article graphs are then copied until there are `--quads` quads: copy k
renames each article (its IRI, its graph's IRI, its `schema:identifier`) and its evidence nodes
(which are per article), and keeps every entity and reified statement IRI, which zhkg derives
from names and not from the corpus; so the copies share entities and statements as the articles
of a real archive do (with fewer distinct entities than a real archive of that size: the
vocabulary is that of the base graph). The entities graph goes in once. The result is written as
`--parts` N-Quads files (the loaders read files in parallel).

Stores, each used only when its program is installed (nothing is installed by this script):
* `oxigraph`: the Oxigraph server (`pip install oxigraph`, which `pip install -e '.[test]'`
  brings): `oxigraph load` (the bulk loader, all files at once), `oxigraph optimize`, `oxigraph
  serve-read-only --union-default-graph`, then `oxigraph dump`; the same engine and on-disk format
  as zhkg's own store.
* `virtuoso`: OpenLink Virtuoso open source (Debian: `apt-get install virtuoso-opensource-7-bin`,
  which brings the `virtuoso-t` server and `isql-vt`, no system service): a fresh database with
  `--virtuoso-memory-gb` of buffers, the RDF bulk loader (`ld_add` of each file, one
  `rdf_loader_run()` per file in parallel, `checkpoint`), its `/sparql` endpoint (all graphs are
  the default graph). Virtuoso's SPARQL has no `LATERAL`, so the `why` query goes with its
  `LATERAL { OPTIONAL {...} }` as a plain `OPTIONAL {...}` (same rows).
Each store first loads the base graph alone into a fresh store: its texts are all distinct, as an
archive's are, so its disk a quad is the one the copies (which repeat their texts) cannot give.

Servers bind to 127.0.0.1 on free ports, and are stopped by this script when it ends, also on
Ctrl-C or SIGTERM.

Printed: the base build (articles, characters, quads, its step times) and the scaled graph; per
store: the base graph's load and disk a quad; the scaled graph's load wall time and quads/s, CPU
seconds, the loader's peak RSS, disk bytes per quad after loading, the quads the server counts,
and each packaged query over HTTP (JSON results): its first run on the fresh server and the
median of `--runs` more, and its rows. With `--corpus-steps`, on
the Oxigraph store: `zhkg build` of an empty folder on it (the entities refresh and the page, as
at the end of every build) and `zhkg export` (the five files), each with its time and peak RSS.
Last, what a 10-million-article archive costs, computed from the figures above.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

ZHKG = "https://w3id.org/zhkg/"
ENTITIES_GRAPH = f"<{ZHKG}graph/entities>".encode()
ARTICLE_GRAPH = f"<{ZHKG}graph/article/".encode()
EVIDENCE = re.compile(rb"(<https://w3id\.org/zhkg/id/evidence/[0-9a-f]+)>")
SUBJECT = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> <"
SUPPORTS = b"<https://w3id.org/zhkg/ontology#supports>"
LABEL = b"<http://www.w3.org/2000/01/rdf-schema#label> "
ARCHIVE_ARTICLES = 10_000_000
Figures = dict[str, tuple[float | None, float | None, int]]  # query -> first, median, rows


@dataclass(frozen=True)
class Scaled:
    files: list[Path]
    quads: int
    articles: int
    nbytes: int
    base_quads: int
    base_articles: int
    some_article: str  # an article (of the last copy) that states relations: `article`'s binding
    busiest: str  # the label of the most frequent statement subject: `why`'s binding


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float
    status: int


@dataclass(frozen=True)
class Loaded:
    store: str
    wall: float
    cpu: float
    peak_mb: float
    disk: int
    counted: int


# ---------------------------------------------------------------------------------------------
# The graph


def base_graph(args: argparse.Namespace, work: Path) -> tuple[Path, dict[str, object] | None]:
    """The N-Quads to scale: --nq, or the graph.nq of a `zhkg build` of the throughput corpus."""
    if args.nq:
        return args.nq, None
    from throughput import write_corpus

    corpus = work / "corpus.jsonl"
    n, chars = write_corpus(args.data, args.replicas, corpus)
    print(f"base corpus: {n:,} articles, {chars:,} characters ({args.replicas} replicas of "
          f"{args.data}); load average {os.getloadavg()[0]:.1f}")
    out = work / "base"
    run = measured([sys.executable, "-m", "zhkg", "build", str(corpus), "-o", str(out),
                    "--no-page"], work / "base.log")
    if run.status != 0:
        sys.exit(f"base build failed: see {work / 'base.log'}")
    report: dict[str, object] = json.loads((out / "build.json").read_text(encoding="utf-8"))
    print(f"base build (zhkg build, {report['jobs']} jobs): {run.wall:.1f} s wall, "
          f"{run.cpu:.1f} s CPU, peak RSS {run.peak_mb:,.0f} MB; steps (s): {report['seconds']}; "
          f"CPU by step (s): {report['cpu_seconds']}")
    for name in ("store", "store.snapshots"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("graph.nt", "graph.ttl", "graph.trig", "graph.jsonld"):
        (out / name).unlink(missing_ok=True)
    return out / "graph.nq", report


def scale(nq: Path, target: int, parts: int, outdir: Path) -> Scaled:
    """`nq`'s article graphs copied (renamed) until there are `target` quads, in `parts` files."""
    graphs: dict[bytes, list[bytes]] = {}
    entities: list[bytes] = []
    subjects: Counter[bytes] = Counter()
    labels: dict[bytes, bytes] = {}
    with open(nq, "rb") as f:
        for line in f:
            at = line.rfind(b" <", 0, len(line) - 3)
            graph = line[at + 1 : line.rfind(b">") + 1]
            if graph == ENTITIES_GRAPH:
                entities.append(line)
                if LABEL in line:
                    iri, _, rest = line.partition(b" ")
                    labels[iri] = rest[len(LABEL):rest.rfind(b" <")].strip()
            elif graph.startswith(ARTICLE_GRAPH):
                graphs.setdefault(graph[len(ARTICLE_GRAPH):-1], []).append(line)
                at = line.find(SUBJECT)
                if at >= 0:
                    at += len(SUBJECT) - 1
                    subjects[line[at : line.index(b">", at) + 1]] += 1
    if not graphs:
        sys.exit(f"{nq}: no article graphs")
    chunks = [(ident, b"".join(lines), len(lines)) for ident, lines in graphs.items()]
    cited = next((ident for ident, data, _ in chunks if SUPPORTS in data), chunks[0][0])
    busiest = next((labels[s] for s, _ in subjects.most_common() if s in labels), b'""')
    base_quads = len(entities) + sum(n for _, _, n in chunks)

    outdir.mkdir(parents=True, exist_ok=True)
    files = [outdir / f"part-{i}.nq" for i in range(parts)]
    outs = [open(p, "wb") for p in files]  # noqa: SIM115 (closed below)
    try:
        outs[0].writelines(entities)
        quads, articles, copy = len(entities), 0, 0
        last = cited.decode()
        while quads < target:
            suffix = f"-c{copy:04d}".encode() if copy else b""
            for ident, data, n in chunks:
                if quads >= target:
                    break
                if copy:
                    new = ident + suffix
                    data = (data.replace(b"/article/" + ident + b">", b"/article/" + new + b">")
                            .replace(b'"' + ident + b'"', b'"' + new + b'"'))
                    data = EVIDENCE.sub(rb"\1" + suffix + b">", data)
                    if ident == cited:
                        last = new.decode()
                outs[articles % parts].write(data)
                quads += n
                articles += 1
            copy += 1
    finally:
        for out in outs:
            out.close()
    word = json.loads(busiest.rsplit(b"@", 1)[0]) if busiest.startswith(b'"') else ""
    return Scaled(files, quads, articles, sum(p.stat().st_size for p in files), base_quads,
                  len(chunks), last, word)


# ---------------------------------------------------------------------------------------------
# Processes


def measured(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> Run:
    """Run `cmd` to its end: wall and CPU seconds and peak RSS of that process (not of its
    children), its exit status. Output goes to `log`."""
    with open(log, "ab") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
        return Run(time.perf_counter() - t0, usage.ru_utime + usage.ru_stime,
                   usage.ru_maxrss / 1024, proc.returncode)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_port(port: int, proc: subprocess.Popen[bytes], seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        with socket.socket() as s, suppress(OSError):
            s.settimeout(1)
            s.connect(("127.0.0.1", port))
            return
        time.sleep(0.3)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


@contextmanager
def server(cmd: list[str], log: Path, port: int, start_seconds: float = 120
           ) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, stopped (SIGTERM, then SIGKILL after 30 s) when the block ends."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_port(port, proc, start_seconds)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def proc_figures(pid: int) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB, VmHWM) of a live process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return cpu, hwm


def disk_bytes(path: Path) -> int:
    """Bytes allocated on disk to `path`, or to the files under it."""
    files = path.rglob("*") if path.is_dir() else [path]
    return sum(p.stat().st_blocks * 512 for p in files if p.is_file())


# ---------------------------------------------------------------------------------------------
# SPARQL over HTTP


def without_lateral(query: str) -> str:
    """`LATERAL { X }` as `X` (for stores without SEP-0006; here X is an OPTIONAL group)."""
    while m := re.search(r"\bLATERAL\s*\{", query):  # (in a comment it has no brace after it)
        at, start = m.start(), m.end() - 1
        depth = 0
        for end in range(start, len(query)):
            depth += {"{": 1, "}": -1}.get(query[end], 0)
            if depth == 0:
                break
        query = query[:at] + query[start + 1 : end].strip() + query[end + 1 :]
    return query


def with_values(query: str, bindings: dict[str, str]) -> str:
    """The query with its bindings as a VALUES block opening its WHERE clause, as `zhkg query
    --bind` sends them (see zhkg.query.run)."""
    from zhkg.query.run import parse_binding

    if not bindings:
        return query
    m = re.search(r"\bWHERE\s*\{", query, re.IGNORECASE)
    assert m is not None
    names = " ".join(f"?{k}" for k in bindings)
    values = " ".join(str(parse_binding(v)) for v in bindings.values())
    # (the "." is optional in SPARQL 1.1, and Virtuoso needs it before a triple pattern)
    return f"{query[:m.end()]}\n  VALUES ({names}) {{ ({values}) }} .{query[m.end():]}"


def http_query(url: str, query: str, timeout: float) -> tuple[float, int | None]:
    """(seconds, rows) of one query; rows None when the server stopped it at its time limit."""
    body = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(url, data=body, headers={
        "Accept": "application/sparql-results+json",
        "Content-Type": "application/x-www-form-urlencoded"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            data = resp.read()
            partial = resp.headers.get("X-SQL-State") == "S1TAT"  # Virtuoso's "anytime" cut
    except (TimeoutError, urllib.error.HTTPError) as exc:
        if isinstance(exc, urllib.error.HTTPError) and exc.code not in (500, 503, 504):
            raise RuntimeError(f"{exc}: {exc.read()[:500]!r}") from None
        return time.perf_counter() - t0, None
    secs = time.perf_counter() - t0
    if partial:
        return secs, None
    return secs, len(json.loads(data)["results"]["bindings"])


def count_quads(url: str, timeout: float) -> int:
    body = urllib.parse.urlencode(
        {"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}).encode()
    req = urllib.request.Request(url, data=body, headers={
        "Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return int(json.loads(resp.read())["results"]["bindings"][0]["n"]["value"])


def packaged_queries(scaled: Scaled, lateral: bool) -> Iterator[tuple[str, str]]:
    from zhkg.query.run import packaged_queries as names
    from zhkg.query.run import resolve_query

    bindings = {"article": {"id": scaled.some_article}, "why": {"subject": scaled.busiest}}
    for name in names():
        text = with_values(resolve_query(name), bindings.get(name, {}))
        yield name, text if lateral else without_lateral(text)


def query_figures(store: str, url: str, scaled: Scaled, args: argparse.Namespace,
                  lateral: bool = True) -> Figures:
    """name -> (first run, median of the next --runs, rows); None for a run stopped at the
    time limit (the query is not run again)."""
    out: Figures = {}
    for name, text in packaged_queries(scaled, lateral):
        first, rows = http_query(url, text, args.query_timeout)
        if rows is None:
            out[name] = (None, None, 0)
            continue
        times = []
        for _ in range(args.runs):
            secs, n = http_query(url, text, args.query_timeout)
            if n is None:
                break
            times.append(secs)
        out[name] = (first, statistics.median(times) if len(times) == args.runs else None, rows)
    return out


# ---------------------------------------------------------------------------------------------
# Stores


def oxigraph_binary() -> str | None:
    here = Path(sys.executable).parent / "oxigraph"
    return str(here) if here.exists() else shutil.which("oxigraph")


def run_oxigraph(files: list[Path], home: Path, args: argparse.Namespace, scaled: Scaled | None
                 ) -> tuple[Loaded, Figures]:
    """Load `files` into a fresh store in `home`; with `scaled` (what they hold), also optimize,
    serve and query it and dump it back."""
    exe = oxigraph_binary()
    assert exe is not None
    location = home / "store"
    location.mkdir(parents=True)
    log = home / "log.txt"
    load = measured([exe, "load", "--location", str(location), "--file", *map(str, files)], log)
    if load.status != 0:
        sys.exit(f"oxigraph load failed ({load.status}): see {log}")
    disk = disk_bytes(location)
    if scaled is None:
        return Loaded("oxigraph", load.wall, load.cpu, load.peak_mb, disk, 0), {}
    # What the loader suggests before a read-heavy workload (RocksDB compacts the bulk-loaded
    # files); the store is the same either way.
    opt = measured([exe, "optimize", "--location", str(location)], log)
    print(f"  oxigraph optimize: {opt.wall:.1f} s wall, {opt.cpu:.1f} s CPU, peak RSS "
          f"{opt.peak_mb:,.0f} MB; on disk {disk / 1e9:.2f} GB before, "
          f"{disk_bytes(location) / 1e9:.2f} GB after")
    port = free_port()
    url = f"http://127.0.0.1:{port}/query"
    with server([exe, "serve-read-only", "--location", str(location), "--bind",
                 f"127.0.0.1:{port}", "--union-default-graph", "--timeout-s",
                 str(int(args.query_timeout))], log, port) as proc:
        counted = count_quads(url, 600)
        figures = query_figures("oxigraph", url, scaled, args)
        _, serve_peak = proc_figures(proc.pid)
    print(f"  oxigraph serve-read-only: peak RSS {serve_peak:,.0f} MB after the queries")
    # How fast a store gives its quads back: a shard built on one machine reaches the serving
    # store this way.
    dump = home / "dump.nq"
    run = measured([exe, "dump", "--location", str(location), "--file", str(dump)], log)
    print(f"  oxigraph dump: {run.wall:.1f} s wall, {scaled.quads / run.wall:,.0f} quads/s, "
          f"peak RSS {run.peak_mb:,.0f} MB, {dump.stat().st_size / 1e9:.2f} GB")
    dump.unlink()
    return Loaded("oxigraph", load.wall, load.cpu, load.peak_mb, disk, counted), figures


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {data}
ThreadsPerQuery = {cores}
MaxQueryMem = 2G

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerThreads = 4
MaxClientConnections = 4
KeepAliveTimeout = 10
MaxKeepAlives = 10

[SPARQL]
ResultSetMaxRows = 100000000
MaxQueryExecutionTime = {timeout}
"""


def run_virtuoso(files: list[Path], home: Path, args: argparse.Namespace, scaled: Scaled | None
                  ) -> tuple[Loaded, Figures]:
    """Load `files` into a fresh database in `home`; with `scaled`, also query it."""
    home.mkdir(parents=True)
    sql_port, http_port = free_port(), free_port()
    buffers = int(args.virtuoso_memory_gb * 85_000)  # 8 KB pages, as Virtuoso's guide sizes them
    (home / "virtuoso.ini").write_text(VIRTUOSO_INI.format(
        dir=home, sql_port=sql_port, http_port=http_port, buffers=buffers,
        dirty=buffers * 3 // 4, data=", ".join({str(f.parent) for f in files}),
        cores=os.cpu_count() or 1, timeout=int(args.query_timeout)))
    log = home / "log.txt"
    isql = shutil.which("isql-vt") or "isql-vt"

    def sql(statement: str, check: bool = True) -> str:
        done = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba",
                               f"exec={statement}"], capture_output=True, text=True, check=check)
        return done.stdout

    cmd = [shutil.which("virtuoso-t") or "virtuoso-t", "+foreground", "+configfile",
           str(home / "virtuoso.ini")]
    with server(cmd, log, http_port, start_seconds=300) as proc:
        wait_port(sql_port, proc, 60)
        sql("checkpoint;")
        empty = sum(disk_bytes(home / name) for name in ("virtuoso.db", "virtuoso.trx"))
        cpu0, _ = proc_figures(proc.pid)
        t0 = time.perf_counter()
        for f in files:  # (N-Quads: the graph given here is for triples without one)
            sql(f"ld_add('{f}', '{ZHKG}graph/default');")
        loaders = [subprocess.Popen([isql, f"127.0.0.1:{sql_port}", "dba", "dba",
                                     "exec=rdf_loader_run();"], stdout=subprocess.DEVNULL)
                   for _ in files]
        for p in loaders:
            p.wait()
        sql("checkpoint;")
        wall = time.perf_counter() - t0
        cpu1, peak = proc_figures(proc.pid)
        errors = sql("select ll_file, ll_error from DB.DBA.load_list where ll_error is not null;")
        if "0 Rows." not in errors:
            print(f"  virtuoso: files with load errors: {errors[errors.find('LL_FILE'):]}")
        # (less the fresh database's own tables)
        disk = sum(disk_bytes(home / name) for name in ("virtuoso.db", "virtuoso.trx")) - empty
        if scaled is None:
            sql("shutdown;", check=False)
            return Loaded("virtuoso", wall, cpu1 - cpu0, peak, disk, 0), {}
        url = f"http://127.0.0.1:{http_port}/sparql"
        counted = count_quads(url, 600)
        figures = query_figures("virtuoso", url, scaled, args, lateral=False)
        _, serve_peak = proc_figures(proc.pid)
        sql("shutdown;", check=False)
    print(f"  virtuoso-t: peak RSS {serve_peak:,.0f} MB after the queries")
    return Loaded("virtuoso", wall, cpu1 - cpu0, peak, disk, counted), figures


# ---------------------------------------------------------------------------------------------
# Corpus-level steps on the loaded store


def corpus_steps(work: Path) -> dict[str, tuple[float, float, dict[str, float]]]:
    """The steps that follow extraction, on the Oxigraph store as `zhkg build -o` keeps it."""
    out_dir = work / "oxigraph"  # (its store is out_dir/store, as `zhkg build -o` keeps it)
    empty = work / "empty"
    empty.mkdir()
    figures: dict[str, tuple[float, float, dict[str, float]]] = {}
    zhkg = [sys.executable, "-m", "zhkg"]
    run = measured([*zhkg, "build", str(empty), "-o", str(out_dir), "--no-exports"],
                   out_dir / "steps.log")
    report = json.loads((out_dir / "build.json").read_text(encoding="utf-8"))
    figures["entities + page (zhkg build of nothing)"] = (run.wall, run.peak_mb,
                                                           report["seconds"])
    run = measured([*zhkg, "export", "-o", str(out_dir)], out_dir / "steps.log")
    sizes = {p.name: p.stat().st_size / 1e9 for p in out_dir.glob("graph.*")}
    figures["exports (zhkg export)"] = (run.wall, run.peak_mb, sizes)
    return figures


# ---------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quads", type=int, default=10_000_000)
    ap.add_argument("--nq", type=Path, default=None, help="The base graph (else: build one).")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--replicas", type=int, default=3,
                    help="Of the throughput corpus, for the base build (3: ~1M quads).")
    ap.add_argument("--stores", default="oxigraph,virtuoso")
    ap.add_argument("--parts", type=int, default=len(os.sched_getaffinity(0)),
                    help="N-Quads files the scaled graph is written as (loaded in parallel).")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--query-timeout", type=float, default=60.0)
    ap.add_argument("--virtuoso-memory-gb", type=float, default=4.0)
    ap.add_argument("--corpus-steps", action="store_true",
                    help="Also run the entities refresh, the page and the exports on the store.")
    ap.add_argument("--work", type=Path, default=None, help="Scratch folder (default: a temp).")
    ap.add_argument("--keep", action="store_true", help="Keep the scratch folder.")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers are stopped
    work = Path(tempfile.mkdtemp(prefix="archive-scale-", dir=args.work))
    try:
        bench(args, work)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def bench(args: argparse.Namespace, work: Path) -> None:
    nq, report = base_graph(args, work)
    t0 = time.perf_counter()
    scaled = scale(nq, args.quads, args.parts, work / "nq")
    print(f"base graph: {scaled.base_articles:,} articles, {scaled.base_quads:,} quads "
          f"({scaled.base_quads / scaled.base_articles:,.0f} a article)")
    print(f"scaled graph: {scaled.articles:,} article graphs, {scaled.quads:,} quads, "
          f"{scaled.nbytes / 1e9:.2f} GB of N-Quads ({scaled.nbytes / scaled.quads:.0f} bytes a "
          f"quad) in {len(scaled.files)} files, written in {time.perf_counter() - t0:.1f} s; "
          f"bindings: article id={scaled.some_article}, why subject={scaled.busiest}")

    wanted = [s.strip() for s in args.stores.split(",") if s.strip()]
    present = {"oxigraph": oxigraph_binary() is not None,
               "virtuoso": bool(shutil.which("virtuoso-t") and shutil.which("isql-vt"))}
    results: list[tuple[Loaded, Loaded]] = []
    for store in wanted:
        if not present.get(store):
            print(f"{store}: not installed, skipped")
            continue
        runner = run_oxigraph if store == "oxigraph" else run_virtuoso
        # The base graph alone first: its texts are all distinct, as an archive's are (the
        # copies repeat theirs, which both stores keep once), so its bytes a quad are the ones
        # to extrapolate disk from.
        base, _ = runner([nq], work / f"{store}-base", args, None)
        shutil.rmtree(work / f"{store}-base", ignore_errors=True)
        print(f"{store}, base graph: load {base.wall:.1f} s wall, "
              f"{scaled.base_quads / base.wall:,.0f} quads/s, peak RSS {base.peak_mb:,.0f} MB; "
              f"on disk {base.disk / 1e9:.2f} GB, {base.disk / scaled.base_quads:.0f} bytes a quad")
        print(f"{store}: loading {scaled.quads:,} quads (load average "
              f"{os.getloadavg()[0]:.1f})")
        loaded, figures = runner(scaled.files, work / store, args, scaled)
        results.append((base, loaded))
        print(f"  load: {loaded.wall:.1f} s wall, {scaled.quads / loaded.wall:,.0f} quads/s, "
              f"{loaded.cpu:.1f} s CPU, peak RSS {loaded.peak_mb:,.0f} MB; on disk "
              f"{loaded.disk / 1e9:.2f} GB, {loaded.disk / scaled.quads:.0f} bytes a quad; "
              f"the server counts {loaded.counted:,} quads")
        print(f"  packaged queries over HTTP (first run on the fresh server; median of "
              f"{args.runs} more; rows):")
        for name, (first, median, rows) in figures.items():
            if first is None:
                print(f"    {name:20s} over {args.query_timeout:.0f} s (stopped)")
            else:
                med = f"{median * 1000:9.1f} ms" if median is not None else "   stopped"
                print(f"    {name:20s} {first * 1000:9.1f} ms {med}  {rows:,} rows")
        if store == "virtuoso":
            shutil.rmtree(work / "virtuoso", ignore_errors=True)

    if args.corpus_steps and present["oxigraph"] and "oxigraph" in wanted:
        shutil.rmtree(work / "nq", ignore_errors=True)
        print(f"corpus-level steps on the Oxigraph store of {scaled.quads:,} quads "
              f"(load average {os.getloadavg()[0]:.1f}):")
        for name, (wall, peak, extra) in corpus_steps(work).items():
            print(f"  {name}: {wall:.1f} s wall, peak RSS {peak:,.0f} MB; {extra}")

    project(scaled, report, results)


def project(scaled: Scaled, report: dict[str, object] | None,
            results: list[tuple[Loaded, Loaded]]) -> None:
    """A 10-million-article archive at the base graph's density, from the figures above."""
    per_article = scaled.base_quads / scaled.base_articles
    quads = per_article * ARCHIVE_ARTICLES
    print(f"a {ARCHIVE_ARTICLES:,}-article archive at {per_article:,.0f} quads an article: "
          f"{quads / 1e9:.1f} billion quads (extrapolated)")
    for base, loaded in results:
        # The larger of the two: the copies share their texts, which a store that keeps each
        # literal once turns into fewer bytes a quad; a larger RocksDB store has more levels.
        per_quad = max(base.disk / scaled.base_quads, loaded.disk / scaled.quads)
        print(f"  {loaded.store}: {per_quad * quads / 1e12:.2f} TB on disk at {per_quad:.0f} "
              f"bytes a quad; bulk load {quads * loaded.cpu / scaled.quads / 3600:,.0f} "
              f"CPU-hours, {quads * loaded.wall / scaled.quads / 3600:,.0f} h at the wall-clock "
              f"rate measured at {scaled.quads / 1e6:.0f}M quads (one machine; extrapolated)")
    if report is not None:
        cpu = report["cpu_seconds"]
        chars = report["characters"]
        articles = report["articles_loaded"]
        assert isinstance(cpu, dict) and isinstance(chars, int) and isinstance(articles, int)
        per = cpu["extract_and_load"] / articles
        print(f"  extraction and the build's own store: {per * 1000:.1f} CPU-ms an article "
              f"({chars / articles:,.0f} characters) measured here; "
              f"{per * ARCHIVE_ARTICLES / 3600:,.0f} CPU-hours for the archive (extrapolated)")


if __name__ == "__main__":
    main()
