"""Characters and phrasings that several rules read: the mention rules, the overlap passes and
the relation rules (none of them imports another's helpers)."""

from __future__ import annotations

import re
from typing import Literal

from zhkg.nlp import segment

HAN = "\u4e00-\u9fff"
DIGITS = "0-9０-９"
#: Administrative endings a place shares with a title or a body after it (大连市 + 市长).
ADMIN_ENDS = "省市县区州"


def all_han(text: str, s: int, e: int) -> bool:
    """Whether text[s:e] is all Chinese characters."""
    return all("\u4e00" <= c <= "\u9fff" for c in text[s:e])


def particle(word: str) -> bool:
    """A preposition or a conjunction in jieba's dictionary (据, 向, 和, 与)."""
    return segment.dictionary_tags().get(word) in ("p", "c")


# -- policies: the verbs before a title, which also say who issues or carries it out -----------

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


def policy_trigger_kind(verb: str) -> Literal["issues", "implements"]:
    """`issues` for drafting verbs, `implements` for carrying-out verbs."""
    return "implements" if verb.startswith(_IMPLEMENT_VERBS) else "issues"


# -- company lists ------------------------------------------------------------------------------

#: The end of a list of companies: 等企业, 等10余家公司.
ENUMERATION = re.compile(rf"等[{DIGITS}余多]*(?:户|家|个|所)?(?:企业|公司|厂家|单位)")
#: What a firm's name does not hold: particles, pronouns, verbs of a phrase.
NOT_A_PARTY = re.compile("[的了在是将把对为从向我你他她它们这那其该各等]")
