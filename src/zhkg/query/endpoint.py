"""The SPARQL 1.1 Protocol endpoint over the store, with an offline query page.

Policy, and the status that says so:
- 400: the request or the query is malformed (the body is the SPARQL parser's own message), an
  update sent as `query=` (or a query as `update=`), a dataset IRI that is no IRI;
- 403: a valid request this server refuses: an update when started without `allow_update`, a
  SERVICE (or LOAD) that would fetch from elsewhere, a result with more than `max_rows` rows or
  triples or `max_result_bytes` bytes (we refuse rather than truncate in silence);
- 406: no result format the client accepts; 413: request body or query too large;
- 429: this client already has `max_waiting` requests waiting while other clients wait;
- 503: the query ran out of time or memory, no query worker became free in time, or it was
  stopped to give waiting clients their share.

Why worker processes: pyoxigraph cannot cancel a running query, and one `next()` on its result
iterator can compute for minutes (a cartesian product under COUNT or ORDER BY). So every query is
evaluated in a separate process holding its own read-only handle on the store; on timeout that
process is killed and a fresh one started, which really stops the work. Memory is bounded the same
way (RLIMIT_DATA per worker). A worker cannot reach the network at all: a seccomp filter makes
socket() fail in it before it opens the store, so Oxigraph's SERVICE and LOAD, which fetch URLs,
fail inside the engine whatever spelling reached it; the error is answered 403. Each worker
parses and evaluates on a thread with a large stack (zhkg.query's note), so no query under the
size cap can overflow it.

Fair shares: a client is its IP address. Each active client (one with a request waiting,
running, or answered in the last few seconds) may hold at most `workers // active clients`
workers (at least one); when a client with nothing running waits and a worker is held beyond
its client's share, that job is stopped (503) and the worker given to the waiting client. So two
clients sending cartesian products keep two workers busy and everyone else shares the rest.

Consistency: the server reads the newest checkpoint a build published (zhkg.graph.snapshot), never
the store a build is writing; when a newer one appears, fresh workers open it and replace all
old ones at one instant, so every answer comes from one complete build. RocksDB allows many
read-only handles, but not beside a writer, so with `allow_update` the pool is a single
read-write worker on the store itself, and queries and updates run one at a time.

HTTP is waitress's: it caps connections, header and body sizes and idle time by configuration,
keeps connections alive, and streams the answer from a file; answers reach this process from
the workers in chunks and wait for slow clients in a temporary file, not in memory.
"""

from __future__ import annotations

import contextlib
import http
import ipaddress
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from importlib import resources
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from zhkg.errors import QueryError, StoreError
from zhkg.graph import snapshot
from zhkg.query.run import (
    MAX_QUERY_BYTES,
    QUERY_STACK_BYTES,
    check_size,
    deny_network,
    names_dataset,
    on_query_thread,
    tried_network,
)

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
#: Media types of CONSTRUCT/DESCRIBE results, likewise. The dataset formats (N-Quads, TriG) get
#: the triples in the default graph.
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
}
#: What a GET without a query answers: the service description, or the query page for a browser.
DESCRIPTION_TYPES = ("text/turtle", "application/rdf+xml", "application/n-triples", "text/html")
#: Short names accepted in the `format`/`output` parameters (Virtuoso's and SPARQLWrapper's).
_RESULT_NAMES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                 "csv": "text/csv", "tsv": "text/tab-separated-values"}
_GRAPH_NAMES = {"turtle": "text/turtle", "ttl": "text/turtle", "n3": "text/turtle",
                "nt": "application/n-triples", "ntriples": "application/n-triples",
                "xml": "application/rdf+xml", "rdf+xml": "application/rdf+xml",
                "json-ld": "application/ld+json", "jsonld": "application/ld+json",
                "nq": "application/n-quads", "nquads": "application/n-quads",
                "trig": "application/trig"}

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
#: A client stays "active" (counted in the fair shares) this long after its last answer, so a
#: client sending one query after another keeps its share between them.
ACTIVE_SECONDS = 3.0
#: Answers up to this size wait for their client in memory; larger ones in a temporary file.
_SPOOL_BYTES = 256 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """How to serve. `port=0` picks a free port (read it back from `SparqlEndpoint.url`)."""

    store: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    allow_update: bool = False
    timeout: float = 30.0
    max_rows: int = 10_000
    max_result_bytes: int = 64_000_000
    workers: int = 4
    union_default_graph: bool = True
    max_request_bytes: int = 1_000_000
    max_connections: int = 100
    max_waiting: int = 8  # requests one client may have waiting while others wait too
    worker_memory_mb: int = 4096
    access_log: bool = False
    cors_origin: str | None = None
    snapshot_poll: float = 1.0  # seconds between looks for a newer published checkpoint


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
    max_result_bytes: int = 64_000_000


@dataclass(frozen=True, slots=True)
class Head:
    """Status and headers of an answer whose body travels separately."""

    status: int
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer: a head and its body, in memory (`bytes`) or in a file positioned at 0."""

    status: int
    content_type: str
    body: bytes | IO[bytes]
    headers: tuple[tuple[str, str], ...] = ()


def _text(status: int, message: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", (message.rstrip("\n") + "\n").encode())


class _Capped:
    """A binary sink that gives up past `max_bytes`, or past `max_lines` lines (TSV writes one
    line per row, newlines inside literals escaped). Raising from `write` stops pyoxigraph's lazy
    evaluation there."""

    def __init__(self, out: IO[bytes], max_bytes: int, max_lines: int | None = None) -> None:
        self.out = out
        self.bytes_left = max_bytes
        self.lines_left = max_lines

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.bytes_left -= len(chunk)
        if self.bytes_left < 0:
            raise OverflowError("bytes")
        if self.lines_left is not None:
            self.lines_left -= chunk.count(b"\n")
            if self.lines_left < 0:
                raise OverflowError("rows")
        self.out.write(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass


def _too_large(job: Job, what: str) -> tuple[Head, bytes]:
    limit = f"{job.max_result_bytes} bytes" if what == "bytes" else f"{job.max_rows} {what}"
    return _message(403, f"result too large: more than {limit}; add a LIMIT (or start the "
                         "server with a larger limit)")


def _message(status: int, message: str) -> tuple[Head, bytes]:
    return Head(status, "text/plain; charset=utf-8"), (message.rstrip("\n") + "\n").encode()


_FETCH_REFUSED = ("SERVICE and LOAD are refused: this endpoint fetches nothing from other "
                  "servers (the query tried to)")


def evaluate(store: ox.Store, job: Job, out: IO[bytes]) -> Head:
    """Run one job against an open store, writing the body to `out`. Pure of HTTP, so a worker
    and a test can both call it; the caller provides the containment (thread, sandbox)."""
    head, body = _evaluate(store, job, out)
    if body:
        out.write(body)
    return head


def _evaluate(store: ox.Store, job: Job, out: IO[bytes]) -> tuple[Head, bytes]:
    try:
        check_size(job.text)
    except QueryError as exc:
        return _message(413, str(exc))
    if job.kind == "update":
        try:
            store.update(job.text)
        except SyntaxError as exc:
            if _parses(lambda: ox.Store().query(job.text)):
                return _message(400, "this is a query, not an update: send it as `query`")
            return _message(400, f"malformed update: {exc}")
        except OSError as exc:
            if tried_network(exc):
                return _message(403, _FETCH_REFUSED)
            return _message(500, f"update failed: {exc}")
        return Head(204, "text/plain; charset=utf-8"), b""
    try:
        kwargs = _dataset(job)
    except ValueError as exc:
        return _message(400, f"bad dataset IRI: {exc}")
    try:
        result = store.query(job.text, **kwargs)
        if isinstance(result, ox.QueryTriples):
            if job.graph_type is None:
                return _not_acceptable(GRAPH_TYPES)
            triples = list(itertools.islice(result, job.max_rows + 1))
            if len(triples) > job.max_rows:
                return _too_large(job, "triples")
            fmt = GRAPH_TYPES[job.graph_type]
            try:
                ox.serialize(triples, _Capped(out, job.max_result_bytes),  # type: ignore[arg-type]
                             format=fmt, prefixes=PREFIXES)
            except OverflowError:
                return _discard(out, _too_large(job, "bytes"))
            return Head(200, _with_charset(fmt.media_type)), b""
        if job.result_type is None:
            return _not_acceptable(RESULT_TYPES)
        fmt_out = RESULT_TYPES[job.result_type]
        if isinstance(result, ox.QueryBoolean):
            return Head(200, _with_charset(fmt_out.media_type)), \
                result.serialize(format=fmt_out) or b""
        # TSV first, capped, so the row cap stops the evaluation; then the format asked for.
        with tempfile.SpooledTemporaryFile(16 << 20) as tsv:
            try:
                result.serialize(_Capped(tsv, job.max_result_bytes, job.max_rows + 1),  # type: ignore[arg-type]
                                 format=ox.QueryResultsFormat.TSV)
            except OverflowError as exc:
                return _too_large(job, str(exc))
            tsv.seek(0)
            if fmt_out == ox.QueryResultsFormat.TSV:
                for chunk in iter(lambda: tsv.read(_CHUNK), b""):
                    out.write(chunk)
            else:
                solutions = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
                assert isinstance(solutions, ox.QuerySolutions)
                try:
                    solutions.serialize(_Capped(out, job.max_result_bytes),  # type: ignore[arg-type]
                                        format=fmt_out)
                except OverflowError:
                    return _discard(out, _too_large(job, "bytes"))
        return Head(200, _with_charset(fmt_out.media_type)), b""
    except SyntaxError as exc:
        if _parses(lambda: ox.Store().update(job.text)):
            return _message(400, "this is an update, not a query: send it as `update` (POST), "
                                 "to a server started with --allow-update")
        return _message(400, f"malformed query: {exc}")
    except OSError as exc:
        if tried_network(exc):
            return _message(403, _FETCH_REFUSED)
        return _message(500, f"query failed: {exc}")


def _parses(attempt: Callable[[], object]) -> bool:
    """Whether Oxigraph reads the text in the other grammar (run on an empty in-memory store,
    in the sandbox: an update there changes nothing that stays, and fetches nothing)."""
    try:
        attempt()
    except SyntaxError:
        return False
    except Exception:  # parsed, then failed to run: it is of that grammar
        return True
    return True


def _discard(out: IO[bytes], reply: tuple[Head, bytes]) -> tuple[Head, bytes]:
    out.seek(0)
    out.truncate()
    return reply


def _dataset(job: Job) -> dict[str, Any]:
    """SPARQL 1.1 datasets: the protocol's graphs, else the query's FROM, else (only then) the
    union of all graphs as the default graph."""
    kwargs: dict[str, Any] = {}
    if job.default_graphs or job.named_graphs:
        # No default-graph-uri: an empty default graph (a fresh blank node names no graph;
        # pyoxigraph takes no empty list).
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs] or \
            [ox.BlankNode()]
        if job.named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    elif job.union_default_graph and not names_dataset(job.text):
        kwargs["use_default_graph_as_union"] = True
    return kwargs


def _with_charset(media_type: str) -> str:
    if "charset" in media_type:
        return media_type
    if media_type.startswith("text/") or media_type.endswith(("json", "xml")):
        return media_type + "; charset=utf-8"
    return media_type


def _not_acceptable(types: Mapping[str, object]) -> tuple[Head, bytes]:
    return _message(406, "none of the accepted media types fits this result; available: "
                         + ", ".join(types))


def open_store(path: Path, read_only: bool) -> ox.Store:
    """The one place the server opens the store; never creates one."""
    from zhkg.graph.store import Store

    if not (path / "CURRENT").exists():
        raise StoreError(f"{path}: no store here (build one first)")
    return Store.open(path, read_only=read_only).inner


def _worker_main(fd: int, store_path: str, read_only: bool, memory_mb: int = 0) -> None:
    """A worker process: take the network away, open the store, answer jobs until told to stop.

    Per job: the head, then the body in chunks, then an empty chunk.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    conn = Connection(fd)
    try:
        deny_network(whole_process=True)
    except QueryError as exc:
        conn.send(("error", f"the query workers must run without network access: {exc}"))
        return

    def serve() -> None:
        if memory_mb > 0:
            # RLIMIT_DATA covers the heap, anonymous maps and this thread's stack (Linux >= 4.7):
            # a query that grows past it aborts this process, which the pool reports and replaces.
            import resource

            limit = (memory_mb << 20) + QUERY_STACK_BYTES
            resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
        try:
            store = open_store(Path(store_path), read_only)
        except (StoreError, OSError, RuntimeError) as exc:  # RuntimeError: RocksDB's corruption
            with contextlib.suppress(OSError):  # the server may be gone (closing)
                conn.send(("error", f"{store_path}: cannot open the store: {exc}"))
            return
        conn.send(("ready", ""))
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return  # the server went away
            if job is None:
                return
            with tempfile.SpooledTemporaryFile(16 << 20) as out:
                try:
                    head = evaluate(store, job, out)
                except Exception as exc:  # a bug: say so instead of leaving the client hanging
                    out.seek(0)
                    out.truncate()
                    head, body = _message(500, f"internal error: {type(exc).__name__}: {exc}")
                    out.write(body)
                conn.send(head)
                out.seek(0)
                for chunk in iter(lambda: out.read(_CHUNK), b""):
                    conn.send_bytes(chunk)
                conn.send_bytes(b"")

    on_query_thread(serve, sandbox=False)  # the whole process is sandboxed already


# A fresh interpreter rather than multiprocessing's spawn, which re-imports the caller's __main__
# (breaking scripts without a main guard); the socket's descriptor is inherited.
_WORKER_CODE = (
    "import sys; from zhkg.query.endpoint import _worker_main; "
    "_worker_main(int(sys.argv[1]), sys.argv[2], sys.argv[3] == 'read-only', int(sys.argv[4]))"
)


@dataclass(eq=False, slots=True)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    source: Path  # the store or checkpoint it has open

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


@dataclass(eq=False)
class _Ticket:
    """A request waiting for (then holding) a worker."""

    client: str
    worker: _Worker | None = None
    preempted: bool = False


@dataclass
class WorkerPool:
    """Worker processes each holding the store open, handed out in fair shares per client; a job
    that overruns kills its worker. A read-only pool serves the newest published checkpoint of
    `store` and moves to a newer one when it appears."""

    store: Path
    read_only: bool
    size: int
    memory_mb: int = 0  # per worker; 0: no limit
    start_timeout: float = 60.0
    max_waiting: int = 8
    snapshot_poll: float = 1.0
    _idle: list[_Worker] = field(default_factory=list)
    _workers: set[_Worker] = field(default_factory=set)
    _waiting: list[_Ticket] = field(default_factory=list)
    _holding: dict[_Worker, _Ticket] = field(default_factory=dict)
    _running: Counter[str] = field(default_factory=Counter)
    _seen: dict[str, float] = field(default_factory=dict)
    _holds: dict[Path, snapshot.Hold] = field(default_factory=dict)
    _cv: threading.Condition = field(default_factory=threading.Condition)
    _source: Path | None = None
    _respawning: int = 0
    _closed: bool = False

    @property
    def source(self) -> Path:
        """What the workers serve now: a checkpoint, or the store itself."""
        assert self._source is not None
        return self._source

    def start(self) -> None:
        self._source = self._initial_source()
        try:
            workers = [self._spawn(self._source) for _ in range(self.size)]
        except StoreError:
            self.close()
            raise
        with self._cv:
            self._idle.extend(workers)
        if self._source != self.store:
            threading.Thread(target=self._watch, name="zhkg-snapshots", daemon=True).start()

    def _initial_source(self) -> Path:
        if not self.read_only:
            return self.store
        newest = snapshot.newest(self.store)
        if newest is None:
            # A store built before checkpoints existed: publish its present state once.
            try:
                newest = snapshot.publish(ox.Store.read_only(str(self.store)), self.store)
            except OSError as exc:
                print(f"zhkg serve: cannot publish a checkpoint ({exc}); serving the store "
                      "itself, which a build would change under the readers", file=sys.stderr)
                return self.store
        self._hold(newest)
        return newest

    def _hold(self, path: Path) -> None:
        if path != self.store and path not in self._holds:
            self._holds[path] = snapshot.Hold(path)

    def _spawn(self, source: Path) -> _Worker:
        parent_sock, child_sock = socket.socketpair()
        parent, child_fd = Connection(parent_sock.detach()), child_sock.detach()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        mode = "read-only" if self.read_only else "read-write"
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(child_fd), str(source), mode,
                 str(self.memory_mb)],
                pass_fds=(child_fd,), env=env, stdin=subprocess.DEVNULL)
        finally:
            os.close(child_fd)
        worker = _Worker(process, parent, source)
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
        with self._cv:
            self._workers.add(worker)
        return worker

    # -- fair shares ------------------------------------------------------------------------------

    def _share(self, now: float) -> int:
        for client in [c for c, seen in self._seen.items() if now - seen >= ACTIVE_SECONDS]:
            del self._seen[client]
        active = {t.client for t in self._waiting} | {c for c, n in self._running.items() if n}
        active |= set(self._seen)
        return max(1, self.size // max(1, len(active)))

    def _dispatch(self) -> None:
        """Give idle workers to waiting tickets, fewest-running client first; stop a job held
        beyond its client's share when a client with nothing running waits. Under `_cv`."""
        now = time.monotonic()
        share = self._share(now)
        while self._idle and self._waiting:
            eligible = [t for t in self._waiting if self._running[t.client] < share]
            if not eligible:
                break
            ticket = min(eligible, key=lambda t: self._running[t.client])  # stable: oldest first
            self._waiting.remove(ticket)
            ticket.worker = self._idle.pop()
            self._running[ticket.client] += 1
            self._holding[ticket.worker] = ticket
        starving = {t.client for t in self._waiting if self._running[t.client] == 0}
        freeing = self._respawning + sum(t.preempted for t in self._holding.values())
        if self._idle or len(starving) <= freeing:
            return
        over = [t for t in self._holding.values() if self._running[t.client] > share
                and not t.preempted]
        if over:
            victim = max(over, key=lambda t: self._running[t.client])
            victim.preempted = True
            assert victim.worker is not None
            with contextlib.suppress(OSError):
                victim.worker.process.kill()  # its thread answers 503 and replaces the worker

    def run(self, job: Job, timeout: float, client: str = "") -> Reply:
        """Evaluate `job` in a worker; at most `timeout` s waiting and `timeout` s running."""
        ticket = _Ticket(client)
        deadline = time.monotonic() + timeout
        with self._cv:
            others = any(t.client != client for t in self._waiting) or any(
                n and c != client for c, n in self._running.items())
            if others and sum(t.client == client for t in self._waiting) >= self.max_waiting:
                return _text(429, f"too many requests: {self.max_waiting} of yours are already "
                                  "waiting for a query worker while other clients wait")
            self._waiting.append(ticket)
            self._dispatch()
            while ticket.worker is None:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    self._waiting.remove(ticket)
                    self._seen[client] = time.monotonic()
                    return _text(503, f"busy: no query worker became free within {timeout:g} s")
                self._cv.wait(left)
        worker = ticket.worker
        keep = False
        try:
            reply, keep = self._exchange(worker, job, timeout, ticket)
            return reply
        finally:
            with self._cv:
                self._holding.pop(worker, None)
                self._running[client] -= 1
                self._seen[client] = time.monotonic()
                if keep and worker.source == self._source and not self._closed:
                    self._idle.append(worker)
                self._dispatch()
                self._cv.notify_all()
            if not keep:
                self._retire(worker, kill=True)
            elif worker.source != self._source:
                self._retire(worker, kill=False)

    def _exchange(self, worker: _Worker, job: Job, timeout: float,
                  ticket: _Ticket) -> tuple[Reply, bool]:
        """Send the job, receive head and body; (reply, whether the worker may be reused)."""
        try:
            worker.conn.send(job)
            if not worker.conn.poll(timeout):
                return _text(503, f"query timed out after {timeout:g} s and was stopped"), False
            head: Head = worker.conn.recv()
            body = tempfile.SpooledTemporaryFile(_SPOOL_BYTES)  # noqa: SIM115 (the reply's)
            while True:
                if not worker.conn.poll(timeout):
                    body.close()
                    return _text(503, "the query worker stopped sending its answer"), False
                chunk = worker.conn.recv_bytes()
                if not chunk:
                    break
                body.write(chunk)
            body.seek(0)
            return Reply(head.status, head.content_type, body, head.headers), True
        except (EOFError, OSError):
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(5)
            code = worker.process.returncode
            if ticket.preempted:
                return _text(503, "stopped: other clients were waiting and this client held "
                                  "more than its share of the query workers"), False
            if code == -signal.SIGABRT and self.memory_mb:
                return _text(503, f"query stopped: it needed more than {self.memory_mb} MB"), False
            return _text(500, f"the query worker died (exit status {code}); it has been "
                              "replaced"), False

    def _retire(self, worker: _Worker, kill: bool) -> None:
        """Stop `worker`; if it served the current source, start its replacement in the
        background (the reply is not held); release a checkpoint no worker reads any more."""
        worker.stop(kill=kill)
        with self._cv:
            self._workers.discard(worker)
            replace = worker.source == self._source and not self._closed
            if replace:
                self._respawning += 1
        if replace:
            threading.Thread(target=self._replace, name="zhkg-respawn", daemon=True).start()
        self._release_unused()

    def _replace(self) -> None:
        source = self.source
        worker: _Worker | None = None
        if not self._closed:
            try:
                worker = self._spawn(source)
            except StoreError as exc:
                if not self._closed:
                    print(f"zhkg serve: cannot replace a query worker: {exc}", file=sys.stderr)
        with self._cv:
            self._respawning -= 1
            stale = worker is not None and (self._closed or source != self._source)
            if worker is not None and not stale:
                self._idle.append(worker)
            self._dispatch()
            self._cv.notify_all()
        if stale and worker is not None:
            self._retire(worker, kill=False)

    # -- moving to a newer checkpoint -------------------------------------------------------------

    def _watch(self) -> None:
        while not self._closed:
            time.sleep(self.snapshot_poll)
            newest = snapshot.newest(self.store)
            if newest is not None and newest != self._source and not self._closed:
                try:
                    self.switch(newest)
                except (StoreError, OSError) as exc:
                    print(f"zhkg serve: cannot open the checkpoint {newest}: {exc}",
                          file=sys.stderr)

    def switch(self, source: Path) -> None:
        """Serve `source` from now on: start a full set of workers on it, then swap them in at
        once; workers on the old source finish their job and stop."""
        self._hold(source)
        fresh: list[_Worker] = []
        try:
            for _ in range(self.size):
                fresh.append(self._spawn(source))
        except StoreError:
            for worker in fresh:
                self._retire(worker, kill=True)
            raise
        with self._cv:
            stale = list(self._idle)
            self._idle[:] = fresh
            self._source = source
            self._dispatch()
            self._cv.notify_all()
        for worker in stale:
            self._retire(worker, kill=False)
        self._release_unused()

    def _release_unused(self) -> None:
        with self._cv:
            used = {w.source for w in self._workers} | {self._source}
            unused = [p for p in self._holds if p not in used]
            for path in unused:
                self._holds.pop(path).release()
        if unused:
            snapshot.prune(self.store)

    def close(self) -> None:
        with self._cv:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
            self._idle.clear()
            self._cv.notify_all()
        for worker in workers:
            worker.stop()
        for hold in self._holds.values():
            hold.release()
        self._holds.clear()


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


SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMATS = "http://www.w3.org/ns/formats/"
_SD_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
               "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N-Quads",
               "TriG")


def service_description(url: str, allow_update: bool, union_default_graph: bool) -> list[ox.Quad]:
    """The SPARQL 1.1 Service Description of this endpoint, as triples (in the default graph)."""
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    service, dataset, graph = ox.NamedNode(url), ox.BlankNode(), ox.BlankNode()

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    quads = [ox.Quad(service, rdf_type, sd("Service")), ox.Quad(service, sd("endpoint"), service),
             ox.Quad(service, sd("supportedLanguage"), sd("SPARQL11Query")),
             ox.Quad(service, sd("defaultDataset"), dataset),
             ox.Quad(dataset, rdf_type, sd("Dataset")),
             ox.Quad(dataset, sd("defaultGraph"), graph), ox.Quad(graph, rdf_type, sd("Graph"))]
    if allow_update:
        quads.append(ox.Quad(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    if union_default_graph:
        quads.append(ox.Quad(service, sd("feature"), sd("UnionDefaultGraph")))
    quads += [ox.Quad(service, sd("resultFormat"), ox.NamedNode(_FORMATS + f))
              for f in _SD_FORMATS]
    return quads


class _App:
    """The WSGI application: route, check, negotiate, hand the job to the pool."""

    def __init__(self, endpoint: SparqlEndpoint) -> None:
        self.endpoint = endpoint
        self.config = endpoint.config

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            reply = self._route(environ)
        except _HttpError as exc:
            reply = exc.reply
        headers = list(reply.headers) + self._cors(environ)
        if isinstance(reply.body, bytes):
            length = len(reply.body)
        else:
            reply.body.seek(0, os.SEEK_END)
            length = reply.body.tell()
            reply.body.seek(0)
        if self.config.access_log:
            stamp = time.strftime("%d/%b/%Y %H:%M:%S")
            print(f'{environ.get("REMOTE_ADDR", "-")} - - [{stamp}] "{environ["REQUEST_METHOD"]} '
                  f'{environ.get("PATH_INFO", "")}" {reply.status} {length}', file=sys.stderr)
        start_response(f"{reply.status} {http.HTTPStatus(reply.status).phrase}",
                       [("Content-Type", reply.content_type), ("Content-Length", str(length)),
                        *headers])
        if isinstance(reply.body, bytes):
            return [b"" if environ["REQUEST_METHOD"] == "HEAD" else reply.body]
        if environ["REQUEST_METHOD"] == "HEAD":
            reply.body.close()
            return [b""]
        wrapper: Callable[..., Iterable[bytes]] = environ["wsgi.file_wrapper"]
        return wrapper(reply.body, _CHUNK)

    def _cors(self, environ: Mapping[str, Any]) -> list[tuple[str, str]]:
        allowed = self.config.cors_origin
        origin = environ.get("HTTP_ORIGIN")
        if allowed is None or origin is None or allowed not in ("*", origin):
            return []
        return [("Access-Control-Allow-Origin", allowed), ("Vary", "Origin")]

    def _route(self, environ: dict[str, Any]) -> Reply:
        self._check_host(environ)
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        if method == "OPTIONS":
            return self._preflight(environ)
        if path in ("/", "/query.html"):
            return self._static("query.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path != "/sparql":
            raise _HttpError(404, f"not found: {path} (the endpoint is /sparql)")
        params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if method == "POST":
            body_params, text, kind = self._read_post(environ)
            for key, values in body_params.items():
                params.setdefault(key, []).extend(values)
            if text is not None:
                params.setdefault(kind, []).append(text)
        elif method not in ("GET", "HEAD"):
            raise _HttpError(405, "use GET or POST")
        queries, updates = params.get("query", []), params.get("update", [])
        if method != "POST" and updates:
            raise _HttpError(400, "updates must be sent with POST")
        if len(queries) + len(updates) != 1:
            if not queries and not updates and method != "POST":
                return self._describe(environ)
            raise _HttpError(400, "send exactly one `query` or one `update`")
        kind = "update" if updates else "query"
        text = (updates or queries)[0]
        if "using-graph-uri" in params or "using-named-graph-uri" in params:
            raise _HttpError(400, "using-graph-uri / using-named-graph-uri are not supported; "
                                  "write USING in the update instead")
        if kind == "update":
            if not self.config.allow_update:
                raise _HttpError(403, "updates are disabled: this endpoint is read-only "
                                      "(start it with --allow-update to change the store)")
            self._check_origin(environ)
        try:
            check_size(text)
        except QueryError as exc:
            raise _HttpError(413, str(exc)) from None
        default_graphs = params.get("default-graph-uri", [])
        named_graphs = params.get("named-graph-uri", [])
        for iri in default_graphs + named_graphs:
            try:
                ox.NamedNode(iri)
            except ValueError as exc:
                raise _HttpError(400, f"default-graph-uri / named-graph-uri {iri!r} is not an "
                                      f"absolute IRI: {exc}") from None
        formats = params.get("format", []) + params.get("output", [])
        accept = environ.get("HTTP_ACCEPT")
        job = Job(
            kind=kind,
            text=text,
            result_type=negotiate(accept, list(RESULT_TYPES), _RESULT_NAMES, formats),
            graph_type=negotiate(accept, list(GRAPH_TYPES), _GRAPH_NAMES, formats),
            default_graphs=tuple(default_graphs),
            named_graphs=tuple(named_graphs),
            union_default_graph=self.config.union_default_graph,
            max_rows=self.config.max_rows,
            max_result_bytes=self.config.max_result_bytes,
        )
        if kind == "query" and job.result_type is None and job.graph_type is None:
            head, body = _not_acceptable({**RESULT_TYPES, **GRAPH_TYPES})
            return Reply(head.status, head.content_type, body)
        client = environ.get("REMOTE_ADDR", "")
        reply = self.endpoint.pool.run(job, self.config.timeout, client)
        return Reply(reply.status, reply.content_type, reply.body,
                     reply.headers + (("Vary", "Accept"), ("Cache-Control", "no-store")))

    def _read_post(self, environ: Mapping[str, Any]) -> tuple[dict[str, list[str]], str | None,
                                                                str]:
        # waitress has refused a body over max_request_bytes, or a malformed Content-Length.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        header = Message()
        header["Content-Type"] = environ.get("CONTENT_TYPE", "")
        content_type = header.get_content_type()
        charset = header.get_content_charset() or "utf-8"
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

    def _check_host(self, environ: Mapping[str, Any]) -> None:
        """When bound to loopback, answer only requests addressed to loopback names.

        A web page cannot then read the endpoint through a hostname it re-points to 127.0.0.1
        (DNS rebinding).
        """
        if not is_loopback(self.config.host):
            return
        host = environ.get("HTTP_HOST", "")
        if "," in host:  # waitress joins repeated headers with commas
            raise _HttpError(400, "more than one Host header")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host and not is_loopback(name):
            raise _HttpError(403, f"Host {host!r} is not this loopback server")

    def _check_origin(self, environ: Mapping[str, Any]) -> None:
        """Updates from another web origin are refused (a form post needs no CORS preflight),
        unless it is the origin `--cors` names."""
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or origin == self.config.cors_origin:
            return
        if urlsplit(origin).netloc != environ.get("HTTP_HOST", ""):
            raise _HttpError(403, f"updates from origin {origin} are refused")

    def _preflight(self, environ: Mapping[str, Any]) -> Reply:
        if not self._cors(environ):
            raise _HttpError(405, "use GET or POST (no cross-origin access: see --cors)")
        return Reply(204, "text/plain; charset=utf-8", b"", (
            ("Access-Control-Allow-Methods", "GET, POST"),
            ("Access-Control-Allow-Headers", "Content-Type, Accept"),
            ("Access-Control-Max-Age", "600")))

    def _describe(self, environ: Mapping[str, Any]) -> Reply:
        """GET /sparql without a query: the service description, or the page for a browser."""
        media = negotiate(environ.get("HTTP_ACCEPT"), DESCRIPTION_TYPES, _GRAPH_NAMES, [])
        if media is None:
            head, body = _not_acceptable(dict.fromkeys(DESCRIPTION_TYPES))
            return Reply(head.status, head.content_type, body)
        if media == "text/html":
            return self._static("query.html")
        url = self.endpoint.url
        with contextlib.suppress(ValueError):
            host = environ.get("HTTP_HOST")
            if host:
                url = str(ox.NamedNode(f"{environ['wsgi.url_scheme']}://{host}/sparql").value)
        fmt = GRAPH_TYPES[media]
        quads = service_description(url, self.config.allow_update,
                                    self.config.union_default_graph)
        body = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                            format=fmt, prefixes={"sd": SD}) or b""
        return Reply(200, _with_charset(fmt.media_type), body, (("Vary", "Accept"),))

    def _static(self, name: str) -> Reply:
        # Names come from a fixed list: nothing a request says reaches the file system.
        if name not in STATIC_FILES:
            raise _HttpError(404, "not found")
        body = resources.files("zhkg").joinpath("static").joinpath(name).read_bytes()
        headers = (("Content-Security-Policy", _PAGE_CSP), ("X-Content-Type-Options", "nosniff"))
        return Reply(200, STATIC_FILES[name], body, headers)


class SparqlEndpoint:
    """A running endpoint: `with SparqlEndpoint(config) as ep: ... ep.url ...` (thread) or
    `SparqlEndpoint(config).serve_forever()` (the CLI)."""

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        read_only = not config.allow_update
        size = max(1, config.workers) if read_only else 1
        self.pool = WorkerPool(config.store, read_only, size, memory_mb=config.worker_memory_mb,
                               max_waiting=config.max_waiting,
                               snapshot_poll=config.snapshot_poll)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        """The endpoint's URL (/sparql); the query page is at the root."""
        if self._server is None:
            raise StoreError("the endpoint is not started")
        host, port = self._server.effective_host, self._server.effective_port
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/sparql"

    def open(self) -> SparqlEndpoint:
        """Start the workers and bind the socket (raises StoreError)."""
        import waitress

        if not (self.config.store / "CURRENT").exists():
            raise StoreError(f"{self.config.store}: no store here (build one first)")
        self.pool.start()
        host = self.config.host
        listen = f"[{host}]:{self.config.port}" if ":" in host else f"{host}:{self.config.port}"
        try:
            self._server = waitress.create_server(
                _App(self),
                listen=listen,
                ident="zhkg",
                threads=self.config.max_connections,
                connection_limit=self.config.max_connections,
                max_request_body_size=self.config.max_request_bytes,
                max_request_header_size=64 * 1024,
                channel_timeout=30,
                cleanup_interval=5,
                expose_tracebacks=False,
                clear_untrusted_proxy_headers=True,
            )
        except OSError as exc:
            self.pool.close()
            raise StoreError(f"cannot listen on {host}:{self.config.port}: "
                             f"{exc.strerror or exc}") from None
        if not self.config.access_log:
            import logging

            logging.getLogger("waitress").setLevel(logging.ERROR)  # queue-depth warnings
        return self

    def serve_forever(self) -> None:
        if self._server is None:
            self.open()
        try:
            self._loop()
        finally:
            self.close()

    def _loop(self) -> None:
        from waitress import wasyncore

        server = self._server
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.5, map=server._map, use_poll=True, count=1)

    def __enter__(self) -> SparqlEndpoint:
        if self._server is None:
            self.open()
        self._thread = threading.Thread(target=self._loop, name="zhkg-serve", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        from waitress import wasyncore

        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        server, self._server = self._server, None
        if server is not None:
            wasyncore.close_all(server._map)
            server.task_dispatcher.shutdown()
        self.pool.close()


def serve(config: EndpointConfig) -> None:
    """Serve until interrupted (the CLI's entry point)."""
    SparqlEndpoint(config).serve_forever()


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "MAX_QUERY_BYTES",
    "EndpointConfig",
    "Head",
    "Job",
    "Reply",
    "SparqlEndpoint",
    "WorkerPool",
    "evaluate",
    "is_loopback",
    "negotiate",
    "open_store",
    "serve",
    "service_description",
]
