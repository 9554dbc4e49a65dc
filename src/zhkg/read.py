"""Articles from .txt files, folders and JSON Lines, one `Document` at a time.

Users bring folders of thousands to millions of articles, so everything here streams: folders are
walked one directory at a time in sorted order (the same corpus gives the same documents in the
same order on every machine), JSON Lines are read line by line (a long line in 1 MiB pieces), and
only one article's text is held at once: a 50 MB single-line article peaks at about 1.35 times
its size (benches/bench_read.py). The only per-corpus state is the set of ids already given out
(12-byte digests, about 80 bytes an article), needed to keep ids unique and report duplicates.

A problem with one input never stops the run: it becomes an `InputError` naming the file (and the
line, for JSON Lines) passed to `on_error`, and reading goes on with the next input. So does an
input that would cost too much: an article longer than `DEFAULT_MAX_ARTICLE_CHARS` characters
(or the caller's limit) is skipped, and one whose input has more bytes than that many characters
can take is skipped as it is read, never held; a .gz input that expands more than
`_MAX_EXPANSION` times its size (a decompression bomb) is skipped where that is found.

Decisions, so callers can rely on them:

* Folders are walked in sorted path order (names compared as strings at each level, a subfolder
  entered where its name sorts), the same order as ``sorted(Path.rglob("*"))`` by parts.
* Inside a folder only ``.txt``, ``.jsonl``, ``.json-lines``, ``.ndjson`` (optionally ``.gz``) are
  read; other files and hidden files/folders (``.git``) are skipped silently, since a corpus
  folder often holds a README or an index. A file named on the command line with another
  extension is reported, since the user asked for it explicitly.
* Encodings (.txt): UTF-8 with or without a BOM first; UTF-16 with a BOM, or without one when
  its NUL bytes say so; otherwise GB18030 when the bytes read as common simplified Chinese, Big5
  when they read as common traditional Chinese, then charset-normalizer's guess, then Big5. A
  file that is UTF-8 but for a few bad bytes is reported with the byte offset and line of the
  first (any other reading would be mojibake). NUL bytes that are not UTF-16, or text that is
  mostly control characters, make a "binary file" error. JSON Lines must be UTF-8 (a line that
  is not is reported, with the offset of its first bad byte in the file). A text of a few
  characters is ambiguous between encodings and may be misread.
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
import html.entities
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
from zhkg.resources import resource

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
#: Articles longer than this many characters (title and text) are skipped, named, unless the
#: caller sets another limit (`zhkg build/extract --max-article-chars`). Extraction costs 6 to
#: 10 µs and about 200 bytes a character (benches/article_length.py): two million characters,
#: some 6 MB of Chinese and far beyond any news article, take 12 to 20 s and 0.4 GB in a worker.
DEFAULT_MAX_ARTICLE_CHARS = 2_000_000
#: Bytes a character can take in a file: 4 in UTF-8, UTF-16 and GB18030, and 12 in a JSON string
#: (a character beyond the BMP as two \u escapes). An input with more bytes than the article
#: limit allows is skipped while it is read, without being held: the limit bounds memory too.
_TXT_BYTES_PER_CHAR = 4
_JSON_BYTES_PER_CHAR = 12
#: Room for what is not the article in a .txt file (date line, line ends, byte order mark) and
#: in a JSON line (the id, the date, other fields).
_TXT_SLACK = 4096
_JSON_SLACK = 1 << 20
#: A .gz input may expand to this many times the compressed bytes read, past its first
#: `_EXPANSION_FLOOR` bytes. Text compresses 3 to 10 times; a decompression bomb (1 MB that
#: expands to 1 GiB) a thousand times: it is skipped, named, before it fills memory or disk.
_MAX_EXPANSION = 100
_EXPANSION_FLOOR = 16 << 20

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
        # a named entity only by its whole name: unescape alone would also read the legacy
        # prefix of a longer word ("&ampx;" -> "&x;")
        char = html.unescape(s) if s.startswith("&#") else html.entities.html5.get(s[1:], s)
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
        except UnicodeDecodeError as exc:
            raise ValueError("starts with a UTF-8 byte order mark but has "
                             + _utf8_error_at(data, exc.start + len(codecs.BOM_UTF8))) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _check_text(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise ValueError("invalid UTF-16 text") from None
    if b"\x00" in data:
        return _check_text(_decode_utf16_without_bom(data))
    try:
        return _check_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        if _mostly_utf8(data[:_SNIFF_BYTES]):
            # UTF-8 with a few bad bytes (a truncated copy, two files joined): any other reading
            # would be mojibake, and where the damage is tells the user what to repair
            raise ValueError(_utf8_error_at(data, exc.start) + " of a UTF-8 file") from None
    for encoding in _candidate_encodings(data):
        try:
            return _check_text(data.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    raise ValueError("not text in a known encoding (tried UTF-8, GB18030, Big5)")


def _utf8_error_at(data: bytes, offset: int) -> str:
    """Where invalid UTF-8 starts, as a user can find it: the byte offset in the file and the
    line (1-based, counting b"\\n")."""
    line = data.count(b"\n", 0, offset) + 1
    return f"invalid UTF-8 at byte {offset} (line {line})"


#: Valid UTF-8 characters beyond ASCII, per invalid byte, in text that is UTF-8 with damage. GBK,
#: Big5 and Shift-JIS text makes a few valid UTF-8 characters by chance, and far more bad bytes.
_UTF8_MAJORITY = 20


def _mostly_utf8(sample: bytes) -> bool:
    text = sample.decode("utf-8", "surrogateescape")  # each invalid byte: one lone surrogate
    bad = len(_ESCAPED.findall(text))
    good = len(_NON_ASCII.findall(text)) - bad
    return good >= 8 and bad * _UTF8_MAJORITY <= good


_ESCAPED = re.compile("[\udc80-\udcff]")


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
    if _looks_traditional(sample):
        return ["big5", "gb18030"]
    best = charset_normalizer.from_bytes(sample).best()
    guesses: list[str] = []
    if best is not None:
        # GBK is a subset of GB18030; decoding with the superset accepts the rarer characters.
        guessed = best.encoding.lower().replace("-", "_")
        guesses.append("gb18030" if guessed in ("gbk", "gb2312", "cp936") else guessed)
    return guesses + [e for e in _FALLBACK_ENCODINGS if e not in guesses]


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")  # C0 controls other than \t \n \v \f \r


@resource
def _gb2312_common() -> frozenset[str]:
    """The 3,755 most used simplified characters (GB2312 rows 16-55) with Chinese punctuation
    and full-width forms (rows 1 and 3)."""
    chars = set()
    for lead in (0xA1, 0xA3, *range(0xB0, 0xD8)):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


@resource
def _big5_common() -> frozenset[str]:
    """The 5,401 frequently used characters of Big5 (lead bytes 0xA4-0xC6) with its punctuation
    and symbols (0xA1-0xA3): what traditional Chinese text is mostly made of, while GBK or
    Shift-JIS bytes read as Big5 fall all over the table. charset-normalizer alone reads a
    short Big5 text as Shift-JIS more often than not."""
    chars = set()
    for lead in range(0xA1, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


def _looks_simplified(sample: bytes) -> bool:
    return _mostly_common(sample, "gb18030", _gb2312_common())


def _looks_traditional(sample: bytes) -> bool:
    return _mostly_common(sample, "big5", _big5_common())


def _mostly_common(sample: bytes, encoding: str, common: frozenset[str]) -> bool:
    try:
        text = sample.decode(encoding)
    except UnicodeDecodeError:
        return False
    wide = _NON_ASCII.findall(text)
    return bool(wide) and sum(map(common.__contains__, wide)) >= 0.8 * len(wide)


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
    """State of one `iter_documents` call: the limits, and the ids given out, as digests to keep
    memory low."""

    on_error: OnError
    max_bytes: int | None
    max_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS
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

    def cap(self, per_char: int, slack: int) -> int | None:
        """The bytes one article may take in an input (`per_char` bytes a character at most):
        `max_bytes`, or fewer if no article of `max_chars` characters can take more."""
        caps = [self.max_bytes]
        if self.max_chars is not None:
            caps.append(self.max_chars * per_char + slack)
        return min((c for c in caps if c is not None), default=None)

    def too_large(self, cap: int, size: int | None = None, *, line: bool = False) -> str:
        """Why an input (a JSON line with `line`) over `cap` bytes, `size` if known before
        reading, was not read."""
        if line:
            head, tail = f"line longer than {cap} bytes", ""
        elif size is None:
            head, tail = f"too large (over {cap} bytes", ")"
        else:
            head, tail = f"too large ({size} bytes > {cap}", ")"
        if cap != self.max_bytes:
            head += f": more than {self.max_chars} characters, the limit of --max-article-chars"
        return head + tail

    def too_long(self, chars: int) -> str | None:
        """Why an article of `chars` characters is not read, or None if it is within the limit."""
        if self.max_chars is None or chars <= self.max_chars:
            return None
        return (f"article too long ({chars} characters > {self.max_chars}, the limit of "
                "--max-article-chars)")

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
    max_chars: int | None = DEFAULT_MAX_ARTICLE_CHARS,
) -> Iterator[Document]:
    """Every article in `paths` (files or folders, walked recursively in sorted order).

    Problems are passed to `on_error` as `InputError` and the run goes on. `max_chars` bounds
    one article's title and text (None: no limit): a longer one is reported and skipped, and one
    whose input has more bytes than so many characters can take is skipped while it is read,
    without being held in memory. `max_bytes` bounds the bytes of one article's input (a .txt
    file, a JSON line) the same way. A .gz input that expands more than `_MAX_EXPANSION` times
    is reported and skipped where the expansion is found (a decompression bomb). The files in
    `exclude` (the caller's output, say) are never read, under any name.
    """
    skip = set()
    for path in exclude:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            skip.add((st.st_dev, st.st_ino))
    run = _Run(on_error=on_error, max_bytes=max_bytes, max_chars=max_chars,
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


class _Bomb(Exception):
    """A .gz input that expanded more than `_MAX_EXPANSION` times: raised while reading."""

    def __init__(self, expanded: int) -> None:
        super().__init__(expanded)
        self.expanded = expanded

    def reason(self) -> str:
        return (f"decompresses to more than {_MAX_EXPANSION} times its size (a decompression "
                f"bomb?); skipped after {self.expanded:,} bytes")


class _GzipInput:
    """A .gz file read through a watch on how far it expands (`_MAX_EXPANSION`): the per-article
    byte limits bound what is held, this bounds the work of reading on past it."""

    def __init__(self, path: Path) -> None:
        self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            self.gz = gzip.GzipFile(fileobj=self.raw, mode="rb")
        except BaseException:
            self.raw.close()
            raise
        self.expanded = 0

    def _watch(self, data: bytes) -> bytes:
        self.expanded += len(data)
        if (self.expanded > _EXPANSION_FLOOR
                and self.expanded > _MAX_EXPANSION * self.raw.tell()):
            raise _Bomb(self.expanded)
        return data

    def read(self, size: int = -1) -> bytes:
        if size < 0:  # piece by piece, so that the watch sees each
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        return self._watch(self.gz.read(size))

    def readline(self, size: int) -> bytes:
        return self._watch(self.gz.readline(size))

    def seek(self, offset: int) -> int:
        self.expanded = offset
        return self.gz.seek(offset)

    def close(self) -> None:
        try:
            self.gz.close()
        finally:
            self.raw.close()

    def __enter__(self) -> _GzipInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_Binary = IO[bytes] | _GzipInput


def _open_binary(path: Path) -> _Binary:
    if path.name.lower().endswith(".gz"):
        return _GzipInput(path)
    return open(path, "rb")  # noqa: SIM115 - returned to a with-statement in the caller


def _read_txt(path: Path, root: Path, run: _Run) -> Document | None:
    where = str(path)
    cap = run.cap(_TXT_BYTES_PER_CHAR, _TXT_SLACK)
    try:
        if cap is not None and not path.name.lower().endswith(".gz"):
            size = path.stat().st_size
            if size > cap:
                run.on_error(InputError(where, run.too_large(cap, size)))
                return None
        with _open_binary(path) as f:
            text = _decode_utf8_stream(f, cap)
            if text is None:  # not plain UTF-8: read the bytes whole and detect the encoding
                f.seek(0)
                data = f.read(-1 if cap is None else cap + 1)
                if cap is not None and len(data) > cap:
                    raise _TooLarge
                if not data:
                    run.on_error(InputError(where, "empty file"))
                    return None
                text = decode_bytes(data)
                del data
    except _TooLarge:
        assert cap is not None
        run.on_error(InputError(where, run.too_large(cap)))
        return None
    except _Bomb as exc:
        run.on_error(InputError(where, exc.reason()))
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


def _decode_utf8_stream(f: _Binary, max_bytes: int | None) -> str | None:
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


def _iter_lines(f: _Binary, max_bytes: int | None) -> Iterator[tuple[int, str, str | None, int]]:
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
        chunk = f.readline(_CHUNK)
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
            chunk = f.readline(_CHUNK)
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


def _read_jsonl(path: Path, run: _Run) -> Iterator[Document]:
    where = str(path)
    stem = _stem(path)
    any_line = False
    number = 0
    cap = run.cap(_JSON_BYTES_PER_CHAR, _JSON_SLACK)
    try:
        with _open_binary(path) as f:
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
    except _Bomb as exc:
        run.on_error(InputError(where, exc.reason(), number + 1))
        return
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
