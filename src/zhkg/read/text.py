"""Text inside an article: dates, markup blanked in place (offsets kept), unsafe characters,
and the seed format of a .txt file (title, date, body)."""

from __future__ import annotations

import html
import html.entities
import re
import unicodedata

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
    return replace_unsafe(blank_markup(text))


def replace_unsafe(text: str) -> str:
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

