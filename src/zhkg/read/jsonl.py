"""JSON Lines: one article a line, read line by line (a long line in 1 MiB pieces)."""

from __future__ import annotations

import codecs
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zhkg.errors import InputError
from zhkg.model import Document
from zhkg.read.inputs import (
    CHUNK,
    JSON_BYTES_PER_CHAR,
    JSON_SLACK,
    Binary,
    Bomb,
    Run,
    file_stem,
    open_binary,
    reason,
)
from zhkg.read.text import clean_text, parse_date, replace_unsafe


def _iter_lines(f: Binary, max_bytes: int | None) -> Iterator[tuple[int, str, str | None, int]]:
    """(line number, text without its line end, problem, bad byte) of each line of a JSON Lines
    file.

    The problem is None, "long" (over `max_bytes`; the line was skipped in pieces, never held)
    or "encoding" (not UTF-8; the bad byte is the offset of the first invalid byte in the file),
    and the text is then empty. Lines are split on b"\\n" only:
    U+2028 and friends are valid inside JSON strings and must not end a line, which
    `str.splitlines` would do. A line is read and decoded in pieces of at most 1 MiB, so a 50 MB
    line costs its text plus the pieces, not the three-fold transient of decoding one buffer.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    number = 0
    line_start = 0  # offset in the file of the line's first byte

    def decode(chunk: bytes, read: int, final: bool) -> str:
        """Decodes the next piece of the line (`read` bytes of it before); a bad byte raises
        `_BadByte` with its offset in the file."""
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous piece
        try:
            return decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            raise _BadByte(line_start + read - pending + exc.start) from None

    while True:
        chunk = f.readline(CHUNK)
        if not chunk:
            return
        number += 1
        pieces: list[str] = []
        size = raw = bad = 0
        problem: str | None = None
        while True:
            raw += len(chunk)
            ended = chunk.endswith(b"\n")
            if ended:
                chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1]
            size += len(chunk)
            if problem is None and max_bytes is not None and size > max_bytes:
                problem, pieces = "long", []
            if problem is None:
                try:
                    pieces.append(decode(chunk, size - len(chunk), ended))
                except _BadByte as exc:
                    problem, pieces, bad = "encoding", [], exc.offset
            if ended:
                break
            chunk = f.readline(CHUNK)
            if not chunk:
                if problem is None:
                    try:
                        pieces.append(decode(b"", size, True))
                    except _BadByte as exc:
                        problem, pieces, bad = "encoding", [], exc.offset
                break
        decoder.reset()
        text = "".join(pieces)
        pieces = []
        yield number, text, problem, bad
        line_start += raw


class _BadByte(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def read_jsonl(path: Path, run: Run) -> Iterator[Document]:
    where = str(path)
    stem = file_stem(path)
    any_line = False
    number = 0
    cap = run.cap(JSON_BYTES_PER_CHAR, JSON_SLACK)
    try:
        with open_binary(path) as f:
            for number, line, problem, bad in _iter_lines(f, cap):
                any_line = True
                if problem == "long":
                    assert cap is not None
                    run.on_error(InputError(where, run.too_large(cap, line=True), number))
                elif problem == "encoding":
                    run.on_error(InputError(
                        where, f"not UTF-8 (JSON Lines must be UTF-8): invalid UTF-8 at byte "
                        f"{bad} of the file", number))
                else:
                    doc = _jsonl_document(line, where, stem, number, run)
                    del line
                    if doc is not None:
                        yield doc
    except Bomb as exc:
        run.on_error(InputError(where, exc.reason(), number + 1))
        return
    except (OSError, EOFError, zlib.error) as exc:
        run.on_error(InputError(where, f"cannot read: {reason(exc)}"))
        return
    if not any_line:
        run.on_error(InputError(where, "empty file"))


def _jsonl_document(line: str, where: str, stem: str, number: int, run: Run) -> Document | None:
    if number == 1 and line.startswith("\ufeff"):
        line = line[1:]
    if not line or line.isspace():
        return None  # blank lines separate nothing; JSON Lines tools commonly allow them
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        run.on_error(InputError(where, f"malformed JSON: {exc.msg} (column {exc.colno})", number))
        return None
    except ValueError as exc:  # e.g. an integer past Python's 4300-digit conversion limit
        run.on_error(InputError(where, f"malformed JSON: {exc}", number))
        return None
    except RecursionError:
        run.on_error(InputError(where, "malformed JSON: nested too deeply", number))
        return None
    del line
    if not isinstance(record, dict):
        run.on_error(InputError(where, f"expected a JSON object, got {_json_type(record)}",
                                number))
        return None
    text = record.get("text")
    if not isinstance(text, str):
        problem = "missing" if text is None else f"a {_json_type(text)}, not a string"
        run.on_error(InputError(where, f'"text" is {problem}', number))
        return None
    title = record.get("title")
    too_long = run.too_long(len(text) + (len(title) if isinstance(title, str) else 0))
    if too_long is not None:
        run.on_error(InputError(where, too_long, number))
        return None
    text = clean_text(text)
    if not text.strip():
        run.on_error(InputError(where, '"text" is empty', number))
        return None
    doc_id = _jsonl_id(record.get("id"), stem, number)
    if doc_id is None:
        run.on_error(InputError(where, '"id" must be a string or an integer', number))
        return None
    if not run.claim(doc_id):
        run.on_error(InputError(where, f"duplicate id {doc_id!r} (an earlier article has it)",
                                number))
        return None
    date = record.get("date")
    return Document(
        id=doc_id,
        text=text,
        title=clean_text(title).strip() if isinstance(title, str) else "",
        published=parse_date(date) if isinstance(date, str) else None,
        source=f"{where}:{number}",
    )


def _jsonl_id(value: object, stem: str, number: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return f"{stem}:{number}"
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return replace_unsafe(value.strip())
    return None


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
             float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)

