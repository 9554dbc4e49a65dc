"""Entity mentions in one document: a trained tagger, gazetteers and patterns, merged.

Each source proposes `Candidate`s; `merge` keeps the best non-overlapping ones (patterns first, then
the longest), keeps places nested inside organisation and policy names (they carry the place's
adcode), and `propagate` finds the other occurrences of names already found (one sense per
discourse), which is how a name the tagger saw once in a clear context is found everywhere.
The patterns cover what no training data annotates: bylines, post-title chains, policy titles
written without 《》 and run together, and company enumerations written without separators.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import ahocorasick

from zhkg import gazetteer, names, segment
from zhkg.model import (
    BYLINE_ROLES,
    ORGANISATIONS,
    PERSONS,
    Document,
    EntityType,
    Evidence,
    Mention,
    Method,
)
from zhkg.resources import resource
from zhkg.tagger import DOMAIN_NEWS, DOMAIN_PD, TRANSLITERATION, TaggedSpan, Tagger

# Priorities: a pattern knows more than a lexicon, which knows more than the tagger.
PATTERN, LEXICON, TAGGER, PROPAGATED = 3, 2, 1, 0

HAN = "\u4e00-\u9fff"
_DIGITS = "0-9０-９"
_NUMERALS = "一二三四五六七八九十百两"


@dataclass(frozen=True, slots=True)
class Candidate:
    start: int
    end: int
    type: EntityType
    method: Method
    confidence: float
    priority: int
    key: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


class _Spans:
    """Half-open spans, asked "does one overlap [lo, hi)?" and "which start in [lo, hi)?" in
    logarithmic time: checking each candidate against every span of a long article took time
    quadratic in its length."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]
        self.reach = list(itertools.accumulate((e for _, e in self.spans), max))  # prefix max
        self.exact = set(self.spans)

    def overlaps(self, lo: int, hi: int) -> bool:
        """Whether a span starts before `hi` and ends after `lo`."""
        k = bisect_left(self.starts, hi)
        return k > 0 and self.reach[k - 1] > lo

    def starting_in(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The spans that start in [lo, hi), in order."""
        return self.spans[bisect_left(self.starts, lo) : bisect_left(self.starts, hi)]


# -- bylines ------------------------------------------------------------------------------------

_DATELINE = re.compile(
    rf"(?:据|来自|转自)?(?P<agency>[{HAN}]{{2,8}}?社)(?P<place>[{HAN}]{{2,6}}?)[{_DIGITS}]*月[{_DIGITS}]*日电"
)
_REPORTER = re.compile(r"(?:本报|本台|本刊|本网|新华社|特约|见习|首席|驻\w{1,4})?(?:记者|通讯员)")
_PHOTO = re.compile("摄影?(?:报道)?")
_EDITOR = re.compile(r"(?:责任编辑|责编|编辑|校对)[:：\s]*")
_BYLINE_WINDOW = 160  # bylines stand at the top of the article; "记者" later on is a speaker


def byline_candidates(text: str) -> list[Candidate]:
    """Publisher, authors, photographers at the top; editors at the bottom."""
    out: list[Candidate] = []
    head = min(len(text), _BYLINE_WINDOW)
    m = _DATELINE.search(text, 0, head)
    if m:
        known = gazetteer.central_body_info(m["agency"])
        agency_type = known.type if known else "Organization"
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
    return first is not None and len(first[0]) == 1 and _particle(first[0])


def _particle(word: str) -> bool:
    """A preposition or a conjunction in jieba's dictionary (据, 向, 和, 与)."""
    return segment.dictionary_tags().get(word) in ("p", "c")


# -- posts and the officials who hold them -----------------------------------------------------


def post_candidates(
    text: str,
    start: int,
    end: int,
    tagged: Sequence[Candidate],
    places: Sequence[Candidate] = (),
    bounds: Collection[int] = (),
) -> list[Candidate]:
    """Post titles, and the name right after a post chain as an Official.

    A title never starts inside a place name: in 杭州市委书记 the 州 is the city's, and the post is
    市委书记 (sharing the 市 with 杭州市). A title shares only a place's administrative ending
    (大连市 + 市长, never 万州 + 州长), and only where a word or a tagged name starts after it
    (`bounds`: jieba's word boundaries), so 房山区 + 长阳镇 holds no 区长."""
    out: list[Candidate] = []
    persons = {(c.start, c.end) for c in tagged if c.type == "Person"}
    person_end = dict(sorted(persons))

    def after(i: int) -> bool:  # a word or a tagged name starts at i
        return i in bounds or i in person_end

    place_spans = [
        (p.start, p.end, _administrative_end(text, p)) for p in places
        if start <= p.start < end
    ]
    non_person = [(c.start, c.end) for c in tagged if c.type != "Person"]
    # 某国外交部 + 发言人, 某公司 + 总经理: a title does not start inside a tagged organisation
    # (a party committee's 委 stays a scope: 某市委 + 书记 is 市委书记)
    bodies = [(c.start, c.end, text[c.end - 1] in _ADMIN_ENDS) for c in tagged
              if c.type in ORGANISATIONS and text[c.end - 1] != "委" and start <= c.start < end]
    freq = segment.tokenizer().FREQ
    for found in gazetteer.post_pattern().finditer(text, start, end):
        m = _post_outside_places(found, text, place_spans, after)
        if m is not None and bodies:
            m = _post_outside_places(m, text, bodies, after)
        firm = _FIRM_SCOPE.match(m.group()) if m is not None and m.start() > start else None
        if m is not None and firm is not None and "\u4e00" <= text[m.start() - 1] <= "\u9fff":
            # 某某集团董事长: 集团 ends the firm's name, the post is 董事长
            m = gazetteer.post_pattern().fullmatch(text, m.start() + firm.end(), m.end())
        if (m is not None and m.start() > start and m.group()[0] in _SCOPE_ENDS
                and ((bounds and m.start() not in bounds) or _REPEATED_SCOPE.match(m.group()))):
            # 某县 + 副县长, 华北区 + 董事: a scope's character that ends the word before (a
            # place the gazetteer does not know) is not the title's, if a title is left
            rest = gazetteer.post_pattern().fullmatch(text, m.start() + 1, m.end())
            m = rest if rest is not None and rest.end() - rest.start() >= 2 else m
        if m is None or m.end() - m.start() < 2 or (
                bounds and m.start() not in bounds and not after(m.end())):
            continue  # 万州 + 长江: a title across two words is none
        post = Candidate(m.start(), m.end(), "Post", Method.POST_TITLE, 0.85, PATTERN)
        # a bare two-character title (代表, 委员, 主任) is a post only with a holder named after it
        strong = m.end() - m.start() >= 3 or any(w in m.group() for w in ("长", "书记", "常委"))
        if strong:
            out.append(post)
        spans = names.split_names(text, m.end(), end, max_names=1)
        if not spans:
            continue
        s, e = spans[0]
        e = person_end.get(s, e)  # the tagger knows where a name ends (某某生, not 某某 + 生)
        name = text[s:e]
        tagged_person = any(ps <= s and e <= pe or (ps, pe) == (s, e) for ps, pe in persons)
        blocked = any(ns < e and s < ne for ns, ne in non_person)
        common_word = bool(freq.get(name) or freq.get(name[:2], 0) > 50)
        if tagged_person or (not blocked and not common_word):
            if not strong:
                out.append(post)
            out.append(
                Candidate(
                    s, e, "Official", Method.POST_HOLDER, 0.9 if tagged_person else 0.75, PATTERN
                )
            )
    return out


_FIRM_SCOPE = re.compile("集团|公司|银行|大使馆|领事馆")
#: Administrative endings a place shares with a title or a body after it (大连市 + 市长).
_ADMIN_ENDS = "省市县区州"
_SCOPE_ENDS = _ADMIN_ENDS + "镇乡"
_REPEATED_SCOPE = re.compile(f"([{_SCOPE_ENDS}])[副正常务代理]*\\1")


def _post_outside_places(
    m: re.Match[str], text: str, places: Sequence[tuple[int, int, bool]],
    after: Callable[[int], bool],
) -> re.Match[str] | None:
    """`m` moved out of the place or body it starts inside; None if no title is left. The flag
    of each span says whether its last character is an ending the title may share."""
    for ps, pe, shares in places:
        if ps < m.start() < pe:
            # 重庆市 + 市长: the post starts after the place; 大连 + 市委书记 shares the 市
            rest = gazetteer.post_pattern().fullmatch(text, pe, m.end())
            if rest is not None or not shares:
                return rest
            shared = gazetteer.post_pattern().fullmatch(text, pe - 1, m.end())
            return shared if shared is not None and after(shared.end()) else None
    return m


def _administrative_end(text: str, place: Candidate) -> bool:
    """Whether the place name ends with its administrative ending (大连市, not 万州): the name
    without it still names the same place."""
    name = text[place.start : place.end]
    return name[-1] in _ADMIN_ENDS and any(
        p.key == place.key for p in gazetteer.places_named(name[:-1]))


# -- policy titles ------------------------------------------------------------------------------

_ISSUE_VERBS = (
    "制定",
    "出台",
    "印发",
    "下发",
    "发布",
    "编制",
    "修订",
    "提出",
    "推出",
    "颁布",
    "起草",
    "审议通过",
    "通过",
    "建立",
    "确立",
)
_IMPLEMENT_VERBS = ("实施", "落实", "执行", "贯彻", "推行", "启动")
#: A drafting or carrying-out verb and its particle: what stands before a policy title.
POLICY_VERB = re.compile(
    "(?:"
    + "|".join(sorted(_ISSUE_VERBS + _IMPLEMENT_VERBS, key=len, reverse=True))
    + ")"
    + r"(?:了|并|和|及)?"
)
_CLAUSE_END = re.compile(r"[，。；！？：、,;!?\n（）()“”\"]|等")
_LEADING_JUNK = re.compile(
    rf"(?:[{_DIGITS}{_NUMERALS}]*(?:个方面|个|项|份|批|条)|[年月（）()—\-])*"
)
_GENERIC_POLICY = re.compile(
    rf"^(?:相关|有关|各项|各类|一系列|系列|多项|一批|一揽子|上述|这些|该|此|各级|相应)"
    rf"|[余多]项|百余|千余|政策措施$|^[{_NUMERALS}{_DIGITS}]+项"
)


def _is_policy_title(title: str) -> bool:
    """Long enough, not generic, not a clause (了), and a mechanism only when it is named."""
    if len(title) < 5 or _GENERIC_POLICY.search(title) or "了" in title:
        return False
    return not (title.endswith("机制") and len(title) < 9)


@resource
def _policy_tail_regex() -> re.Pattern[str]:
    """The end of a policy title: a policy word (gazetteer.policy_tails) or N条 (二十条)."""
    tails = "|".join(sorted(map(re.escape, gazetteer.policy_tails()), key=len, reverse=True))
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


# Numbered slogans name programmes: 一X一Y, 六X六Y, 三X一Y一Z (repeated numeral + character).
_SLOGAN = re.compile(rf"(?<![{_NUMERALS}])(?:[{_NUMERALS}][{HAN}]){{2,4}}")


_MEASURE_WORDS = set("届次个年月日天项条种位批家户名人元季期轮号倍成度级层点")


def slogan_candidates(text: str, start: int, end: int, bounds: set[int]) -> list[Candidate]:
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


def policy_trigger_kind(verb: str) -> Literal["issues", "implements"]:
    """`issues` for drafting verbs, `implements` for carrying-out verbs."""
    return "implements" if verb.startswith(_IMPLEMENT_VERBS) else "issues"


# -- company enumerations -----------------------------------------------------------------------

_ENUMERATION = re.compile(rf"等[{_DIGITS}余多]*(?:户|家|个|所)?(?:企业|公司|厂家|单位)")
_GROUP_STEM = re.compile("(?:集团|控股)$")
_COMPANY_SUFFIX = re.compile("(?:股份有限公司|有限责任公司|有限公司|集团|公司)$")


def enumeration_candidates(
    text: str, start: int, end: int, word_starts: set[int]
) -> list[Candidate]:
    """Companies listed before 等企业 with no separators, split from the right: a brand and an
    industry word (某某钢铁), a name with a company suffix (某某公司), and at most one name left."""
    out: list[Candidate] = []
    industries = names.industries()
    for m in _ENUMERATION.finditer(text, start, end):
        pos = m.start()
        found: list[tuple[int, int]] = []
        while pos - start >= 2:
            seg = text[max(start, pos - 12) : pos]
            suffix = _COMPANY_SUFFIX.search(seg)
            if suffix:
                brand_start = pos - len(suffix.group())
                s = max((b for b in word_starts if pos - 12 <= b < brand_start - 1), default=-1)
                if s >= 0 and text[s] in _LEAD_FUNCTION and brand_start - s >= 3:
                    s += 1
                if s < 0 or brand_start - s > 6:
                    break
                found.append((s, pos))
                pos = s
                continue
            if (
                text[pos - 2 : pos] in industries
                and pos - 4 >= start
                and _all_han(text, pos - 4, pos)
            ):
                found.append((pos - 4, pos))
                pos -= 4
                continue
            # a leftover name: back to the last word boundary, two to four characters
            s = max((b for b in word_starts if pos - 4 <= b <= pos - 2), default=-1)
            if (
                s >= 0
                and _all_han(text, s, pos)
                and text[pos - 1] not in "户家人者们"
                and not segment.tokenizer().FREQ.get(text[s:pos])
            ):
                found.append((s, pos))
            break
        for s, e in found:
            out.append(Candidate(s, e, "Company", Method.ENUMERATION, 0.7, PATTERN))
    return out


_LEAD_FUNCTION = set("为对向与和及将把给在从帮助推荐")


def company_suffix_candidates(text: str, words: Sequence[tuple[str, int, int]]) -> list[Candidate]:
    """某某集团, 某某钢铁公司, 某集团某地有限公司: the words right before a company suffix.

    The name is the word before the suffix; an industry word (钢铁) takes the brand before it too,
    and a place after a group name (某集团大连有限公司) takes the group name.
    """
    out: list[Candidate] = []
    industries = names.industries()
    generic = segment.function_words()  # 这些公司, 多家公司, 大型集团: no name before the suffix
    tags = segment.dictionary_tags()
    for i, (w, ws, we) in enumerate(words):
        suffix = _COMPANY_SUFFIX.search(w)
        if suffix is None or not _all_han(text, ws, we):
            continue
        head = w[: suffix.start()]
        if head in generic or (not head and i and words[i - 1][0] in generic):
            continue
        if head and tags.get(w) == "n":
            continue  # 跨国公司, 保险公司, 子公司: a common noun in jieba's dictionary
        if len(head) >= 2 and head not in industries:
            if head[0] not in _LEAD_FUNCTION:  # the segmenter kept the name whole: 某某集团
                out.append(Candidate(ws, we, "Company", Method.COMPANY_SUFFIX, 0.8, LEXICON))
            continue
        j = i - 1 if not head else i
        if j < 0:
            continue
        prev = words[j][0] if head == "" else head
        if not _all_han(text, words[j][1], words[j][2]) or prev in _LEAD_FUNCTION:
            continue
        start = anchor = words[j][1]
        if prev in industries or len(prev) == 1:
            # brand before the industry word or the single character: up to two more characters
            k = j - 1
            while (
                k >= 0
                and anchor - words[k][1] <= 2
                and len(words[k][0]) <= 2
                and _all_han(text, words[k][1], words[k][2])
                and _brand_word(words[k][0])
            ):
                start = words[k][1]
                k -= 1
            if start == anchor:
                continue  # 汽车公司, 信托公司: a kind of firm, no brand
        elif tags.get(prev) == "v" or (j and words[j - 1][0] in generic):
            continue  # 开发公司, 几家 + 大巴公司: a kind of firm
        elif _COMPANY_SUFFIX.fullmatch(prev) and j >= 1 and len(words[j - 1][0]) >= 2:
            start = words[j - 1][1]  # 某某 + 集团 + 有限公司
        elif j >= 2 and _COMPANY_SUFFIX.search(words[j - 1][0]):
            start = words[j - 1][1] if len(words[j - 1][0]) > 2 else words[j - 2][1]
        if we - start >= 4 and text[start] not in _LEAD_FUNCTION:
            out.append(Candidate(start, we, "Company", Method.COMPANY_SUFFIX, 0.8, LEXICON))
    return out


def _brand_word(word: str) -> bool:
    """Whether a short word before an industry word can be (part of) a brand: not a function
    word or a verb (各 + 寿险公司, 收购 + 信托公司)."""
    return (word not in _LEAD_FUNCTION and word not in segment.function_words()
            and segment.dictionary_tags().get(word) != "v")


def brand_candidates(text: str, words: Sequence[tuple[str, int, int]]) -> list[Candidate]:
    """A word the dictionary does not know followed by an industry word (某某铝业, 某某内衣): the
    way Chinese firms are named, read where no suffix or list says it is a company."""
    out: list[Candidate] = []
    industries = names.industries()
    freq = segment.tokenizer().FREQ
    for (w1, s1, _e1), (w2, _s2, e2) in zip(words, words[1:], strict=False):
        if (
            w2 in industries
            and 2 <= len(w1) <= 3
            and not freq.get(w1)
            and _all_han(text, s1, e2)
            and w1[0] not in _LEAD_FUNCTION
            and not gazetteer.places_named(w1)
        ):
            out.append(Candidate(s1, e2, "Company", Method.BRAND_INDUSTRY, 0.6, LEXICON))
    return out


# 成立某某领导小组: a body that the article says was set up, named up to its ending.
_SET_UP = re.compile(
    r"(?:成立|设立|组建|成立了|组建了)"
    r"([^\W的了在]{2,40}?(?:领导小组|工作专班|专班|工作组|指挥部|委员会|保障组|办公室))(?=[，。；、,;]|$)"
)


def setup_body_candidates(text: str, start: int, end: int) -> list[Candidate]:
    return [
        Candidate(m.start(1), m.end(1), "GovernmentBody", Method.BODY_SET_UP, 0.75, PATTERN)
        for m in _SET_UP.finditer(text, start, end)
    ]


# 甲和乙与丙丁合作: the parties of a cooperation, at the start of a clause.
_PARTIES = re.compile(
    r"(?:^|(?<=[，。；：,;:]))(?P<left>[^，。；：,;:与]{2,24}?)与(?P<right>[^，。；：,;:与]{2,24}?)"
    r"(?:开展了?[^，。；：]{0,2}|进行|签署|签订|达成|深化|加强|全面|战略)?(?:合作|对接|签约)"
)
_PARTY = re.compile(r"[\u4e00-\u9fff]{2,8}")
_NOT_A_PARTY = re.compile("[的了在是将把对为从向我你他她它们这那其该各等]")


@dataclass(frozen=True, slots=True)
class Stems:
    """The stems of the groups an article names (甲 of 甲集团), found in a name in time that
    does not grow with how many there are."""

    names: frozenset[str]
    lengths: tuple[int, ...]

    @classmethod
    def of(cls, stems: Iterable[str]) -> Stems:
        names = frozenset(stems)
        return cls(names, tuple(sorted({len(st) for st in names})))

    def prefix_of(self, name: str) -> bool:
        return any(name[:n] in self.names for n in self.lengths if n <= len(name))

    def starts_in(self, piece: str) -> set[int]:
        """Where a stem starts in `piece`."""
        return {i for i in range(len(piece) + 1) for n in self.lengths
                if i + n <= len(piece) and piece[i : i + n] in self.names}


def party_candidates(text: str, start: int, end: int, stems: Stems) -> list[Candidate]:
    """Names on both sides of 与 in a cooperation clause; lists split at 和/、/及, and names run
    together split where a known company's stem starts again (甲红旗甲轿车)."""
    out: list[Candidate] = []
    for m in _PARTIES.finditer(text, start, end):
        for side in ("left", "right"):
            pos = m.start(side)
            for piece in re.split("(和|、|及)", m.group(side)):
                if piece in ("和", "、", "及"):
                    pos += len(piece)
                    continue
                for s, e in _split_by_stems(piece, stems):
                    name = piece[s:e]
                    if _plausible_party(name, stems):
                        out.append(
                            Candidate(
                                pos + s,
                                pos + e,
                                "Company",
                                Method.COOPERATION_PARTY,
                                0.6,
                                TAGGER,
                            )
                        )
                pos += len(piece)
    return out


def _plausible_party(name: str, stems: Stems) -> bool:
    """A name, not a phrase: a known group's stem, a firm's ending, or a word the dictionary
    does not know (推进, 积极推介 are all dictionary words; 某某车架 is not)."""
    if not _PARTY.fullmatch(name) or _NOT_A_PARTY.search(name) or _GENERIC_HEAD.search(name):
        return False
    if stems.prefix_of(name) or name[-2:] in names.industries():
        return True
    if gazetteer.org_suffix_type(name) is not None:
        return True
    # the dictionary breaks an unknown name into single characters
    words = list(segment.tokenizer().cut(name, HMM=False))
    return any(len(a) == 1 and len(b) == 1 for a, b in zip(words, words[1:], strict=False))


_GENERIC_HEAD = re.compile("企业|部门|单位|机构|方面|地区|行业|产业|项目")


def _split_by_stems(piece: str, stems: Stems) -> list[tuple[int, int]]:
    cuts = sorted(i for i in stems.starts_in(piece) if i > 0)
    bounds = [0, *cuts, len(piece)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b - a >= 2]


def fill_list_gaps(text: str, chosen: list[Candidate]) -> list[Candidate]:
    """In a list of companies before 等企业, a stretch left between two companies is one too."""
    extra: list[Candidate] = []
    companies = sorted((c for c in chosen if c.type == "Company"), key=lambda c: c.start)
    for i, (a, b) in enumerate(zip(companies, companies[1:], strict=False)):
        gap = text[a.end : b.start]
        if 2 <= len(gap) <= 6 and _all_han(text, a.end, b.start) and not _NOT_A_PARTY.search(gap):
            tail = _ENUMERATION.match(text, _list_end(companies, i + 1))
            if tail:
                extra.append(
                    Candidate(a.end, b.start, "Company", Method.ENUMERATION, 0.6, PATTERN)
                )
    return chosen + extra


def _list_end(companies: list[Candidate], i: int) -> int:
    """Where a run of adjacent companies starting at `companies[i]` ends (sorted by start)."""
    end = companies[i].end
    for j in range(i + 1, len(companies)):
        if companies[j].start > end:
            break
        if companies[j].start == end:
            end = companies[j].end
    return end


def _all_han(text: str, s: int, e: int) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text[s:e])


# -- places, bodies, zones from lexicons --------------------------------------------------------


_BODY_AFTER_PLACE = re.compile("[省市县区州]?(?:委|政府|人民政府|人大|政协)")


def lexicon_candidates(
    text: str,
    bounds: set[int],
    tagged_places: set[tuple[int, int]] = frozenset(),  # type: ignore[assignment]
) -> list[Candidate]:
    """Places from the gazetteer (resolved by the places around them) and central bodies.

    A place must start on a word boundary; a short form (大连, not 大连市) must also end on one,
    unless a party committee or government follows (大连市委), so 惠民 is not read in 惠民生.
    A short form of a city or district must also fit the article's geography (its province, or
    a place inside it, is named too) or be read as a place by the tagger: 保定 in 保定单 is not.
    """
    out: list[Candidate] = []
    matches = [
        m
        for m in gazetteer.find_places(text, bounds)
        if m.start in bounds and (m.full or m.end in bounds or _BODY_AFTER_PLACE.match(text, m.end))
    ]
    context = gazetteer.PlaceContext(
        m.candidates[0].key for m in matches if len(m.candidates) == 1)
    resolved = [(m, context.resolve(m.candidates)) for m in matches]
    anchors = {p.key for m, p in resolved if p is not None and (m.full or p.level in _BROAD)}
    for _ in range(2):  # a supported city supports its districts
        holding = _holding(anchors)
        anchors |= {p.key for m, p in resolved if p is not None and _fits(p, anchors, holding)}
    holding = _holding(anchors)
    for m, place in resolved:
        if place is None:
            continue
        if not (
            m.full
            or place.level in _BROAD
            or (m.start, m.end) in tagged_places
            or _fits(place, anchors, holding, itself=m.full)
            or (place.level == "city" and not _glued(text, m.end, bounds))
        ):
            continue
        conf = 0.95 if len(m.candidates) == 1 else 0.7
        out.append(
            Candidate(m.start, m.end, place.type, Method.GAZETTEER, conf, LEXICON, place.key))
    for b in gazetteer.find_central_bodies(text):
        if b.start not in bounds or text[b.end : b.end + 1] == "门":  # 工信部门
            continue
        out.append(
            Candidate(
                b.start, b.end, b.body.type, Method.CENTRAL_BODY, 0.95, LEXICON, b.body.name
            )
        )
    return out


_BROAD = ("country", "province")
# Characters that follow a place name as words of their own (在大连投资, 大连的企业).
_FUNCTION_CHARS = set("在的和与及是将把对为从向等也都就还又已被让给以于了着过而并或今年月日市")


def _glued(text: str, end: int, bounds: set[int]) -> bool:
    """Whether a name ending at `end` is followed by a lone character that is no word of its own
    (保定 + 单, 惠民 + 生): the sign that the name was read out of a longer phrase."""
    nxt = text[end : end + 1]
    return (
        bool(nxt)
        and "\u4e00" <= nxt <= "\u9fff"
        and end + 1 in bounds
        and nxt not in _FUNCTION_CHARS
    )


def _holding(anchors: set[str]) -> set[str]:
    """The adcodes of the divisions that contain one of the anchor places."""
    return {a.adcode for k in anchors if k.isdigit() for a in gazetteer.ancestors(k)}


def _fits(place: gazetteer.Place, anchors: set[str], holding: set[str], *,
          itself: bool = True) -> bool:
    """Whether a named place lies in, or contains (`holding`: `_holding(anchors)`), one of the
    article's anchor places; with `itself` false, being an anchor is not enough."""
    if itself and place.key in anchors:
        return True
    if isinstance(place, gazetteer.Country):
        return False
    if any(a.adcode in anchors for a in gazetteer.ancestors(place.adcode)):
        return True
    return place.adcode in holding


_ZONE = re.compile(
    r"[^\W与和及同跟、的在对向为]{0,10}?(?:经济技术开发区|高新技术产业开发区|经济开发区|开发区|"
    r"高新区|[\u4e00-\u9fff]开区|保税区|综合保税区|自贸区|自由贸易试验区|新区|工业园区|产业园区|产业园|"
    r"产业基地|配套基地|示范基地)"
)
# A zone's name that goes on is a body's (某新区管委会, 某基地领导小组): not the zone itself.
_ZONE_BODY = re.compile("领导小组|管委会|管理委员会|党工委|工委|办公室|指挥部|建设|暨")


def zone_candidates(text: str, places: Sequence[Candidate]) -> list[Candidate]:
    """Development zones: a place, a short qualifier, a zone suffix (某市高新区, 某某经开区)."""
    out: list[Candidate] = []
    for p in places:
        m = _ZONE.match(text, p.end, min(len(text), p.end + 16))
        if m and not _ZONE_BODY.match(text, m.end()):
            out.append(Candidate(p.start, m.end(), "DevelopmentZone", Method.ZONE, 0.8, PATTERN))
    return out


_LOCAL_BODY = re.compile(
    "(?:省委|市委|县委|区委|州委|省政府|市政府|县政府|区政府|人民政府|人大常委会|政协|纪委|监委"
    # a department in the place: 某市财政局, 某地工信部门 (a short name, then a body ending)
    r"|[省市县区]?[^\W的和与及在对为将把了从向等]{1,5}?(?:部门|委员会|局|厅|办公室))"
)


def local_body_candidates(
    text: str, places: Sequence[Candidate], bounds: set[int]
) -> list[Candidate]:
    """A place name followed by a party committee, a government or a department (某市委,
    某省人民政府, 某市财政局), ending where a word ends."""
    out: list[Candidate] = []
    for p in places:
        m = _LOCAL_BODY.match(text, p.end - 1 if text[p.end - 1] in _ADMIN_ENDS else p.end)
        if not m or m.end() not in bounds:
            continue
        # 某市 + 市委 share the 市: "某市委"
        if text[m.end() : m.end() + 2] in ("书记", "常委") or text[m.end() : m.end() + 3] in (
            "副书记",
        ):
            continue  # 某市委书记: a post chain, handled by post_candidates
        out.append(
            Candidate(p.start, m.end(), "GovernmentBody", Method.LOCAL_BODY, 0.85, PATTERN)
        )
    return out


# -- merging ------------------------------------------------------------------------------------


#: Names a place name can stand inside (某市财政局, 某市高新区, 《某市…办法》).
_HOLD_PLACES = frozenset({*ORGANISATIONS, "Policy", "DevelopmentZone"})


def merge(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Non-overlapping best candidates, plus places nested inside longer names."""
    chosen: list[Candidate] = []
    cands = sorted(candidates, key=lambda c: (-c.priority, -c.length, -c.confidence, c.start))
    size = max((c.end for c in cands), default=0)
    taken = bytearray(size)
    nested: list[Candidate] = []
    for c in cands:
        if c.length <= 0:
            continue
        if any(taken[c.start : c.end]):
            if c.method is Method.GAZETTEER:
                nested.append(c)
            continue
        chosen.append(c)
        taken[c.start : c.end] = b"\x01" * c.length
    # disjoint (chosen names do not overlap): the one that can hold a place starts last before it
    spans = sorted(
        (c.start, c.end)
        for c in chosen
        if c.type in _HOLD_PLACES
    )
    starts = [s for s, _ in spans]
    # A place inside a name (某市财政局) is kept where the article also names the place on its
    # own: it links the organisation to the place without adding a place the article never names.
    top_keys = {c.key for c in chosen if c.method is Method.GAZETTEER}
    for n in nested:
        i = bisect_right(starts, n.start) - 1
        if n.key in top_keys and i >= 0 and n.end <= spans[i][1] and spans[i] != (n.start, n.end):
            chosen.append(n)
    return sorted(set(chosen), key=lambda c: (c.start, -c.end, c.type))


_PROPAGATE_TYPES = {*PERSONS, *ORGANISATIONS}


def propagate(text: str, chosen: list[Candidate], bounds: set[int]) -> list[Candidate]:
    """Other occurrences of names already found, where nothing else was found and the words
    agree (工信部 is not read inside 工信部门)."""
    taken = bytearray(len(text))
    for c in chosen:
        taken[c.start : c.end] = b"\x01" * c.length
    best: dict[str, Candidate] = {}
    for c in chosen:
        if c.type in _PROPAGATE_TYPES and c.length >= 2:
            name = text[c.start : c.end]
            if name not in best or c.confidence > best[name].confidence:
                best[name] = c
    extra: list[Candidate] = []
    order = sorted(best, key=len, reverse=True)
    found = _occurrences(text, order)
    for name in order:
        c = best[name]
        last = 0  # where the occurrence before ends: occurrences of one name do not overlap
        for pos in found[name]:
            if pos < last:
                continue
            end = last = pos + len(name)
            if pos in bounds and end in bounds and not any(taken[pos:end]):
                extra.append(
                    Candidate(pos, end, c.type, Method.PROPAGATED, c.confidence * 0.9, PROPAGATED,
                              c.key)
                )
                taken[pos:end] = b"\x01" * len(name)
    return chosen + extra


def _occurrences(text: str, names: Iterable[str]) -> dict[str, list[int]]:
    """Where each name starts in `text`, overlaps included, in one pass over the text (a search
    for each name in turn took time quadratic in a long article's length)."""
    found: dict[str, list[int]] = {name: [] for name in names}
    if not found:
        return found
    automaton = ahocorasick.Automaton()
    for name in found:
        automaton.add_word(name, name)
    automaton.make_automaton()
    for end, name in automaton.iter(text):
        found[name].append(end + 1 - len(name))
    return found


# -- the document -------------------------------------------------------------------------------


def _looks_like_body(name: str) -> bool:
    found = gazetteer.org_suffix(name)
    if found is None or len(name) < 3:
        return gazetteer.central_body(name) is not None
    # a one-character ending that makes a common word with the character before it (格局, 当局)
    return not (len(found[0]) == 1 and segment.tokenizer().FREQ.get(name[-2:], 0) > 1000)


_SURROGATE = re.compile("[\ud800-\udfff]")
_GENERIC_AFTER = re.compile("企业|行业|产业|零部件|配件|厂家|厂商")
_PLACE_END = re.compile("[省市县区镇乡村州盟旗岛山江河湖海港湾路街道]$|国$")

# Two bodies the tagger reads as one: 市委市政府, 省委省政府.
_TWO_BODIES = re.compile(r"^(.{1,8}?(?:委|政府|局|厅))((?:省|市|县|区|州).{0,8}(?:委|政府|局|厅))$")


def _with_place_prefix(
    text: str, tagged: list[Candidate], places: list[Candidate]
) -> list[Candidate]:
    """A tagged body right after a place belongs to it (某市 + 财政局, 某地 + 工信部门); a body
    ending in 部 before 门 is a department (工信部门), not the ministry."""
    place_at = {p.end: p for p in places}
    out: list[Candidate] = []
    for c in tagged:
        if c.type not in ORGANISATIONS:
            out.append(c)
            continue
        start, end = c.start, c.end
        if text[end - 1 : end + 1] == "部门":
            end += 1
        p = place_at.get(start)
        if p is not None:
            start = p.start
        out.append(replace(c, start=start, end=end))
    return out


#: Above this marginal probability the tagger's own reading stands; below it, a name must also
#: look like its type (a post title, a body's ending, a place's ending, not a common word).
SURE = 0.8
#: A tagged post that ends like a person's role (分析师, 驾驶员, 经济学家, 主持人) needs only this
#: marginal (dev: 0.5 0.7335, 0.6 0.7346, 0.7 0.7331 CLUENER micro F1; seeds unchanged).
POST_FLOOR = 0.6
_ROLE_END = frozenset("师员家手者人长官")


def _keep_tagged(
    type_: str, name: str, conf: float, text: str, start: int, end: int, freq: dict[str, int]
) -> bool:
    if type_ == "Post":
        return (conf >= SURE or gazetteer.is_post_title(name)
                or (conf >= POST_FLOOR and name[-1] in _ROLE_END))
    if type_ == "Company" and _GENERIC_AFTER.match(text, end):
        return False  # 某地汽车 + 零部件企业: a kind of firm, not a firm
    if conf >= SURE:
        return True
    if type_ != "Person" and len(name) == 2 and freq.get(name, 0) > 50:
        return False  # 青山, 伟业: a common word, not a name
    if type_ in ("GovernmentBody", "Organization"):
        return _looks_like_body(name)  # 新格局, 中央: a tagged body must end like one
    if type_ == "Place":
        return bool(_PLACE_END.search(name))  # 新兴产业领域: CLUENER's "scene" is wider
    return True


#: Characters of sentences tagged in one call. The CRF's arrays take some 700 bytes a character
#: while a call runs: a long article is tagged a batch at a time, in as little memory as a short
#: one (the results do not change: each sentence is read on its own).
_TAG_BATCH = 32_768


def _batches(spans: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """(first, end) indexes of runs of `spans` of about `_TAG_BATCH` characters."""
    first = size = 0
    for i, (s, e) in enumerate(spans):
        size += e - s
        if size >= _TAG_BATCH:
            yield first, i + 1
            first, size = i + 1, 0
    if first < len(spans):
        yield first, len(spans)


def _tagger_candidates(
    tagger: Tagger,
    text: str,
    sentences: Sequence[tuple[int, int]],
    words: Sequence[Sequence[tuple[str, int, int]]],
) -> list[list[Candidate]]:
    """The tagger's names in each sentence, less those it is unsure of that do not look like
    their type (`_keep_tagged`). A job written before a byline's names (记者 + names) is a post
    here too, as CLUENER marks it. Sentences are tagged in batches (`Tagger.tag_domains`)."""
    # a lone surrogate (possible in a Document built in code, never from the reader) becomes
    # U+FFFD for the CRF, one character for one, so offsets stay
    clean = _SURROGATE.sub("\ufffd", text)
    out: list[list[Candidate]] = []
    for a, b in _batches(sentences):
        out += _tagged_batch(tagger, text, clean, sentences[a:b], words[a:b])
    return out


def _tagged_batch(
    tagger: Tagger,
    text: str,
    clean: str,
    sentences: Sequence[tuple[int, int]],
    words: Sequence[Sequence[tuple[str, int, int]]],
) -> list[list[Candidate]]:
    texts = [clean[s:e] for s, e in sentences]
    local = [[(w, ws - s, we - s) for w, ws, we in sw]
             for (s, _), sw in zip(sentences, words, strict=True)]
    tagged, tagged_pd = tagger.tag_domains(texts, local, (DOMAIN_NEWS, DOMAIN_PD))
    freq = segment.tokenizer().FREQ
    tagged = [[_without_lead(p, ws) for t in spans for p in _pieces(clean, t, s)]
              for (s, _), ws, spans in zip(sentences, local, tagged, strict=True)]
    tagged_pd = [[_without_lead(p, ws) for t in spans
                  if t.type in PD_TYPES and t.confidence >= PD_SURE for p in _pieces(clean, t, s)]
                 for (s, _), ws, spans in zip(sentences, local, tagged_pd, strict=True)]
    out = [_kept(text, s, spans, freq) for (s, _), spans in zip(sentences, tagged, strict=True)]
    # People's Daily's convention marks every place and organisation named (CLUENER's, the news
    # domain, mostly only addresses and some bodies): its reading fills in where the news reading
    # found nothing.
    for (s, _), spans, cands in zip(sentences, tagged_pd, out, strict=True):
        for t in spans:
            start, end = t.start + s, t.end + s
            if any(c.start < end and start < c.end for c in cands):
                continue
            type_, key = t.type, None
            if end - start == 1:  # 中美, 京津冀: only a known abbreviation, as its place
                place = gazetteer.abbreviation(text[start]) if t.type == "Place" else None
                if place is None:
                    continue
                type_, key = place.type, place.key
            conf = round(t.confidence, 3)
            cands.append(Candidate(start, end, type_, Method.TAGGER, conf, _rank(type_, conf), key))
    return out


_EDGE = frozenset("【】()（）“”\"'‘’《》[]<>·• 　、，。：:；;")
_PAIR = {a: b for x, y in ("【】", "()", "（）", "“”", "《》", "[]", "‘’")
         for a, b in ((x, y), (y, x))}  # a balanced bracket at the edge stays: 某行（601398.sh）
_BRACKETS = re.compile(r"[【】()（）\[\]“”\"《》]+")


def _pieces(text: str, t: TaggedSpan, s: int) -> list[TaggedSpan]:
    """A tagged name without the brackets, quotes and dots at its edges (【某某】, 某某·); a
    tagged person with a bracket inside is the names on either side (某某(某某))."""
    start, end = t.start + s, t.end + s
    while start < end and _loose(text[start], text[start + 1 : end]):
        start += 1
    while end > start and _loose(text[end - 1], text[start : end - 1]):
        end -= 1
    spans = [(start, end)]
    if t.type == "Person" and _BRACKETS.search(text, start, end):
        cuts = [start, *(x for m in _BRACKETS.finditer(text, start, end) for x in m.span()), end]
        spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True) if b > a]
    if spans == [(t.start + s, t.end + s)]:
        return [t]
    return [replace(t, start=a - s, end=b - s) for a, b in spans if b > a]


def _loose(ch: str, rest: str) -> bool:
    """An edge character to drop: a bracket or quote whose partner is not in the rest of the
    name, or another mark (·, a comma)."""
    return ch in _EDGE and (ch not in _PAIR or _PAIR[ch] not in rest)


def _without_lead(t: TaggedSpan, words: Sequence[tuple[str, int, int]]) -> TaggedSpan:
    """A tagged name less the prepositions and conjunctions it starts with, and less all up to
    a 的 inside it (与 + 某某公司, 简陋的 + 乡卫生院): jieba's `words` of its sentence (offsets
    in the sentence, as `t`'s) tell where they end."""
    if t.type == "Person":
        return t  # 于, 向, 但 are surnames too
    i = bisect_left(words, t.start, key=lambda w: w[1])
    pos = cut = t.start
    while i < len(words) and words[i][1] == pos and words[i][2] < t.end:
        word, start, pos = words[i]
        if word == "的" or (start == cut and _particle(word)):
            cut = pos
        i += 1
    return t if cut == t.start else replace(t, start=cut)


#: Types read in People's Daily's convention too (places and organisations; its persons cost
#: CLUENER's names more than they gave), and the marginal they need there. Chosen on the dev
#: splits with a model trained on the train splits only (benches/README.md).
PD_TYPES = frozenset({"Place", "Company", "GovernmentBody", "Organization"})
PD_SURE = 0.9


def _kept(text: str, s: int, spans: Sequence[TaggedSpan], freq: dict[str, int]) -> list[Candidate]:
    out: list[Candidate] = []
    for t in spans:
        start, end = t.start + s, t.end + s
        name = text[start:end]
        conf = round(t.confidence, 3)
        if not _keep_tagged(t.type, name, conf, text, start, end, freq):
            continue
        two = _TWO_BODIES.match(name) if t.type == "GovernmentBody" else None
        if two:
            mid = start + two.end(1)
            out.append(Candidate(start, mid, t.type, Method.TAGGER, conf, TAGGER))
            out.append(Candidate(mid, end, t.type, Method.TAGGER, conf, TAGGER))
            continue
        titles = _titles_run_together(name) if t.type == "Post" else []
        if len(titles) > 1:  # 市委书记 + 市长: two posts, each a title of the vocabulary
            out += [Candidate(start + a, start + b, t.type, Method.TAGGER, conf, TAGGER)
                    for a, b in titles]
            continue
        out.append(Candidate(start, end, t.type, Method.TAGGER, conf, _rank(t.type, conf)))
    return out


def _rank(type_: str, conf: float) -> int:
    """A sure organisation name competes with the lexicons on length (某国银行 over 某国)."""
    return LEXICON if conf >= SURE and type_ in ORGANISATIONS else TAGGER


def _titles_run_together(name: str) -> list[tuple[int, int]]:
    """The spans of the vocabulary titles that `name` is made of, end to end, else []."""
    spans = [(m.start(), m.end()) for m in gazetteer.post_pattern().finditer(name)]
    whole = bool(spans) and spans[0][0] == 0 and spans[-1][1] == len(name) and all(
        a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    return spans if whole else []


def find_mentions(doc: Document, tagger: Tagger | None = None) -> list[Mention]:
    """All mentions in `doc`, sorted by offset, each with its evidence."""
    text = doc.text
    if not text.strip():
        return []
    tagger = tagger or Tagger.default()
    sentences = segment.sentences(text)
    words = segment.words_many([text[s:e] for s, e in sentences], [s for s, _ in sentences])
    bounds = {b for ws in words for w in ws for b in w[1:]}
    tagged = _tagger_candidates(tagger, text, sentences, words)
    byline = byline_candidates(text)
    tagged_places = {(c.start, c.end) for ts in tagged for c in ts if c.type == "Place"}
    lexical = lexicon_candidates(text, bounds, tagged_places)
    places = [c for c in lexical if c.method is Method.GAZETTEER]
    cands: list[Candidate] = [*lexical, *byline]
    cands += zone_candidates(text, places)
    cands += local_body_candidates(text, places, bounds)
    cands += _with_place_prefix(text, [c for ts in tagged for c in ts], places)
    for (s, e), ws, ts, ps in zip(sentences, words, tagged, _in_sentences(places, sentences),
                                  strict=True):
        cands += post_candidates(text, s, e, ts, ps, bounds)
        cands += policy_candidates(text, s, e)
        cands += slogan_candidates(text, s, e, bounds)
        cands += enumeration_candidates(text, s, e, {w[1] for w in ws})
        cands += company_suffix_candidates(text, ws)
        cands += brand_candidates(text, ws)
        cands += setup_body_candidates(text, s, e)
    stems = Stems.of(
        text[c.start : c.end][: m.start()]
        for c in cands
        if c.type == "Company"
        and (m := _GROUP_STEM.search(text[c.start : c.end])) is not None
        and m.start() >= 2
    )
    for s, e in sentences:
        cands += party_candidates(text, s, e, stems)
    cands = _foreign_places(text, _longer_titles(text, cands))
    cands = _demote_joined(text, _with_units(text, _confirm_by_suffix(cands)), bounds)
    chosen = propagate(text, fill_list_gaps(text, merge(_trim_places(text, cands))), bounds)
    return _to_mentions(doc, chosen, sentences)


def _longer_titles(text: str, cands: list[Candidate]) -> list[Candidate]:
    """A sure tagged post that ends where a title from the vocabulary ends and starts before it
    (设计 + 总监, 行政 + 总裁) is the whole post, unless its head is a place or a body named on
    its own (某市 + 市长 stays 市长, linked to the place) or holds a title (市委书记 + 市长 are
    two posts)."""
    title_ends = {c.end: c.start for c in cands
                  if c.type == "Post" and c.method is Method.POST_TITLE}
    named = _Spans((c.start, c.end) for c in cands
                   if c.type != "Post" and c.method is not Method.TAGGER and c.type not in PERSONS)
    return [
        replace(c, priority=PATTERN)
        if c.method is Method.TAGGER and c.type == "Post" and c.confidence >= SURE
        and title_ends.get(c.end, c.start) > c.start
        and not named.overlaps(c.start, title_ends[c.end])
        and not gazetteer.post_pattern().search(text, c.start, title_ends[c.end])
        else c
        for c in cands
    ]


def _foreign_places(text: str, cands: list[Candidate]) -> list[Candidate]:
    """A sure tagged place that holds a gazetteer place and otherwise only characters that
    transliterate foreign names (巴西 + 利亚, 南里奥格朗 + 德州) is a foreign place of its own,
    not the one inside it: it outranks it."""
    places = _Spans((c.start, c.end) for c in cands if c.method is Method.GAZETTEER)
    return [
        replace(c, priority=LEXICON)
        if c.method is Method.TAGGER and c.type == "Place" and c.confidence >= SURE
        and any(e <= c.end and e - s < c.length
                and all(ch in TRANSLITERATION for ch in text[c.start : s] + text[e : c.end])
                for s, e in places.starting_in(c.start, c.end))
        else c
        for c in cands
    ]


def _confirm_by_suffix(cands: list[Candidate]) -> list[Candidate]:
    """A tagged company that a firm's-ending pattern found the end of (某国 + 某某兄弟公司, with
    only 兄弟公司 read by the pattern) outranks the pattern: the tagger saw where it starts."""
    latest: dict[int, int] = {}  # end -> the latest start of a suffix pattern ending there
    for c in cands:
        if c.type == "Company" and c.method is Method.COMPANY_SUFFIX:
            latest[c.end] = max(c.start, latest.get(c.end, c.start))
    return [
        replace(c, priority=LEXICON)
        if c.method is Method.TAGGER and c.type == "Company" and c.priority == TAGGER
        and latest.get(c.end, c.start) > c.start
        else c
        for c in cands
    ]


def _with_units(text: str, cands: list[Candidate]) -> list[Candidate]:
    """A sure tagged body that is a body found by a pattern or lexicon plus a unit of it (某市委
    + 组织部, 某省公安厅 + 经侦总队: the rest ends like a body, and no other known name starts
    there) outranks the shorter one: the tagger saw where the unit ends."""
    known: dict[int, list[int]] = {}
    for c in cands:
        if c.method is not Method.TAGGER and c.type in ORGANISATIONS:
            known.setdefault(c.start, []).append(c.end)
    return [
        replace(c, priority=PATTERN)
        if c.method is Method.TAGGER and c.type in ORGANISATIONS and c.confidence >= SURE
        and any(e < c.end and e not in known and gazetteer.org_suffix_type(text[e : c.end])
                and not _JOINER.search(text, e, c.end) for e in known.get(c.start, ()))
        else c
        for c in cands
    ]


def _demote_joined(text: str, cands: list[Candidate], bounds: set[int]) -> list[Candidate]:
    """A sure tagged organisation loses its rank where it joins two names: 甲与乙 (`_joins`), or
    a whole organisation name right followed by another (国家发改委 + 工信部); not where the rest
    is a unit of the first (公安部 + 经济犯罪侦查局)."""
    orgs = _Spans((c.start, c.end) for c in cands
                  if c.method is not Method.TAGGER and c.type in ORGANISATIONS)
    org_starts = set(orgs.starts)
    out: list[Candidate] = []
    for c in cands:
        if (
            c.method is Method.TAGGER
            and c.priority == LEXICON
            and (
                any(_joins(text, c.start, j.start(), orgs, bounds)
                    for j in _JOINER.finditer(text, c.start, c.end))
                or any(e < c.end and e in org_starts for _, e in orgs.starting_in(c.start, c.end))
            )
        ):
            c = replace(c, priority=TAGGER)
        out.append(c)
    return out


def _joins(text: str, start: int, j: int, orgs: _Spans, bounds: set[int]) -> bool:
    """Whether the 与/和/及/、 at `j` joins two names: a word of its own (not the 及 of 埃及), not
    inside a known name (住房和城乡建设部), after a name that stands alone (a place, a body's
    ending, a known name), unlike 某市住房保障 + 和 + 房产管理局, one body."""
    if text[j] == "、":
        return True
    if j not in bounds or j + 1 not in bounds or orgs.overlaps(j, j + 1):
        return False
    head = text[start:j]
    return bool(gazetteer.org_suffix_type(head) or gazetteer.places_named(head)
                or (start, j) in orgs.exact)


_JOINER = re.compile("[与和及、]")


def _trim_places(text: str, cands: list[Candidate]) -> list[Candidate]:
    """大连市 + 市委书记 share the 市: the place gives it up and stays 大连 (the post keeps it)."""
    starts = {
        c.start for c in cands if c.priority == PATTERN and c.type in ("Post", "GovernmentBody")
    }
    out: list[Candidate] = []
    for c in cands:
        if c.method is Method.GAZETTEER and c.end - 1 in starts and text[c.end - 1] in _ADMIN_ENDS:
            c = replace(c, end=c.end - 1)
        out.append(c)
    return out


def _to_mentions(
    doc: Document, chosen: Sequence[Candidate], sentences: Sequence[tuple[int, int]]
) -> list[Mention]:
    text = doc.text
    officials = {text[c.start : c.end] for c in chosen if c.type == "Official"}
    out: list[Mention] = []
    for c in sorted(chosen, key=lambda c: (c.start, -c.end, c.type)):
        type_ = c.type
        if (type_ == "Person" and text[c.start : c.end] in officials
                and c.method not in BYLINE_ROLES):
            type_ = "Official"
        ss, se = sentence_of(sentences, c.start)
        ev = Evidence(doc.id, c.start, c.end, c.method.value, c.confidence, ss, se)
        out.append(Mention(text[c.start : c.end], type_, ev, c.key))
    return out


def _in_sentences(
    cands: Iterable[Candidate], sentences: Sequence[tuple[int, int]]
) -> list[list[Candidate]]:
    """The candidates that start in each sentence, in their order: a rule that runs sentence by
    sentence then looks at its own sentence's, not at every one in a long article."""
    out: list[list[Candidate]] = [[] for _ in sentences]
    starts = [s for s, _ in sentences]
    for c in cands:
        i = bisect_right(starts, c.start) - 1
        if i >= 0 and c.start < sentences[i][1]:
            out[i].append(c)
    return out


def sentence_of(sentences: Sequence[tuple[int, int]], pos: int) -> tuple[int, int]:
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
