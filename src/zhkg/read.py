"""Articles from .txt files, folders and JSON Lines, one `Document` at a time.

Users bring folders of thousands to millions of articles, so everything here streams: folders are
walked one directory at a time in sorted order (the same corpus gives the same documents in the
same order on every machine), JSON Lines are read line by line (a long line in 1 MiB pieces), and
only one article's text is held at once: a 50 MB single-line article peaks at about 1.35 times
its size (benches/bench_read.py). The only per-corpus state is the set of ids already given out
(12-byte digests, about 80 bytes an article), needed to keep ids unique and report duplicates.

A problem with one input never stops the run: it becomes an `InputError` naming the file (and the
line, for JSON Lines) passed to `on_error`, and reading goes on with the next input.

Decisions, so callers can rely on them:

* Folders are walked in sorted path order (names compared as strings at each level, a subfolder
  entered where its name sorts), the same order as ``sorted(Path.rglob("*"))`` by parts.
* Inside a folder only ``.txt``, ``.jsonl``, ``.json-lines``, ``.ndjson`` (optionally ``.gz``) are
  read; other files and hidden files/folders (``.git``) are skipped silently, since a corpus
  folder often holds a README or an index. A file named on the command line with another
  extension is reported, since the user asked for it explicitly.
* Encodings (.txt): UTF-8 with or without a BOM first; UTF-16 with a BOM, or without one when
  its NUL bytes say so; otherwise GB18030 when the bytes read as common simplified Chinese, then
  charset-normalizer's guess, then Big5. NUL bytes that are not UTF-16, or text that is mostly
  control characters, make a "binary file" error. JSON Lines must be UTF-8 (a line that is not
  is reported). A text of a few characters is ambiguous between encodings and may be misread.
* ``.txt`` in the seed format: line 1 title, line 2 a date/time, the rest the body. If line 2 does
  not parse as a date the whole file is the body and the title is empty: guessing a title from
  line 1 would silently drop the first paragraph of bodies that have none.
* ``Document.text`` is what every offset indexes. HTML markup is blanked out in place rather than
  removed: each tag becomes spaces of the same length (a newline first for block tags such as
  ``<p>`` and ``<br>``, so sentence splitting still sees the break) and each entity becomes its
  character followed by spaces (``&amp;`` -> ``"&    "``). So an offset into the text is also an
  offset into the original field, and provenance can point back at the source unchanged. Script
  and style element contents are blanked as well. Plain text without markup is left untouched.
* Control characters other than tab and line ends become spaces, lone surrogates U+FFFD (same
  length again): they cannot be written to UTF-8 or XML outputs.
* Full-width digits and other characters in the text are left as they are (normalising them
  could change lengths); they are accepted in dates.
* Empty inputs (no non-whitespace text) are reported and skipped. Text with no Chinese at all is
  read as usual: it is valid input that simply yields nothing downstream.
* A JSON Lines ``date`` that does not parse leaves ``published`` as None; the article is kept.
* Ids: ``.txt`` -> the file stem; if that is already taken in this run, the path relative to the
  input root (without the suffix, then with it); the first file in walking order keeps the bare
  stem. JSON Lines -> the ``id`` field (string or
  integer); a missing, null or empty id becomes ``"<file stem>:<line>"``. An id that was already
  given out is reported and that article skipped, because two articles under one IRI would merge.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import hashlib
import html
import json
import os
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from zhkg.errors import InputError
from zhkg.model import Document

__all__ = [
    "JSONL_SUFFIXES",
    "TXT_SUFFIXES",
    "blank_markup",
    "clean_text",
    "content_hash",
    "decode_bytes",
    "iter_documents",
    "parse_date",
    "parse_txt",
]

TXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".json-lines", ".ndjson")

#: Bytes of a file looked at to guess its encoding; the whole file is then decoded strictly.
_SNIFF_BYTES = 256 * 1024
#: Candidate encodings when a file is not UTF-8, in order of preference for Chinese news.
_FALLBACK_ENCODINGS = ("gb18030", "big5")
#: A decoded text with more than this share of control characters is binary, not an article.
_MAX_CONTROL_SHARE = 0.05
#: JSON Lines are read in pieces of this size so a huge line can be skipped without holding it.
_CHUNK = 1 << 20

OnError = Callable[[InputError], None]


# -- dates ------------------------------------------------------------------------------------

_DATE = re.compile(
    r"""^\s*
    (?:(?:发布时间|发布日期|发稿时间|时间|日期|date|published)\s*[:：]?\s*)?
    (?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?
    (?:
        (?:\s*T\s*|\s+|(?<=日))
        (?P<H>\d{1,2})\s*[:时點点]\s*(?P<M>\d{1,2})
        (?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?|\s*分)?
    )?
    \s*(?P<tz>Z|[+-]\d{2}:?\d{2})?
    \s*$""",
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)


def parse_date(line: str) -> str | None:
    """The ISO 8601 form of a date/time line, or None if the line is not one.

    Accepts the common news forms (``2020-09-08 09:21:24``, ``2020/12/3 9:26``,
    ``2020年12月3日 09:26``, ISO with ``T`` and a zone) with full-width digits and punctuation,
    and checks that the date exists, so a title that merely starts with a year is not a date.
    """
    # NFKC per character maps full-width digits, colons and slashes to ASCII; the date line is
    # not offset-indexed, so changing its length is harmless. Length-bound it: a date is short.
    if len(line) > 80:
        return None
    m = _DATE.match(unicodedata.normalize("NFKC", line))
    if m is None:
        return None
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return None
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if m["H"] is None:
        return date
    hour, minute, second = int(m["H"]), int(m["M"]), int(m["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    tz = m["tz"] or ""
    if tz and tz.upper() != "Z" and ":" not in tz:
        tz = f"{tz[:3]}:{tz[3:]}"
    return f"{date}T{hour:02d}:{minute:02d}:{second:02d}{tz.upper()}"


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


# -- markup -----------------------------------------------------------------------------------

# A tag needs a letter (or / ! ?) right after "<", so "a < b" and "<10>" in prose are left alone.
# No alternative can scan past the next "<" or ">", and the ends of comments and script/style
# elements are looked for separately (`_skip_to`), so malformed markup costs linear time: a
# pattern like "<script>.*?</script>" takes quadratic time on many unclosed "<script>" tags.
_MARKUP = re.compile(
    r"""<(?P<raw>script|style)\b[^<>]*>                     # opens content that is not text
    |(?P<comment><!--)                                   # opens a comment
    |<[!?][^<>]*>                                        # doctype, processing instruction
    |</?(?P<tag>[a-zA-Z][a-zA-Z0-9:-]*)(?:\s[^<>]*)?/?>  # start or end tag
    |&(?:\#[0-9]{1,7}|\#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});  # entity
    """,
    re.VERBOSE | re.IGNORECASE,
)
_OPENERS = re.compile(r"<script|<style|<!--", re.IGNORECASE)
_CLOSERS = {
    "script": re.compile(r"</script\s*>", re.IGNORECASE),
    "style": re.compile(r"</style\s*>", re.IGNORECASE),
    "comment": re.compile(r"-->"),
}
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
_MARKUP_HINT = re.compile(r"<[a-zA-Z/!?]|&#?[a-zA-Z0-9]{1,32};")


_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """What a `Document` holds for a raw field: `blank_markup`, then control characters (other
    than tab and line ends) replaced by spaces and lone surrogates (from JSON ``\\ud800``
    escapes) by U+FFFD. Lengths never change. Those characters cannot be written as UTF-8 or
    XML (GraphML, RDF/XML) and would break an export far from the input that caused it.
    """
    return _replace_unsafe(blank_markup(text))


def _replace_unsafe(text: str) -> str:
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: "\ufffd" if m.group(0) >= "\ud800" else " ", text)


def blank_markup(text: str) -> str:
    """`text` with HTML tags and entities blanked out in place; the length never changes."""
    if _MARKUP_HINT.search(text) is None:
        return text
    if _OPENERS.search(text) is None:  # the common case: one pass in C, a callback per match
        return _MARKUP.sub(lambda m: _blank(m.group(0), m.group("tag")), text)
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # closers already searched for in vain: they will not appear
    while (m := _MARKUP.search(text, pos)) is not None:
        start, end = m.span()
        closer = "comment" if m.group("comment") else (m.group("raw") or "").lower()
        if closer and closer not in unclosed:
            found = _CLOSERS[closer].search(text, end)
            if found is None:
                unclosed.add(closer)
            else:
                end = found.end()
        out.append(text[pos:start])
        out.append(_blank(text[start:end], m.group("tag")))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _blank(s: str, tag: str | None) -> str:
    n = len(s)
    if s.startswith("&"):
        char = html.unescape(s)
        if char == s:
            return s  # not an entity HTML knows: prose such as "&foo;" stays
        if len(char) > n:
            return " " * n
        if char == "\xa0":
            char = " "
        return char + " " * (n - len(char))
    if tag is not None and tag.lower() in _BLOCK_TAGS:
        return "\n" + " " * (n - 1)
    if "\n" in s:  # a script block or comment keeps its line structure
        return "".join(c if c == "\n" else " " for c in s)
    return " " * n


# -- decoding ---------------------------------------------------------------------------------


def decode_bytes(data: bytes) -> str:
    """Text from the bytes of a file: UTF-8 (BOM or not), UTF-16, else GB18030/Big5/detected.

    Raises ValueError with a short reason when the bytes are binary or in no encoding we can
    trust; the caller turns it into an InputError naming the file.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return _check_text(data[len(codecs.BOM_UTF8) :].decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError("starts with a UTF-8 byte order mark but is not UTF-8") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _check_text(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise ValueError("invalid UTF-16 text") from None
    if b"\x00" in data:
        return _check_text(_decode_utf16_without_bom(data))
    try:
        return _check_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    for encoding in _candidate_encodings(data):
        try:
            return _check_text(data.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    raise ValueError("not text in a known encoding (tried UTF-8, GB18030, Big5)")


def _decode_utf16_without_bom(data: bytes) -> str:
    """UTF-16 text without a byte order mark has its NULs (the high bytes of ASCII characters)
    all at odd offsets (little endian) or all at even ones; anything else with NULs is binary."""
    sample = data[:_SNIFF_BYTES]
    odd = sample[1::2].count(0)
    even = sample[0::2].count(0)
    if len(data) % 2 == 0 and (even == 0) != (odd == 0):
        try:
            text = data.decode("utf-16-le" if even == 0 else "utf-16-be")
        except UnicodeDecodeError:
            pass
        else:
            # Bytes that only happen to pair up decode to private-use, unassigned and control
            # characters; real text has next to none.
            head = text[: _SNIFF_BYTES // 2]
            odd_chars = sum(1 for c in head
                            if unicodedata.category(c) in ("Co", "Cn", "Cc") and c not in "\t\n\r")
            if odd_chars <= 0.01 * len(head):
                return text
    raise ValueError("binary file (contains NUL bytes)")


def _candidate_encodings(data: bytes) -> list[str]:
    """Encodings to try in order: GB18030 when it reads as common simplified Chinese, then
    charset-normalizer's guess on a sample, then GB18030 and Big5.

    charset-normalizer alone misreads short GBK texts (a title and two words come out as Korean
    or Big5), so plain simplified Chinese is recognised first by its characters: a real GBK text
    is mostly the 3,755 common characters of GB2312 level 1 and its punctuation, while Big5
    bytes read as GBK give kana, private-use and rare characters. The guess is made on a
    sample so a 50 MB file costs no more to sniff than a 256 KB one.
    """
    import charset_normalizer

    sample = data[:_SNIFF_BYTES]
    if len(data) > _SNIFF_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n")]  # do not cut a multi-byte character
    if _looks_simplified(sample):
        return ["gb18030", "big5"]
    best = charset_normalizer.from_bytes(sample).best()
    guesses: list[str] = []
    if best is not None:
        # GBK is a subset of GB18030; decoding with the superset accepts the rarer characters.
        guessed = best.encoding.lower().replace("-", "_")
        guesses.append("gb18030" if guessed in ("gbk", "gb2312", "cp936") else guessed)
    return guesses + [e for e in _FALLBACK_ENCODINGS if e not in guesses]


_common_hanzi: frozenset[str] | None = None
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")  # C0 controls other than \t \n \v \f \r


def _gb2312_common() -> frozenset[str]:
    """The 3,755 most used simplified characters (GB2312 rows 16-55) with Chinese punctuation
    and full-width forms (rows 1 and 3), built once."""
    global _common_hanzi
    if _common_hanzi is None:
        chars = set()
        for lead in (0xA1, 0xA3, *range(0xB0, 0xD8)):
            for trail in range(0xA1, 0xFF):
                try:
                    chars.add(bytes((lead, trail)).decode("gb2312"))
                except UnicodeDecodeError:
                    continue
        _common_hanzi = frozenset(chars)
    return _common_hanzi


def _looks_simplified(sample: bytes) -> bool:
    try:
        text = sample.decode("gb18030")
    except UnicodeDecodeError:
        return False
    wide = _NON_ASCII.findall(text)
    return bool(wide) and sum(map(_gb2312_common().__contains__, wide)) >= 0.8 * len(wide)


def _check_text(text: str) -> str:
    """Refuses text that decoded but is mostly control characters: binary in disguise."""
    if not text:
        return text
    sample = text[:_SNIFF_BYTES]
    if len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        raise ValueError("binary file (mostly control characters)")
    return text


# -- .txt -------------------------------------------------------------------------------------


def parse_txt(text: str) -> tuple[str, str | None, str]:
    """(title, published, body) of a decoded .txt file in the seed format.

    Strips one BOM and turns CRLF and lone CR into LF; the body is everything after line 2 when
    line 2 is a date, else the whole file with an empty title.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_end = text.find("\n")
    if first_end >= 0:
        second_end = text.find("\n", first_end + 1)
        line2 = text[first_end + 1 : second_end if second_end >= 0 else len(text)]
        published = parse_date(line2)
        if published is not None:
            title = text[:first_end].strip()
            body = text[second_end + 1 :] if second_end >= 0 else ""
            return title, published, body
    return "", None, text


# -- walking ----------------------------------------------------------------------------------


@dataclass
class _Run:
    """State of one `iter_documents` call: the ids given out, as digests to keep memory low."""

    on_error: OnError
    max_bytes: int | None
    seen: set[bytes] = field(default_factory=set)
    #: (device, inode) of files never to read: the output of the run that reads.
    exclude: frozenset[tuple[int, int]] = frozenset()

    def excluded(self, path: Path) -> bool:
        if not self.exclude:
            return False
        try:
            st = path.stat()
        except OSError:
            return False
        return (st.st_dev, st.st_ino) in self.exclude

    def claim(self, doc_id: str) -> bool:
        key = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=12).digest()
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def iter_documents(
    paths: Iterable[str | Path],
    on_error: OnError,
    *,
    max_bytes: int | None = None,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[Document]:
    """Every article in `paths` (files or folders, walked recursively in sorted order).

    Problems are passed to `on_error` as `InputError` and the run goes on. `max_bytes` bounds one
    article (a .txt file, a JSON line): a larger one is reported and skipped without being held in
    memory. Without it, a huge article is read whole (memory a small multiple of its size).
    The files in `exclude` (the caller's output, say) are never read, under any name.
    """
    skip = set()
    for path in exclude:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            skip.add((st.st_dev, st.st_ino))
    run = _Run(on_error=on_error, max_bytes=max_bytes, exclude=frozenset(skip))
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


def _walk(root: Path, run: _Run) -> Iterator[Path]:
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


def _listing(folder: Path, run: _Run,
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
        run.on_error(InputError(str(folder), f"cannot list folder: {_reason(exc)}"))
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


def _stem(path: Path) -> str:
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return name.rsplit(".", 1)[0] if "." in name else name


def _read_file(path: Path, root: Path, run: _Run, *, explicit: bool) -> Iterator[Document]:
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
        yield from _read_jsonl(path, run)


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile is a binary IO
    return open(path, "rb")  # noqa: SIM115 - returned to a with-statement in the caller


def _read_txt(path: Path, root: Path, run: _Run) -> Document | None:
    where = str(path)
    try:
        if run.max_bytes is not None and not path.name.lower().endswith(".gz"):
            size = path.stat().st_size
            if size > run.max_bytes:
                run.on_error(InputError(where, f"too large ({size} bytes > {run.max_bytes})"))
                return None
        with _open_binary(path) as f:
            text = _decode_utf8_stream(f, run.max_bytes)
            if text is None:  # not plain UTF-8: read the bytes whole and detect the encoding
                f.seek(0)
                data = f.read(-1 if run.max_bytes is None else run.max_bytes + 1)
                if not data:
                    run.on_error(InputError(where, "empty file"))
                    return None
                text = decode_bytes(data)
                del data
    except _TooLarge:
        run.on_error(InputError(where, f"too large (over {run.max_bytes} bytes)"))
        return None
    except (OSError, EOFError, zlib.error) as exc:
        run.on_error(InputError(where, f"cannot read: {_reason(exc)}"))
        return None
    except ValueError as exc:
        run.on_error(InputError(where, str(exc)))
        return None
    if not text:
        run.on_error(InputError(where, "empty file"))
        return None
    title, published, body = parse_txt(text)
    del text
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


def _txt_id(path: Path, root: Path, run: _Run) -> str | None:
    stem = _stem(path)
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.as_posix()
    rel_stem = rel[: len(rel) - len(path.name)] + stem
    for candidate in (stem, rel_stem, rel):
        if run.claim(candidate):
            return candidate
    return None


class _TooLarge(Exception):
    """An article over `max_bytes`: raised while reading, reported by the caller."""


def _decode_utf8_stream(f: IO[bytes], max_bytes: int | None) -> str | None:
    """The file's text if it is UTF-8 (a BOM is dropped later), else None.

    Decoding piece by piece keeps the peak near twice the text's size: `bytes.decode` of one
    50 MB buffer of Chinese allocates three times the buffer on its way. NUL bytes (UTF-16,
    binary) and invalid UTF-8 give None, and the caller falls back to whole-file detection.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    pieces: list[str] = []
    total = 0
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise _TooLarge
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
    return _check_text(text)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# -- JSON Lines -------------------------------------------------------------------------------


def _iter_lines(f: IO[bytes], max_bytes: int | None) -> Iterator[tuple[int, str, str | None]]:
    """(line number, text without its line end, problem) of each line of a JSON Lines file.

    The problem is None, "long" (over `max_bytes`; the line was skipped in pieces, never held)
    or "encoding" (not UTF-8), and the text is then empty. Lines are split on b"\\n" only:
    U+2028 and friends are valid inside JSON strings and must not end a line, which
    `str.splitlines` would do. A line is read and decoded in pieces of at most 1 MiB, so a 50 MB
    line costs its text plus the pieces, not the three-fold transient of decoding one buffer.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    number = 0
    while True:
        chunk = f.readline(_CHUNK)
        if not chunk:
            return
        number += 1
        pieces: list[str] = []
        size = 0
        problem: str | None = None
        while True:
            ended = chunk.endswith(b"\n")
            if ended:
                chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1]
            size += len(chunk)
            if problem is None and max_bytes is not None and size > max_bytes:
                problem, pieces = "long", []
            if problem is None:
                try:
                    pieces.append(decoder.decode(chunk, final=ended))
                except UnicodeDecodeError:
                    problem, pieces = "encoding", []
            if ended:
                break
            chunk = f.readline(_CHUNK)
            if not chunk:
                if problem is None:
                    try:
                        pieces.append(decoder.decode(b"", final=True))
                    except UnicodeDecodeError:
                        problem, pieces = "encoding", []
                break
        decoder.reset()
        text = "".join(pieces)
        pieces = []
        yield number, text, problem


def _read_jsonl(path: Path, run: _Run) -> Iterator[Document]:
    where = str(path)
    stem = _stem(path)
    any_line = False
    try:
        with _open_binary(path) as f:
            for number, line, problem in _iter_lines(f, run.max_bytes):
                any_line = True
                if problem == "long":
                    run.on_error(InputError(where, f"line longer than {run.max_bytes} bytes",
                                            number))
                elif problem == "encoding":
                    run.on_error(InputError(where, "not UTF-8 (JSON Lines must be UTF-8)",
                                            number))
                else:
                    doc = _jsonl_document(line, where, stem, number, run)
                    del line
                    if doc is not None:
                        yield doc
    except (OSError, EOFError, zlib.error) as exc:
        run.on_error(InputError(where, f"cannot read: {_reason(exc)}"))
        return
    if not any_line:
        run.on_error(InputError(where, "empty file"))


def _jsonl_document(line: str, where: str, stem: str, number: int, run: _Run) -> Document | None:
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
    title = record.get("title")
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
        return _replace_unsafe(value.strip())
    return None


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
             float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# -- identity ---------------------------------------------------------------------------------


def content_hash(doc: Document) -> str:
    """sha256 over id, title, date and text: a build can skip articles it has already done.

    Each field is prefixed with its length, so moving characters from one field to the next
    changes the hash (any separator could occur inside a JSON string).
    """
    h = hashlib.sha256()
    for part in (doc.id, doc.title, doc.published or "", doc.text):
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()
