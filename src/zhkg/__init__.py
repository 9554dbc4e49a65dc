"""zhkg: Chinese news articles to an RDF knowledge graph."""

from __future__ import annotations

from zhkg.errors import InputError, ModelError, QueryError, StoreError, ZhkgError
from zhkg.model import Document, Entity, Evidence, Extraction, Mention, Relation

__version__ = "0.1.0"

__all__ = [
    "Document",
    "Entity",
    "Evidence",
    "Extraction",
    "InputError",
    "Mention",
    "ModelError",
    "QueryError",
    "Relation",
    "StoreError",
    "ZhkgError",
    "__version__",
]
