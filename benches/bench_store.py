"""RDF layer figures: graph building, store loading, entities refresh, exports, queries, memory.

    .venv/bin/python benches/bench_store.py [--articles 5000] [--rdflib]

Articles are generated (invented names, ~2,000 characters, 40 mentions and 15 relations each,
entities shared across articles so the entities graph has real work), turned into N-Quads with
`zhkg.graph.rdf.article_nquads`, loaded with `Store.replace_articles`, loaded again (the replace
path), then `refresh_entities` with a fake gazetteer, `write_exports`, and each packaged query.
`--rdflib` also times rdflib parsing graph.nt into its memory store, for comparison with
pyoxigraph's bulk load of the same triples. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from zhkg.graph import rdf
from zhkg.graph.entities import refresh_entities
from zhkg.graph.export import write_exports
from zhkg.graph.store import Store
from zhkg.model import Document, Evidence, Extraction, Mention, Relation
from zhkg.nlp.gazetteer import Division
from zhkg.query.run import execute, packaged_queries

ID = "https://w3id.org/zhkg/id/"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "明华建国伟强军平安志勇海波丽红英杰峰涛斌"
PREDICATES = ["holdsPost", "postIn", "locatedIn", "issues", "implements", "cooperatesWith"]


class Gazetteer:
    """30 provinces x 10 cities x 10 districts, invented names, real-looking codes."""

    def __init__(self) -> None:
        self.d: dict[str, Division] = {}
        for p in range(11, 41):
            pc = f"{p}0000"
            self.d[pc] = Division(pc, f"第{p}省", "province", None, 30.0 + p / 10, 110.0 + p / 10)
            for c in range(1, 11):
                cc = f"{p}{c:02d}00"
                self.d[cc] = Division(cc, f"第{p}省{c}市", "city", pc, 30.0, 110.0)
                for k in range(1, 11):
                    kc = f"{p}{c:02d}{k:02d}"
                    self.d[kc] = Division(kc, f"第{p}省{c}市{k}区", "district", cc, 30.0, 110.0)
        self.codes = sorted(self.d)

    def division(self, adcode: str) -> Division | None:
        return self.d.get(adcode)


def make_article(i: int, rng: random.Random, gaz: Gazetteer) -> tuple[Extraction, dict[Mention,
                                                                                      str]]:
    doc_id = f"bench-{i:06d}"
    parts: list[str] = []
    mentions: list[Mention] = []
    iris: dict[Mention, str] = {}
    pos = 0

    def add(surface: str, type_: str, iri: str, key: str | None = None) -> Mention:
        nonlocal pos
        filler = "这是一段用于基准测试的普通新闻文字，" * rng.randint(1, 3)
        parts.append(filler)
        pos += len(filler)
        start = pos
        parts.append(surface)
        pos += len(surface)
        ev = Evidence(doc_id, start, pos, "tagger", round(rng.random(), 3), start - len(filler),
                      pos + 1)
        m = Mention(surface, type_, ev, key)
        mentions.append(m)
        iris[m] = iri
        return m

    people = [add(rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "Official",
                  f"{ID}person/{rng.randrange(20000)}") for _ in range(10)]
    posts = [add("市长", "Post", f"{ID}post/{rng.randrange(20000)}") for _ in range(5)]
    places = []
    for _ in range(10):
        code = rng.choice(gaz.codes)
        places.append(add(gaz.d[code].name, "Place", f"{ID}place/{code}", code))
    orgs = [add(f"第{rng.randrange(5000)}号公司", "Company", f"{ID}org/{rng.randrange(5000)}")
            for _ in range(10)]
    policies = [add(f"第{rng.randrange(2000)}号措施", "Policy",
                    f"{ID}policy/{rng.randrange(2000)}") for _ in range(5)]
    parts.append("。")
    text = "".join(parts)
    rels: list[Relation] = []

    def rel(s: Mention, p: str, o: Mention) -> None:
        ev = Evidence(doc_id, min(s.start, o.start), max(s.end, o.end), "pattern:bench", 0.8,
                      s.evidence.sentence_start, max(s.evidence.sentence_end,
                                                     o.evidence.sentence_end))
        rels.append(Relation(s, p, o, ev))

    for k, post in enumerate(posts):
        rel(people[k], "holdsPost", post)
        rel(post, "postIn", places[k])
    for k in range(5):
        rel(orgs[k], rng.choice(["locatedIn"]), places[5 + k])
    rel(orgs[5], "issues", policies[0])
    rel(orgs[6], "implements", policies[1])
    rel(orgs[7], "cooperatesWith", orgs[8])
    rel(orgs[8], "cooperatesWith", orgs[9])
    doc = Document(doc_id, text, title=f"基准文章{i}", published="2021-01-02")
    return Extraction(doc, tuple(mentions), tuple(rels)), iris


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--rdflib", action="store_true", help="also time rdflib parsing graph.nt")
    args = ap.parse_args()
    rng = random.Random(7)
    gaz = Gazetteer()
    articles = [make_article(i, rng, gaz) for i in range(args.articles)]
    chars = sum(len(ex.doc.text) for ex, _ in articles)
    print(f"articles: {len(articles)}, characters: {chars:,}")

    t = time.perf_counter()
    nquads = [(ex.doc.id, "h", rdf.article_nquads(ex, iris)) for ex, iris in articles]
    dt = time.perf_counter() - t
    quads = sum(q.count("\n") for _, _, q in nquads)
    print(f"rdf.article_nquads: {dt:.2f} s, {len(articles) / dt:,.0f} articles/s, "
          f"{quads / dt:,.0f} quads/s ({quads:,} quads)")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        with Store.open(out / "store") as st:
            t = time.perf_counter()
            st.replace_articles(iter(nquads))
            dt = time.perf_counter() - t
            print(f"replace_articles (new): {dt:.2f} s, {quads / dt:,.0f} quads/s")
            t = time.perf_counter()
            st.replace_articles(iter(nquads))
            dt = time.perf_counter() - t
            print(f"replace_articles (all replaced): {dt:.2f} s, {quads / dt:,.0f} quads/s; "
                  f"store holds {st.count():,} quads")
            t = time.perf_counter()
            summary = refresh_entities(st, lambda _t, names: max(sorted(names), key=len), gaz)
            print(f"refresh_entities: {time.perf_counter() - t:.2f} s, {summary.entities:,} "
                  f"entities, {summary.places:,} places, {summary.triples:,} triples")
            t = time.perf_counter()
            ex_summary = write_exports(st, out)
            dt = time.perf_counter() - t
            sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB"
                              for p in ex_summary.paths.values())
            print(f"write_exports: {dt:.2f} s, {ex_summary.triples:,} triples, "
                  f"{ex_summary.quads:,} quads; {sizes}")
            for name in packaged_queries():
                t = time.perf_counter()
                result = execute(st, name, "csv")
                print(f"query {name}: {(time.perf_counter() - t) * 1000:.0f} ms, "
                      f"{result.count(chr(10)) - 1} rows")
        print(f"peak RSS: {rss_mb():.0f} MB")
        if args.rdflib:
            import pyoxigraph as ox
            import rdflib

            t = time.perf_counter()
            g = rdflib.Graph()
            g.parse(out / "graph.nt", format="nt")
            rdflib_s = time.perf_counter() - t
            t = time.perf_counter()
            mem = ox.Store()
            mem.bulk_load(path=str(out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
            ox_s = time.perf_counter() - t
            print(f"parse graph.nt ({len(g):,} triples): rdflib {rdflib_s:.2f} s, pyoxigraph "
                  f"bulk_load {ox_s:.2f} s ({rdflib_s / ox_s:.1f}x)")
            print(f"peak RSS after rdflib: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
