"""Page size and speed: prints figures, asserts nothing (targets are judged by people).

    .venv/bin/python benches/page_size.py [--sizes 500,2000,5000] [--no-browser]

For each size, a generated graph in the zhkg shape (tests/_pagegraph.py: invented names, hubs,
articles with evidence) is turned into a network, laid out and written as a page; then Debian's
chromium opens the page from file:// with every other request blocked, and the time until it is
drawn (and, for small graphs, stabilised) and the time of one search are measured.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from _pagegraph import synthetic_graph  # noqa: E402

from zhkg import view  # noqa: E402
from zhkg.view import analytics  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _browser_open(page: Path, query: str) -> tuple[float, float, int, int]:
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1400, "height": 850})
        tab = context.new_page()

        def route(r: object) -> None:
            url = r.request.url  # type: ignore[attr-defined]
            if url.startswith("file://"):
                r.continue_()  # type: ignore[attr-defined]
            else:
                outside.append(url)
                r.abort()  # type: ignore[attr-defined]

        tab.route("**/*", route)
        t0 = time.perf_counter()
        tab.goto(page.as_uri())
        tab.wait_for_function("document.body.dataset.ready === '1'", timeout=300_000)
        opened = time.perf_counter() - t0
        drawn = int(tab.evaluate("zhkgPage.drawnNodeCount()"))
        t1 = time.perf_counter()
        tab.evaluate(f"zhkgPage.search({query!r})")
        searched = time.perf_counter() - t1
        context.close()
    return opened, searched, drawn, len(outside)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,5000")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    print(f"{'entities':>8} {'nodes':>6} {'edges':>6} {'rdf->nx s':>9} {'page s':>7} "
          f"{'MB':>6} {'stats s':>7} {'open s':>7} {'search s':>8} {'drawn':>6} {'blocked':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            graph = synthetic_graph(entities=size, articles=max(1, size // 25))
            t0 = time.perf_counter()
            net = view.graph_to_network(graph)
            t1 = time.perf_counter()
            page = view.write_page(net, Path(tmp) / f"page{size}.html", title=f"{size}")
            t2 = time.perf_counter()
            analytics.stats(net)
            t3 = time.perf_counter()
            mb = page.stat().st_size / 1e6
            row = (f"{size:>8} {net.number_of_nodes():>6} {net.number_of_edges():>6} "
                   f"{t1 - t0:>9.2f} {t2 - t1:>7.2f} {mb:>6.1f} {t3 - t2:>7.2f}")
            if args.no_browser or not Path(CHROMIUM).exists():
                print(row)
                continue
            opened, searched, drawn, blocked = _browser_open(page, "企业0001")
            print(f"{row} {opened:>7.2f} {searched:>8.3f} {drawn:>6} {blocked:>7}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB (the browser's is not counted)")


if __name__ == "__main__":
    main()
