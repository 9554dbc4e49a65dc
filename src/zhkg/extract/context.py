"""One document as every rule sees it: its sentences, words and tagged names, computed once.

`DocContext.of(doc)` segments the text (sentences, jieba's words, the word boundaries) and runs
the CRF tagger over every sentence in both annotation conventions; the mention rules, the
overlap passes and the relation rules all read this one value instead of segmenting again. The
tuning `Settings` travel with it, so a bench or a test passes its own instead of changing
module globals.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from zhkg.model import Document, EntityType, Evidence, Method
from zhkg.nlp import segment
from zhkg.nlp.tagger import DOMAIN_NEWS, DOMAIN_PD, TaggedSpan, Tagger

#: A jieba word and its half-open offsets (into the document, unless said otherwise).
Word = tuple[str, int, int]
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Settings:
    """The extractor's tuning, chosen on the dev splits with a model trained on the train splits
    only (benches/extractor_dev.py, src/zhkg/data/TAGGER.md)."""

    #: Above this marginal probability the tagger's own reading stands; below it, a name must
    #: also look like its type (a post title, a body's ending, a place's ending, not a common
    #: word).
    sure: float = 0.8
    #: A tagged post that ends like a person's role (分析师, 驾驶员, 经济学家, 主持人) needs only
    #: this marginal (dev: 0.5 0.7335, 0.6 0.7346, 0.7 0.7331 CLUENER micro F1; seeds unchanged).
    post_floor: float = 0.6
    #: Types read in People's Daily's convention too (places and organisations; its persons cost
    #: CLUENER's names more than they gave), and the marginal they need there.
    pd_types: frozenset[EntityType] = field(
        default=frozenset({"Place", "Company", "GovernmentBody", "Organization"}))
    pd_sure: float = 0.9


SETTINGS = Settings()

#: Characters of sentences tagged in one call. The CRF's arrays take some 700 bytes a character
#: while a call runs: a long article is tagged a batch at a time, in as little memory as a short
#: one (the results do not change: each sentence is read on its own).
TAG_BATCH = 32_768

# A lone surrogate (possible in a Document built in code, never from the reader) becomes U+FFFD
# for the CRF, one character for one, so offsets stay.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class DocContext:
    """A document's sentences, words and tagged names. Build it with `DocContext.of`."""

    doc: Document
    sentences: tuple[Span, ...]
    #: jieba's words of each sentence, with offsets into the document.
    words: tuple[tuple[Word, ...], ...]
    #: Every offset where a word starts or ends.
    bounds: frozenset[int]
    #: The tagger's names in each sentence, in the news convention (CLUENER's, fine types, posts
    #: marked) and in People's Daily's; offsets into the sentence.
    tagged: tuple[tuple[TaggedSpan, ...], ...]
    tagged_pd: tuple[tuple[TaggedSpan, ...], ...]
    settings: Settings = SETTINGS

    @classmethod
    def of(cls, doc: Document, tagger: Tagger | None = None,
           settings: Settings = SETTINGS) -> DocContext:
        text = doc.text
        sentences = tuple(segment.sentences(text))
        words = tuple(tuple(ws) for ws in segment.words_many(
            [text[s:e] for s, e in sentences], [s for s, _ in sentences]))
        bounds = frozenset(b for ws in words for w in ws for b in w[1:])
        news, pd = _tag(tagger or Tagger.default(), text, sentences, words)
        return cls(doc, sentences, words, bounds, news, pd, settings)

    @property
    def text(self) -> str:
        return self.doc.text

    def sentence_of(self, pos: int) -> Span:
        """The sentence span containing `pos` (`(pos, pos)` between sentences)."""
        return sentence_of(self.sentences, pos)

    def in_sentences(self, cands: Iterable[_S]) -> list[list[_S]]:
        """The spans that start in each sentence, in their order: a rule that runs sentence by
        sentence then looks at its own sentence's, not at every one in a long article."""
        return in_sentences(cands, self.sentences)

    def evidence(self, start: int, end: int, method: Method, confidence: float) -> Evidence:
        """Evidence for [start, end) read by `method`, with the sentence around `start`."""
        ss, se = self.sentence_of(start)
        return Evidence(self.doc.id, start, end, method.value, confidence, ss, se)


class _Spanned(Protocol):
    @property
    def start(self) -> int: ...


_S = TypeVar("_S", bound=_Spanned)


def in_sentences(cands: Iterable[_S], sentences: Sequence[Span]) -> list[list[_S]]:
    """`DocContext.in_sentences` over any sorted, disjoint sentence spans."""
    out: list[list[_S]] = [[] for _ in sentences]
    starts = [s for s, _ in sentences]
    for c in cands:
        i = bisect_right(starts, c.start) - 1
        if i >= 0 and c.start < sentences[i][1]:
            out[i].append(c)
    return out


def sentence_of(sentences: Sequence[Span], pos: int) -> Span:
    """The sentence span containing `pos` (sentences are sorted and disjoint)."""
    lo, hi = 0, len(sentences) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        s, e = sentences[mid]
        if pos < s:
            hi = mid - 1
        elif pos >= e:
            lo = mid + 1
        else:
            return s, e
    return (pos, pos)


def _batches(spans: Sequence[Span]) -> Iterator[Span]:
    """(first, end) indexes of runs of `spans` of about `TAG_BATCH` characters."""
    first = size = 0
    for i, (s, e) in enumerate(spans):
        size += e - s
        if size >= TAG_BATCH:
            yield first, i + 1
            first, size = i + 1, 0
    if first < len(spans):
        yield first, len(spans)


def _tag(tagger: Tagger, text: str, sentences: Sequence[Span], words: Sequence[Sequence[Word]],
         ) -> tuple[tuple[tuple[TaggedSpan, ...], ...], tuple[tuple[TaggedSpan, ...], ...]]:
    """The tagger's names in each sentence in both conventions, tagged in batches of sentences
    (`Tagger.tag_domains`), with sentence offsets."""
    clean = _SURROGATE.sub("\ufffd", text)
    news: list[tuple[TaggedSpan, ...]] = []
    pd: list[tuple[TaggedSpan, ...]] = []
    for a, b in _batches(sentences):
        texts = [clean[s:e] for s, e in sentences[a:b]]
        local = [[(w, ws - s, we - s) for w, ws, we in sw]
                 for (s, _), sw in zip(sentences[a:b], words[a:b], strict=True)]
        tagged, tagged_pd = tagger.tag_domains(texts, local, (DOMAIN_NEWS, DOMAIN_PD))
        news += map(tuple, tagged)
        pd += map(tuple, tagged_pd)
    return tuple(news), tuple(pd)
