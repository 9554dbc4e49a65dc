"""The name tagger and the whole extractor on held-out test splits and the seeds, and speed.

    .venv/bin/python benches/ner_eval.py [--data DIR] [--model FILE] [--split test|dev]

Prints exact-span P/R/F1 per label and micro for CLUENER2020 (name, company, government, position)
and People's Daily (PER, LOC, ORG): first the statistical tagger alone, then the whole extractor
(tagger + gazetteers + patterns + filters, `zhkg.extract.mentions.find_mentions`) with its types
mapped back to each corpus's labels; then the extractor on the two seed articles against the
hand-written gold (tests/data/seeds_gold.json); then characters per second of tagging on one core:
the tagger alone (jieba's words computed beforehand, as the pipeline passes them) and with jieba.
`score_table` is the reusable part: gold and predicted spans in, a printed table out.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from zhkg.extract.context import SETTINGS, Settings
from zhkg.extract.evaluate import CORPUS_LABELS, format_report, load_gold, score_documents
from zhkg.extract.mentions import find_mentions
from zhkg.model import Document
from zhkg.nlp import train
from zhkg.nlp.segment import words, words_many
from zhkg.nlp.tagger import Tagger
from zhkg.pipeline.extract import extraction_record
from zhkg.pipeline.work import extract_document
from zhkg.read import iter_documents

ROOT = Path(__file__).resolve().parent.parent

Span = tuple[int, int, str]


def score_table(
    gold: Sequence[Iterable[Span]], pred: Sequence[Iterable[Span]], labels: Sequence[str]
) -> tuple[dict[str, train.Score], str]:
    """Exact-span scores per label and micro, and the table that prints them."""
    scores = train.score(gold, pred, labels)
    return scores, train.format_scores(scores)


def speed(tagger: Tagger, texts: Sequence[str], rounds: int = 3) -> dict[str, float]:
    """Best-of-`rounds` characters per second of: crfsuite tagging sentence by sentence (the
    reference), the compiled tagger over all sentences at once (what the pipeline runs, for a
    document's sentences), and the latter after computing the words (jieba's, compiled:
    `zhkg.nlp.segment.words_many`); words given except for the last."""
    n = sum(len(t) for t in texts)
    ws = [words(t) for t in texts]
    tagger.tag_many(texts[:1], ws[:1])  # compile before timing
    best: dict[str, float] = {}

    def crfsuite() -> None:
        for t, w in zip(texts, ws, strict=True):
            tagger.tag(t, w)

    runs = {
        "crfsuite (features + CRF + marginals)": crfsuite,
        "compiled (zhkg.nlp.crf, tag_many)": lambda: tagger.tag_many(texts, ws),
        "words (zhkg.nlp.wordseg) + compiled": lambda: tagger.tag_many(
            texts, words_many(texts, [0] * len(texts))),
    }
    for _ in range(rounds):
        for name, run in runs.items():
            t0 = time.perf_counter()
            run()
            best[name] = max(best.get(name, 0.0), n / (time.perf_counter() - t0))
    return best


def extractor_spans(examples: Sequence[train.Example], corpus: str, tagger: Tagger | None = None,
                    settings: Settings = SETTINGS) -> list[list[Span]]:
    """The whole extractor's mentions of each sentence, in the corpus's labels."""
    labels = CORPUS_LABELS[corpus]
    return [
        [
            (m.start, m.end, labels[m.type])
            for m in find_mentions(Document(str(i), ex.text), tagger, settings)
            if m.type in labels
        ]
        for i, ex in enumerate(examples)
    ]


def seeds_report() -> str:
    """The extractor on the seed articles, scored against the hand-written gold."""
    gold = load_gold(ROOT / "tests" / "data" / "seeds_gold.json")

    def fail(exc: Exception) -> None:
        raise exc

    records = [
        extraction_record(extract_document(d)) for d in iter_documents([ROOT / "seeds"], fail)
    ]
    return format_report(score_documents(gold, records))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=train.default_data_dir())
    ap.add_argument("--model", type=Path, default=None, help="default: the packaged model")
    ap.add_argument("--split", default="test", choices=("test", "dev"))
    args = ap.parse_args()
    tagger = Tagger.default() if args.model is None else Tagger(args.model)
    texts: list[str] = []
    for corpus, labels in (("cluener", train.CLUENER_EVAL), ("pd", train.PD_EVAL)):
        exs = train.load(args.data, corpus, args.split)
        texts += [ex.text for ex in exs]
        _, table = score_table([ex.spans for ex in exs], train.predict(exs, args.model), labels)
        n_chars = sum(len(ex.text) for ex in exs)
        print(f"tagger: {corpus} {args.split} ({len(exs)} sentences, {n_chars} characters)")
        print(f"{table}\n")
        gold = [[sp for sp in ex.spans if sp[2] in labels] for ex in exs]
        _, table = score_table(gold, extractor_spans(exs, corpus), labels)
        print(f"extractor: {corpus} {args.split}\n{table}\n")
    print(f"extractor: seeds against tests/data/seeds_gold.json\n{seeds_report()}\n")
    n = sum(len(t) for t in texts)
    print(f"speed over {n} characters, one core, best of 3:")
    for name, cps in speed(tagger, texts).items():
        print(f"  {name + ':':40s} {cps:10,.0f} chars/s")


if __name__ == "__main__":
    main()
