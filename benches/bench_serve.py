"""Endpoint and push figures: prints them, asserts nothing.

    .venv/bin/python benches/bench_serve.py [--articles 500] [--requests 300] [--clients 50]

Over loopback only, with bounded request counts:
* worker pool start-up (each worker is a fresh interpreter opening the store read-only);
* sequential latency of a small SELECT (client round trip, p50/p95);
* `--clients` parallel clients: wall time for all, per-request p50/p95/max, all answered?;
* a large SELECT at the row cap, JSON (TSV capped in the worker, converted) vs the same query
  serialised straight to JSON in-process (what the cap costs);
* timeout: a cartesian COUNT under a 1 s timeout: time to the 503, then to the next answer
  (the killed worker is replaced);
* a 200 KB query (long runs of one character class: quadratic for the old refusal scan), and
  20 KB of nested braces: time to the answer;
* the attack mix (`--attack-seconds`): two clients (127.0.0.2 and .3, four requests in flight
  each) send cartesian products while four light clients (127.0.0.4-.7, one at a time) send small
  SELECTs: the light queries' p50/p95 latency and error rate, with the server's defaults
  (30 s timeout, 4 workers);
* push: every article graph PUT to a real `oxigraph serve` on a free port: graphs/s, triples/s.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox

from zhkg.graph.push import push
from zhkg.query.endpoint import EndpointConfig, SparqlEndpoint

Z = "https://w3id.org/zhkg/"


def build_store(path: Path, articles: int) -> int:
    """Synthetic article graphs in the zhkg shape: 40 mentions and 10 relations each."""
    store = ox.Store(str(path))
    lines = []
    for a in range(articles):
        g = f"<{Z}graph/article/a{a}>"
        art = f"<{Z}article/a{a}>"
        lines.append(f'{art} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
                     f'<{Z}ontology#Article> {g} .')
        lines.append(f'{art} <https://schema.org/headline> "新闻{a}"@zh {g} .')
        for m in range(40):
            e = f"<{Z}id/e{(a * 7 + m) % 5000}>"
            lines.append(f"{art} <{Z}ontology#mentions> {e} {g} .")
            lines.append(f'{e} <http://www.w3.org/2004/02/skos/core#altLabel> "实体{m}"@zh {g} .')
        for r in range(10):
            lines.append(f"<{Z}id/e{a % 5000}> <{Z}ontology#cooperatesWith> "
                         f"<{Z}id/e{(a + r + 1) % 5000}> {g} .")
    for e in range(5000):
        lines.append(f'<{Z}id/e{e}> <http://www.w3.org/2000/01/rdf-schema#label> "实体{e}"@zh '
                     f"<{Z}graph/entities> .")
    store.bulk_load(("\n".join(lines) + "\n").encode(), ox.RdfFormat.N_QUADS)
    store.flush()
    n = len(store)
    del store
    return n


def send(url: str, query: str, source: str | None = None, body: bool = False,
         timeout: float = 120) -> tuple[int, float]:
    """One request from `source` (a loopback address: a distinct client); (status, seconds)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    t = time.perf_counter()
    try:
        if body:
            conn.request("POST", parts.path, body=query.encode(),
                         headers={"Content-Type": "application/sparql-query"})
        else:
            conn.request("GET", parts.path + "?" + urllib.parse.urlencode({"query": query}))
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - t
    except OSError:
        return 0, time.perf_counter() - t
    finally:
        conn.close()


def bench_hostile(store: Path) -> None:
    config = EndpointConfig(store=store, port=0, timeout=30, workers=4)
    with SparqlEndpoint(config) as endpoint:
        for label, text in (("200 KB POST (a comment of 200,000 digits)",
                             "ASK { ?s ?p ?o } # " + "1" * 200_000),
                            ("200 KB POST (a literal of 200,000 digits)",
                             "SELECT * WHERE { ?s ?p " + "1" * 200_000 + " }"),
                            ("20 KB of nested braces",
                             "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000
                             + " LIMIT 1")):
            status, took = send(endpoint.url, text, body=True)
            print(f"{label}: answered {status} in {took:.2f} s")


def bench_attack(store: Path, seconds: float) -> None:
    config = EndpointConfig(store=store, port=0, timeout=30, workers=4)
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    light = (f'SELECT ?l WHERE {{ <{Z}id/e42> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}')
    with SparqlEndpoint(config) as endpoint:
        stop = threading.Event()
        heavy_results: list[int] = []
        light_results: list[tuple[int, float]] = []

        def attacker(source: str) -> None:
            while not stop.is_set():
                heavy_results.append(send(endpoint.url, heavy, source)[0])

        def user(source: str) -> None:
            while not stop.is_set():
                light_results.append(send(endpoint.url, light, source))

        with ThreadPoolExecutor(max_workers=12) as pool:
            for source in ("127.0.0.2", "127.0.0.3"):
                for _ in range(4):
                    pool.submit(attacker, source)
            time.sleep(2)  # the attackers hold the workers before the users come
            for i in range(4, 8):
                pool.submit(user, f"127.0.0.{i}")
            time.sleep(seconds)
            stop.set()
        ok = [t for status, t in light_results if status == 200]
        errors = len(light_results) - len(ok)
        statuses = sorted({status for status, _ in light_results})
        print(f"attack mix, {seconds:g} s, 2 clients x 4 cartesian products in flight, 4 light "
              f"clients: light queries {len(light_results)}, errors {errors} "
              f"({100 * errors / max(1, len(light_results)):.1f}%, statuses {statuses}); "
              f"light p50 {1000 * statistics.median(ok) if ok else float('nan'):.0f} ms, "
              f"p95 {1000 * pct(ok, 0.95) if ok else float('nan'):.0f} ms; heavy answered: "
              f"{dict(sorted((s, heavy_results.count(s)) for s in set(heavy_results)))}")


def get(url: str, accept: str = "application/sparql-results+json") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def q(endpoint: SparqlEndpoint, query: str) -> str:
    return endpoint.url + "?" + urllib.parse.urlencode({"query": query})


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def bench_endpoint(store: Path, requests: int, clients: int) -> None:
    t0 = time.perf_counter()
    config = EndpointConfig(store=store, port=0, timeout=30, max_rows=20_000, workers=2)
    with SparqlEndpoint(config) as endpoint:
        print(f"start: 2 workers ready and listening in {time.perf_counter() - t0:.2f} s")
        small = q(endpoint, f'SELECT ?l WHERE {{ <{Z}id/e42> '
                            '<http://www.w3.org/2000/01/rdf-schema#label> ?l }')
        get(small)
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            status, _ = get(small)
            times.append(time.perf_counter() - t)
            assert status == 200
        print(f"sequential small SELECT x{requests}: p50 {1000 * statistics.median(times):.1f} ms,"
              f" p95 {1000 * pct(times, 0.95):.1f} ms")

        def one(i: int) -> tuple[int, float]:
            t = time.perf_counter()
            status, _ = get(q(endpoint, f"SELECT ?n WHERE {{ BIND({i} AS ?n) }}"))
            return status, time.perf_counter() - t

        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            results = list(pool.map(one, range(clients * 4)))
        wall = time.perf_counter() - t
        lat = [r[1] for r in results]
        ok = sum(r[0] == 200 for r in results)
        print(f"{clients} parallel clients, {len(results)} requests: {ok} answered 200 in "
              f"{wall:.2f} s ({len(results) / wall:.0f} req/s); p50 "
              f"{1000 * statistics.median(lat):.0f} ms, p95 {1000 * pct(lat, 0.95):.0f} ms, "
              f"max {1000 * max(lat):.0f} ms")

        big = (f"SELECT ?a ?e WHERE {{ GRAPH ?g {{ ?a <{Z}ontology#mentions> ?e }} }} "
               "LIMIT 20000")
        t = time.perf_counter()
        status, body = get(q(endpoint, big))
        served = time.perf_counter() - t
        direct = ox.Store.read_only(str(store))
        t = time.perf_counter()
        raw = direct.query(big).serialize(format=ox.QueryResultsFormat.JSON)
        inproc = time.perf_counter() - t
        del direct
        print(f"20,000-row SELECT as JSON over HTTP: {served:.2f} s ({len(body) / 1e6:.1f} MB, "
              f"status {status}); in-process pyoxigraph JSON, no cap: {inproc:.2f} s "
              f"({len(raw or b'') / 1e6:.1f} MB)")

    config = EndpointConfig(store=store, port=0, timeout=1.0, workers=1)
    with SparqlEndpoint(config) as endpoint:
        slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        t = time.perf_counter()
        status, _ = get(q(endpoint, slow))
        stopped = time.perf_counter() - t
        t = time.perf_counter()
        after, _ = get(q(endpoint, "ASK { ?s ?p ?o }"))
        recovered = time.perf_counter() - t
        print(f"timeout 1 s: cartesian COUNT answered {status} after {stopped:.2f} s; next query "
              f"answered {after} after a further {recovered:.2f} s (worker replaced)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bench_push(store: Path, workdir: Path) -> None:
    binary = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    server = subprocess.Popen([str(binary), "serve", "--location", str(workdir / "remote"),
                               "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        for label in ("first push", "second push (replaces)"):
            t = time.perf_counter()
            report = push(store, base + "/store")
            took = time.perf_counter() - t
            print(f"push, {label}: {len(report.graphs)} graphs, {report.triples} triples in "
                  f"{took:.2f} s ({len(report.graphs) / took:.0f} graphs/s, "
                  f"{report.triples / took:.0f} triples/s)")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--attack-seconds", type=float, default=60)
    parser.add_argument("--only-attack", action="store_true",
                        help="Only the hostile requests and the attack mix.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        t = time.perf_counter()
        n = build_store(store, args.articles)
        print(f"store: {args.articles} article graphs, {n} quads, built in "
              f"{time.perf_counter() - t:.2f} s")
        if not args.only_attack:
            bench_endpoint(store, args.requests, args.clients)
        bench_hostile(store)
        bench_attack(store, args.attack_seconds)
        if not args.only_attack:
            bench_push(store, Path(tmp))


if __name__ == "__main__":
    main()
