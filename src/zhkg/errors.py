"""Every exception zhkg raises on purpose, defined once.

The CLI turns `ZhkgError` into a one-line message and an exit status; anything else is a bug and
shows a traceback only with `--debug`.
"""

from __future__ import annotations


class ZhkgError(Exception):
    """Base class: a problem the user can act on."""


class InputError(ZhkgError):
    """An input could not be read. Names the file and, for JSON Lines, the line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class StoreError(ZhkgError):
    """The store could not be opened, read or written (locked, missing, corrupt)."""


class QueryError(ZhkgError):
    """A SPARQL query is malformed, refused, or timed out."""


class ModelError(ZhkgError):
    """A packaged model or lexicon is missing or unreadable."""


class EngineError(ZhkgError):
    """An extraction engine could not start or reach its workers (e.g. no Dask scheduler)."""
