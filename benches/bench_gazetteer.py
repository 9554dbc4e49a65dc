"""Gazetteer figures: load time, find_places throughput, and agreement with annotated news.

    .venv/bin/python benches/bench_gazetteer.py [--data /work/shared/data]

Throughput runs on the People's Daily dev sentences joined into one long text (about 100k
characters), or on a generated text when that data is absent. Agreement counts a place match as
right when it is exactly an annotated LOC span (strict) or lies inside any annotated LOC/ORG span
(lenient: 大连 inside 大连市政府); recall is over LOC spans. Post titles are compared the same way
with CLUENER2020's `position` spans. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from zhkg.nlp import gazetteer as g
from zhkg.nlp import vocabulary as v


def _people_daily(data: Path) -> list[dict[str, object]]:
    path = data / "peoples_daily_ner" / "dev.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _synthetic() -> str:
    names = [d.name for d in g.divisions()[::7]] + [c.name for c in g.countries()[::5]]
    filler = "今天，有关部门召开会议，研究部署下一步工作，强调要坚持问题导向。"
    return "".join(f"{filler}{n}" for n in names) * 5


def bench_load() -> None:
    t = time.perf_counter()
    g._db(), v._vocab()  # noqa: B018 - loads the gazetteer's two resources now
    print(f"load: divisions+countries+vocabularies {1000 * (time.perf_counter() - t):.1f} ms "
          f"({len(g.divisions())} divisions, {len(g.countries())} countries)")


def bench_throughput(text: str, repeat: int = 5) -> None:
    g.find_places(text[:100])
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        found = g.find_places(text)
        best = min(best, time.perf_counter() - t)
    print(f"find_places: {len(text):,} chars, {len(found):,} matches, best of {repeat}: "
          f"{1000 * best:.1f} ms = {len(text) / best / 1e6:.2f} M chars/s")
    bounds = set(range(0, len(text) + 1))
    t = time.perf_counter()
    g.find_places(text, bounds=bounds)
    dt = time.perf_counter() - t
    print(f"find_places with bounds: {len(text) / dt / 1e6:.2f} M chars/s")
    t = time.perf_counter()
    n = len(v.find_central_bodies(text))
    dt = time.perf_counter() - t
    print(f"find_central_bodies: {n} matches, {len(text) / dt / 1e6:.2f} M chars/s")


def agreement_places(rows: list[dict[str, object]], with_bounds: bool) -> None:
    from zhkg.nlp import segment

    strict = lenient = total = loc_total = loc_found = 0
    for row in rows:
        text = str(row["text"])
        ents = row["entities"]
        assert isinstance(ents, list)
        locs = {(e["start"], e["end"]) for e in ents if e["type"] == "LOC"}
        spans = [(e["start"], e["end"]) for e in ents if e["type"] in ("LOC", "ORG")]
        bounds = None
        if with_bounds:
            bounds = {0} | {x for _, s, e in segment.words(text) for x in (s, e)}
        found = {(m.start, m.end) for m in g.find_places(text, bounds)}
        total += len(found)
        strict += len(found & locs)
        lenient += sum(1 for s, e in found if any(a <= s and e <= b for a, b in spans))
        loc_total += len(locs)
        loc_found += len(found & locs)
    how = "with jieba word bounds" if with_bounds else "no bounds"
    print(f"places vs People's Daily dev ({len(rows)} sentences, {how}): {total} matches, "
          f"precision strict {strict / max(total, 1):.3f}, lenient {lenient / max(total, 1):.3f}; "
          f"LOC recall (exact span) {loc_found / max(loc_total, 1):.3f} of {loc_total}")


def agreement_posts(data: Path) -> None:
    path = data / "cluener2020" / "train.json"
    if not path.exists():
        return
    pattern = v.post_pattern()
    total = right = inside = gold_total = gold_found = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = row["text"]
        gold = {(s, e + 1) for spans in row["label"].get("position", {}).values()
                for s, e in spans}
        found = {(m.start(), m.end()) for m in pattern.finditer(text)}
        total += len(found)
        right += len(found & gold)
        inside += sum(1 for s, e in found if any(a <= s and e <= b for a, b in gold))
        gold_total += len(gold)
        gold_found += len(found & gold)
    print(f"post_pattern vs CLUENER2020 train positions: {total} matches, precision exact "
          f"{right / max(total, 1):.3f}, inside a gold span {inside / max(total, 1):.3f}; "
          f"recall exact {gold_found / max(gold_total, 1):.3f} of {gold_total}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    args = parser.parse_args()
    bench_load()
    rows = _people_daily(args.data)
    text = "".join(str(r["text"]) for r in rows) if rows else _synthetic()
    bench_throughput(text)
    if rows:
        agreement_places(rows, with_bounds=False)
        agreement_places(rows, with_bounds=True)
    agreement_posts(args.data)


if __name__ == "__main__":
    main()
