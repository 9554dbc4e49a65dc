"""The SPARQL 1.1 Protocol endpoint over the store, with an offline query page.

Policy, and the status that says so:
- 400: the request or the query is malformed (the body is the SPARQL parser's own message);
- 403: a valid request this server refuses: an update when started without `allow_update`, a
  query that uses SERVICE (or an update that uses LOAD: both make the server fetch URLs), a
  result with more than `max_rows` rows or triples (we refuse rather than truncate in silence);
- 406: no result format the client accepts; 413: request body too large;
- 503: the query ran out of time or memory, or no query worker became free in time.

Why worker processes: pyoxigraph cannot cancel a running query, and one `next()` on its result
iterator can compute for minutes (a cartesian product under COUNT or ORDER BY). So every query is
evaluated in a separate process holding its own read-only handle on the store; on timeout that
process is killed and a fresh one started, which really stops the work. Memory is bounded the same
way: each worker runs under RLIMIT_DATA, and a query that outgrows it aborts its worker. What stays
unbounded: the replacement's start-up (about half a second, in the background; measured by
benches/bench_serve.py) and the memory of a result under the row cap. RocksDB allows many
read-only handles, but a read-only handle beside a writer is undefined behaviour, so with
`allow_update` the pool is a single read-write worker and queries and updates run one at a time
(oxigraph applies an update in one transaction: killing a worker mid-INSERT left nothing behind
when we tried).

The standard library's ThreadingHTTPServer is enough here: handler threads only parse, wait on
a worker and write bytes; the work happens in the pool, which also bounds the concurrency.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from zhkg.errors import StoreError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7879

#: Media types of SELECT/ASK results: the formats in our order of preference when the client has
#: no say, then aliases (answered with the format's own media type).
RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
}
#: Media types of CONSTRUCT/DESCRIBE results, likewise.
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
}
#: Short names accepted in the `format`/`output` parameters (Virtuoso's and SPARQLWrapper's).
_RESULT_NAMES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                 "csv": "text/csv", "tsv": "text/tab-separated-values"}
_GRAPH_NAMES = {"turtle": "text/turtle", "ttl": "text/turtle", "n3": "text/turtle",
                "nt": "application/n-triples", "ntriples": "application/n-triples",
                "xml": "application/rdf+xml", "rdf+xml": "application/rdf+xml",
                "json-ld": "application/ld+json", "jsonld": "application/ld+json"}

#: Prefixes written in Turtle results, so a DESCRIBE reads like the ontology.
PREFIXES = {
    "zhkg": "https://w3id.org/zhkg/ontology#",
    "id": "https://w3id.org/zhkg/id/",
    "article": "https://w3id.org/zhkg/article/",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

#: The query page's files: the only names the static route serves (the folder is shared).
STATIC_FILES = {
    "query.html": "text/html; charset=utf-8",
    "query.js": "text/javascript; charset=utf-8",
    "query.css": "text/css; charset=utf-8",
}
_PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'"


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """How to serve. `port=0` picks a free port (read it back from `SparqlEndpoint.url`)."""

    store: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    allow_update: bool = False
    timeout: float = 30.0
    max_rows: int = 10_000
    workers: int = 2
    union_default_graph: bool = True
    max_request_bytes: int = 1_000_000
    max_connections: int = 256
    worker_memory_mb: int = 4096
    access_log: bool = False


# -- what runs in a worker ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    """One query or update, as sent to a worker (picklable: formats travel as media types)."""

    kind: str  # "query" or "update"
    text: str
    result_type: str | None = None  # chosen media type for SELECT/ASK, None if none acceptable
    graph_type: str | None = None  # likewise for CONSTRUCT/DESCRIBE
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    union_default_graph: bool = True
    max_rows: int = 10_000


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _text(status: int, message: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", (message.rstrip("\n") + "\n").encode())


class _RowCap:
    """A binary sink that gives up once the TSV it receives has more than `max_rows` rows.

    TSV writes one line per row (newlines inside literals are escaped), so counting lines counts
    rows, and raising from `write` stops pyoxigraph's lazy evaluation at the cap.
    """

    def __init__(self, max_rows: int) -> None:
        self.limit = max_rows + 1  # the header line
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise OverflowError("row cap")
        self.chunks.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass


def _too_large(max_rows: int, what: str) -> Reply:
    return _text(403, f"result too large: more than {max_rows} {what}; add a LIMIT "
                      "(or start the server with a larger max_rows)")


def evaluate(store: ox.Store, job: Job) -> Reply:
    """Run one job against an open store. Pure of HTTP, so a worker and a test can both call it."""
    if job.kind == "update":
        try:
            store.update(job.text)
        except SyntaxError as exc:
            return _text(400, f"malformed update: {exc}")
        except OSError as exc:
            return _text(500, f"update failed: {exc}")
        return Reply(204, "text/plain; charset=utf-8", b"")
    kwargs: dict[str, Any] = {}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    elif job.union_default_graph:
        kwargs["use_default_graph_as_union"] = True
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    try:
        result = store.query(job.text, **kwargs)
        if isinstance(result, ox.QueryTriples):
            if job.graph_type is None:
                return _not_acceptable(GRAPH_TYPES)
            triples = list(itertools.islice(result, job.max_rows + 1))
            if len(triples) > job.max_rows:
                return _too_large(job.max_rows, "triples")
            fmt = GRAPH_TYPES[job.graph_type]
            body = ox.serialize(triples, format=fmt, prefixes=PREFIXES)
            return Reply(200, _with_charset(fmt.media_type), body or b"")
        if job.result_type is None:
            return _not_acceptable(RESULT_TYPES)
        out = RESULT_TYPES[job.result_type]
        if isinstance(result, ox.QueryBoolean):
            return Reply(200, _with_charset(out.media_type), result.serialize(format=out) or b"")
        sink = _RowCap(job.max_rows)
        try:
            result.serialize(sink, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]
        except OverflowError:
            return _too_large(job.max_rows, "rows")
        tsv = b"".join(sink.chunks)
        if out == ox.QueryResultsFormat.TSV:
            return Reply(200, _with_charset(out.media_type), tsv)
        solutions = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
        assert isinstance(solutions, ox.QuerySolutions)
        return Reply(200, _with_charset(out.media_type), solutions.serialize(format=out) or b"")
    except SyntaxError as exc:
        return _text(400, f"malformed query: {exc}")
    except OSError as exc:
        # Oxigraph reports evaluation errors (a SERVICE we missed, an I/O problem) as OSError.
        return _text(500, f"query failed: {exc}")


def _with_charset(media_type: str) -> str:
    if "charset" in media_type:
        return media_type
    if media_type.startswith("text/") or media_type.endswith(("json", "xml")):
        return media_type + "; charset=utf-8"
    return media_type


def _not_acceptable(types: Mapping[str, object]) -> Reply:
    return _text(406, "none of the accepted media types fits this result; available: "
                      + ", ".join(types))


def open_store(path: Path, read_only: bool) -> ox.Store:
    """The one place the server opens the store; never creates one."""
    from zhkg.graph.store import Store

    if not (path / "CURRENT").exists():
        raise StoreError(f"{path}: no store here (build one first)")
    return Store.open(path, read_only=read_only).inner


def _worker_main(fd: int, store_path: str, read_only: bool, memory_mb: int = 0) -> None:
    """A worker process: open the store, then answer jobs until told to stop or killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    if memory_mb > 0:
        # RLIMIT_DATA covers the heap and anonymous maps (Linux >= 4.7): a query that grows past
        # it aborts this process, which the pool reports and replaces.
        import resource

        limit = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    conn = Connection(fd)
    try:
        store = open_store(Path(store_path), read_only)
    except StoreError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", ""))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        if job is None:
            return
        try:
            reply = evaluate(store, job)
        except Exception as exc:  # a bug: say so instead of leaving the client hanging
            reply = _text(500, f"internal error: {type(exc).__name__}: {exc}")
        conn.send(reply)


# A fresh interpreter rather than multiprocessing's spawn, which re-imports the caller's __main__
# (breaking scripts without a main guard); the socket's descriptor is inherited.
_WORKER_CODE = (
    "import sys; from zhkg.query.endpoint import _worker_main; "
    "_worker_main(int(sys.argv[1]), sys.argv[2], sys.argv[3] == 'read-only', int(sys.argv[4]))"
)


@dataclass(slots=True)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection

    def stop(self, kill: bool = False) -> None:
        with contextlib.suppress(OSError, ValueError):
            if not kill and self.process.poll() is None:
                self.conn.send(None)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(2)
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(5)
        with contextlib.suppress(OSError):
            self.conn.close()


@dataclass
class WorkerPool:
    """Worker processes each holding the store open; a job that overruns kills its worker."""

    store: Path
    read_only: bool
    size: int
    memory_mb: int = 0  # per worker; 0: no limit
    start_timeout: float = 60.0
    _idle: queue.Queue[_Worker] = field(default_factory=queue.Queue)
    _workers: dict[int, _Worker] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def start(self) -> None:
        try:
            for _ in range(self.size):
                self._idle.put(self._spawn())
        except StoreError:
            self.close()
            raise

    def _spawn(self) -> _Worker:
        parent_sock, child_sock = socket.socketpair()
        parent, child_fd = Connection(parent_sock.detach()), child_sock.detach()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        mode = "read-only" if self.read_only else "read-write"
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(child_fd), str(self.store), mode,
                 str(self.memory_mb)],
                pass_fds=(child_fd,), env=env, stdin=subprocess.DEVNULL)
        finally:
            os.close(child_fd)
        worker = _Worker(process, parent)
        try:
            if not parent.poll(self.start_timeout):
                worker.stop(kill=True)
                raise StoreError(f"{self.store}: a query worker did not start within "
                                 f"{self.start_timeout:g} s")
            status, message = parent.recv()
        except (EOFError, OSError):
            status, message = "error", "a query worker died while opening the store"
        if status != "ready":
            worker.stop(kill=True)
            raise StoreError(message)
        with self._lock:
            self._workers[id(worker)] = worker
        return worker

    def _retire(self, worker: _Worker) -> None:
        """Kill `worker` and start its replacement in the background, so the reply is not held."""
        worker.stop(kill=True)
        with self._lock:
            self._workers.pop(id(worker), None)
        if not self._closed:
            threading.Thread(target=self._replace, name="zhkg-respawn", daemon=True).start()

    def _replace(self) -> None:
        try:
            worker = self._spawn()
        except StoreError as exc:
            print(f"zhkg serve: cannot replace a query worker: {exc}", file=sys.stderr)
            return
        if self._closed:
            worker.stop()
        else:
            self._idle.put(worker)

    def run(self, job: Job, timeout: float) -> Reply:
        """Evaluate `job` in a free worker; at most `timeout` s waiting and `timeout` s running."""
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            return _text(503, f"busy: no query worker became free within {timeout:g} s")
        try:
            worker.conn.send(job)
            if not worker.conn.poll(timeout):
                self._retire(worker)
                return _text(503, f"query timed out after {timeout:g} s and was stopped")
            reply: Reply = worker.conn.recv()
        except (EOFError, OSError):
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(5)
            code = worker.process.returncode
            self._retire(worker)
            if code == -signal.SIGABRT and self.memory_mb:
                return _text(503, f"query stopped: it needed more than {self.memory_mb} MB")
            return _text(500, f"the query worker died (exit status {code}); it has been replaced")
        self._idle.put(worker)
        return reply

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.stop()


# -- refusing SERVICE and LOAD --------------------------------------------------------------------

# SPARQL terminals that can hide a word: strings (long ones first), IRIs, comments, variables,
# language tags, and prefixed names / blank node labels (a word followed by ':').
_TOKEN = re.compile(
    r"""
    (?P<skip>
        '''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
      | \"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
      | '(?:[^'\\\n\r]|\\.)*(?:'|$)
      | "(?:[^"\\\n\r]|\\.)*(?:"|$)
      | <[^<>"{}|^`\\\x00-\x20]*>
      | \#[^\n\r]*
      | [?$][\w\u00b7\u0300-\u036f\u203f\u2040]+
      | @[A-Za-z]+(?:-[A-Za-z0-9]+)*
      | [\w\u00b7\u0300-\u036f\u203f\u2040.\-]*:(?:[\w\u00b7\u0300-\u036f\u203f\u2040.\-:%]|\\.)*
    )
    | (?P<word>[A-Za-z_][\w\-]*)
    | (?P<other>\s+|.)
    """,
    re.VERBOSE | re.DOTALL | re.MULTILINE,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_REFUSED_WORDS = {"SERVICE": "SERVICE (federated query) is refused: this endpoint fetches nothing",
                  "LOAD": "LOAD is refused: this endpoint fetches nothing"}


def _words(text: str) -> Iterator[str]:
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "word":
            yield match.group().upper()


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code < 0x110000 and not 0xD800 <= code < 0xE000 else m.group()
    return _UNICODE_ESCAPE.sub(one, text)


def refused_clause(text: str) -> str | None:
    """Why `text` is refused (it uses SERVICE or LOAD as a keyword), or None.

    A tokenizer, not a grep: the keyword is looked for among the bare words left after strings,
    IRIs, comments, variables, language tags and prefixed names are taken out, so `"SERVICE"` or
    `ex:service` pass. SPARQL lets `\\uXXXX` escapes stand anywhere, so the text is also checked
    with them decoded, and refused if either reading has the keyword.
    """
    for variant in (text, _unescape(text)):
        for word in _words(variant):
            if word in _REFUSED_WORDS:
                return _REFUSED_WORDS[word]
    return None


# -- content negotiation --------------------------------------------------------------------------


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(media: str, ranges: Sequence[tuple[str, float]]) -> float:
    """The q the client gives `media`, by the most specific range that matches (RFC 9110)."""
    best, best_q = -1, 0.0
    kind = media.split("/")[0]
    for pattern, q in ranges:
        if pattern == media:
            rank = 2
        elif pattern == f"{kind}/*":
            rank = 1
        elif pattern == "*/*":
            rank = 0
        else:
            continue
        if rank > best:
            best, best_q = rank, q
    return best_q


def negotiate(accept: str | None, choices: Sequence[str], named: Mapping[str, str],
              format_params: Sequence[str]) -> str | None:
    """The media type to answer with, from `choices` (in our order of preference), or None.

    A `format`/`output` parameter wins over the Accept header (Virtuoso's convention, which
    SPARQLWrapper follows); no Accept header means anything will do.
    """
    for value in format_params:
        value = value.strip().lower()
        media = named.get(value, value)
        if media in choices:
            return media
    if not accept:
        return choices[0]
    ranges = _accept_ranges(accept)
    scored = [(_quality(m, ranges), -i, m) for i, m in enumerate(choices)]
    q, _, media = max(scored)
    return media if q > 0 else None


# -- HTTP -----------------------------------------------------------------------------------------


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.reply = _text(status, message)


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or address, IPv6 maybe in brackets) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 makes a burst of clients wait for SYN retransmits (1 s+)
    request_queue_size = 128
    endpoint: SparqlEndpoint


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "zhkg"
    sys_version = ""
    timeout = 30  # seconds a client may take to send its request

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.endpoint.config.access_log:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _handle(self, head: bool = False) -> None:
        endpoint = self.server.endpoint
        if not endpoint.slots.acquire(blocking=False):
            self._send(_text(503, "busy: too many connections"), head)
            return
        try:
            reply = self._route()
        except _HttpError as exc:
            reply = exc.reply
        finally:
            endpoint.slots.release()
        self._send(reply, head)

    def _route(self) -> Reply:
        endpoint = self.server.endpoint
        self._check_host()
        url = urlsplit(self.path)
        if url.path in ("/", "/query.html"):
            return self._static("query.html")
        if url.path.startswith("/static/"):
            return self._static(url.path[len("/static/"):])
        if url.path != "/sparql":
            raise _HttpError(404, f"not found: {url.path} (the endpoint is /sparql)")
        params = parse_qs(url.query, keep_blank_values=True)
        if self.command == "POST":
            body_params, text, kind = self._read_post()
            for key, values in body_params.items():
                params.setdefault(key, []).extend(values)
            if text is not None:
                params.setdefault(kind, []).append(text)
        elif self.command not in ("GET", "HEAD"):
            raise _HttpError(405, "use GET or POST")
        queries, updates = params.get("query", []), params.get("update", [])
        if self.command != "POST" and updates:
            raise _HttpError(400, "updates must be sent with POST")
        if len(queries) + len(updates) != 1:
            if not queries and not updates and self.command != "POST":
                return self._static("query.html")  # a browser opening the endpoint
            raise _HttpError(400, "send exactly one `query` or one `update`")
        kind = "update" if updates else "query"
        text = (updates or queries)[0]
        if "using-graph-uri" in params or "using-named-graph-uri" in params:
            raise _HttpError(400, "using-graph-uri / using-named-graph-uri are not supported; "
                                  "write USING in the update instead")
        if kind == "update":
            if not endpoint.config.allow_update:
                raise _HttpError(403, "updates are disabled: this endpoint is read-only "
                                      "(start it with --allow-update to change the store)")
            self._check_origin()
        reason = refused_clause(text)
        if reason:
            raise _HttpError(403, reason)
        formats = params.get("format", []) + params.get("output", [])
        accept = self.headers.get("Accept")
        job = Job(
            kind=kind,
            text=text,
            result_type=negotiate(accept, list(RESULT_TYPES), _RESULT_NAMES, formats),
            graph_type=negotiate(accept, list(GRAPH_TYPES), _GRAPH_NAMES, formats),
            default_graphs=tuple(params.get("default-graph-uri", [])),
            named_graphs=tuple(params.get("named-graph-uri", [])),
            union_default_graph=endpoint.config.union_default_graph,
            max_rows=endpoint.config.max_rows,
        )
        if kind == "query" and job.result_type is None and job.graph_type is None:
            return _not_acceptable({**RESULT_TYPES, **GRAPH_TYPES})
        reply = endpoint.pool.run(job, endpoint.config.timeout)
        return Reply(reply.status, reply.content_type, reply.body,
                     reply.headers + (("Vary", "Accept"), ("Cache-Control", "no-store")))

    def _read_post(self) -> tuple[dict[str, list[str]], str | None, str]:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            raise _HttpError(411, "Content-Length required")
        try:
            length = int(length_header)
        except ValueError:
            raise _HttpError(400, "bad Content-Length") from None
        if length > self.server.endpoint.config.max_request_bytes:
            limit = self.server.endpoint.config.max_request_bytes
            raise _HttpError(413, f"request body over {limit} bytes")
        raw = self.rfile.read(length)
        content_type = self.headers.get_content_type()
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            body = raw.decode(charset)
        except (UnicodeDecodeError, LookupError):
            raise _HttpError(400, f"the body is not valid {charset}") from None
        if content_type == "application/x-www-form-urlencoded":
            return parse_qs(body, keep_blank_values=True), None, "query"
        if content_type == "application/sparql-query":
            return {}, body, "query"
        if content_type == "application/sparql-update":
            return {}, body, "update"
        raise _HttpError(415, "POST application/x-www-form-urlencoded, application/sparql-query "
                              "or application/sparql-update")

    def _check_host(self) -> None:
        """When bound to loopback, answer only requests addressed to loopback names.

        A web page cannot then read the endpoint through a hostname it re-points to 127.0.0.1
        (DNS rebinding).
        """
        if not is_loopback(self.server.endpoint.config.host):
            return
        hosts = self.headers.get_all("Host") or []
        if len(hosts) > 1:
            raise _HttpError(400, "more than one Host header")
        host = hosts[0] if hosts else ""
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host and not is_loopback(name):
            raise _HttpError(403, f"Host {host!r} is not this loopback server")

    def _check_origin(self) -> None:
        """Updates from another web origin are refused (a form post needs no CORS preflight)."""
        origin = self.headers.get("Origin")
        if origin is None:
            return
        host = self.headers.get("Host", "")
        if urlsplit(origin).netloc != host:
            raise _HttpError(403, f"updates from origin {origin} are refused")

    def _static(self, name: str) -> Reply:
        # Names come from a fixed list: nothing a request says reaches the file system.
        if name not in STATIC_FILES:
            raise _HttpError(404, "not found")
        body = resources.files("zhkg").joinpath("static").joinpath(name).read_bytes()
        headers = (("Content-Security-Policy", _PAGE_CSP), ("X-Content-Type-Options", "nosniff"))
        return Reply(200, STATIC_FILES[name], body, headers)

    def _send(self, reply: Reply, head: bool) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if not head and reply.body:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client left; nothing to tell it


class SparqlEndpoint:
    """A running endpoint: `with SparqlEndpoint(config) as ep: ... ep.url ...` (thread) or
    `SparqlEndpoint(config).serve_forever()` (the CLI)."""

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self.slots = threading.BoundedSemaphore(config.max_connections)
        read_only = not config.allow_update
        size = max(1, config.workers) if read_only else 1
        self.pool = WorkerPool(config.store, read_only, size, memory_mb=config.worker_memory_mb)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint's URL (/sparql); the query page is at the root."""
        if self._server is None:
            raise StoreError("the endpoint is not started")
        address = self._server.server_address
        host = address[0] if isinstance(address[0], str) else address[0].decode()
        port = address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/sparql"

    def open(self) -> SparqlEndpoint:
        """Start the workers and bind the socket (raises StoreError or OSError)."""
        if not (self.config.store / "CURRENT").exists():
            raise StoreError(f"{self.config.store}: no store here (build one first)")
        self.pool.start()
        try:
            family = _family(self.config.host)
            server_class = type("_Server", (_Server,), {"address_family": family})
            self._server = server_class((self.config.host, self.config.port), _Handler)
        except OSError as exc:
            self.pool.close()
            raise StoreError(f"cannot listen on {self.config.host}:{self.config.port}: "
                             f"{exc.strerror or exc}") from None
        self._server.endpoint = self
        return self

    def serve_forever(self) -> None:
        if self._server is None:
            self.open()
        assert self._server is not None
        try:
            self._server.serve_forever()
        finally:
            self.close()

    def __enter__(self) -> SparqlEndpoint:
        if self._server is None:
            self.open()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name="zhkg-serve",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            if self._thread is not None:
                server.shutdown()
                self._thread.join(10)
            server.server_close()
        self.pool.close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def serve(config: EndpointConfig) -> None:
    """Serve until interrupted (the CLI's entry point)."""
    SparqlEndpoint(config).serve_forever()


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "EndpointConfig",
    "Job",
    "Reply",
    "SparqlEndpoint",
    "WorkerPool",
    "evaluate",
    "is_loopback",
    "negotiate",
    "open_store",
    "refused_clause",
    "serve",
]
