"""Every exception zhkg raises on purpose, defined once.

The CLI turns `ZhkgError` into a one-line message and an exit status; anything else is a bug and
shows a traceback only with `--debug`.
"""

from __future__ import annotations

import os
import re

#: Characters that must not reach a terminal or a log as they are: C0 and C1 controls (a newline
#: in a file name would start a line of its own, forging a message), line and paragraph
#: separators, bidirectional controls (which reorder what follows), and lone surrogates (a file
#: name's undecodable bytes), which cannot be printed at all.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e"
                          "\u2066-\u2069\ud800-\udfff]")


def shown(name: object) -> str:
    """`name` (a path, an article id) safe to print in a one-line message: each unprintable
    character is written as a Python escape (`\\n`, `\\x1b`, `\\u202e`, `\\udcff`)."""
    text = str(name)
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(lambda m: repr(m.group(0))[1:-1], text)


class ZhkgError(Exception):
    """Base class: a problem the user can act on."""


class InputError(ZhkgError):
    """An input could not be read. Names the file and, for JSON Lines, the line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{shown(path)}:{line}" if line is not None else shown(path)
        super().__init__(f"{where}: {message}")


class ArticleError(InputError):
    """An article was read but could not be built (its extraction raised, or its graph did not
    load); it is left out and the build goes on. Names the article and where it was read."""

    def __init__(self, doc_id: str, source: str, message: str) -> None:
        self.doc_id = doc_id
        super().__init__(source or doc_id, f"article {shown(doc_id)}: {message}")


class OutputError(ZhkgError):
    """An output (a file, a folder, the store) could not be written: names it and says why."""


class StoreError(ZhkgError):
    """The store could not be opened, read or written (locked, missing, corrupt)."""


class QueryError(ZhkgError):
    """A SPARQL query is malformed, refused, or timed out."""


class ModelError(ZhkgError):
    """A packaged model or lexicon is missing or unreadable."""


class EngineError(ZhkgError):
    """An extraction engine could not start or reach its workers (e.g. no Dask scheduler)."""


class Interrupted(KeyboardInterrupt):
    """A signal asked the run to stop (SIGTERM): cleaned up like Ctrl-C, with exit status
    128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def output_error(exc: OSError, target: object) -> OutputError:
    """An `OutputError` for an `OSError` met while writing `target`: the target, the file the
    system complained about when it is another one, and the system's reason."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    culprit = exc.filename
    if culprit is not None and str(culprit) != str(target):
        if isinstance(exc, FileExistsError) and not os.path.isdir(culprit):
            reason = f"{shown(culprit)} is not a folder"  # what a folder was made under
        else:
            reason = f"{reason}: {shown(culprit)}"
    return OutputError(f"cannot write {shown(target)}: {reason}")
