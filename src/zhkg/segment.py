"""Sentences and words with character offsets.

One `jieba.Tokenizer` instance per process (never jieba's global one, which other code in the same
process may reconfigure), loaded once and reused: loading the dictionary costs about a second.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator

import jieba

# Sentence ends: Chinese and ASCII terminators, and line breaks. A closing quote or bracket right
# after a terminator stays with its sentence.
_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)]*|\n+")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    """The process's jieba tokenizer, initialised on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                logging.getLogger("jieba").setLevel(logging.WARNING)
                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                _tokenizer = tok
    return _tokenizer


def sentences(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the sentences in `text`, whitespace-only spans dropped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return spans


def words(text: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """jieba's words of `text` as (word, start, end), offsets shifted by `offset`."""
    return [(w, s + offset, e + offset) for w, s, e in tokenizer().tokenize(text)]


def iter_words(text: str) -> Iterator[tuple[str, int, int]]:
    """Words of a whole document, sentence by sentence, so no word crosses a sentence end."""
    for s, e in sentences(text):
        yield from words(text[s:e], s)
