"""Bytes to text: UTF-8, UTF-16, GB18030 or Big5, detected, and binary refused."""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

from zhkg.resources import resource

#: Bytes of a file looked at to guess its encoding; the whole file is then decoded strictly.
SNIFF_BYTES = 256 * 1024
#: Candidate encodings when a file is not UTF-8, in order of preference for Chinese news.
_FALLBACK_ENCODINGS = ("gb18030", "big5")
#: A decoded text with more than this share of control characters is binary, not an article.
_MAX_CONTROL_SHARE = 0.05


# -- decoding ---------------------------------------------------------------------------------


def decode_bytes(data: bytes) -> str:
    """Text from the bytes of a file: UTF-8 (BOM or not), UTF-16, else GB18030/Big5/detected.

    Raises ValueError with a short reason when the bytes are binary or in no encoding we can
    trust; the caller turns it into an InputError naming the file.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return check_text(data[len(codecs.BOM_UTF8) :].decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValueError("starts with a UTF-8 byte order mark but has "
                             + _utf8_error_at(data, exc.start + len(codecs.BOM_UTF8))) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return check_text(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise ValueError("invalid UTF-16 text") from None
    if b"\x00" in data:
        return check_text(_decode_utf16_without_bom(data))
    try:
        return check_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        if _mostly_utf8(data[:SNIFF_BYTES]):
            # UTF-8 with a few bad bytes (a truncated copy, two files joined): any other reading
            # would be mojibake, and where the damage is tells the user what to repair
            raise ValueError(_utf8_error_at(data, exc.start) + " of a UTF-8 file") from None
    for encoding in _candidate_encodings(data):
        try:
            return check_text(data.decode(encoding))
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
    sample = data[:SNIFF_BYTES]
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
            head = text[: SNIFF_BYTES // 2]
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
    sample = data[:SNIFF_BYTES]
    if len(data) > SNIFF_BYTES and b"\n" in sample:
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


def check_text(text: str) -> str:
    """Refuses text that decoded but is mostly control characters: binary in disguise."""
    if not text:
        return text
    sample = text[:SNIFF_BYTES]
    if len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        raise ValueError("binary file (mostly control characters)")
    return text

