"""Train and measure the company relation model (`zhkg.company_relations`) on FinRE.

    python -m zhkg.nlp.train_relations --data ../shared/data

trains on FinRE's train split with the chosen settings (`SETTINGS`), fits the calibration on
5-fold held-out train predictions, sets the thresholds (`THRESHOLDS`, chosen on reads of valid and
held-out train predictions), writes `src/zhkg/data/company_relations.json` and prints the figures
on valid; `--test` adds test, `--select` compares the candidate settings instead. Needs
scikit-learn (the `train` or `test` extra); the runtime does not. The output is the same file on
every run (newton-cg from zero, file order, sorted vocabulary).

How FinRE's labels become the graph's relations is `LABELS`; why, and every figure, is in
`data/RELATIONS.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zhkg.errors import InputError, ModelError
from zhkg.nlp import company_relations as cr

FINRE_DIR = "finre"

#: FinRE label -> what it says in the graph. "owns": the head owns or controls the tail (tail
#: subsidiaryOf head); "owns-if-control": 持股 is a shareholding, which is ownership only when the
#: sentence says the holder controls (`_CONTROL`); "coop" and "alias" are symmetric. Every other
#: label (unknown, 竞争, 分析, 纠纷, 交易, 订单, 重组, 合并, 增持, 减持, 入股, 注资, 拟收购, 买资,
#: 借壳, 转让, 发行, 欠款, 帮助, 商讨) states no graph relation and counts as none.
LABELS: dict[str, str] = {
    "合作": "coop",
    "签约": "coop",
    "合资": "coop",
    "自己": "alias",
    "拥有": "owns",
    "收购": "owns",
    "成立": "owns",
    "持股": "owns-if-control",
}
# 第二大股东 and below hold a stake without control, so 大股东 counts only without a rank before it.
_CONTROL = re.compile("控股|第一大股东|(?<![二三四五六七八九十])大股东|全资|实际控制")

#: Inverse regularisation of the logistic regression and the least count of a feature in train to
#: enter the vocabulary, chosen on 5-fold held-out train macro F1 (`--select` prints it beside
#: valid's, whose 265 relations make differences of 0.02 noise).
SETTINGS: dict[str, float] = {"C": 0.3, "min_count": 2}
#: Each predicate's confidence threshold: the lowest (in steps of 0.05) at which at least 0.90 of
#: at least 20 decisions were right by the graph's conventions, in a read of FinRE valid's
#: predictions and of a sample of held-out (5-fold) train predictions, cooperation checks
#: included (RELATIONS.md; the verdicts are in benches/finre_judged_*.tsv). FinRE's own labels
#: cannot set them: it leaves many stated relations unlabelled (甲是乙下属子公司 labelled unknown),
#: so its precision stays near 0.85 however high the threshold. The rule on FinRE's labels
#: (`choose_thresholds`) is printed beside them.
THRESHOLDS: dict[str, float] = {"cooperatesWith": 0.75, "subsidiaryOf": 0.70, "alias": 0.85}
#: Wanted precision of each predicate at its threshold (the product's relation precision goal).
TARGET_PRECISION = 0.90
#: Least number of decisions at or above a threshold for `choose_thresholds` to trust a precision.
MIN_SUPPORT = 10


@dataclass(frozen=True, slots=True)
class Example:
    """One pair of mentions in text order with its gold class (index into `cr.CLASSES`)."""

    text: str
    first: cr.Span
    second: cr.Span
    label: int
    others: tuple[cr.Span, ...] = ()
    line: int = 0  # the record's line in its file, to find it again


def _relocate(text: str, ents: list[dict[str, Any]]) -> list[cr.Span] | None:
    """FinRE's offsets are the first occurrence of each name, so a short name is often put inside
    the long one (万达 at 万达集团's start) when the sentence mentions it later on its own: move
    such a mention to its next occurrence clear of the others; None if there is none."""
    spans = [(int(e["start"]), int(e["end"])) for e in ents]
    for i, (s, e) in enumerate(spans):
        clash = [o for j, o in enumerate(spans) if j != i and o[0] < e and s < o[1]]
        if not clash:
            continue
        if (e - s) >= max(o[1] - o[0] for o in clash):
            continue  # the longer name stays; the shorter one moves
        name = text[s:e]
        k = text.find(name, s + 1)
        while k >= 0 and any(o[0] < k + len(name) and k < o[1] for o in clash):
            k = text.find(name, k + 1)
        if k < 0:
            return None
        spans[i] = (k, k + len(name))
    return spans


def gold_class(types_ab: set[str], types_ba: set[str], text: str) -> int | None:
    """The class of a text-ordered pair (a first) from FinRE's labels in both directions; None
    when they contradict (ownership both ways)."""

    def kinds(types: set[str]) -> set[str]:
        out = set()
        for t in types:
            k = LABELS.get(t)
            if k == "owns-if-control":
                k = "owns" if _CONTROL.search(text) else None
            if k:
                out.add(k)
        return out

    ab, ba = kinds(types_ab), kinds(types_ba)
    if "owns" in ab and "owns" in ba:
        return None
    if "owns" in ab:
        return cr.CLASSES.index(cr.SECOND_OF_FIRST)
    if "owns" in ba:
        return cr.CLASSES.index(cr.FIRST_OF_SECOND)
    if "alias" in ab | ba:
        return cr.CLASSES.index(cr.ALIAS)
    if "coop" in ab | ba:
        return cr.CLASSES.index(cr.COOP)
    return 0


def read_finre(path: Path) -> tuple[list[Example], Counter[str]]:
    """The pairs of one FinRE split, and a count of what was dropped and why."""
    if not path.is_file():
        raise InputError(
            str(path), "FinRE split not found (give --data, the folder holding finre/)"
        )
    out: list[Example] = []
    dropped: Counter[str] = Counter()
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                rec = json.loads(line)
                text: str = rec["text"].replace("<N>", "000")  # digits were masked; keep offsets
                ents = rec["entities"]
                rels = rec["relations"]
            except (ValueError, KeyError, AttributeError) as e:
                raise InputError(str(path), f"not a FinRE record: {e}", n) from e
            spans = _relocate(text, ents)
            if spans is None:
                dropped["overlapping mentions"] += 1
                continue
            types: dict[tuple[int, int], set[str]] = {}
            for r in rels:
                types.setdefault((r["head"], r["tail"]), set()).add(r["type"])
            for i in range(len(spans)):
                for j in range(i + 1, len(spans)):
                    a, b = (i, j) if spans[i] <= spans[j] else (j, i)
                    if text[spans[a][0] : spans[a][1]] == text[spans[b][0] : spans[b][1]]:
                        dropped["same name twice"] += 1
                        continue
                    label = gold_class(types.get((a, b), set()), types.get((b, a), set()), text)
                    if label is None:
                        dropped["ownership both ways"] += 1
                        continue
                    others = tuple(s for k, s in enumerate(spans) if k not in (a, b))
                    out.append(Example(text, spans[a], spans[b], label, others, n))
    return out, dropped


def featurise(examples: Sequence[Example]) -> list[list[str]]:
    """Each example's features, from one batch segmentation of the distinct sentences."""
    from zhkg.nlp.segment import words_many

    texts = list(dict.fromkeys(e.text for e in examples))
    segmented = dict(zip(texts, words_many(texts, [0] * len(texts)), strict=True))
    return [
        cr.features(e.text, e.first, e.second, segmented[e.text], None, e.others) for e in examples
    ]


def _matrix(feats: Sequence[Sequence[str]], index: dict[str, int]) -> Any:
    from scipy.sparse import csr_matrix

    rows, cols = [], []
    for r, fs in enumerate(feats):
        for c in {index[f] for f in fs if f in index}:
            rows.append(r)
            cols.append(c)
    data = np.ones(len(rows), dtype=np.float64)
    return csr_matrix((data, (rows, cols)), shape=(len(feats), len(index)))


def _fit(x: Any, y: np.ndarray, c: float) -> Any:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ModelError("training needs scikit-learn: pip install -e '.[train]'") from e
    clf = LogisticRegression(C=c, solver="newton-cg", max_iter=1000, tol=1e-4)
    clf.fit(x, y)
    return clf


def _logits(clf: Any, x: Any) -> np.ndarray:
    """Decision values in `cr.CLASSES` order even when a class is absent from a small sample."""
    z = np.full((x.shape[0], len(cr.CLASSES)), -30.0)
    z[:, clf.classes_] = clf.decision_function(x)
    return z


def softmax_rows(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits divided by `temperature` (what `RelationModel` computes)."""
    z = z / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log loss of held-out logits (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = softmax_rows(z, float(np.exp(log_t)))
        return float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(res.x))


def calibration_error(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: mean |accuracy - confidence| of the top class over bins."""
    conf = probs.max(axis=1)
    right = probs.argmax(axis=1) == gold
    total = 0.0
    for b in range(bins):
        sel = (conf > b / bins) & (conf <= (b + 1) / bins)
        if sel.any():
            total += abs(float(right[sel].mean()) - float(conf[sel].mean())) * int(sel.sum())
    return total / max(len(gold), 1)


def _predicate(k: int) -> str | None:
    cls = cr.CLASSES[k]
    if cls == cr.NONE:
        return None
    return "subsidiaryOf" if cls in (cr.FIRST_OF_SECOND, cr.SECOND_OF_FIRST) else cls


@dataclass(frozen=True, slots=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(pred: np.ndarray, gold: np.ndarray) -> dict[str, Score]:
    """Per predicate and micro-averaged, from predicted and gold class indices (0 = none): a pair
    is right when predicate and direction are right; a relation with the wrong direction is one
    false positive and one false negative."""
    out: dict[str, Score] = {}
    totals = [0, 0, 0]
    for p in cr.PREDICATES:
        tp = fp = fn = 0
        for k in range(len(gold)):
            said = _predicate(int(pred[k])) == p
            is_gold = _predicate(int(gold[k])) == p
            if said and is_gold and pred[k] == gold[k]:
                tp += 1
            else:
                fp += said
                fn += is_gold
        out[p] = Score(tp, fp, fn)
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
    out["all"] = Score(*totals)
    return out


def decisions(
    model: cr.RelationModel,
    examples: Sequence[Example],
    probs: np.ndarray,
    thresholds: dict[str, float] | None = None,
) -> np.ndarray:
    """The class the runtime gives each example (`RelationModel.decide`, cooperation checks
    included) at `thresholds` (None: the model's own), as class indices, 0 for none."""
    saved = model.thresholds
    if thresholds is not None:
        model.thresholds = thresholds
    try:
        out = np.zeros(len(examples), dtype=int)
        for k, e in enumerate(examples):
            rel = model.decide(e.text, e.first, e.second, probs[k])
            if rel is not None:
                out[k] = int(np.argmax(probs[k]))
        return out
    finally:
        model.thresholds = saved


def _macro(s: dict[str, Score]) -> float:
    return sum(s[p].f1 for p in cr.PREDICATES) / len(cr.PREDICATES)


def choose_thresholds(
    model: cr.RelationModel, examples: Sequence[Example], probs: np.ndarray, gold: np.ndarray
) -> dict[str, float]:
    """Each predicate's lowest threshold (0.30-0.99) at which FinRE's own labels give precision
    `TARGET_PRECISION` on at least `MIN_SUPPORT` decisions; 0.99 if none. Printed for comparison
    only: FinRE leaves many stated relations unlabelled (see `THRESHOLDS`)."""
    out: dict[str, float] = {}
    for p in cr.PREDICATES:
        best = 0.99
        for t in np.round(np.arange(0.30, 1.0, 0.01), 2):
            th = {q: (float(t) if q == p else 1.01) for q in cr.PREDICATES}
            s = score(decisions(model, examples, probs, th), gold)[p]
            if s.tp + s.fp >= MIN_SUPPORT and s.precision >= TARGET_PRECISION:
                best = float(t)
                break
        out[p] = best
    return out


@dataclass(frozen=True, slots=True)
class Trained:
    model: cr.RelationModel
    cv_logits: np.ndarray | None


def train(
    examples: Sequence[Example],
    c: float = SETTINGS["C"],
    min_count: int = int(SETTINGS["min_count"]),
    folds: int = 5,
    feats: Sequence[Sequence[str]] | None = None,
) -> Trained:
    """A model trained on `examples`, its temperature fitted on `folds`-fold held-out logits
    (thresholds are set by the caller on other data)."""
    if feats is None:
        feats = featurise(examples)
    counts: Counter[str] = Counter(f for fs in feats for f in set(fs))
    vocab = sorted(f for f, n in counts.items() if n >= min_count)
    index = {f: i for i, f in enumerate(vocab)}
    x = _matrix(feats, index)
    y = np.array([e.label for e in examples])
    clf = _fit(x, y, c)
    weights = np.zeros((len(vocab), len(cr.CLASSES)))
    bias = np.full(len(cr.CLASSES), -30.0)
    weights[:, clf.classes_] = clf.coef_.T
    bias[clf.classes_] = clf.intercept_
    temperature = 1.0
    cv: np.ndarray | None = None
    if folds > 1 and len(examples) >= folds * 20:
        # Folds by sentence, so one sentence's pairs never train and test the same fold.
        sent = {t: k for k, t in enumerate(dict.fromkeys(e.text for e in examples))}
        fold = np.array([sent[e.text] % folds for e in examples])
        cv = np.zeros((len(examples), len(cr.CLASSES)))
        for f in range(folds):
            part = _fit(x[fold != f], y[fold != f], c)
            cv[fold == f] = _logits(part, x[fold == f])
        temperature = fit_temperature(cv, y)
    model = cr.RelationModel(vocab, weights, bias, temperature, {p: 0.5 for p in cr.PREDICATES})
    return Trained(model, cv)


def predict(
    model: cr.RelationModel,
    examples: Sequence[Example],
    feats: Sequence[Sequence[str]] | None = None,
) -> np.ndarray:
    """Calibrated probabilities of each example, through the runtime's own code path."""
    if feats is None:
        feats = featurise(examples)
    return np.array([model.probabilities_of(fs) for fs in feats])


def report(
    name: str, model: cr.RelationModel, examples: Sequence[Example], probs: np.ndarray
) -> str:
    """P/R/F1 per relation: the model's most likely class alone, and what the runtime gives at
    the model's thresholds (cooperation checks included)."""
    gold = np.array([e.label for e in examples])
    lines = [
        f"{name}: {len(gold)} pairs; gold "
        + ", ".join(f"{p} {sum(_predicate(int(g)) == p for g in gold)}" for p in cr.PREDICATES)
    ]
    for label, pred in (
        ("most likely class", probs.argmax(axis=1)),
        (f"at the thresholds {model.thresholds}", decisions(model, examples, probs)),
    ):
        lines.append(f"  {label}")
        for p, s in score(pred, gold).items():
            lines.append(
                f"    {p:14s} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}"
                f"  (tp {s.tp}, fp {s.fp}, fn {s.fn})"
            )
    lines.append(f"  calibration error (10 bins) {calibration_error(probs, gold):.3f}")
    return "\n".join(lines)


def _default_data() -> Path:
    env = os.environ.get("ZHKG_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[4] / "shared" / "data"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m zhkg.nlp.train_relations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder holding finre/ (default $ZHKG_DATA, else ../shared/data)",
    )
    ap.add_argument("--out", type=Path, default=cr.MODEL_PATH, help="model file to write")
    ap.add_argument(
        "--select",
        action="store_true",
        help="compare the candidate settings on valid; write nothing",
    )
    ap.add_argument(
        "--test",
        action="store_true",
        help="also print the figures on test (the final figures: no choice made on them)",
    )
    args = ap.parse_args(argv)
    data = (args.data or _default_data()) / FINRE_DIR
    splits = {}
    for name in ("train", "valid", "test"):
        exs, dropped = read_finre(data / f"{name}.jsonl")
        splits[name] = exs
        print(f"{name}: {len(exs)} pairs" + (f" (dropped: {dict(dropped)})" if dropped else ""))
    tr, va = splits["train"], splits["valid"]
    f_tr, f_va = featurise(tr), featurise(va)
    y_va = np.array([e.label for e in va])
    if args.select:
        y_tr = np.array([e.label for e in tr])
        for c in (0.1, 0.3, 1.0):
            for mc in (1, 2):
                t = train(tr, c, mc, folds=5, feats=f_tr)
                assert t.cv_logits is not None
                s_cv = score(t.cv_logits.argmax(axis=1), y_tr)
                s_va = score(predict(t.model, va, f_va).argmax(axis=1), y_va)
                print(
                    f"C {c:4} min_count {mc}: macro F1 valid {_macro(s_va):.3f}, "
                    f"train 5-fold {_macro(s_cv):.3f}; valid "
                    + "  ".join(f"{p} {s_va[p].f1:.3f}" for p in cr.PREDICATES)
                )
        return 0
    trained = train(tr, feats=f_tr)
    model = trained.model
    p_va = predict(model, va, f_va)
    model.thresholds = dict(THRESHOLDS)
    print(
        f"thresholds {THRESHOLDS}; FinRE-label precision >= {TARGET_PRECISION} on valid would "
        f"pick {choose_thresholds(model, va, p_va, y_va)}"
    )
    model.meta = {
        "trained_on": "FinRE (Li et al. 2019, github.com/thunlp/Chinese_NRE, MIT) train split",
        "pairs": len(tr),
        "settings": SETTINGS,
        "target_precision": TARGET_PRECISION,
        "vocabulary": len(model.index),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(model.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    print(
        f"wrote {args.out} ({args.out.stat().st_size:,} bytes; vocabulary "
        f"{len(model.index):,}; temperature {model.temperature:.3f})"
    )
    if trained.cv_logits is not None:
        y_tr = np.array([e.label for e in tr])
        cv = trained.cv_logits
        raw = calibration_error(softmax_rows(cv), y_tr)
        calibrated = calibration_error(softmax_rows(cv, model.temperature), y_tr)
        print(
            f"train, 5-fold held out: calibration error {raw:.3f} raw, {calibrated:.3f} calibrated"
        )
    print(report("valid", model, va, p_va))
    if args.test:
        te = splits["test"]
        print(report("test", model, te, predict(model, te)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
