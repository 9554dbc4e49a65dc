"""A generated graph in the zhkg shape, of any size, for the page's size checks and benchmarks.

Names are invented ("城市0042", "企业0317"); the structure mimics a corpus: places in a partOf
tree, officials holding posts in bodies, companies located in places and cooperating with each
other (preferentially with already well-connected ones, so there are hubs), policies issued and
implemented, and articles that mention entities with evidence sentences. Deterministic for a seed.
"""

from __future__ import annotations

import random

from rdflib import RDF, RDFS, SKOS, Dataset, Literal, URIRef
from rdflib.namespace import XSD

from zhkg.namespace import ARTICLE, GRAPH, ID, SCHEMA, ZHKG

#: Share of each entity type (Province and Country are added on top).
MIX = {
    "City": 0.10,
    "District": 0.15,
    "Company": 0.25,
    "Official": 0.12,
    "Post": 0.12,
    "GovernmentBody": 0.10,
    "Person": 0.04,
    "Policy": 0.10,
    "Organization": 0.02,
}
WORD = {
    "City": "城市",
    "District": "区县",
    "Company": "企业",
    "Official": "官员",
    "Post": "职务",
    "GovernmentBody": "机构",
    "Person": "人物",
    "Policy": "政策",
    "Organization": "组织",
    "Province": "省份",
}


def synthetic_graph(entities: int = 5000, articles: int = 200, seed: int = 1) -> Dataset:
    """About `entities` entity nodes (exactly `entities`) and `articles` articles."""
    rng = random.Random(seed)
    ds = Dataset()
    ent_graph = ds.graph(GRAPH["entities"])
    art_graphs = [ds.graph(GRAPH[f"article/s{i:04d}"]) for i in range(articles)]
    by_type: dict[str, list[URIRef]] = {t: [] for t in [*MIX, "Province", "Country"]}

    def new(t: str) -> URIRef:
        i = len(by_type[t])
        node = ID[f"{t.lower()}/{i:05d}"]
        by_type[t].append(node)
        ent_graph.add((node, RDF.type, ZHKG[t]))
        ent_graph.add((node, RDFS.label, Literal(f"{WORD.get(t, t)}{i:04d}", lang="zh")))
        return node

    china = new("Country")
    ent_graph.set((china, RDFS.label, Literal("中国", lang="zh")))
    provinces = max(3, entities // 200)
    for _ in range(provinces):
        new("Province")
    rest = entities - 1 - provinces
    for t, share in MIX.items():
        for _ in range(max(1, int(rest * share))):
            new(t)
    while sum(len(v) for v in by_type.values()) < entities:
        new("Company")

    def pick(t: str) -> URIRef:
        return rng.choice(by_type[t])

    def hub(t: str) -> URIRef:
        # Squared uniform: low indices are picked far more often, giving hubs.
        nodes = by_type[t]
        return nodes[int(len(nodes) * rng.random() ** 2)]

    relations: list[tuple[URIRef, URIRef, URIRef]] = []
    for p in by_type["Province"]:
        relations.append((p, ZHKG.partOf, china))
    for c in by_type["City"]:
        relations.append((c, ZHKG.partOf, hub("Province")))
    for d in by_type["District"]:
        relations.append((d, ZHKG.partOf, hub("City")))
    for post in by_type["Post"]:
        relations.append((post, ZHKG.postIn, hub("GovernmentBody")))
    for o in by_type["Official"]:
        relations.append((o, ZHKG.holdsPost, pick("Post")))
    for b in by_type["GovernmentBody"]:
        relations.append((b, ZHKG.locatedIn, hub("City")))
    for c in by_type["Company"]:
        relations.append((c, ZHKG.locatedIn, hub("District")))
        if rng.random() < 0.6:
            relations.append((c, ZHKG.cooperatesWith, hub("Company")))
        if rng.random() < 0.2:
            relations.append((c, ZHKG.implements, hub("Policy")))
    for pol in by_type["Policy"]:
        relations.append((hub("GovernmentBody"), ZHKG.issues, pol))
    for org in by_type["Organization"]:
        relations.append((org, ZHKG.cooperatesWith, hub("Company")))

    for i, g in enumerate(art_graphs):
        art = ARTICLE[f"s{i:04d}"]
        g.add((art, RDF.type, ZHKG.Article))
        g.add((art, SCHEMA.identifier, Literal(f"s{i:04d}")))
        g.add((art, SCHEMA.headline, Literal(f"合成新闻{i:04d}：项目签约与政策落实", lang="zh")))
        g.add((art, SCHEMA.datePublished, Literal(f"2021-01-{1 + i % 28:02d}", datatype=XSD.date)))
    for k, (s, p, o) in enumerate(relations):
        i = k % articles
        g, art = art_graphs[i], ARTICLE[f"s{i:04d}"]
        g.add((s, p, o))
        for node in (s, o):
            g.add((art, ZHKG.mentions, node))
            g.add((node, SKOS.altLabel, ent_graph.value(node, RDFS.label)))
            g.add((node, RDF.type, ent_graph.value(node, RDF.type)))
        ev = ID[f"evidence/r{k:06d}"]
        s_name, o_name = ent_graph.value(s, RDFS.label), ent_graph.value(o, RDFS.label)
        sentence = f"据报道，{s_name}与{o_name}有关。"
        g.add((ev, RDF.type, ZHKG.Evidence))
        g.add((ev, ZHKG.article, art))
        g.add((ev, ZHKG.sentence, Literal(sentence, lang="zh")))
        g.add((ev, ZHKG.sentenceStart, Literal(k)))
        g.add((ev, ZHKG.denotes, s))
        stmt = ID[f"statement/r{k:06d}"]
        g.add((ev, ZHKG.supports, stmt))
        g.add((stmt, RDF.type, RDF.Statement))
        g.add((stmt, RDF.subject, s))
        g.add((stmt, RDF.predicate, p))
        g.add((stmt, RDF.object, o))
    return ds
