"""Running SPARQL against a built store: text, a .rq file, or a packaged query by name.

The query sees the union of all graphs as its default graph, so `SELECT * { ?s ?p ?o }` works
without GRAPH clauses, and the project prefixes (zhkg:, id:, schema:, ...) are predeclared.
A triple that several article graphs hold (an entity's type, a statement two articles make)
matches once per graph in that union, so use SELECT DISTINCT or COUNT(DISTINCT ...), as the
packaged queries do. On a large store, joining such repeats before removing them multiplies the
rows by the article count (cubed for a reified statement's three parts), so the packaged queries
read a repeated fact once in a DISTINCT sub-select, or match a statement inside one graph
(`GRAPH ?g`), before joining; tests/test_query_plans.py checks them against plain formulations.
Packaged queries live in `zhkg/queries/*.rq`; the first comment line of each is its description.
Values for a query's variables come from `bindings` (the CLI's `--bind NAME=VALUE`).

Output: `table` (aligned, for people; long values clipped), `csv`, `tsv` and `json` (SPARQL 1.1
Query Results formats); CONSTRUCT and DESCRIBE print Turtle whatever the format.

Dataset: SPARQL 1.1's rules. A query that names its dataset (`FROM`, `FROM NAMED`) gets that
dataset; the union of all graphs is the default graph only when it names none.

Containment, shared with the endpoint (`zhkg.query.endpoint`), because a query is code from
elsewhere:
- Oxigraph evaluates `SERVICE <url>` by fetching the URL. `zhkg query` runs the query in a thread
  that cannot open a socket (a seccomp filter on that thread), so nothing is fetched unless the
  caller passes `allow_service`; the endpoint's workers run wholly under the same filter.
- Oxigraph parses and plans recursively on the native stack: ten thousand nested braces, or
  ten thousand `FILTER`s in a row, overflow the default 8 MB and kill the process. So the query
  runs on a thread with a `QUERY_STACK_BYTES` stack (address space, touched only as deep as the
  query goes) and queries over `MAX_QUERY_BYTES` are refused; the worst shape we measured takes
  1.9 KB of stack per byte of query (nested braces), half the room given.
"""

from __future__ import annotations

import errno
import os
import re
import threading
import traceback
import unicodedata
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from zhkg.errors import QueryError
from zhkg.graph.store import Store
from zhkg.namespace import PREFIXES

T = TypeVar("T")

FORMATS = ("table", "csv", "tsv", "json")
_RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NT_LITERAL = re.compile(r'^"(.*)"(?:@([A-Za-z-]+)|\^\^<([^>]+)>)?$', re.S)

Term = ox.NamedNode | ox.BlankNode | ox.Literal


#: Queries (or updates) longer than this are refused: see the module's note on the stack.
MAX_QUERY_BYTES = 256 * 1024
#: The stack of the thread a query runs on: twice the worst case measured for MAX_QUERY_BYTES.
QUERY_STACK_BYTES = 4096 * MAX_QUERY_BYTES
#: The errno a sandboxed thread gets from socket(): one nothing else in a query sets, so an
#: evaluation error carrying it means the query tried to reach the network.
NO_NETWORK_ERRNO = errno.ENONET
_NO_NETWORK_SIGNS = (f"(os error {NO_NETWORK_ERRNO})", "failed to lookup address information")


class SandboxUnavailable(QueryError):
    """No way to take the network away from a query here (not Linux, or no libseccomp)."""


def deny_network(whole_process: bool) -> None:
    """From now on the calling thread (or, with `whole_process`, every thread of this process)
    cannot open a socket: socket() and io_uring_setup() fail with NO_NETWORK_ERRNO.

    The endpoint's workers filter the whole process before opening the store; `zhkg query` only
    the thread that runs the query. Sockets already open stay usable, which is how a worker
    keeps talking to the server. No privilege is needed: libseccomp sets no_new_privs first.
    """
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as exc:
        raise SandboxUnavailable(f"no seccomp here ({exc}); install libseccomp2 (Linux)") from None
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for call in ("socket", "io_uring_setup"):
        rules.add_rule(seccomp.ERRNO(NO_NETWORK_ERRNO), call)
    if whole_process:
        rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    try:
        rules.load()
    except OSError as exc:
        raise SandboxUnavailable(f"cannot install the seccomp filter: {exc}") from None


def tried_network(exc: BaseException) -> bool:
    """Whether an evaluation error is the sandbox stopping a SERVICE (or LOAD) fetch."""
    return any(sign in str(exc) for sign in _NO_NETWORK_SIGNS)


_STACK_LOCK = threading.Lock()


def on_query_thread(work: Callable[[], T], *, sandbox: bool = True) -> T:
    """Run `work` on a fresh thread with a QUERY_STACK_BYTES stack, without network if `sandbox`,
    and return its result (or raise its exception) in the caller's thread."""
    box: list[T] = []
    failure: list[BaseException] = []

    def main() -> None:
        try:
            if sandbox:
                deny_network(whole_process=False)
            box.append(work())
        except BaseException as exc:  # handed to the caller's thread
            # without the frames' locals: pyoxigraph's results must die on this thread
            seen: BaseException | None = exc
            while seen is not None:
                traceback.clear_frames(seen.__traceback__)
                seen = seen.__cause__ or seen.__context__
            failure.append(exc)

    with _STACK_LOCK:  # stack_size is process-wide: set it only for this thread's creation
        previous = threading.stack_size(QUERY_STACK_BYTES)
        try:
            thread = threading.Thread(target=main, name="zhkg-query", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    thread.join()
    if failure:
        raise failure[0]
    return box[0]


def check_size(text: str) -> None:
    """Refuse a query too long to parse safely (see the module's note)."""
    size = len(text.encode("utf-8"))
    if size > MAX_QUERY_BYTES:
        raise QueryError(f"the query is {size} bytes; queries over {MAX_QUERY_BYTES} bytes are "
                         "refused (the SPARQL parser could run out of stack)")


# One lexeme at a time, each alternative consuming its whole run, so the scan is linear: strings,
# IRIs, comments, variables, then a name with its optional `prefix:local` part.
_LEXEME = re.compile(
    r"""
    '''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
  | \"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
  | '(?:[^'\\\n\r]|\\.)*'?
  | "(?:[^"\\\n\r]|\\.)*"?
  | <[^<>"{}|^`\\\x00-\x20]*>
  | \#[^\n\r]*
  | [?$]\w*
  | (?P<name>[^\W\d][\w.\-]*)(?P<pname>:(?:[\w.\-:%]|\\.)*)?
  | :(?:[\w.\-:%]|\\.)*
  | \w+
  | (?P<open>\{) | (?P<close>\}) | .
    """,
    re.VERBOSE | re.DOTALL,
)


def names_dataset(text: str) -> bool:
    """Whether a query names its dataset: a `FROM` keyword outside any group.

    pyoxigraph gives no access to the parsed dataset, and its `use_default_graph_as_union`
    overrides a query's FROM, so the caller must know. A wrong answer here gives wrong rows, never
    access: no security decision rests on this scan.
    """
    depth = 0
    for match in _LEXEME.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif (depth == 0 and kind == "name" and match.group("pname") is None
              and match.group("name").upper() == "FROM"):
            return True
    return False


def packaged_queries() -> dict[str, str]:
    """name -> description (the first comment line) of every packaged query."""
    out: dict[str, str] = {}
    for entry in sorted(resources.files("zhkg").joinpath("queries").iterdir(),
                        key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            first = entry.read_text(encoding="utf-8").lstrip().splitlines()[0]
            out[entry.name[:-3]] = first.lstrip("#").strip()
    return out


def resolve_query(query: str) -> str:
    """The SPARQL text for a packaged query name, a path to a file, or SPARQL text itself."""
    if _NAME.match(query):
        entry = resources.files("zhkg").joinpath("queries").joinpath(f"{query}.rq")
        if entry.is_file():
            return entry.read_text(encoding="utf-8")
        if not Path(query).is_file():
            names = ", ".join(packaged_queries())
            raise QueryError(f"no packaged query named {query!r} (there are: {names})")
    if "\n" not in query and len(query) < 4096 and Path(query).is_file():
        try:
            return Path(query).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"{query}: cannot read the query: {exc}") from None
    return query


def parse_binding(value: str) -> Term:
    """A --bind value as an RDF term.

    `<iri>`, `prefix:local` (project prefixes) and `http(s)://...` are IRIs; `"text"@zh` and
    `"text"^^<datatype>` are N-Triples literals; anything else is a literal, tagged @zh when it
    contains Chinese characters because every label in the graph is @zh.
    """
    if value.startswith("<") and value.endswith(">"):
        return ox.NamedNode(value[1:-1])
    if re.match(r"^https?://", value):
        return ox.NamedNode(value)
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES:
        return ox.NamedNode(PREFIXES[prefix] + local)
    m = _NT_LITERAL.match(value)
    if m:
        text, lang, datatype = m.groups()
        if lang:
            return ox.Literal(text, language=lang)
        if datatype:
            return ox.Literal(text, datatype=ox.NamedNode(datatype))
        return ox.Literal(text)
    if _CJK.search(value):
        return ox.Literal(value, language="zh")
    return ox.Literal(value)


def execute(store: Store, query: str, fmt: str = "table",
            bindings: Mapping[str, str] | None = None, *, allow_service: bool = False) -> str:
    """Run `query` (name, file or text) on an open store and format the result.

    The query runs on its own thread (see the module's note), which cannot open a socket unless
    `allow_service`: a SERVICE clause then fails with a QueryError that says so.
    """
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r} (use one of: {', '.join(FORMATS)})")
    text = resolve_query(query)
    check_size(text)
    substitutions = {ox.Variable(k): parse_binding(v) for k, v in (bindings or {}).items()}
    if substitutions and text is not query:
        text = _bind_inline(text, substitutions)
    union = not names_dataset(text)

    def work() -> str:
        result = None
        try:
            result = store.query(text, prefixes=PREFIXES, substitutions=substitutions,
                                 use_default_graph_as_union=union)
            return format_result(result, fmt)
        except (OSError, RuntimeError) as exc:  # raised while the lazy result is read
            raise QueryError(f"query failed: {exc}") from None
        finally:
            del result  # pyoxigraph's result must die on the thread that made it

    try:
        return on_query_thread(work, sandbox=not allow_service)
    except SandboxUnavailable as exc:
        raise QueryError(f"{exc}; --allow-service runs the query without it") from None
    except QueryError as exc:
        if tried_network(exc):
            raise QueryError("the query uses SERVICE, which fetches from another server: "
                             "refused (--allow-service allows it)") from None
        if "projection" in str(exc):
            raise QueryError(f"{exc} (a --bind variable must be one the query selects)") from None
        raise


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def _bind_inline(text: str, substitutions: Mapping[ox.Variable, Term]) -> str:
    """The query with its bound values also as a VALUES block opening its WHERE clause.

    Oxigraph plans a query without its substitutions, so a bound name is looked up only after
    every row has been joined (seconds to minutes on a large store); a VALUES block is planned
    first. The substitutions still apply (they check that the variable is one the query selects).
    """
    m = _WHERE.search(text)
    if m is None:
        return text
    names = " ".join(str(v) for v in substitutions)
    values = " ".join(str(t) for t in substitutions.values())
    return f"{text[:m.end()]}\n  VALUES ({names}) {{ ({values}) }}{text[m.end():]}"


def run(store_path: str | os.PathLike[str], query: str, fmt: str = "table",
        bindings: Mapping[str, str] | None = None, *, allow_service: bool = False) -> str:
    """Open the store read-only, run the query, return the formatted result."""
    with Store.open(store_path, read_only=True) as store:
        return execute(store, query, fmt, bindings, allow_service=allow_service)


def format_result(result: object, fmt: str) -> str:
    if isinstance(result, ox.QueryTriples):
        data = ox.serialize(list(result), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        return (data or b"").decode("utf-8")
    if isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            return "true\n" if bool(result) else "false\n"
        return _text(result.serialize(format=_RESULT_FORMATS[fmt]))
    if isinstance(result, ox.QuerySolutions):
        if fmt == "table":
            return _table(result)
        return _text(result.serialize(format=_RESULT_FORMATS[fmt]))
    raise QueryError(f"unexpected query result {type(result).__name__}")


def _text(data: bytes | None) -> str:
    text = (data or b"").decode("utf-8")
    return text if text.endswith("\n") else text + "\n"


def _short(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        best = ""
        for prefix, ns in PREFIXES.items():
            if term.value.startswith(ns) and len(ns) > len(best):
                best = ns
                short = f"{prefix}:{term.value[len(ns):]}"
        return short if best else f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


#: A table cell shows at most this many terminal columns (csv/tsv/json give whole values).
TABLE_CELL_WIDTH = 60


def _clip(text: str) -> str:
    if _width(text) <= TABLE_CELL_WIDTH:
        return text
    out, used = [], 0
    for c in text:
        w = _width(c)
        if used + w > TABLE_CELL_WIDTH - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def _table(solutions: ox.QuerySolutions) -> str:
    names = [v.value for v in solutions.variables]
    rows = [[_clip(_short(sol[i]).replace("\n", " ")) for i in range(len(names))]
            for sol in solutions]
    widths = [max([_width(n), *(_width(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = ["  ".join(_pad(n, w) for n, w in zip(names, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


__all__ = ["FORMATS", "MAX_QUERY_BYTES", "QUERY_STACK_BYTES", "SandboxUnavailable", "check_size",
           "deny_network", "execute", "format_result", "names_dataset", "on_query_thread",
           "packaged_queries", "parse_binding", "resolve_query", "run", "tried_network"]
