"""Taking articles out of a build: their graphs go, and everything derived is made again."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zhkg.errors import StoreError
from zhkg.extract import resolve
from zhkg.graph.entities import refresh_entities
from zhkg.graph.export import write_exports
from zhkg.graph.store import Store
from zhkg.nlp import gazetteer
from zhkg.pipeline.page import write_page_from_store


@dataclass(frozen=True, slots=True)
class RemoveReport:
    """Which articles `remove_articles` took out, which it did not find, what is left."""

    removed: list[str]
    missing: list[str]
    triples: int


def remove_articles(out_dir: str | os.PathLike[str], doc_ids: list[str],
                    page: bool = True) -> RemoveReport:
    """Take articles out of a build: drop their graphs, then regenerate everything derived.

    The entities graph is recomputed (an entity only the removed articles named disappears), the
    exports are rewritten and, when the build has a page, so is the page.
    """
    out = Path(out_dir)
    if not (out / "store").is_dir():
        raise StoreError(f"{out}: no store here (expected {out / 'store'})")
    with Store.open(out / "store") as store:
        removed = [d for d in doc_ids if store.remove_article(d)]
        missing = [d for d in doc_ids if d not in removed]
        if removed:
            refresh_entities(store, resolve.canonical_name, gazetteer)
            summary = write_exports(store, out)
            if page and (out / "graph.html").exists():
                write_page_from_store(store, out / "graph.html")
            triples = summary.triples
        else:
            triples = len({(q.subject, q.predicate, q.object) for q in store.quads()})
    return RemoveReport(removed=removed, missing=missing, triples=triples)
