"""Sentences and words with character offsets.

One `jieba.Tokenizer` instance per process (never jieba's global one, which other code in the same
process may reconfigure), loaded once (`zhkg.resources`) and reused: loading the dictionary costs
about a second.
Words come from `zhkg.nlp.wordseg`, jieba's own algorithm and dictionary compiled (ten times faster,
the same words: tests/test_wordseg.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import jieba

from zhkg.errors import ModelError
from zhkg.nlp.wordseg import Segmenter
from zhkg.resources import resource

# Sentence ends: Chinese and ASCII terminators, and line breaks. A closing quote or bracket right
# after a terminator stays with its sentence.
_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)]*|\n+")
#: The longest sentence: text that runs on without a sentence end (a page scraped without its
#: punctuation, a table) is cut into pieces of at most this many characters, after the last
#: comma or space in reach where there is one. Every rule that looks at a whole sentence then
#: costs the same per character however long the article (news sentences are far shorter), and
#: the tagger, which reads at most 512 characters at once, never has to cut a name in two.
MAX_SENTENCE = 512
_SOFT_END = re.compile(r"[，、,：:\s]")


@resource
def tokenizer() -> jieba.Tokenizer:
    """The process's jieba tokenizer."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def sentences(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the sentences in `text`, whitespace-only spans dropped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        _add_sentence(text, start, m.end(), spans)
        start = m.end()
    if start < len(text):
        _add_sentence(text, start, len(text), spans)
    return spans


def _add_sentence(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while end - start > MAX_SENTENCE:
        cut = start + MAX_SENTENCE
        for m in _SOFT_END.finditer(text, start + MAX_SENTENCE // 2, cut):
            cut = m.end()  # the last one wins
        _add_sentence(text, start, cut, spans)
        start = cut
    if not text[start:end].isspace() and start < end:
        spans.append((start, end))


@resource
def segmenter() -> Segmenter:
    """The process's compiled segmenter over `tokenizer()`'s dictionary."""
    built = Segmenter.from_tokenizer(tokenizer())
    built.tokenize_many(["中国"])  # compiles the segmenter (numba) now, not in the first article
    return built


def words(text: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """jieba's words of `text` as (word, start, end), offsets shifted by `offset`.

    What `tokenizer().tokenize(text)` gives, from `zhkg.nlp.wordseg` (jieba's algorithm
    compiled)."""
    return words_many([text], [offset])[0]


def words_many(texts: Sequence[str], offsets: Sequence[int]) -> list[list[tuple[str, int, int]]]:
    """`words(texts[k], offsets[k])` for every k, in one compiled call."""
    return [
        [(w, s + offset, e + offset) for w, s, e in ws] if offset else ws
        for ws, offset in zip(segmenter().tokenize_many(texts), offsets, strict=True)
    ]


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """Words of a whole document, sentence by sentence, so no word crosses a sentence end."""
    for s, e in sentences(text):
        yield from words(text[s:e], s)


@resource
def dictionary_tags() -> dict[str, str]:
    """Each word of jieba's own dictionary and its part of speech, a column `jieba.Tokenizer`
    drops (reading the file costs ~0.3 s, once a process; `jieba.posseg` far more per call)."""
    path = Path(jieba.__file__).parent / "dict.txt"
    tags: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 3:
                    tags[parts[0]] = parts[2]
    except OSError as exc:
        raise ModelError(f"cannot read jieba's dictionary {path}: {exc}") from exc
    return tags


#: Parts of speech of words that never name a firm or a body: pronouns (该, 这些), numerals (多家,
#: 第一), time words (目前), adverbs (甚至), distinguishing words (大型, 主流), conjunctions,
#: prepositions, particles, locatives, quantifiers.
_FUNCTION_POS = frozenset({"r", "rr", "rz", "m", "mq", "t", "d", "b", "c", "p", "u", "uj", "ul",
                           "ud", "uv", "uz", "ug", "f", "q", "y", "e", "o", "z"})


@resource
def function_words() -> frozenset[str]:
    """Dictionary words whose part of speech is a function word's (`_FUNCTION_POS`)."""
    return frozenset(w for w, tag in dictionary_tags().items() if tag in _FUNCTION_POS)
