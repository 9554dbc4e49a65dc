"""The package's shape: stages import one way (no import circle), pyoxigraph stays in the graph
package, modules stay small, and a function imports a zhkg module only where that is the point.

Read from the source with `ast`, so it holds for code paths no other test runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "zhkg"

#: The modules that may import pyoxigraph: the graph package, which owns the store, and the two
#: query modules that run any SPARQL on it (the endpoint's workers hold the pyoxigraph store).
PYOXIGRAPH = ("zhkg.graph.", "zhkg.query.run", "zhkg.query.endpoint")
#: Modules over 500 lines, and why: moved as they are while other work changes them.
LONG = {
    "zhkg.query.endpoint": "the SPARQL endpoint, being rewritten on its own branch",
    "zhkg.nlp.company_relations": "the FinRE relation classifier, not yet wired in, as trained",
    "zhkg.nlp.train_relations": "its training, kept as it was written",
    "zhkg.nlp.wordseg": "jieba's algorithm compiled, one piece (502 lines)",
}
#: Modules whose functions import zhkg modules, and why.
LATE_IMPORTS = {
    "zhkg": "the public API loads its entry points on first use (import zhkg stays fast)",
    "zhkg.cli": "each command imports what it runs (zhkg --help answers at once)",
    "zhkg.pipeline.engines": "the Dask engine: an optional dependency, most of a second to import",
    "zhkg.nlp.tagger": "on the tagger branch: left as it was",
    "zhkg.nlp.train": "on the tagger branch: left as it was",
    "zhkg.nlp.company_relations": "moved as it was",
    "zhkg.nlp.train_relations": "moved as it was",
    "zhkg.query.endpoint": "moved as it was (its worker processes import it by name)",
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "data" in parts:  # zhkg/data/make_gazetteers.py is a script for the data files
            continue
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


Import = ast.Import | ast.ImportFrom


def _imports(tree: ast.AST) -> Iterator[tuple[Import, bool]]:
    """Every import, and whether it runs inside a function; `if TYPE_CHECKING:` blocks never
    run, and are left out."""

    def walk(node: ast.AST, in_function: bool) -> Iterator[tuple[Import, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            yield from walk(child, in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    yield from walk(tree, False)


def _targets(node: Import) -> list[str]:
    """The modules an import names (`from zhkg.nlp import segment` names zhkg.nlp.segment)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for node, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            edges[name] |= {t for t in _targets(node) if t in MODULES and t != name}
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_among_the_modules() -> None:
    edges = _graph()
    assert sum(map(len, edges.values())) > 100  # the graph was read
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_stages_import_one_way() -> None:
    # read -> nlp -> extract -> graph -> query / view -> pipeline: nothing imports a later stage
    order = ["zhkg.read", "zhkg.nlp", "zhkg.extract", "zhkg.graph", "zhkg.query", "zhkg.view",
             "zhkg.pipeline"]
    later = {stage: order[i + 1:] for i, stage in enumerate(order)}
    later["zhkg.query"] = ["zhkg.pipeline"]  # query and view are side by side
    wrong = [(name, target) for name, targets in _graph().items() for target in targets
             for stage, after in later.items() if name.startswith(stage)
             for other in after if target.startswith(other)]
    assert wrong == []


def test_only_the_graph_package_imports_pyoxigraph() -> None:
    importers = sorted(
        name for name, path in MODULES.items()
        for node, _ in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if any(t.split(".")[0] == "pyoxigraph" for t in _targets(node)))
    assert importers and all(name.startswith(PYOXIGRAPH) for name in importers), importers


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_500_lines(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= 500 or name in LONG, f"{name}: {lines} lines"


def test_functions_import_zhkg_modules_only_where_it_is_the_point() -> None:
    late = sorted({
        name for name, path in MODULES.items()
        for node, in_function in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if in_function and any(t.startswith("zhkg") for t in _targets(node))})
    assert set(late) <= set(LATE_IMPORTS), sorted(set(late) - set(LATE_IMPORTS))
