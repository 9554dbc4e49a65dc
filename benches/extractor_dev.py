"""The whole extractor on a split (dev by default), with its settings overridden: how the
People's Daily reading and the marginal gate (`zhkg.extract.context.Settings`) were chosen.
Prints figures only.

    .venv/bin/python benches/extractor_dev.py --model MODEL [--split dev]
        [--pd-types Place,Company,...] [--pd-sure 0.9] [--sure 0.8]

Choose with a model trained on the train splits only (`zhkg train --tune --out
MODEL`): the shipped model was trained on train + dev, so its dev scores flatter it.
`--pd-types ""` turns People's Daily's reading off.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ner_eval  # noqa: E402

from zhkg.extract.context import SETTINGS, Settings  # noqa: E402
from zhkg.nlp import tagger, train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=train.default_data_dir())
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--pd-types", default=",".join(sorted(SETTINGS.pd_types)))
    ap.add_argument("--pd-sure", type=float, default=SETTINGS.pd_sure)
    ap.add_argument("--sure", type=float, default=SETTINGS.sure)
    args = ap.parse_args()
    settings = Settings(sure=args.sure, post_floor=SETTINGS.post_floor, pd_sure=args.pd_sure,
                        pd_types=frozenset(t for t in args.pd_types.split(",") if t))
    model = tagger.Tagger(args.model)
    print(f"PD types {sorted(settings.pd_types)}, PD marginal >= {settings.pd_sure}, "
          f"SURE {settings.sure}, model {args.model}, split {args.split}")
    for corpus, labels in (("cluener", train.CLUENER_EVAL), ("pd", train.PD_EVAL)):
        exs = train.load(args.data, corpus, args.split)
        gold = [[sp for sp in ex.spans if sp[2] in labels] for ex in exs]
        pred = ner_eval.extractor_spans(exs, corpus, model, settings)
        scores, _ = ner_eval.score_table(gold, pred, labels)
        print(f"  {corpus:8s} micro F1 {scores['micro'].f1:.4f}  "
              + "  ".join(f"{k} {v.f1:.3f}" for k, v in scores.items() if k != "micro"))


if __name__ == "__main__":
    main()
