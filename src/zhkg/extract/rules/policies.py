"""Policies: titles after a drafting or carrying-out verb, split where titles written without
《》 run together, and numbered slogans that name programmes (三去一降一补)."""

from __future__ import annotations

import re
from collections.abc import Collection

from zhkg.extract.candidates import PATTERN, Candidate, Found
from zhkg.extract.context import DocContext
from zhkg.extract.patterns import DIGITS, HAN, POLICY_VERB
from zhkg.model import Method
from zhkg.nlp import vocabulary
from zhkg.resources import resource

_NUMERALS = "一二三四五六七八九十百两"
_CLAUSE_END = re.compile(r"[，。；！？：、,;!?\n（）()“”\"]|等")
_LEADING_JUNK = re.compile(
    rf"(?:[{DIGITS}{_NUMERALS}]*(?:个方面|个|项|份|批|条)|[年月（）()—\-])*"
)
_GENERIC_POLICY = re.compile(
    rf"^(?:相关|有关|各项|各类|一系列|系列|多项|一批|一揽子|上述|这些|该|此|各级|相应)"
    rf"|[余多]项|百余|千余|政策措施$|^[{_NUMERALS}{DIGITS}]+项"
)
# Numbered slogans name programmes: 一X一Y, 六X六Y, 三X一Y一Z (repeated numeral + character).
_SLOGAN = re.compile(rf"(?<![{_NUMERALS}])(?:[{_NUMERALS}][{HAN}]){{2,4}}")
_MEASURE_WORDS = set("届次个年月日天项条种位批家户名人元季期轮号倍成度级层点")


def policies(ctx: DocContext, found: Found) -> list[Candidate]:
    """`policy_candidates` of each sentence."""
    return [c for s, e in ctx.sentences for c in policy_candidates(ctx.text, s, e)]


def slogans(ctx: DocContext, found: Found) -> list[Candidate]:
    """`slogan_candidates` of each sentence."""
    return [c for s, e in ctx.sentences for c in slogan_candidates(ctx.text, s, e, ctx.bounds)]


def _is_policy_title(title: str) -> bool:
    """Long enough, not generic, not a clause (了), and a mechanism only when it is named."""
    if len(title) < 5 or _GENERIC_POLICY.search(title) or "了" in title:
        return False
    return not (title.endswith("机制") and len(title) < 9)


@resource
def _policy_tail_regex() -> re.Pattern[str]:
    """The end of a policy title: a policy word (vocabulary.policy_tails) or N条 (二十条)."""
    tails = "|".join(sorted(map(re.escape, vocabulary.policy_tails()), key=len, reverse=True))
    return re.compile(rf"(?:{tails}|[{_NUMERALS}]+条)")


def policy_candidates(text: str, start: int, end: int) -> list[Candidate]:
    """Policy titles after a drafting/implementing verb, split where one title ends and the next
    begins (titles without 《》 run together: "…工作方案某市关于…的通知")."""
    tails = _policy_tail_regex()
    out: list[Candidate] = []
    consumed = start
    for trig in POLICY_VERB.finditer(text, start, end):
        if trig.start() < consumed:
            continue  # a verb inside a title already read (…实施意见, 落实…的通知)
        # the region runs from the verb to the end of the clause
        stop = _CLAUSE_END.search(text, trig.end(), end)
        region_end = stop.start() if stop else end
        # a second verb right after the first ("制定出台", "制定下发了") belongs to the trigger
        pos = trig.end()
        nxt = POLICY_VERB.match(text, pos, region_end)
        while nxt:
            pos = nxt.end()
            nxt = POLICY_VERB.match(text, pos, region_end)
        piece_start = pos
        consumed = region_end
        for tail in tails.finditer(text, pos, region_end):
            after = text[tail.end() : tail.end() + 1]
            last = tail.end() >= region_end or not tails.search(text, tail.end(), region_end)
            if not last and after in "的之和与及暨":
                continue  # "…措施的紧急通知": the title goes on
            lead = _LEADING_JUNK.match(text, piece_start, tail.start())
            s = lead.end() if lead else piece_start
            title = text[s : tail.end()]
            if _is_policy_title(title):
                out.append(Candidate(s, tail.end(), "Policy", Method.POLICY_TITLE, 0.8, PATTERN))
            piece_start = tail.end()
    return out



def slogan_candidates(text: str, start: int, end: int,
                      bounds: Collection[int]) -> list[Candidate]:
    """Numbered slogans that start and end on word boundaries (`bounds`)."""
    out: list[Candidate] = []
    for m in _SLOGAN.finditer(text, start, end):
        s, e = m.start(), m.end()
        while e - s > 4 and e not in bounds:  # 一企一策 + 一专班: end where a word ends
            e -= 2
        chars = text[s + 1 : e : 2]
        if any(c in _NUMERALS or c in _MEASURE_WORDS for c in chars) or len(set(chars)) < len(
            chars
        ):
            continue  # 一一, 七届九次: counts, not a slogan
        if s in bounds and e in bounds:
            out.append(Candidate(s, e, "Policy", Method.SLOGAN, 0.7, PATTERN))
    return out

