"""Figures of the company relation model (zhkg.nlp.company_relations): accuracy and speed.

    .venv/bin/python benches/finre_eval.py [--data ../shared/data]

Prints, when FinRE is there: per-relation precision, recall and F1 on FinRE test (most likely class
and at the model's thresholds), the judged precision of the committed reads
(benches/finre_judged_*.tsv), and the time per pair; always: the sanity read of the hand-written
sentences in benches/company_relations_sanity.tsv.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import time
from pathlib import Path

import numpy as np

from zhkg.nlp import company_relations as cr
from zhkg.nlp import train_relations as tr
from zhkg.nlp.segment import words

HERE = Path(__file__).parent


def sanity_sentences() -> list[tuple[str, list[cr.Span], str]]:
    """(text, the two bracketed spans, expected label) of each hand-written sentence."""
    out = []
    for line in (HERE / "company_relations_sanity.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        marked, expected = line.split("\t")
        text, spans = "", []
        for part in re.split(r"(\[[^\]]+\])", marked):
            if part.startswith("["):
                spans.append((len(text), len(text) + len(part) - 2))
                part = part[1:-1]
            text += part
        out.append((text, spans, expected))
    return out


def label(rel: cr.CompanyRelation | None, spans: list[cr.Span]) -> str:
    if rel is None:
        return "none"
    if rel.predicate == "subsidiaryOf":
        return f"subsidiaryOf {spans.index(rel.subject) + 1} {spans.index(rel.object) + 1}"
    return rel.predicate


def sanity(model: cr.RelationModel) -> None:
    rows = sanity_sentences()
    for name, threshold in (("most likely relation", 0.0), ("at the thresholds", None)):
        right = 0
        wrong = []
        for text, spans, expected in rows:
            got = label(model.classify(text, spans[0], spans[1], threshold=threshold), spans)
            if got == expected:
                right += 1
            else:
                wrong.append(f"    expected {expected}, got {got}: {text}")
        print(f"sanity read, {name}: {right} of {len(rows)} right")
        print("\n".join(wrong)) if wrong else None


def _span(s: str) -> cr.Span:
    a, b = s.split("-")
    return int(a), int(b)


def judged(model: cr.RelationModel, data: Path) -> None:
    """Precision by the committed verdicts at the model's thresholds, per predicate. (The read of
    held-out train predictions, finre_judged_train_heldout.tsv, is of the cross-validation models,
    not this one, so it is not re-scored here.)"""
    for path in (HERE / "finre_judged_valid.tsv", HERE / "finre_judged_test.tsv"):
        rows = [
            r
            for r in csv.DictReader(
                (
                    ln
                    for ln in path.read_text(encoding="utf-8").splitlines()
                    if not ln.startswith("#")
                ),
                delimiter="\t",
            )
        ]
        split = rows[0]["split"]
        exs = {
            (e.line, e.first, e.second): e
            for e in tr.read_finre(data / tr.FINRE_DIR / f"{split}.jsonl")[0]
        }
        stale = 0
        tally: dict[str, list[int]] = {p: [0, 0] for p in cr.PREDICATES}
        for r in rows:
            e = exs[(int(r["line"]), _span(r["first"]), _span(r["second"]))]
            probs = model.probabilities(e.text, e.first, e.second, others=e.others)
            if cr.CLASSES[int(np.argmax(probs))] != r["predicted"]:
                stale += 1
                continue
            rel = model.decide(e.text, e.first, e.second, probs)
            if rel is not None:
                tally[rel.predicate][0] += int(r["verdict"])
                tally[rel.predicate][1] += 1
        print(f"judged read of FinRE {split} ({path.name}), at the thresholds:")
        for p, (ok, n) in tally.items():
            print(f"    {p:14s} {ok} of {n} right" + (f" ({ok / n:.3f})" if n else ""))
        ok, n = (sum(v[0] for v in tally.values()), sum(v[1] for v in tally.values()))
        print(f"    {'all':14s} {ok} of {n} right" + (f" ({ok / n:.3f})" if n else ""))
        if stale:
            print(f"    ({stale} verdicts are for another model's prediction and were skipped)")


def finre(model: cr.RelationModel, data: Path) -> None:
    exs, _ = tr.read_finre(data / tr.FINRE_DIR / "test.jsonl")
    print(tr.report("FinRE test", model, exs, tr.predict(model, exs)))
    # Speed: the pairs of the test split, words segmented beforehand (as the pipeline has them)
    # and then segmenting each sentence for its pair. CPU time of this process: one core's cost,
    # which wall time on a shared machine overstates.
    segmented = {e.text: words(e.text) for e in exs}
    for name, given in (("words given", True), ("segmenting the sentence", False)):
        runs = []
        for _ in range(3):
            t0 = time.process_time()
            for e in exs:
                model.classify(
                    e.text, e.first, e.second, segmented[e.text] if given else None, e.others
                )
            runs.append((time.process_time() - t0) / len(exs) * 1e6)
        print(
            f"CPU time per pair, {name}: {statistics.median(runs):.1f} µs "
            f"(median of 3 runs over {len(exs)} pairs; "
            f"mean sentence {statistics.mean(len(e.text) for e in exs):.0f} characters)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=tr._default_data())
    args = ap.parse_args()
    model = cr.RelationModel.load()
    words("预热")  # load the segmenter before timing
    print(
        f"model: {cr.MODEL_PATH.name}, vocabulary {len(model.index):,}, thresholds "
        f"{model.thresholds}"
    )
    if (args.data / tr.FINRE_DIR / "test.jsonl").is_file():
        finre(model, args.data)
        judged(model, args.data)
    else:
        print(f"no FinRE under {args.data}: FinRE figures skipped")
    sanity(model)


if __name__ == "__main__":
    main()
