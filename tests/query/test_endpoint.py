"""The SPARQL endpoint, over loopback, with SPARQLWrapper as the client."""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.dom import minidom

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from zhkg.cli import cli
from zhkg.query.endpoint import EndpointConfig, SparqlEndpoint, negotiate

DATA = Path(__file__).parents[1] / "data" / "serve_small.trig"
ENTITIES = "https://w3id.org/zhkg/graph/entities"
BULK = "https://w3id.org/zhkg/graph/test/bulk"
LABELS = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"

pytestmark = pytest.mark.server


def make_store(path: Path, bulk: int = 0) -> Path:
    """A store on disk holding the fixture dataset (and `bulk` filler triples), then released."""
    store = ox.Store(str(path))
    store.bulk_load(path=str(DATA), format=ox.RdfFormat.TRIG)
    if bulk:
        graph = ox.NamedNode(BULK)
        store.extend(ox.Quad(ox.NamedNode(f"https://w3id.org/zhkg/id/test/{i}"),
                             ox.NamedNode("https://w3id.org/zhkg/ontology#textLength"),
                             ox.Literal(str(i), datatype=ox.NamedNode(
                                 "http://www.w3.org/2001/XMLSchema#integer")), graph)
                     for i in range(bulk))
    store.flush()
    del store  # releases the RocksDB lock, so the workers may open it read-only
    return path


def expected_labels() -> set[tuple[str, str]]:
    dataset = Dataset()
    dataset.parse(DATA, format="trig")
    graph = dataset.graph(URIRef(ENTITIES))
    return {(str(s), str(o)) for s, o in graph.subject_objects(RDFS.label)}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparqlEndpoint]:
    store = make_store(tmp_path_factory.mktemp("serve") / "store")
    config = EndpointConfig(store=store, port=0, timeout=20, max_rows=1000, workers=2)
    with SparqlEndpoint(config) as running:
        yield running


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparqlEndpoint]:
    """A short timeout and a small result cap, over a store with a few thousand triples."""
    store = make_store(tmp_path_factory.mktemp("strict") / "store", bulk=3000)
    config = EndpointConfig(store=store, port=0, timeout=1.5, max_rows=100, workers=1)
    with SparqlEndpoint(config) as running:
        yield running


def client(url: str, query: str, fmt: str = JSON) -> SPARQLWrapper:
    sparql = SPARQLWrapper(url)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    return sparql


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def query_url(endpoint: SparqlEndpoint, query: str) -> str:
    return endpoint.url + "?" + urllib.parse.urlencode({"query": query})


def raw_request(endpoint: SparqlEndpoint, method: str, path: str,
                headers: dict[str, str] | None = None, body: bytes | None = None
                ) -> tuple[int, bytes]:
    """A request sent as written: no client-side normalisation of the path."""
    netloc = urllib.parse.urlsplit(endpoint.url).netloc
    host, port = netloc.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.putrequest(method, path, skip_host="Host" in (headers or {}),
                        skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None and "Content-Length" not in (headers or {}):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- result formats -------------------------------------------------------------------------------


def test_select_json(endpoint: SparqlEndpoint) -> None:
    result = client(endpoint.url, LABELS).queryAndConvert()
    assert isinstance(result, dict)
    assert result["head"]["vars"] == ["s", "label"]
    got = {(b["s"]["value"], b["label"]["value"]) for b in result["results"]["bindings"]}
    assert got == expected_labels()
    assert all(b["label"]["xml:lang"] == "zh" for b in result["results"]["bindings"])


def test_select_xml(endpoint: SparqlEndpoint) -> None:
    doc = client(endpoint.url, LABELS, XML).queryAndConvert()
    assert isinstance(doc, minidom.Document)
    got = set()
    for result in doc.getElementsByTagName("result"):
        values = {b.getAttribute("name"): b.firstChild.firstChild.data  # type: ignore[union-attr]
                  for b in result.getElementsByTagName("binding")}
        got.add((values["s"], values["label"]))
    assert got == expected_labels()


def test_select_csv(endpoint: SparqlEndpoint) -> None:
    text = client(endpoint.url, LABELS, CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(text.decode() if isinstance(text, bytes) else text)))
    assert rows[0] == ["s", "label"]
    assert {(r[0], r[1]) for r in rows[1:]} == expected_labels()


def test_select_tsv(endpoint: SparqlEndpoint) -> None:
    text = client(endpoint.url, LABELS, TSV).queryAndConvert()
    lines = (text.decode() if isinstance(text, bytes) else text).splitlines()
    assert lines[0] == "?s\t?label"
    got = {tuple(line.split("\t")) for line in lines[1:]}
    assert got == {(f"<{s}>", f'"{label}"@zh') for s, label in expected_labels()}


def test_construct_turtle_is_the_graph(endpoint: SparqlEndpoint) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ENTITIES}> {{ ?s ?p ?o }} }}"
    body = client(endpoint.url, query, TURTLE).queryAndConvert()
    got = Graph().parse(data=body, format="turtle")
    dataset = Dataset()
    dataset.parse(DATA, format="trig")
    expected = Graph()
    for triple in dataset.graph(URIRef(ENTITIES)):
        expected.add(triple)
    assert len(got) > 0
    assert isomorphic(got, expected), sorted(set(got) ^ set(expected))


def test_ask(endpoint: SparqlEndpoint) -> None:
    yes = client(endpoint.url, "ASK { ?s a <https://w3id.org/zhkg/ontology#City> }").query()
    no = client(endpoint.url, "ASK { ?s a <https://w3id.org/zhkg/ontology#Nothing> }").query()
    assert yes.convert() == {"head": {}, "boolean": True}
    assert no.convert() == {"head": {}, "boolean": False}


def test_post_form_and_post_direct_agree_with_get(endpoint: SparqlEndpoint) -> None:
    answers = []
    for method, request in [("GET", None), (POST, None), (POST, POSTDIRECTLY)]:
        sparql = client(endpoint.url, LABELS)
        sparql.setMethod(method)
        if request:
            sparql.setRequestMethod(request)
        result = sparql.queryAndConvert()
        assert isinstance(result, dict)
        answers.append({(b["s"]["value"], b["label"]["value"])
                        for b in result["results"]["bindings"]})
    assert answers[0] == answers[1] == answers[2] == expected_labels()


def test_content_negotiation_over_http(endpoint: SparqlEndpoint) -> None:
    url = query_url(endpoint, LABELS)
    assert http_get(url, {"Accept": "text/csv;q=0.5, application/sparql-results+xml"})[1] \
        .startswith("application/sparql-results+xml")
    assert http_get(url, {"Accept": "text/*"})[1].startswith("text/csv")
    assert http_get(url)[1].startswith("application/sparql-results+json")
    status, _, body = http_get(url, {"Accept": "image/png"})
    assert status == 406 and b"text/csv" in body
    graph_url = query_url(endpoint, "DESCRIBE <https://w3id.org/zhkg/id/place/shili-shi>")
    status, ctype, body = http_get(graph_url, {"Accept": "application/n-triples"})
    assert status == 200 and ctype.startswith("application/n-triples")
    assert len(Graph().parse(data=body, format="nt")) > 0


def test_negotiate_rules() -> None:
    results = ["application/sparql-results+json", "text/csv"]
    assert negotiate("text/csv, */*;q=0.1", results, {}, []) == "text/csv"
    assert negotiate("*/*", results, {}, []) == results[0]
    assert negotiate("text/csv;q=0", results, {}, []) is None
    assert negotiate("text/*;q=0.2, text/csv;q=0", results, {}, []) is None
    assert negotiate(None, results, {}, []) == results[0]
    assert negotiate("text/csv", results, {"json": results[0]}, ["json"]) == results[0]


def test_dataset_parameters(endpoint: SparqlEndpoint) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    url = endpoint.url + "?" + urllib.parse.urlencode(
        {"query": query, "default-graph-uri": ENTITIES})
    status, _, body = http_get(url, {"Accept": "text/csv"})
    dataset = Dataset()
    dataset.parse(DATA, format="trig")
    assert status == 200
    assert int(body.decode().split()[1]) == len(dataset.graph(URIRef(ENTITIES)))


def test_dataset_semantics(endpoint: SparqlEndpoint) -> None:
    """The union of all graphs is the default graph only when no dataset is named."""
    dataset = Dataset()
    dataset.parse(DATA, format="trig")
    in_entities = len(dataset.graph(URIRef(ENTITIES)))
    count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ {} }}"

    def n(query: str, **params: str) -> int:
        url = endpoint.url + "?" + urllib.parse.urlencode({"query": query, **params})
        status, _, body = http_get(url, {"Accept": "text/csv"})
        assert status == 200, body
        return int(body.decode().split()[1])

    union = n(count.format("", "?s ?p ?o"))
    assert union > in_entities
    assert n(count.format(f"FROM <{ENTITIES}>", "?s ?p ?o")) == in_entities
    assert n(count.format(f"from <{ENTITIES}>", "?s ?p ?o")) == in_entities
    assert n(count.format(f"FROM NAMED <{ENTITIES}>", "?s ?p ?o")) == 0  # empty default graph
    assert n(count.format(f"FROM NAMED <{ENTITIES}>", "GRAPH ?g { ?s ?p ?o }")) == in_entities
    assert n(count.format("", "?s ?p ?o"), **{"named-graph-uri": ENTITIES}) == 0
    # the protocol's dataset wins over the query's
    assert n(count.format("FROM <urn:x:none>", "?s ?p ?o"),
             **{"default-graph-uri": ENTITIES}) == in_entities
    # FROM as data is no dataset
    assert n(count.format("", "?s ?p ?o FILTER(?o != 'FROM')")) <= union


def test_invalid_dataset_iri_is_a_bad_request(endpoint: SparqlEndpoint) -> None:
    for name in ("default-graph-uri", "named-graph-uri"):
        url = endpoint.url + "?" + urllib.parse.urlencode(
            {"query": "ASK { ?s ?p ?o }", name: "not an iri"})
        status, _, body = http_get(url)
        assert status == 400 and b"IRI" in body


def test_construct_as_n_quads_and_trig(endpoint: SparqlEndpoint) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ENTITIES}> {{ ?s ?p ?o }} }}"
    expected = {(q.subject, q.predicate, q.object)
                for q in ox.parse(path=str(DATA), format=ox.RdfFormat.TRIG)
                if q.graph_name == ox.NamedNode(ENTITIES)}
    for media, fmt in (("application/n-quads", ox.RdfFormat.N_QUADS),
                       ("application/trig", ox.RdfFormat.TRIG)):
        status, ctype, body = http_get(query_url(endpoint, query), {"Accept": media})
        assert status == 200 and ctype.startswith(media)
        quads = list(ox.parse(body, fmt))
        assert all(q.graph_name == ox.DefaultGraph() for q in quads)  # the default graph
        assert {(q.subject, q.predicate, q.object) for q in quads} == expected != set()


def test_an_update_sent_as_a_query_says_so(endpoint: SparqlEndpoint) -> None:
    status, _, body = http_get(query_url(endpoint, "INSERT DATA { <urn:x:a> <urn:x:b> 1 }"))
    assert status == 400 and b"this is an update" in body and b"`update`" in body
    status, _, body = http_get(query_url(endpoint, "SELECT WHERE"))
    assert status == 400 and b"this is an update" not in body


def test_service_description(endpoint: SparqlEndpoint) -> None:
    sd = "http://www.w3.org/ns/sparql-service-description#"
    for media, fmt in (("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
                       ("*/*", "turtle")):
        status, ctype, body = http_get(endpoint.url, {"Accept": media})
        assert status == 200 and ctype.split(";")[0] in ("text/turtle", "application/rdf+xml")
        graph = Graph().parse(data=body, format=fmt)
        service = URIRef(endpoint.url)
        assert (service, URIRef(sd + "endpoint"), service) in graph
        assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in graph
        assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Update")) \
            not in graph
        assert (service, URIRef(sd + "feature"), URIRef(sd + "UnionDefaultGraph")) in graph
    status, ctype, _ = http_get(endpoint.url, {"Accept": "text/html,*/*;q=0.8"})
    assert status == 200 and ctype.startswith("text/html")  # a browser gets the page


def test_keep_alive(endpoint: SparqlEndpoint) -> None:
    netloc = urllib.parse.urlsplit(endpoint.url).netloc
    host, port = netloc.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        ports = []
        for _ in range(3):
            conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
            response = conn.getresponse()
            assert response.status == 200 and not response.will_close
            response.read()
            assert conn.sock is not None
            ports.append(conn.sock.getsockname()[1])
        assert len(set(ports)) == 1  # one connection for all three
    finally:
        conn.close()


@pytest.fixture(scope="module")
def cors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparqlEndpoint]:
    store = make_store(tmp_path_factory.mktemp("cors") / "store")
    config = EndpointConfig(store=store, port=0, timeout=20, workers=1,
                            cors_origin="http://app.example", max_result_bytes=500)
    with SparqlEndpoint(config) as running:
        yield running


def test_cors_only_when_asked(endpoint: SparqlEndpoint, cors: SparqlEndpoint) -> None:
    def allow(ep: SparqlEndpoint, origin: str, method: str = "GET") -> str | None:
        url = query_url(ep, "ASK {}")
        request = urllib.request.Request(url, method=method, headers={
            "Origin": origin, "Access-Control-Request-Method": "GET"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.headers.get("Access-Control-Allow-Origin")
        except urllib.error.HTTPError as exc:
            assert exc.headers.get("Access-Control-Allow-Origin") is None
            return None

    assert allow(cors, "http://app.example") == "http://app.example"
    assert allow(cors, "http://app.example", "OPTIONS") == "http://app.example"
    assert allow(cors, "http://other.example") is None
    assert allow(endpoint, "http://app.example") is None  # off by default
    assert allow(endpoint, "http://app.example", "OPTIONS") is None


def test_result_byte_cap(cors: SparqlEndpoint) -> None:
    status, _, body = http_get(query_url(cors, LABELS))
    assert status == 403 and b"more than 500 bytes" in body
    assert http_get(query_url(cors, "ASK {}"))[0] == 200


# -- policy ---------------------------------------------------------------------------------------


def test_update_is_refused_when_read_only(endpoint: SparqlEndpoint) -> None:
    insert = "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }"
    sparql = SPARQLWrapper(endpoint.url, updateEndpoint=endpoint.url)
    sparql.setMethod(POST)
    sparql.setQuery(insert)
    with pytest.raises(urllib.error.HTTPError) as caught:
        sparql.query()
    assert caught.value.code == 403
    assert b"read-only" in caught.value.read()
    status, _, _ = http_get(query_url(endpoint, "ASK { <urn:x:a> ?p ?o }"))
    ask = client(endpoint.url, "ASK { <urn:x:a> ?p ?o }").queryAndConvert()
    assert status == 200 and ask == {"head": {}, "boolean": False}


def test_update_allowed_with_the_flag(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    config = EndpointConfig(store=store, port=0, timeout=20, allow_update=True)
    with SparqlEndpoint(config) as running:
        sparql = SPARQLWrapper(running.url, updateEndpoint=running.url)
        sparql.setMethod(POST)
        sparql.setQuery("INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> 'c' } }")
        assert sparql.query().response.status == 204
        ask = client(running.url, "ASK { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> 'c' } }")
        assert ask.queryAndConvert() == {"head": {}, "boolean": True}
        form = urllib.parse.urlencode({"update": "CLEAR ALL"}).encode()
        status, body = raw_request(running, "POST", "/sparql", {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "http://evil.example", "Host": urllib.parse.urlsplit(running.url).netloc,
        }, form)
        assert status == 403 and b"origin" in body
        with socket.socket() as listener:  # a port something listens on; nothing may call it
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            port = listener.getsockname()[1]
            status, body = raw_request(running, "POST", "/sparql", {
                "Content-Type": "application/sparql-update"},
                f"LOAD <http://127.0.0.1:{port}/x.nt>".encode())
            assert status == 403 and b"LOAD" in body
            listener.settimeout(0.5)
            with pytest.raises(socket.timeout):
                listener.accept()
    reopened = ox.Store.read_only(str(store))  # the insert reached the disk
    assert len(list(reopened.quads_for_pattern(None, None, None, ox.NamedNode("urn:x:g")))) == 1


def test_malformed_query_gets_400_with_the_parsers_message(endpoint: SparqlEndpoint) -> None:
    bad = "SELECT ?s WHERE { ?s ?p }"
    with pytest.raises(SyntaxError) as parser:
        ox.Store().query(bad)
    with pytest.raises(QueryBadFormed) as caught:
        client(endpoint.url, bad).query()
    assert str(parser.value) in str(caught.value)
    status, _, body = http_get(query_url(endpoint, bad))
    assert status == 400 and str(parser.value) in body.decode()


def test_bad_requests(endpoint: SparqlEndpoint) -> None:
    assert http_get(endpoint.url + "?query=ASK{}&query=ASK{}")[0] == 400
    assert http_get(endpoint.url + "?update=CLEAR%20ALL")[0] == 400
    status, _ = raw_request(endpoint, "POST", "/sparql", {"Content-Type": "text/plain"}, b"ASK{}")
    assert status == 415
    # refused on the declared length, before any of the body is read
    status, _ = raw_request(endpoint, "POST", "/sparql", {
        "Content-Type": "application/sparql-query", "Content-Length": "1000001"}, b"")
    assert status == 413
    status, body = raw_request(endpoint, "GET", "/sparql?query=ASK%7B%7D",
                               {"Host": "attacker.example"})
    assert status == 403 and b"Host" in body


def test_service_as_data_is_answered(endpoint: SparqlEndpoint) -> None:
    # the word inside a literal, an IRI, a prefixed name or a variable is data, not a clause
    literal = ("PREFIX service: <urn:x:> SELECT ?a ?service WHERE { "
               "?a <https://schema.org/headline> ?h FILTER(CONTAINS(STR(?h), 'SERVICE')) "
               "BIND(service:SERVICE AS ?service) "
               "BIND(<http://127.0.0.1:1/SERVICE> AS ?x) } # SERVICE <http://127.0.0.1:1/>")
    result = client(endpoint.url, literal).queryAndConvert()
    assert isinstance(result, dict)
    assert [b["a"]["value"] for b in result["results"]["bindings"]] == \
        ["https://w3id.org/zhkg/article/t2"]


# -- limits ---------------------------------------------------------------------------------------


def test_timeout_stops_a_slow_query(strict: SparqlEndpoint) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # ~2.7e10 rows
    before = {w.process.pid for w in strict.pool._workers}
    started = time.monotonic()
    status, _, body = http_get(query_url(strict, slow))
    elapsed = time.monotonic() - started
    assert status == 503 and b"timed out" in body
    assert elapsed < 60  # it did not run to the end (that would take hours)
    for pid in before:  # the worker that ran it is gone, not still computing
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    ok = client(strict.url, "ASK { ?s ?p ?o }").queryAndConvert()
    assert ok == {"head": {}, "boolean": True}


def test_memory_limit_stops_a_hungry_query(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", bulk=3000)
    config = EndpointConfig(store=store, port=0, timeout=60, workers=1, worker_memory_mb=400)
    hungry = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"  # sorts ~9e6 rows
    with SparqlEndpoint(config) as running:
        status, _, body = http_get(query_url(running, hungry))
        assert status == 503 and b"400 MB" in body
        ok = client(running.url, "ASK { ?s ?p ?o }").queryAndConvert()
        assert ok == {"head": {}, "boolean": True}


def test_result_size_limit(strict: SparqlEndpoint) -> None:
    everything = f"SELECT ?s ?o WHERE {{ GRAPH <{BULK}> {{ ?s ?p ?o }} }}"
    status, _, body = http_get(query_url(strict, everything))
    assert status == 403 and b"more than 100 rows" in body
    status, _, body = http_get(query_url(strict, everything + " LIMIT 100"),
                               {"Accept": "text/csv"})
    assert status == 200 and len(body.decode().splitlines()) == 101
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BULK}> {{ ?s ?p ?o }} }}"
    status, _, body = http_get(query_url(strict, construct))
    assert status == 403 and b"more than 100 triples" in body


def test_fifty_parallel_clients_all_answered(endpoint: SparqlEndpoint) -> None:
    def one(i: int) -> int:
        sparql = client(endpoint.url, f"SELECT ?n WHERE {{ BIND({i} * 7 AS ?n) }}")
        result = sparql.queryAndConvert()
        assert isinstance(result, dict)
        return int(result["results"]["bindings"][0]["n"]["value"])

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(one, range(50), timeout=120))
    assert answers == [i * 7 for i in range(50)]


# -- the page and the static route ----------------------------------------------------------------


def test_query_page_is_self_contained(endpoint: SparqlEndpoint) -> None:
    root = endpoint.url.removesuffix("sparql")
    status, ctype, body = http_get(root)
    assert status == 200 and ctype.startswith("text/html")
    page = body.decode()
    assert "/static/query.js" in page and "http" not in page.replace("http-equiv", "")
    status, ctype, script = http_get(root + "static/query.js")
    assert status == 200 and ctype.startswith("text/javascript")
    assert "fetch(\"/sparql\"" in script.decode()
    with urllib.request.urlopen(root, timeout=30) as response:
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", [
    "/static/../serve.py",
    "/static/%2e%2e/serve.py",
    "/static/%2E%2E%2Fserve.py",
    "/static/..%2f..%2fpyproject.toml",
    "/static/%252e%252e/serve.py",
    "/static/./query.html/../../serve.py",
    "/../../../../etc/passwd",
    "/static//etc/passwd",
    "/static/view_page.html",  # in the folder, but not this route's to give
    "/static/query.html%00.py",
])
def test_static_route_has_no_traversal(endpoint: SparqlEndpoint, path: str) -> None:
    status, body = raw_request(endpoint, "GET", path)
    assert status in (400, 404)
    assert b"import" not in body and b"root:" not in body and b"<html" not in body


@pytest.mark.browser
def test_query_page_runs_a_query_offline(endpoint: SparqlEndpoint) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium")
    root = endpoint.url.removesuffix("sparql")
    origin = root.rstrip("/")
    foreign: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()

            def guard(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if request.url.startswith(origin):
                    route.continue_()  # type: ignore[attr-defined]
                else:
                    foreign.append(request.url)
                    route.abort()  # type: ignore[attr-defined]

            page.route("**/*", guard)
            page.goto(root)
            page.fill("#query", LABELS)
            page.click("#run")
            page.wait_for_selector("#results table tbody tr", timeout=30_000)
            cells = page.locator("#results tbody tr td:nth-child(2)").all_inner_texts()
            page.fill("#query", "SELECT ?x WHERE { ?x }")
            page.click("#run")
            page.wait_for_selector("#error:not([hidden])", timeout=30_000)
            error = page.inner_text("#error")
        finally:
            browser.close()
    assert foreign == []
    assert {c.removesuffix("@zh").strip() for c in cells} == {lab for _, lab in expected_labels()}
    assert error.startswith("400")


# -- the command ----------------------------------------------------------------------------------


def test_cli_serve_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "no store here" in result.output and "Traceback" not in result.output


def test_cli_serve_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    process = subprocess.Popen(
        [sys.executable, "-m", "zhkg", "serve", "--store", str(store), "--port", "0", "--quiet",
         "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" at ", 1)[1].split(";", 1)[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/sparql")
        status, _, body = http_get(url + "?" + urllib.parse.urlencode({"query": LABELS}))
        assert status == 200
        assert len(json.loads(body)["results"]["bindings"]) == len(expected_labels())
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_serve_port_in_use(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--store", str(store), "--port", str(port),
                                          "--workers", "1"])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
