"""Walking the inputs: files and folders in sorted order, each file read by its kind (.txt,
JSON Lines, gzipped or not)."""

from __future__ import annotations

import codecs
import contextlib
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from zhkg.errors import InputError
from zhkg.model import Document
from zhkg.read.decode import check_text, decode_bytes
from zhkg.read.inputs import (
    CHUNK,
    DEFAULT_MAX_ARTICLE_CHARS,
    JSONL_SUFFIXES,
    TXT_BYTES_PER_CHAR,
    TXT_SLACK,
    TXT_SUFFIXES,
    Binary,
    Bomb,
    OnError,
    Run,
    TooLarge,
    file_stem,
    open_binary,
    reason,
)
from zhkg.read.jsonl import read_jsonl
from zhkg.read.text import clean_text, parse_txt


def iter_documents(
    paths: Iterable[str | Path],
    on_error: OnError,
    *,
    max_bytes: int | None = None,
    exclude: Iterable[str | os.PathLike[str]] = (),
    max_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
) -> Iterator[Document]:
    """Every article in `paths` (files or folders, walked recursively in sorted order).

    Problems are passed to `on_error` as `InputError` and the run goes on. `max_chars` bounds
    one article's title and text (None: no limit): a longer one is reported and skipped, and one
    whose input has more bytes than so many characters can take is skipped while it is read,
    without being held in memory. `max_bytes` bounds the bytes of one article's input (a .txt
    file, a JSON line) the same way. A .gz input that expands more than `MAX_EXPANSION` times
    is reported and skipped where the expansion is found (a decompression bomb). The files in
    `exclude` (the caller's output, say) are never read, under any name.
    """
    skip = set()
    for path in exclude:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            skip.add((st.st_dev, st.st_ino))
    run = Run(on_error=on_error, max_bytes=max_bytes, max_chars=max_chars,
               exclude=frozenset(skip))
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]  # one path, not an iterable of its characters
    for given in paths:
        root = Path(given)
        if root.is_dir():
            for path in _walk(root, run):
                yield from _read_file(path, root, run, explicit=False)
        elif root.is_file():
            if run.excluded(root):
                on_error(InputError(str(root), "not read: it is this run's output"))
                continue
            yield from _read_file(root, root.parent, run, explicit=True)
        elif root.exists():
            on_error(InputError(str(root), "not a regular file or folder"))
        else:
            on_error(InputError(str(root), "no such file or folder"))


def _walk(root: Path, run: Run) -> Iterator[Path]:
    """Files under `root` in sorted path order (names sorted at each level, a folder entered
    where its name sorts); only the listings of the folders on the current path are held."""
    stack: list[Iterator[os.DirEntry[str]]] = []
    seen: set[tuple[int, int]] = set()  # folders already walked: a symlink loop ends here
    listing = _listing(root, run, seen)
    if listing is not None:
        stack.append(listing)
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError:
            is_dir = is_file = False
        if is_dir:
            listing = _listing(Path(entry.path), run, seen)
            if listing is not None:
                stack.append(listing)
        elif (is_file and _kind(entry.name) is not None  # never a FIFO, which would block
              and not run.excluded(Path(entry.path))):
            yield Path(entry.path)


def _listing(folder: Path, run: Run,
             seen: set[tuple[int, int]]) -> Iterator[os.DirEntry[str]] | None:
    try:
        st = folder.stat()
        if (st.st_dev, st.st_ino) in seen:
            run.on_error(InputError(str(folder), "folder already read (a symbolic link loop?)"))
            return None
        seen.add((st.st_dev, st.st_ino))
        with os.scandir(folder) as it:
            return iter(sorted(it, key=lambda e: e.name))
    except OSError as exc:
        run.on_error(InputError(str(folder), f"cannot list folder: {reason(exc)}"))
        return None


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    if lower.endswith(TXT_SUFFIXES):
        return "txt"
    if lower.endswith(JSONL_SUFFIXES):
        return "jsonl"
    return None


def _read_file(path: Path, root: Path, run: Run, *, explicit: bool) -> Iterator[Document]:
    kind = _kind(path.name)
    if kind is None:
        if explicit:
            run.on_error(InputError(str(path), "unsupported file type (expected .txt or .jsonl)"))
        return
    if kind == "txt":
        doc = _read_txt(path, root, run)
        if doc is not None:
            yield doc
    else:
        yield from read_jsonl(path, run)


def _read_txt(path: Path, root: Path, run: Run) -> Document | None:
    where = str(path)
    cap = run.cap(TXT_BYTES_PER_CHAR, TXT_SLACK)
    try:
        if cap is not None and not path.name.lower().endswith(".gz"):
            size = path.stat().st_size
            if size > cap:
                run.on_error(InputError(where, run.too_large(cap, size)))
                return None
        with open_binary(path) as f:
            text = _decode_utf8_stream(f, cap)
            if text is None:  # not plain UTF-8: read the bytes whole and detect the encoding
                f.seek(0)
                data = f.read(-1 if cap is None else cap + 1)
                if cap is not None and len(data) > cap:
                    raise TooLarge
                if not data:
                    run.on_error(InputError(where, "empty file"))
                    return None
                text = decode_bytes(data)
                del data
    except TooLarge:
        assert cap is not None
        run.on_error(InputError(where, run.too_large(cap)))
        return None
    except Bomb as exc:
        run.on_error(InputError(where, exc.reason()))
        return None
    except (OSError, EOFError, zlib.error) as exc:
        run.on_error(InputError(where, f"cannot read: {reason(exc)}"))
        return None
    except ValueError as exc:
        run.on_error(InputError(where, str(exc)))
        return None
    if not text:
        run.on_error(InputError(where, "empty file"))
        return None
    title, published, body = parse_txt(text)
    del text
    too_long = run.too_long(len(title) + len(body))
    if too_long is not None:
        run.on_error(InputError(where, too_long))
        return None
    body = clean_text(body)
    if not body.strip():
        run.on_error(InputError(where, "no article text" if title else "empty file"))
        return None
    doc_id = _txt_id(path, root, run)
    if doc_id is None:
        run.on_error(InputError(where, "duplicate id (its file name and path are already used)"))
        return None
    return Document(id=doc_id, text=body, title=clean_text(title).strip(),
                    published=published, source=where)


def _txt_id(path: Path, root: Path, run: Run) -> str | None:
    stem = file_stem(path)
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.as_posix()
    rel_stem = rel[: len(rel) - len(path.name)] + stem
    for candidate in (stem, rel_stem, rel):
        if run.claim(candidate):
            return candidate
    return None


def _decode_utf8_stream(f: Binary, max_bytes: int | None) -> str | None:
    """The file's text if it is UTF-8 (a BOM is dropped later), else None.

    Decoding piece by piece keeps the peak near twice the text's size: `bytes.decode` of one
    50 MB buffer of Chinese allocates three times the buffer on its way. NUL bytes (UTF-16,
    binary) and invalid UTF-8 give None, and the caller falls back to whole-file detection.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    pieces: list[str] = []
    total = 0
    while True:
        chunk = f.read(CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise TooLarge
        if b"\x00" in chunk:
            return None
        try:
            pieces.append(decoder.decode(chunk))
        except UnicodeDecodeError:
            return None
    try:
        pieces.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return None
    text = "".join(pieces)
    del pieces
    return check_text(text)

