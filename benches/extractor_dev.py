"""The whole extractor on a split (dev by default), with its choices overridden: how the
People's Daily reading and the marginal gate in `zhkg.mentions` were chosen. Prints figures only.

    .venv/bin/python benches/extractor_dev.py --model MODEL [--split dev]
        [--pd-types Place,Company,...] [--pd-sure 0.9] [--sure 0.8]

Choose with a model trained on the train splits only (`python -m zhkg.train --tune --out
MODEL`): the shipped model was trained on train + dev, so its dev scores flatter it.
`--pd-types ""` turns People's Daily's reading off.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ner_eval  # noqa: E402

from zhkg import mentions, tagger, train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=train.default_data_dir())
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--pd-types", default=",".join(sorted(mentions.PD_TYPES)))
    ap.add_argument("--pd-sure", type=float, default=mentions.PD_SURE)
    ap.add_argument("--sure", type=float, default=mentions.SURE)
    args = ap.parse_args()
    mentions.PD_TYPES = frozenset(t for t in args.pd_types.split(",") if t)
    mentions.PD_SURE = args.pd_sure
    mentions.SURE = args.sure
    model = tagger.Tagger(args.model)
    tagger.Tagger.default = classmethod(lambda cls: model)  # type: ignore[method-assign]
    print(f"PD types {sorted(mentions.PD_TYPES)}, PD marginal >= {mentions.PD_SURE}, "
          f"SURE {mentions.SURE}, model {args.model}, split {args.split}")
    for corpus, labels in (("cluener", train.CLUENER_EVAL), ("pd", train.PD_EVAL)):
        exs = train.load(args.data, corpus, args.split)
        gold = [[sp for sp in ex.spans if sp[2] in labels] for ex in exs]
        scores, _ = ner_eval.score_table(gold, ner_eval.extractor_spans(exs, corpus), labels)
        print(f"  {corpus:8s} micro F1 {scores['micro'].f1:.4f}  "
              + "  ".join(f"{k} {v.f1:.3f}" for k, v in scores.items() if k != "micro"))


if __name__ == "__main__":
    main()
