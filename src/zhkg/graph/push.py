"""Send the store to another triple store with the SPARQL 1.1 Graph Store Protocol.

Each named graph is PUT to `{endpoint}?graph={iri}`, so the remote copy of an article is
replaced whole, as locally: pushing twice gives the same remote state, and a re-extracted
article replaces its old statements instead of adding to them. The default graph goes to
`{endpoint}?default` when it holds anything (an empty one is not pushed, so a remote default
graph is never wiped by accident). The build's bookkeeping graph (content hashes) stays local.

One keep-alive connection carries all requests; bodies are N-Triples, which every Graph Store
implementation reads and which needs no prefix handling. `timeout` bounds each whole request,
not each read: a server that answers a byte at a time cannot hold a push for longer.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pyoxigraph as ox

from zhkg.errors import StoreError
from zhkg.graph.store import Store
from zhkg.iris import ENTITIES_GRAPH, META_GRAPH

#: Named graphs that are the build's own bookkeeping, not knowledge.
LOCAL_GRAPHS = frozenset({str(META_GRAPH)})
DEFAULT = "default"  # how a GraphPush names the default graph


@dataclass(frozen=True, slots=True)
class GraphPush:
    """One graph sent: its IRI (or "default"), how many triples, and the server's status."""

    graph: str
    triples: int
    status: int


@dataclass(frozen=True, slots=True)
class PushReport:
    endpoint: str
    graphs: tuple[GraphPush, ...]
    skipped: tuple[str, ...]  # graphs named by blank nodes, which the protocol cannot address

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)


class _Target:
    """A Graph Store endpoint: one persistent connection, reopened once if the server drops it."""

    def __init__(self, endpoint: str, timeout: float) -> None:
        url = urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"{endpoint}: not an http(s) URL of a Graph Store endpoint")
        # The URL shown in messages never carries a password.
        self.shown = urlunsplit((url.scheme, url.hostname + (f":{url.port}" if url.port else ""),
                                 url.path, url.query, ""))
        self.scheme, self.host, self.port = url.scheme, url.hostname, url.port
        self.path = url.path or "/"
        self.query = url.query
        self.timeout = timeout
        self.headers: dict[str, str] = {"Content-Type": "application/n-triples",
                                        "User-Agent": "zhkg-push"}
        if url.username is not None:
            pair = f"{unquote(url.username)}:{unquote(url.password or '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self._conn: http.client.HTTPConnection | None = None
        self._expired = False

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = (http.client.HTTPSConnection if self.scheme == "https"
                   else http.client.HTTPConnection)
            self._conn = cls(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _expire(self, conn: http.client.HTTPConnection) -> None:
        """The request's time is up: unblock it wherever it waits (a read of a server that
        drips a byte at a time never times out on its own: the socket's timeout is per read)."""
        self._expired = True
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def put(self, graph: str | None, body: bytes) -> int:
        """PUT `body` to the graph; the whole request (connect, send, answer) gets `timeout`."""
        selector = "default" if graph is None else "graph=" + quote(graph, safe="")
        target = f"{self.path}?{self.query + '&' if self.query else ''}{selector}"
        no_answer = f"{self.shown}: no answer within {self.timeout:g} s"
        for attempt in (1, 2):
            conn = self._connection()
            self._expired = False
            deadline: threading.Timer | None = None
            try:
                started = time.monotonic()
                if conn.sock is None:
                    conn.connect()  # a socket to shut down when the time is up
                deadline = threading.Timer(self.timeout - (time.monotonic() - started),
                                           self._expire, (conn,))
                deadline.daemon = True
                deadline.start()
                conn.request("PUT", target, body, self.headers)
                response = conn.getresponse()
                text = response.read()
                if self._expired:  # cut short by the deadline (the server may have closed it)
                    raise TimeoutError
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # a kept-alive connection the server closed: once more, afresh
                if self._expired:
                    raise StoreError(no_answer) from None
                if attempt == 2:
                    raise StoreError(f"{self.shown}: the server closed the connection") from None
            except ConnectionRefusedError:
                self.close()
                raise StoreError(f"cannot connect to {self.shown}: connection refused "
                                 "(is the triple store running?)") from None
            except TimeoutError:
                self.close()
                raise StoreError(no_answer) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if self._expired:
                    raise StoreError(no_answer) from None
                if isinstance(exc, http.client.HTTPException):
                    raise StoreError(f"{self.shown}: not an HTTP answer: {exc!r}") from None
                raise StoreError(f"cannot connect to {self.shown}: "
                                 f"{exc.strerror or exc}") from None
            finally:
                if deadline is not None:
                    deadline.cancel()
        if response.status not in (200, 201, 204):
            what = "the default graph" if graph is None else f"<{graph}>"
            detail = text.decode("utf-8", "replace").strip()[:300]
            raise StoreError(f"{self.shown}: PUT {what} failed: {response.status} "
                             f"{response.reason}{': ' + detail if detail else ''}")
        return response.status


def _graph_order(store: Store) -> Iterator[ox.NamedNode | ox.BlankNode]:
    """Articles first, in name order, then the entities graph, whose labels refer to them."""
    names = list(store.named_graphs())
    yield from sorted(names, key=lambda g: (g.value == str(ENTITIES_GRAPH), g.value))


def push(store_path: Path, endpoint: str, *, timeout: float = 60.0,
         progress: Callable[[GraphPush], None] | None = None) -> PushReport:
    """PUT every named graph (and a non-empty default graph) of the store to `endpoint`.

    Stops at the first failure with a `StoreError` that names the endpoint and says how many
    graphs had been pushed; those stay pushed (each PUT is complete on its own).
    """
    with Store.open(store_path, read_only=True) as store:
        return _push(store, _Target(endpoint, timeout), progress)


def _push(store: Store, target: _Target,
          progress: Callable[[GraphPush], None] | None) -> PushReport:
    pushed: list[GraphPush] = []
    skipped: list[str] = []

    def send(graph: ox.NamedNode | ox.DefaultGraph) -> None:
        triples = [q.triple for q in store.quads_for_pattern(None, None, None, graph)]
        if isinstance(graph, ox.DefaultGraph) and not triples:
            return
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        name = graph.value if isinstance(graph, ox.NamedNode) else None
        try:
            status = target.put(name, body)
        except StoreError as exc:
            raise StoreError(f"{exc} ({len(pushed)} graphs pushed before this)") from None
        done = GraphPush(name or DEFAULT, len(triples), status)
        pushed.append(done)
        if progress is not None:
            progress(done)

    try:
        for graph in _graph_order(store):
            if isinstance(graph, ox.BlankNode):
                skipped.append(str(graph))
            elif graph.value not in LOCAL_GRAPHS:
                send(graph)
        send(ox.DefaultGraph())
    finally:
        target.close()
    return PushReport(target.shown, tuple(pushed), tuple(skipped))


__all__ = ["DEFAULT", "GraphPush", "LOCAL_GRAPHS", "PushReport", "push"]
