"""Which relation a sentence states between two organisation mentions: a trained linear model.

Patterns catch the regular phrasings (A与B签署…协议, A旗下B); news also says these things in ways
no short list of patterns covers (A斥资收购B, B的控股股东A, A和B将在…展开全面合作). This model reads
the words around and between the two mentions and says which of the graph's company relations the
sentence states, with a direction and a calibrated confidence, or none. It was trained on FinRE's
labelled relations between companies (`zhkg.train_relations`; the label mapping and the measured
figures are in `data/RELATIONS.md`).

Inference is a sparse dot product over a few dozen string features in plain Python (tens of
microseconds a pair), so it can run on every pair of organisation mentions in every sentence. The
model file is JSON: the feature vocabulary, one weight row per feature, the intercepts, the
calibration temperature and the per-predicate confidence thresholds (how they were chosen is in
`data/RELATIONS.md`).
"""

from __future__ import annotations

import json
import math
import re
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick
import numpy as np

from zhkg.errors import ModelError

MODEL_PATH = Path(__file__).parent.parent / "data" / "company_relations.json"

#: Bumped whenever `features` changes, so a model file made for other features is refused.
FEATURE_VERSION = 1

Span = tuple[int, int]
Word = tuple[str, int, int]

#: The model's classes, for a pair read in text order (first mention, second mention).
NONE, COOP, ALIAS, FIRST_OF_SECOND, SECOND_OF_FIRST = (
    "none",
    "cooperatesWith",
    "alias",
    "first-subsidiaryOf-second",
    "second-subsidiaryOf-first",
)
CLASSES: tuple[str, ...] = (NONE, COOP, ALIAS, FIRST_OF_SECOND, SECOND_OF_FIRST)

#: The graph predicates the classes stand for.
PREDICATES: tuple[str, ...] = ("cooperatesWith", "subsidiaryOf", "alias")

# General vocabulary that signals a relation (or its absence). Matched as substrings of the text
# between the mentions, just before the first and just after the second. Nothing here is a name.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "own": (
        "旗下",
        "下属",
        "所属",
        "隶属",
        "附属",
        "母公司",
        "子公司",
        "全资",
        "控股",
        "大股东",
        "实际控制",
        "控制",
        "集团公司",
    ),
    "branch": ("分公司", "分行", "支行", "分部", "事业部", "办事处", "分支机构", "分院", "分所"),
    "stake": ("持有", "持股", "股权", "股份", "参股", "入股", "增持", "减持", "股东"),
    "minor": (
        "第二大股东",
        "第三大股东",
        "第四大股东",
        "第五大股东",
        "二股东",
        "三股东",
        "小股东",
        "少数股东",
        "参股",
    ),
    "part": ("资产", "业务", "工厂", "项目", "部门", "品牌", "土地", "门店"),
    "acquire": ("收购", "并购", "兼并", "买下", "接手", "入主", "吸收合并", "接盘"),
    "found": ("成立", "设立", "组建", "创办", "创建", "发起", "出资", "注册资本", "投资"),
    "coop": (
        "合作",
        "携手",
        "联手",
        "共同",
        "联合",
        "合资",
        "共建",
        "对接",
        "伙伴",
        "战略",
        "牵手",
        "结盟",
        "联盟",
    ),
    "sign": ("签署", "签订", "签约", "签下", "协议", "合同", "备忘录", "框架", "意向书", "达成"),
    "alias": ("简称", "下称", "以下称", "又称", "原名", "更名", "英文名", "全称", "即"),
    "compete": ("竞争", "对手", "抗衡", "角逐", "竞购", "争夺", "叫板", "超越", "领先", "份额"),
    "dispute": ("起诉", "诉讼", "纠纷", "索赔", "仲裁", "侵权", "状告", "官司", "判决"),
    "deal": (
        "订单",
        "采购",
        "供应",
        "供货",
        "客户",
        "交易",
        "出售",
        "转让",
        "购买",
        "中标",
        "贷款",
        "授信",
        "担保",
        "欠款",
    ),
    "modal": ("拟", "计划", "有意", "传闻", "或将", "可能", "欲", "洽谈", "谈判", "商谈", "接触"),
    "neg": ("否认", "终止", "失败", "未", "不会", "放弃", "退出", "撤资", "取消", "拒绝", "叫停"),
    "analyst": ("分析师", "研报", "评级", "认为", "预计", "报告", "指出", "表示", "称"),
    "and": ("与", "和", "及", "同", "跟", "、"),
}


def _trigger_automaton() -> Any:
    """Every trigger word -> its categories, for one pass over a piece of text."""
    cats: dict[str, list[str]] = {}
    for cat, ws in TRIGGERS.items():
        for w in ws:
            cats.setdefault(w, []).append(cat)
    auto = ahocorasick.Automaton()
    for w, cs in cats.items():
        auto.add_word(w, tuple(cs))
    auto.make_automaton()
    return auto


_TRIGGERS = _trigger_automaton()


def _categories(text: str) -> set[str]:
    """The trigger categories with a word anywhere in `text` (overlapping matches included)."""
    found: set[str] = set()
    if text:
        for _, cats in _TRIGGERS.iter(text):
            found.update(cats)
    return found


#: Words that make a clause a plan, a negotiation, a refusal or a failure (拟收购, 正在洽谈,
#: 合作告吹, 拒绝与…合作): the graph states what is, so a cooperation read in such a clause is not
#: stated.
#: FinRE labels these as if they were facts, so the model cannot learn it (`hedged`). The modal and
#: negation trigger words, a few more from a read of FinRE valid and held-out train predictions,
#: and no bare 未 (未来 is "future").
HEDGES: tuple[str, ...] = (
    *TRIGGERS["modal"],
    *(w for w in TRIGGERS["neg"] if w != "未"),
    "未能",
    "未与",
    "尚未",
    "告吹",
    "择机",
    "揣测",
    "势在必得",
    "传言",
)
_HEDGE_RE = re.compile("|".join(HEDGES))
_CLAUSE_END = re.compile(r"[，,；;。！？!?\n]")

#: Organisation name endings, longest first: what kind of unit a mention names.
ORG_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        (
            "分公司",
            "子公司",
            "分行",
            "支行",
            "分部",
            "事业部",
            "办事处",
            "研究院",
            "研究所",
            "集团",
            "控股",
            "股份",
            "银行",
            "证券",
            "基金",
            "保险",
            "信托",
            "科技",
            "有限公司",
            "公司",
            "中心",
            "协会",
            "商会",
            "大学",
            "学院",
            "医院",
            "厂",
            "局",
            "委",
        ),
        key=len,
        reverse=True,
    )
)

# Sentence-internal punctuation, and where a sentence ends (the context windows stop there).
_CLAUSE = frozenset("，,；;：:")
_SENT_END = re.compile(r"[。！？!?；;\n]")
_DIGITS = re.compile(r"[0-9０-９.．%％,，]*[0-9０-９][0-9０-９.．%％]*")
#: Characters of context read before the first mention and after the second.
_LEFT_CHARS = 10
_RIGHT_CHARS = 14


@lru_cache(maxsize=1 << 16)
def _norm(word: str) -> str:
    """A word as a feature: numbers are one token (FinRE writes them as <N>), Latin lower-cased."""
    if _DIGITS.fullmatch(word):
        return "#"
    return word.lower() if word.isascii() else word


def _bucket(n: int, edges: Sequence[int]) -> str:
    for e in edges:
        if n <= e:
            return str(e)
    return f">{edges[-1]}"


_SUFFIX_SET = frozenset(ORG_SUFFIXES)
_SUFFIX_LENGTHS = sorted({len(s) for s in ORG_SUFFIXES}, reverse=True)


def _suffix(name: str) -> str:
    """The longest organisation ending of `name` that is not all of it, or "-"."""
    for n in _SUFFIX_LENGTHS:
        if len(name) > n and name[-n:] in _SUFFIX_SET:
            return name[-n:]
    return "-"


def _subsequence(short: str, long: str) -> bool:
    """`short`'s characters appear in order in `long` (星航 in 星海航空): how abbreviations form."""
    it = iter(long)
    return all(c in it for c in short)


def _words_in(words: Sequence[Word], starts: Sequence[int], cuts: Sequence[int]) -> list[list[str]]:
    """For each stretch [cuts[i], cuts[i+1]), the words overlapping it, clipped to it, normalised:
    one pass over the words for the left context, the names, the gap and the right context."""
    out: list[list[str]] = [[] for _ in cuts[1:]]
    last = len(cuts) - 2
    lo, hi = cuts[0], cuts[-1]
    k = max(bisect_right(starts, lo) - 1, 0)
    part = 0
    for w, s, e in words[k:]:
        if s >= hi:
            break
        if e <= lo:
            continue
        while part < last and cuts[part + 1] <= s:
            part += 1
        if cuts[part] <= s and e <= cuts[part + 1]:
            out[part].append(_norm(w))
            continue
        # The word runs across a cut (a name's last character joined to the next word): each
        # stretch gets its own piece of it.
        p = part
        while p <= last and cuts[p] < e:
            a, b = max(s, cuts[p]), min(e, cuts[p + 1])
            if a < b:
                out[p].append(_norm(w[a - s : b - s]))
            p += 1
    return out


def features(
    text: str,
    first: Span,
    second: Span,
    words: Sequence[Word],
    starts: Sequence[int] | None = None,
    others: Iterable[Span] = (),
) -> list[str]:
    """The features of a pair read in text order (`first` starts no later than `second`).

    `words` are the sentence's jieba words with offsets into `text` (any superset of the span
    around the pair works), `starts` their start offsets if already computed, `others` the spans of
    the sentence's other organisation mentions. Training and inference both call this, so what the
    model learnt is exactly what it reads."""
    if starts is None:
        starts = [s for _, s, _ in words]
    fs, fe = first
    ss, se = second
    a_text, b_text = text[fs:fe], text[ss:se]
    out: list[str] = []
    add = out.append
    nested = ss < fe
    # Context windows, cut at the sentence's end on either side.
    lo = max(0, fs - _LEFT_CHARS)
    cut = None
    for m in _SENT_END.finditer(text, lo, fs):
        cut = m.end()
    left_start = cut if cut is not None else lo
    right_stop = min(len(text), max(se, fe) + _RIGHT_CHARS)
    m_end = _SENT_END.search(text, max(se, fe), right_stop)
    right_end = m_end.start() if m_end else right_stop
    left_text = text[left_start:fs]
    right_text = text[max(se, fe) : right_end]
    if nested:
        left, _, right = _words_in(words, starts, (left_start, fs, max(se, fe), right_end))
        between: list[str] = []
    else:
        left, _, between, _, right = _words_in(
            words, starts, (left_start, fs, fe, ss, se, right_end)
        )
    for w in left[-3:]:
        add("lw=" + w)
    if left:
        add("l1=" + left[-1])
    for w in right[:5]:
        add("rw=" + w)
    if right:
        add("r1=" + right[0])
        if len(right) > 1:
            add("r12=" + right[0] + "|" + right[1])
    if nested:
        add("nested")
        gap_text = ""
    else:
        gap_text = text[fe:ss]
        add("d=" + _bucket(len(gap_text), (0, 1, 2, 4, 8, 16, 32)))
        add("nw=" + _bucket(len(between), (0, 1, 2, 3, 5, 8, 12)))
        if len(gap_text) <= 6:
            add("g=" + "".join(between))
        for w in between:
            add("w=" + w)
        if between:
            add("wf=" + between[0])
            add("wl=" + between[-1])
        for x, y in zip(between, between[1:], strict=False):
            add("bb=" + x + "|" + y)
        clauses = sum(c in _CLAUSE for c in gap_text)
        add("cl=" + _bucket(clauses, (0, 1, 2)))
        if "、" in gap_text:
            add("list")
        if any(c in gap_text for c in '（(「“"'):
            add("paren")
        if any(fe <= o[0] and o[1] <= ss for o in others):
            add("ent-between")
        # A trigger right after the first name or right before the second binds more closely
        # (A旗下的B, A的全资子公司B, B的控股股东A) than one somewhere in a long gap.
        for cat in sorted(_categories(gap_text[:4])):
            add("t@after1=" + cat)
        for cat in sorted(_categories(gap_text[-4:])):
            add("t@before2=" + cat)
    for where, piece in (("btw", gap_text), ("left", left_text), ("right", right_text)):
        for cat in sorted(_categories(piece)):
            add(f"t@{where}={cat}")
    # What the names themselves say: unit kinds, and one name inside or abbreviating the other.
    sa, sb = _suffix(a_text), _suffix(b_text)
    add("as=" + sa)
    add("bs=" + sb)
    add("asbs=" + sa + "|" + sb)
    add("alen=" + _bucket(len(a_text), (2, 3, 4, 6)))
    add("blen=" + _bucket(len(b_text), (2, 3, 4, 6)))
    if a_text == b_text:
        add("same")
    elif a_text in b_text:
        add("a-in-b")
    elif b_text in a_text:
        add("b-in-a")
    elif len(a_text) < len(b_text) and _subsequence(a_text, b_text):
        add("a-abbr-b")
    elif len(b_text) < len(a_text) and _subsequence(b_text, a_text):
        add("b-abbr-a")
    elif a_text[:2] == b_text[:2]:
        add("prefix2")
    # Each feature once, in a fixed order: the model was trained on presence, not counts.
    return list(dict.fromkeys(out))


def hedged(text: str, first: Span, second: Span) -> bool:
    """A hedge word (`HEDGES`) in the clauses from the one holding the first mention to the one
    holding the second (from the text's start when no clause boundary lies within 40 characters
    before the first mention)."""
    start = 0
    for m in _CLAUSE_END.finditer(text, max(0, first[0] - 40), first[0]):
        start = m.end()
    stop = _CLAUSE_END.search(text, max(first[1], second[1]))
    end = stop.start() if stop else len(text)
    return _HEDGE_RE.search(text, start, end) is not None


def one_name(a: str, b: str) -> bool:
    """One name contains or abbreviates the other (星海公司 / 星海能源有限公司): the same company or
    a company and its own unit, never two partners."""
    return a in b or b in a or _subsequence(a, b) or _subsequence(b, a)


def states_cooperation(text: str, first: Span, second: Span) -> bool:
    """Whether a cooperation the model reads can be a stated fact: not in a hedged clause
    (`hedged`) and not between two forms of one name (`one_name`). Measured on a read of FinRE
    valid and held-out train predictions (RELATIONS.md): both remove mostly wrong readings."""
    a, b = text[first[0] : first[1]], text[second[0] : second[1]]
    return not hedged(text, first, second) and not one_name(a, b)


@dataclass(frozen=True, slots=True)
class CompanyRelation:
    """One relation the model read: `subject predicate object`, spans as given by the caller.

    For subsidiaryOf the subject is the subsidiary; for the symmetric cooperatesWith and alias it
    is the mention that comes first in the text."""

    subject: Span
    predicate: str
    object: Span
    confidence: float


_cache: dict[Path, RelationModel] = {}
_lock = threading.Lock()


class RelationModel:
    """The trained weights and the decision rule; load once with `RelationModel.load()`."""

    def __init__(
        self,
        vocab: Sequence[str],
        weights: np.ndarray,
        bias: np.ndarray,
        temperature: float,
        thresholds: dict[str, float],
        meta: dict[str, Any] | None = None,
    ) -> None:
        if weights.shape != (len(vocab), len(CLASSES)) or bias.shape != (len(CLASSES),):
            raise ModelError("company relation model: weights do not match vocabulary and classes")
        self.index = {f: i for i, f in enumerate(vocab)}
        self.weights = np.ascontiguousarray(weights, dtype=np.float64)
        self.bias = np.asarray(bias, dtype=np.float64)
        # The hot loop's copies: feature -> its row as floats, and the intercepts.
        self._rows: dict[str, tuple[float, ...]] = dict(
            zip(vocab, map(tuple, self.weights.tolist()), strict=True)
        )
        b0, b1, b2, b3, b4 = self.bias.tolist()
        self._bias = (b0, b1, b2, b3, b4)
        self.temperature = float(temperature)
        self.thresholds = dict(thresholds)
        self.meta = dict(meta or {})

    @classmethod
    def load(cls, path: Path | str | None = None) -> RelationModel:
        """The model in `path` (default: the packaged one), read once per process."""
        p = Path(path) if path is not None else MODEL_PATH
        with _lock:
            model = _cache.get(p)
            if model is None:
                try:
                    data = json.loads(p.read_text(encoding="utf-8"))
                except (OSError, ValueError) as e:
                    raise ModelError(f"cannot read the company relation model {p}: {e}") from e
                model = cls.from_dict(data)
                _cache[p] = model
        return model

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelationModel:
        """A model from its JSON form (what `to_dict` and the training script write)."""
        try:
            if data["feature_version"] != FEATURE_VERSION or tuple(data["classes"]) != CLASSES:
                raise ModelError(
                    "company relation model was made for other features or classes; retrain it "
                    "with python -m zhkg.nlp.train_relations"
                )
            scale = float(data.get("scale", 1.0))
            weights = np.asarray(data["weights"], dtype=np.float64).reshape(-1, len(CLASSES))
            return cls(
                data["vocab"],
                weights * scale,
                np.asarray(data["bias"], dtype=np.float64),
                data["temperature"],
                data["thresholds"],
                data.get("meta"),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"company relation model is malformed: {e}") from e

    def to_dict(self, scale: float = 1e-4) -> dict[str, Any]:
        """The JSON form; weights are stored as integers in units of `scale` to keep it small."""
        vocab = [""] * len(self.index)
        for f, i in self.index.items():
            vocab[i] = f
        return {
            "feature_version": FEATURE_VERSION,
            "classes": list(CLASSES),
            "vocab": vocab,
            "scale": scale,
            "weights": np.rint(self.weights / scale).astype(np.int64).ravel().tolist(),
            "bias": [round(float(b), 6) for b in self.bias],
            "temperature": round(self.temperature, 6),
            "thresholds": self.thresholds,
            "meta": self.meta,
        }

    def probabilities_of(self, feats: Iterable[str]) -> tuple[float, ...]:
        """Calibrated class probabilities (in `CLASSES` order) for one feature list.

        Runs for every pair of organisations in every sentence, so the five sums are written out
        in plain Python: for a few dozen features that is several times faster than numpy."""
        z0, z1, z2, z3, z4 = self._bias
        rows = self._rows
        for f in feats:
            r = rows.get(f)
            if r is not None:
                z0 += r[0]
                z1 += r[1]
                z2 += r[2]
                z3 += r[3]
                z4 += r[4]
        t = self.temperature
        top = max(z0, z1, z2, z3, z4)
        e = [math.exp((z - top) / t) for z in (z0, z1, z2, z3, z4)]
        total = sum(e)
        return tuple(x / total for x in e)

    def probabilities(
        self,
        text: str,
        first: Span,
        second: Span,
        words: Sequence[Word] | None = None,
        others: Iterable[Span] = (),
    ) -> tuple[float, ...]:
        """Class probabilities for a pair in text order; `words` default to jieba's of `text`."""
        if words is None:
            words = _segment(text)
        return self.probabilities_of(features(text, first, second, words, None, others))

    def decide(
        self,
        text: str,
        first: Span,
        second: Span,
        probs: Sequence[float],
        threshold: float | None = None,
    ) -> CompanyRelation | None:
        """The relation the probabilities state between `first` and `second` (text order), if its
        confidence clears the threshold and, for cooperation, the sentence states it
        (`states_cooperation`).

        `threshold` None means the per-predicate thresholds in the model file (see RELATIONS.md);
        0 gives the most likely relation whatever its confidence."""
        k = max(range(len(CLASSES)), key=probs.__getitem__)
        cls = CLASSES[k]
        if cls == NONE:
            return None
        conf = float(probs[k])
        pred = "subsidiaryOf" if cls in (FIRST_OF_SECOND, SECOND_OF_FIRST) else cls
        need = self.thresholds.get(pred, 0.5) if threshold is None else threshold
        if conf < need:
            return None
        if pred == COOP and not states_cooperation(text, first, second):
            return None
        if cls == SECOND_OF_FIRST:
            return CompanyRelation(second, pred, first, conf)
        return CompanyRelation(first, pred, second, conf)

    def classify(
        self,
        text: str,
        head: Span,
        tail: Span,
        words: Sequence[Word] | None = None,
        others: Iterable[Span] = (),
        threshold: float | None = None,
    ) -> CompanyRelation | None:
        """The relation `text` states between the mentions at `head` and `tail` (in either order).

        `head`, `tail` and the offsets in `words` index `text`; `others` are the spans of other
        organisation mentions in the sentence (a mention between the two weakens a reading)."""
        first, second = (head, tail) if (head[0], head[1]) <= (tail[0], tail[1]) else (tail, head)
        probs = self.probabilities(text, first, second, words, others)
        return self.decide(text, first, second, probs, threshold)

    def relations(
        self,
        text: str,
        spans: Sequence[Span],
        words: Sequence[Word] | None = None,
        threshold: float | None = None,
        max_between: int = 3,
    ) -> list[CompanyRelation]:
        """Every relation stated between two of `spans` (organisation mentions of one sentence),
        each pair read once, words segmented once for all pairs.

        Pairs with more than `max_between` other mentions between them are not read: FinRE has
        almost no such pairs, so the model knows nothing about them, and a long list of names
        would otherwise cost a read for every pair (45 for ten names)."""
        if words is None:
            words = _segment(text)
        starts = [s for _, s, _ in words]
        order = sorted(set(spans))
        found: list[CompanyRelation] = []
        for i, a in enumerate(order):
            for j in range(i + 1, min(len(order), i + max_between + 2)):
                b = order[j]
                if text[a[0] : a[1]] == text[b[0] : b[1]]:
                    continue
                rest = order[:i] + order[i + 1 : j] + order[j + 1 :]
                probs = self.probabilities_of(features(text, a, b, words, starts, rest))
                rel = self.decide(text, a, b, probs, threshold)
                if rel is not None:
                    found.append(rel)
        return found


def _segment(text: str) -> list[Word]:
    from zhkg.nlp.segment import words  # the project's jieba words; imported late: loads jieba

    return words(text)
