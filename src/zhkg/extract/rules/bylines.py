"""Bylines: the publisher in the dateline, the reporters and photographers at the top of the
article, the editors at its foot.

Chinese bylines run names together ("记者甲乙丙丁"): `zhkg.nlp.names.split_names` cuts them.
"""

from __future__ import annotations

import re

from zhkg.extract.candidates import PATTERN, Candidate, Found
from zhkg.extract.context import DocContext
from zhkg.extract.patterns import DIGITS, HAN, particle
from zhkg.model import EntityType, Method
from zhkg.nlp import names, segment, vocabulary

_DATELINE = re.compile(
    rf"(?:据|来自|转自)?(?P<agency>[{HAN}]{{2,8}}?社)(?P<place>[{HAN}]{{2,6}}?)[{DIGITS}]*月[{DIGITS}]*日电"
)
_REPORTER = re.compile(r"(?:本报|本台|本刊|本网|新华社|特约|见习|首席|驻\w{1,4})?(?:记者|通讯员)")
_PHOTO = re.compile("摄影?(?:报道)?")
_EDITOR = re.compile(r"(?:责任编辑|责编|编辑|校对)[:：\s]*")
_BYLINE_WINDOW = 160  # bylines stand at the top of the article; "记者" later on is a speaker


def bylines(ctx: DocContext, found: Found) -> list[Candidate]:
    """Publisher, authors, photographers at the top; editors at the bottom."""
    text = ctx.text
    out: list[Candidate] = []
    head = min(len(text), _BYLINE_WINDOW)
    m = _DATELINE.search(text, 0, head)
    if m:
        known = vocabulary.central_body_info(m["agency"])
        agency_type: EntityType = known.type if known else "Organization"
        out.append(
            Candidate(
                m.start("agency"),
                m.end("agency"),
                agency_type,
                Method.BYLINE_PUBLISHER,
                0.95,
                PATTERN,
            )
        )
    for m in _REPORTER.finditer(text, 0, head):
        if _starts_with_particle(text, m.end()):
            continue  # 记者 + 向某地住建局求证: a sentence, not a byline
        for s, e in names.split_names(text, m.end(), len(text), max_names=6):
            out.append(Candidate(s, e, "Person", Method.BYLINE_AUTHOR, 0.85, PATTERN))
    for m in _PHOTO.finditer(text, 0, head):
        # names run backwards from 摄 to the previous delimiter
        left = max(text.rfind(ch, 0, m.start()) for ch in "。！？\n ，") + 1
        spans = names.split_names(text, left, m.start(), max_names=4)
        if spans and spans[-1][1] == m.start():
            out.extend(
                Candidate(s, e, "Person", Method.BYLINE_PHOTOGRAPHER, 0.85, PATTERN)
                for s, e in spans
            )
            # names between 摄 and 记者 are the article's authors
            nxt = _REPORTER.search(text, m.end(), head)
            if nxt:
                for s, e in names.split_names(text, m.end(), nxt.start(), max_names=4):
                    if e <= nxt.start():
                        out.append(
                            Candidate(s, e, "Person", Method.BYLINE_AUTHOR, 0.75, PATTERN)
                        )
    tail_from = max(0, len(text) - 60)
    for m in _EDITOR.finditer(text, tail_from):
        for s, e in names.split_names(text, m.end(), len(text), max_names=3):
            out.append(Candidate(s, e, "Person", Method.BYLINE_EDITOR, 0.9, PATTERN))
    return out


def _starts_with_particle(text: str, pos: int) -> bool:
    """Whether jieba reads a preposition or a conjunction on its own at `pos` (向, 和, 从)."""
    first = next(iter(segment.words(text[pos : pos + 8])), None)
    return first is not None and len(first[0]) == 1 and particle(first[0])


