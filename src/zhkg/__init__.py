"""zhkg: Chinese news articles to an RDF knowledge graph.

    import zhkg

    report = zhkg.build(["seeds"], "output")                  # store, exports, page
    ex = zhkg.extract_document(zhkg.Document("a1", "杭州市委书记王明会见了客人。"))
    print(zhkg.run_query("output/store", "officials", "csv"))
    with zhkg.Store.open("output/store", read_only=True) as store:
        print(store.article_ids())
    zhkg.remove("output", ["a1"])

The data that flows (`Document`, `Mention`, `Relation`, `Evidence`, `Extraction`, `Entity`) and
the errors are imported with the package; `build`, `remove`, `extract_document`, `Store` and
`run_query` load the extractor's models, the store or the page when first used, so that
`import zhkg`, and the command line's start, stay fast. (`run_query`, not `query`: that name is
the `zhkg.query` package.)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zhkg.errors import InputError, ModelError, QueryError, StoreError, ZhkgError
from zhkg.model import Document, Entity, Evidence, Extraction, Mention, Relation

if TYPE_CHECKING:
    from zhkg.graph.store import Store
    from zhkg.pipeline.build import BuildReport, build
    from zhkg.pipeline.remove import remove_articles as remove
    from zhkg.pipeline.work import extract_document
    from zhkg.query.run import run as run_query

__version__ = "0.1.0"

#: The entry points, loaded on first use: name -> (module, attribute).
_ENTRY_POINTS = {
    "build": ("zhkg.pipeline.build", "build"),
    "BuildReport": ("zhkg.pipeline.build", "BuildReport"),
    "remove": ("zhkg.pipeline.remove", "remove_articles"),
    "extract_document": ("zhkg.pipeline.work", "extract_document"),
    "Store": ("zhkg.graph.store", "Store"),
    "run_query": ("zhkg.query.run", "run"),
}


def __getattr__(name: str) -> Any:
    """An entry point, imported now (PEP 562): their modules import the models and the store."""
    try:
        module, attribute = _ENTRY_POINTS[name]
    except KeyError:
        raise AttributeError(f"module 'zhkg' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "BuildReport",
    "Document",
    "Entity",
    "Evidence",
    "Extraction",
    "InputError",
    "Mention",
    "ModelError",
    "QueryError",
    "Relation",
    "Store",
    "StoreError",
    "ZhkgError",
    "__version__",
    "build",
    "extract_document",
    "remove",
    "run_query",
]
