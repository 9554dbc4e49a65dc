"""Where one worker's extraction time goes, per character. Prints figures only.

    .venv/bin/python benches/extract_parts.py [--data ../shared/data] [--articles 150]

The articles are the first of `benches/throughput.py`'s corpus (~1,500 characters each). Each
step runs over all of them, best of 3, CPU time of this process: jieba's words (compiled,
`zhkg.nlp.segment.words_many`), the tagger in the news domain and in People's Daily's, the whole
of `zhkg.extract.mentions.find_mentions`, `zhkg.pipeline.work.extract_document` (mentions and
relations), and the article's RDF (`zhkg.graph.rdf.article_nquads`); and, for scale, bare
`jieba.lcut` on the same texts.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import throughput  # noqa: E402

from zhkg import resources  # noqa: E402
from zhkg.extract import mentions, resolve  # noqa: E402
from zhkg.graph import rdf  # noqa: E402
from zhkg.model import Document  # noqa: E402
from zhkg.nlp import segment  # noqa: E402
from zhkg.nlp.tagger import DOMAIN_PD, Tagger  # noqa: E402
from zhkg.pipeline.work import extract_document  # noqa: E402


def best(run: Callable[[], Any], rounds: int = 3) -> tuple[Any, float]:
    out, secs = None, float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        out = run()
        secs = min(secs, time.process_time() - t0)
    return out, secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=throughput.ROOT.parent / "shared" / "data")
    ap.add_argument("--articles", type=int, default=150)
    args = ap.parse_args()
    texts = throughput.sentences(args.data)
    docs = [Document(id=i, text=t)
            for i, t in list(throughput.articles(texts, 1))[: args.articles]]
    chars = sum(len(d.text) for d in docs)
    resources.warm()
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    tagger = Tagger.default()
    sents = [segment.sentences(d.text) for d in docs]
    words, t_words = best(lambda: [
        segment.words_many([d.text[s:e] for s, e in ss], [s for s, _ in ss])
        for d, ss in zip(docs, sents, strict=True)])
    local = [([d.text[s:e] for s, e in ss],
              [[(w, a - s, b - s) for w, a, b in ws] for (s, _), ws in zip(ss, wss, strict=True)])
             for d, ss, wss in zip(docs, sents, words, strict=True)]
    _, t_news = best(lambda: [tagger.tag_many(t, w) for t, w in local])
    _, t_pd = best(lambda: [tagger.tag_many(t, w, DOMAIN_PD) for t, w in local])
    _, t_mentions = best(lambda: [mentions.find_mentions(d) for d in docs])
    exs, t_extract = best(lambda: [extract_document(d) for d in docs])
    _, t_rdf = best(lambda: [rdf.article_nquads(ex, resolve.iris(ex)) for ex in exs])
    _, t_jieba = best(lambda: [jieba.lcut(d.text) for d in docs])
    print(f"{len(docs)} articles, {chars:,} characters; CPU time per character, best of 3:")
    for name, secs in [("words (zhkg.nlp.wordseg)", t_words), ("tagger, news domain", t_news),
                       ("tagger, People's Daily domain", t_pd),
                       ("find_mentions (all of the above and more)", t_mentions),
                       ("extract_document (mentions + relations)", t_extract),
                       ("article_nquads (RDF)", t_rdf), ("jieba.lcut, for scale", t_jieba)]:
        print(f"  {name:45s} {secs / chars * 1e6:6.2f} µs  {chars / secs:12,.0f} characters/s")
    total = t_extract + t_rdf
    print(f"  extraction + RDF: {chars / total:,.0f} characters/s, "
          f"{total / t_jieba:.2f} x jieba.lcut's time")


if __name__ == "__main__":
    main()
