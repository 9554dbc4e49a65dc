"""Train the name tagger from the annotated corpora; also their held-out splits and scoring.

    zhkg train --data ../shared/data --out src/zhkg/data/tagger.crfsuite

reproduces the packaged model byte for byte (crfsuite's L-BFGS is deterministic and the
sentences are read in file order). Splits are fixed by a hash of each sentence's text, so they
never depend on file order or on anything learnt, and were set before any tuning: `test` is only
ever scored, `dev` is what the settings in `TRAIN_PARAMS` were chosen on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from zhkg.errors import InputError, ModelError

CLUENER_FILE = "cluener2020/train.json"
PD_FILE = "peoples_daily_ner/dev.jsonl"

#: Per-corpus split: percent of the hash buckets held out for testing and for tuning.
SPLITS = {"cluener": (15, 10), "pd": (20, 10)}

#: The settings chosen on the dev splits.
TRAIN_PARAMS: dict[str, object] = {
    "c1": 0.05,
    "c2": 0.01,
    "max_iterations": 200,
    "feature.possible_transitions": True,
}

#: CLUENER labels scored by the issue, and People's Daily's.
CLUENER_EVAL = ("name", "company", "government", "position")
PD_EVAL = ("PER", "LOC", "ORG")
#: Model label -> People's Daily type, for scoring People's Daily.
TO_PD = {
    "name": "PER",
    "address": "LOC",
    "scene": "LOC",
    "company": "ORG",
    "government": "ORG",
    "organization": "ORG",
}

Span = tuple[int, int, str]

#: Fill CLUENER's unmarked places from the gazetteer (see `model_labels`).
PLACE_FILL = True
#: People's Daily sentences are given this many times: its 1,600 training sentences would
#: otherwise weigh too little beside CLUENER's 8,000 to teach its own convention (chosen on dev).
PD_REPEAT = 2


@dataclass(frozen=True, slots=True)
class Example:
    """One annotated sentence: half-open spans with the corpus's own labels."""

    corpus: str
    text: str
    spans: tuple[Span, ...]


def split_of(text: str, corpus: str) -> str:
    """"train", "dev" or "test", from the text alone."""
    bucket = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:4], "big") % 100
    test, dev = SPLITS[corpus]
    if bucket < test:
        return "test"
    return "dev" if bucket < test + dev else "train"


def read_cluener(path: Path) -> Iterator[Example]:
    for lineno, line in _lines(path):
        try:
            obj = json.loads(line)
            text = obj["text"]
            spans = [
                (int(s), int(e) + 1, label)
                for label, ents in obj.get("label", {}).items()
                for offsets in ents.values()
                for s, e in offsets
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(str(path), f"not a CLUENER record: {exc}", lineno) from exc
        yield Example("cluener", text, tuple(sorted(spans)))


def read_pd(path: Path) -> Iterator[Example]:
    for lineno, line in _lines(path):
        try:
            obj = json.loads(line)
            text = obj["text"]
            spans = [(int(e["start"]), int(e["end"]), e["type"]) for e in obj["entities"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(str(path), f"not a People's Daily record: {exc}", lineno) from exc
        yield Example("pd", text, tuple(sorted(spans)))


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    yield lineno, line
    except OSError as exc:
        raise InputError(str(path), str(exc)) from exc


def load(data: Path, corpus: str, split: str) -> list[Example]:
    """The examples of one corpus ("cluener" or "pd") in one split, in file order."""
    reader, name = (read_cluener, CLUENER_FILE) if corpus == "cluener" else (read_pd, PD_FILE)
    return [ex for ex in reader(data / name) if split_of(ex.text, corpus) == split]


def default_data_dir() -> Path:
    """$ZHKG_DATA, else ../shared/data beside the repository."""
    env = os.environ.get("ZHKG_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[4] / "shared" / "data"


def pd_org_label(name: str) -> str:
    """A People's Daily ORG as one of the fine labels, from its final word (general suffixes)."""
    from zhkg.nlp.tagger import _SUFFIXES

    for k in (3, 2, 1):
        kind = _SUFFIXES.get(name[-k:])
        if kind == "co":
            return "company"
        if kind == "gov":
            return "government"
    return "organization"


def model_labels(ex: Example, words: Sequence[tuple[str, int, int]] = ()) -> list[str]:
    """BIO tags over the model's (CLUENER) labels; overlapping spans keep the first.

    CLUENER leaves most bare country and city names unmarked where People's Daily marks every
    one; in CLUENER sentences a jieba word that the gazetteer knows as a country or Chinese
    division, and that no annotation touches, becomes an `address`, so the two corpora agree on
    what a place is.
    """
    tags = ["O"] * len(ex.text)
    if ex.corpus == "cluener" and PLACE_FILL:
        from zhkg.nlp.gazetteer import places_named

        for w, s, e in words:
            if (len(w) > 1 and places_named(w)
                    and not any(s < ge and gs < e for gs, ge, _ in ex.spans)):
                tags[s] = "B-address"
                for i in range(s + 1, e):
                    tags[i] = "I-address"
    for s, e, label in ex.spans:
        if ex.corpus == "pd":
            label = {"PER": "name", "LOC": "address"}.get(label) or pd_org_label(ex.text[s:e])
        if s < 0 or e > len(tags) or any(t != "O" for t in tags[s:e]):
            continue
        tags[s] = "B-" + label
        for i in range(s + 1, e):
            tags[i] = "I-" + label
    return tags


def domain_of(corpus: str) -> str:
    from zhkg.nlp.tagger import DOMAIN_NEWS, DOMAIN_PD

    return DOMAIN_PD if corpus == "pd" else DOMAIN_NEWS


def train(
    examples: Iterable[Example], out: Path, params: dict[str, object] | None = None,
    verbose: bool = False,
) -> None:
    """Fit the CRF on `examples` and write it to `out` (written whole, then moved in place)."""
    import pycrfsuite

    from zhkg.nlp.segment import words
    from zhkg.nlp.tagger import features

    trainer = pycrfsuite.Trainer(algorithm="lbfgs", verbose=verbose)
    trainer.set_params(dict(TRAIN_PARAMS if params is None else params))
    for ex in examples:
        ws = words(ex.text)
        trainer.append(features(ex.text, ws, domain_of(ex.corpus)), model_labels(ex, ws))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    os.close(fd)
    try:
        trainer.train(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the model is package data
        os.replace(tmp, out)
    except Exception as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ModelError(f"training failed: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Score:
    """Exact-span counts for one label, and what follows from them."""

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


def score(
    gold: Sequence[Iterable[Span]], pred: Sequence[Iterable[Span]], labels: Sequence[str]
) -> dict[str, Score]:
    """Exact-span P/R/F1 per label and "micro" over `labels`, sentence by sentence."""
    counts = {lab: [0, 0, 0] for lab in labels}
    for g_spans, p_spans in zip(gold, pred, strict=True):
        g = {s for s in g_spans if s[2] in counts}
        p = {s for s in p_spans if s[2] in counts}
        for s in g & p:
            counts[s[2]][0] += 1
        for s in p - g:
            counts[s[2]][1] += 1
        for s in g - p:
            counts[s[2]][2] += 1
    out = {lab: Score(*c) for lab, c in counts.items()}
    out["micro"] = Score(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return out


def predict(examples: Sequence[Example], model: Path | None = None) -> list[list[Span]]:
    """The tagger's spans for each example, in that corpus's labels (People's Daily mapped)."""
    from zhkg.nlp.segment import words
    from zhkg.nlp.tagger import Tagger

    tagger = Tagger.default() if model is None else Tagger(model)
    out: list[list[Span]] = []
    for ex in examples:
        spans = tagger.tag_labels(ex.text, words(ex.text), domain_of(ex.corpus))
        if ex.corpus == "pd":
            out.append([(s, e, TO_PD[lab]) for s, e, lab, _ in spans if lab in TO_PD])
        else:
            out.append([(s, e, lab) for s, e, lab, _ in spans])
    return out


def evaluate(
    data: Path, split: str = "test", model: Path | None = None
) -> dict[str, dict[str, Score]]:
    """Scores of a model on one split of both corpora: {"cluener": {...}, "pd": {...}}."""
    out = {}
    for corpus, labels in (("cluener", CLUENER_EVAL), ("pd", PD_EVAL)):
        exs = load(data, corpus, split)
        out[corpus] = score([ex.spans for ex in exs], predict(exs, model), labels)
    return out


def format_scores(scores: dict[str, Score]) -> str:
    lines = [f"{'label':<14}{'P':>8}{'R':>8}{'F1':>8}{'gold':>7}"]
    for lab, s in scores.items():
        lines.append(f"{lab:<14}{s.precision:8.4f}{s.recall:8.4f}{s.f1:8.4f}{s.tp + s.fn:7d}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="zhkg train", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=default_data_dir())
    ap.add_argument("--out", type=Path, required=True, help="model file to write")
    ap.add_argument("--tune", action="store_true",
                    help="train on train only and score dev (for choosing settings)")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="override a crfsuite setting (with --tune)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    params: dict[str, object] = dict(TRAIN_PARAMS)
    for kv in args.param:
        key, _, value = kv.partition("=")
        params[key] = value
    splits = ("train",) if args.tune else ("train", "dev")
    exs = [ex for c in ("cluener", "pd") for sp in splits for ex in load(args.data, c, sp)
           for _ in range(PD_REPEAT if c == "pd" else 1)]
    # File order within each corpus, CLUENER first: the model depends only on the data.
    t0 = time.perf_counter()
    train(exs, args.out, params, args.verbose)
    print(f"trained on {len(exs)} sentences in {time.perf_counter() - t0:.0f} s -> {args.out} "
          f"({args.out.stat().st_size / 1e6:.1f} MB)")
    split = "dev" if args.tune else "test"
    for corpus, scores in evaluate(args.data, split, args.out).items():
        print(f"\n{corpus} {split}\n{format_scores(scores)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
