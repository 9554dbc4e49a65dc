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
`inputs.MAX_EXPANSION` times its size (a decompression bomb) is skipped where that is found.

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

import hashlib

from zhkg.model import Document
from zhkg.read.decode import decode_bytes
from zhkg.read.files import iter_documents
from zhkg.read.inputs import DEFAULT_MAX_ARTICLE_CHARS, JSONL_SUFFIXES, TXT_SUFFIXES, OnError
from zhkg.read.text import blank_markup, clean_text, parse_date, parse_txt

__all__ = [
    "DEFAULT_MAX_ARTICLE_CHARS",
    "JSONL_SUFFIXES",
    "TXT_SUFFIXES",
    "OnError",
    "blank_markup",
    "clean_text",
    "content_hash",
    "decode_bytes",
    "iter_documents",
    "parse_date",
    "parse_txt",
]


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
