"""The per-article job: pure functions of one document, so any engine can map them (a process
pool, a Dask cluster): its extraction, and its named graph as N-Quads ready to load.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from zhkg.extract import resolve
from zhkg.extract.context import DocContext
from zhkg.extract.mentions import mentions_in
from zhkg.extract.relations import find_relations
from zhkg.graph import rdf
from zhkg.model import Document, Extraction
from zhkg.read import content_hash


def extract_document(doc: Document) -> Extraction:
    """Mentions and relations of one document. Pure: same document, same extraction."""
    ctx = DocContext.of(doc)
    mentions = mentions_in(ctx)
    relations = find_relations(ctx, mentions)
    return Extraction(doc, tuple(mentions), tuple(relations))


@dataclass(frozen=True, slots=True)
class ArticleResult:
    """What a worker sends back for one article: small, picklable, ready to load; or, with an
    `error`, why it could not be built (and no N-Quads)."""

    doc_id: str
    content_hash: str
    nquads: str
    mentions: int
    relations: int
    chars: int
    source: str = ""
    error: str = ""


def process_document(doc: Document) -> ArticleResult:
    """Extract one document and render its named graph as N-Quads (pure; runs on any worker).

    An exception is this article's failure, never the batch's: it comes back as the result's
    `error`, and the build leaves the article out, named, and goes on.
    """
    digest = content_hash(doc)
    try:
        ex = extract_document(doc)
        nquads = rdf.article_nquads(ex, resolve.iris(ex))
    except Exception as exc:
        return ArticleResult(doc.id, digest, "", 0, 0, len(doc.text), doc.source,
                             f"cannot extract: {describe(exc)}")
    return ArticleResult(doc.id, digest, nquads, len(ex.mentions), len(ex.relations),
                         len(doc.text), doc.source)


def describe(exc: BaseException) -> str:
    """The exception and where it was raised (the innermost frame), for a one-line report."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"

