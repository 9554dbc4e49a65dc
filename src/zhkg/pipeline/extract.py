"""`zhkg extract`: each article's mentions and relations as one JSON line, no graph."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from zhkg.atomic import atomic_write
from zhkg.errors import ArticleError, InputError, output_error
from zhkg.model import Extraction
from zhkg.pipeline.work import describe, extract_document
from zhkg.read import DEFAULT_MAX_ARTICLE_CHARS, iter_documents
from zhkg.resources import warm


def extraction_record(ex: Extraction) -> dict[str, Any]:
    """The `zhkg extract` JSON line for one document."""
    def name(m: Any) -> str:
        return ex.doc.id if m is None else str(m.text)

    return {
        "id": ex.doc.id,
        "mentions": [
            {"text": m.text, "type": m.type, "start": m.start, "end": m.end,
             "method": m.evidence.method, "confidence": m.evidence.confidence}
            for m in ex.mentions
        ],
        "relations": [
            {"subject": name(r.subject), "predicate": r.predicate, "object": r.object.text,
             "start": r.evidence.start, "end": r.evidence.end, "method": r.evidence.method,
             "confidence": r.evidence.confidence}
            for r in ex.relations
        ],
    }


def extract_to_jsonl(
    paths: Iterable[str | os.PathLike[str]],
    out_file: str | os.PathLike[str],
    *,
    on_error: Callable[[InputError], None] | None = None,
    max_article_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
) -> tuple[int, int]:
    """`zhkg extract`: one JSON line per readable document, written atomically.

    The output file is never read as an input (it may be in a folder given as one). An article
    whose extraction raises is reported (an `ArticleError`) and left out. Returns (documents
    written, inputs and articles reported); an output that cannot be written raises
    `OutputError`."""
    errors = 0

    def error(exc: InputError) -> None:
        nonlocal errors
        errors += 1
        if on_error is not None:
            on_error(exc)

    n = 0
    warm()
    try:
        with atomic_write(out_file, "w", encoding="utf-8") as f:
            for doc in iter_documents([str(p) for p in paths], error, exclude=[out_file],
                                      max_chars=max_article_chars):
                try:
                    record = extraction_record(extract_document(doc))
                except Exception as exc:
                    error(ArticleError(doc.id, doc.source, f"cannot extract: {describe(exc)}"))
                    continue
                f.write(json.dumps(record, ensure_ascii=False))
                f.write("\n")
                n += 1
    except OSError as exc:
        raise output_error(exc, out_file) from None
    return n, errors
