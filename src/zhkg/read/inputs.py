"""What every reader of one run shares: the limits on one article (`Run`), the ids given out,
and byte input from a file, a .gz one watched for a decompression bomb."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from zhkg.errors import InputError

TXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".json-lines", ".ndjson")

#: JSON Lines are read in pieces of this size so a huge line can be skipped without holding it.
CHUNK = 1 << 20
#: Articles longer than this many characters (title and text) are skipped, named, unless the
#: caller sets another limit (`zhkg build/extract --max-article-chars`). Extraction costs 6 to
#: 10 µs and about 200 bytes a character (benches/article_length.py): two million characters,
#: some 6 MB of Chinese and far beyond any news article, take 12 to 20 s and 0.4 GB in a worker.
DEFAULT_MAX_ARTICLE_CHARS = 2_000_000
#: Bytes a character can take in a file: 4 in UTF-8, UTF-16 and GB18030, and 12 in a JSON string
#: (a character beyond the BMP as two \u escapes). An input with more bytes than the article
#: limit allows is skipped while it is read, without being held: the limit bounds memory too.
TXT_BYTES_PER_CHAR = 4
JSON_BYTES_PER_CHAR = 12
#: Room for what is not the article in a .txt file (date line, line ends, byte order mark) and
#: in a JSON line (the id, the date, other fields).
TXT_SLACK = 4096
JSON_SLACK = 1 << 20
#: A .gz input may expand to this many times the compressed bytes read, past its first
#: `EXPANSION_FLOOR` bytes. Text compresses 3 to 10 times; a decompression bomb (1 MB that
#: expands to 1 GiB) a thousand times: it is skipped, named, before it fills memory or disk.
MAX_EXPANSION = 100
EXPANSION_FLOOR = 16 << 20

OnError = Callable[[InputError], None]


@dataclass
class Run:
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


class Bomb(Exception):
    """A .gz input that expanded more than `MAX_EXPANSION` times: raised while reading."""

    def __init__(self, expanded: int) -> None:
        super().__init__(expanded)
        self.expanded = expanded

    def reason(self) -> str:
        return (f"decompresses to more than {MAX_EXPANSION} times its size (a decompression "
                f"bomb?); skipped after {self.expanded:,} bytes")


class GzipInput:
    """A .gz file read through a watch on how far it expands (`MAX_EXPANSION`): the per-article
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
        if (self.expanded > EXPANSION_FLOOR
                and self.expanded > MAX_EXPANSION * self.raw.tell()):
            raise Bomb(self.expanded)
        return data

    def read(self, size: int = -1) -> bytes:
        if size < 0:  # piece by piece, so that the watch sees each
            return b"".join(iter(lambda: self.read(CHUNK), b""))
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

    def __enter__(self) -> GzipInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Binary = IO[bytes] | GzipInput


def open_binary(path: Path) -> Binary:
    if path.name.lower().endswith(".gz"):
        return GzipInput(path)
    return open(path, "rb")  # noqa: SIM115 - returned to a with-statement in the caller


class TooLarge(Exception):
    """An article over `max_bytes`: raised while reading, reported by the caller."""


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def file_stem(path: Path) -> str:
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return name.rsplit(".", 1)[0] if "." in name else name
