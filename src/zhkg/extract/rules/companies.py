"""Companies: lists before 等企业 written without separators, names before a firm's ending
(某某集团, 某某钢铁公司), brands before an industry word (某某铝业), and the parties of a
cooperation (甲与乙合作)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from zhkg.extract.candidates import LEXICON, PATTERN, TAGGER, Candidate, Found
from zhkg.extract.context import DocContext, Word
from zhkg.extract.patterns import ENUMERATION, NOT_A_PARTY, all_han
from zhkg.model import Method
from zhkg.nlp import gazetteer, names, segment, vocabulary

_GROUP_STEM = re.compile("(?:集团|控股)$")
_COMPANY_SUFFIX = re.compile("(?:股份有限公司|有限责任公司|有限公司|集团|公司)$")
_LEAD_FUNCTION = set("为对向与和及将把给在从帮助推荐")
# 甲和乙与丙丁合作: the parties of a cooperation, at the start of a clause.
_PARTIES = re.compile(
    r"(?:^|(?<=[，。；：,;:]))(?P<left>[^，。；：,;:与]{2,24}?)与(?P<right>[^，。；：,;:与]{2,24}?)"
    r"(?:开展了?[^，。；：]{0,2}|进行|签署|签订|达成|深化|加强|全面|战略)?(?:合作|对接|签约)"
)
_PARTY = re.compile(r"[\u4e00-\u9fff]{2,8}")
_GENERIC_HEAD = re.compile("企业|部门|单位|机构|方面|地区|行业|产业|项目")


def enumerations(ctx: DocContext, found: Found) -> list[Candidate]:
    """`enumeration_candidates` of each sentence."""
    out: list[Candidate] = []
    for (s, e), ws in zip(ctx.sentences, ctx.words, strict=True):
        out += enumeration_candidates(ctx.text, s, e, {w[1] for w in ws})
    return out


def suffixes(ctx: DocContext, found: Found) -> list[Candidate]:
    """`company_suffix_candidates` of each sentence."""
    return [c for ws in ctx.words for c in company_suffix_candidates(ctx.text, ws)]


def brands(ctx: DocContext, found: Found) -> list[Candidate]:
    """`brand_candidates` of each sentence."""
    return [c for ws in ctx.words for c in brand_candidates(ctx.text, ws)]


def parties(ctx: DocContext, found: Found) -> list[Candidate]:
    """`party_candidates` of each sentence, with the stems of the groups found so far."""
    text = ctx.text
    stems = Stems.of(
        text[c.start : c.end][: m.start()]
        for c in found.candidates
        if c.type == "Company"
        and (m := _GROUP_STEM.search(text[c.start : c.end])) is not None
        and m.start() >= 2
    )
    return [c for s, e in ctx.sentences for c in party_candidates(text, s, e, stems)]


def enumeration_candidates(
    text: str, start: int, end: int, word_starts: Collection[int]
) -> list[Candidate]:
    """Companies listed before 等企业 with no separators, split from the right: a brand and an
    industry word (某某钢铁), a name with a company suffix (某某公司), and at most one name left."""
    out: list[Candidate] = []
    industries = names.industries()
    for m in ENUMERATION.finditer(text, start, end):
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
                and all_han(text, pos - 4, pos)
            ):
                found.append((pos - 4, pos))
                pos -= 4
                continue
            # a leftover name: back to the last word boundary, two to four characters
            s = max((b for b in word_starts if pos - 4 <= b <= pos - 2), default=-1)
            if (
                s >= 0
                and all_han(text, s, pos)
                and text[pos - 1] not in "户家人者们"
                and not segment.tokenizer().FREQ.get(text[s:pos])
            ):
                found.append((s, pos))
            break
        for s, e in found:
            out.append(Candidate(s, e, "Company", Method.ENUMERATION, 0.7, PATTERN))
    return out



def company_suffix_candidates(text: str, words: Sequence[Word]) -> list[Candidate]:
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
        if suffix is None or not all_han(text, ws, we):
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
        if not all_han(text, words[j][1], words[j][2]) or prev in _LEAD_FUNCTION:
            continue
        start = anchor = words[j][1]
        if prev in industries or len(prev) == 1:
            # brand before the industry word or the single character: up to two more characters
            k = j - 1
            while (
                k >= 0
                and anchor - words[k][1] <= 2
                and len(words[k][0]) <= 2
                and all_han(text, words[k][1], words[k][2])
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


def brand_candidates(text: str, words: Sequence[Word]) -> list[Candidate]:
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
            and all_han(text, s1, e2)
            and w1[0] not in _LEAD_FUNCTION
            and not gazetteer.places_named(w1)
        ):
            out.append(Candidate(s1, e2, "Company", Method.BRAND_INDUSTRY, 0.6, LEXICON))
    return out


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
    if not _PARTY.fullmatch(name) or NOT_A_PARTY.search(name) or _GENERIC_HEAD.search(name):
        return False
    if stems.prefix_of(name) or name[-2:] in names.industries():
        return True
    if vocabulary.org_suffix_type(name) is not None:
        return True
    # the dictionary breaks an unknown name into single characters
    words = list(segment.tokenizer().cut(name, HMM=False))
    return any(len(a) == 1 and len(b) == 1 for a, b in zip(words, words[1:], strict=False))



def _split_by_stems(piece: str, stems: Stems) -> list[tuple[int, int]]:
    cuts = sorted(i for i in stems.starts_in(piece) if i > 0)
    bounds = [0, *cuts, len(piece)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b - a >= 2]

