"""Time and peak memory of the corpus-level steps of a build, on a store already built.

    .venv/bin/python benches/store_steps.py entities|page STORE_DIR [--page-out FILE]

`entities` recomputes the entities graph (`zhkg.graph.entities.refresh_entities`, as `zhkg build`
does after loading); `page` draws the page of the 2,000 most connected entities
(`zhkg.pipeline.page.write_page_from_store`). Run each in its own process, so the peak RSS printed
is that step's (with the store open). Used on a 100,000-article store kept by `benches/throughput.py
--keep`, whose own run measures extraction and loading.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from zhkg.extract import resolve
from zhkg.graph.entities import refresh_entities
from zhkg.graph.store import Store
from zhkg.nlp import gazetteer
from zhkg.pipeline.page import write_page_from_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=("entities", "page"))
    ap.add_argument("store", type=Path)
    ap.add_argument("--page-out", type=Path, default=None, help="default: STORE/../graph.html")
    args = ap.parse_args()
    if args.step == "entities":
        with Store.open(args.store) as st:
            n = st.count()
            t = time.perf_counter()
            r = refresh_entities(st, resolve.canonical_name, gazetteer)
            print(f"quads {n:,}; entities: {r.entities:,} labelled, {r.places:,} places, "
                  f"{r.triples:,} triples")
    else:
        t = time.perf_counter()
        with Store.open(args.store, read_only=True) as st:
            write_page_from_store(st, args.page_out or args.store.parent / "graph.html",
                                  max_nodes=2000)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.step}: {time.perf_counter() - t:.1f} s, peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
