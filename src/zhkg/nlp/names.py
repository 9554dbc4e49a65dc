"""Person names written without separators, as in Chinese bylines ("记者甲乙丙丁戊己").

Chinese bylines and name lists often run names together. A name is a surname (single or compound)
plus one or two given-name characters; where both lengths fit, the one whose end lines up with
what follows (another surname, a dictionary word, punctuation or the end) wins.
"""

from __future__ import annotations

from zhkg.nlp import gazetteer, segment, vocabulary
from zhkg.nlp.data import data_lines
from zhkg.resources import resource


def _lexicon(name: str) -> frozenset[str]:
    return frozenset(w for line in data_lines(name) for w in line.split())


@resource
def surnames() -> frozenset[str]:
    return _lexicon("surnames.txt")


@resource
def industries() -> frozenset[str]:
    return _lexicon("industries.txt")


def surname_at(text: str, pos: int) -> int:
    """Length of the surname starting at `pos` (2 for compound surnames), or 0."""
    names = surnames()
    if text[pos : pos + 2] in names:
        return 2
    return 1 if text[pos : pos + 1] in names else 0


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _boundary_score(text: str, end: int, limit: int) -> int:
    """How well a name ending at `end` fits what follows it."""
    if end >= limit or not _is_han(text[end]) or any(
            gazetteer.places_named(text[end : end + n]) for n in (2, 3)):
        return 3  # the end, a symbol, or a place (记者某某 + 北京报道)
    if surname_at(text, end) and end + 2 <= limit and all(_is_han(c) for c in text[end : end + 2]):
        return 2
    freq = segment.tokenizer().FREQ
    for n in (4, 3, 2):
        word = text[end : end + n]
        if len(word) == n and freq.get(word):
            return 2
    # No dictionary word: does jieba's HMM still start a word of two or more characters there?
    first = next(iter(segment.tokenizer().cut(text[end : min(limit, end + 8)])), "")
    return 1 if len(first) >= 2 else 0


def _not_given_name(word: str) -> bool:
    """A function word or a title's word does not start a given name: 和 + 一些, 和 + 首席 (和 is
    a surname, and a conjunction)."""
    return (word in segment.function_words() or word in vocabulary.post_modifiers()
            or word in vocabulary.post_titles())


def split_names(text: str, start: int, limit: int, max_names: int = 8) -> list[tuple[int, int]]:
    """Spans of consecutive names starting at `start`, stopping at `limit` or at a non-name."""
    spans: list[tuple[int, int]] = []
    pos = start
    while pos < limit and len(spans) < max_names:
        sl = surname_at(text, pos)
        if not sl or _not_given_name(text[pos + sl : pos + sl + 2]):
            break
        best: tuple[int, int] | None = None
        for given in (2, 1):
            end = pos + sl + given
            if end > limit or not all(_is_han(c) for c in text[pos:end]):
                continue
            score = _boundary_score(text, end, limit)
            if best is None or score > best[0]:
                best = (score, end)
        if best is None or (best[0] == 0 and spans):
            break
        spans.append((pos, best[1]))
        pos = best[1]
    return spans
