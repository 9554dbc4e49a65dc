"""The page in a real browser: Debian's chromium (never a downloaded one) opens it from file://
with every other request blocked, and the page must draw every node, search, filter, keep a
hostile headline inert, and ask nothing of the network. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from rdflib import Dataset

from zhkg import view
from zhkg.view import styles

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
SAMPLE = Path(__file__).parents[1] / "data" / "view_sample.trig"
ID = "https://w3id.org/zhkg/id/"

if not Path(CHROMIUM).exists():  # pragma: no cover - depends on the machine
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@dataclass
class Session:
    """A browser page plus what it tried to do: console errors, outside requests, dialogs."""

    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: Path, timeout_s: float = 60) -> float:
        """Load the page and wait until it is drawn (and stabilised); seconds it took."""
        start = time.perf_counter()
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("document.body.dataset.ready === '1'",
                                    timeout=timeout_s * 1000)
        return time.perf_counter() - start

    def js(self, expression: str) -> Any:
        return self.page.evaluate(expression)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    profile = tmp_path_factory.mktemp("chromium-profile")  # fresh user-data-dir
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1400, "height": 850}, service_workers="block")
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def session(browser_context: Any) -> Iterator[Session]:
    page = browser_context.new_page()
    s = Session(page)

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            s.outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: None if req.url.startswith(("file://", "data:"))
            else s.outside.append(req.url))
    page.on("console", lambda m: s.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: s.errors.append(str(e)))

    def dialog(d: Any) -> None:
        s.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    yield s
    page.close()


@pytest.fixture(scope="module")
def sample_net() -> nx.MultiDiGraph:
    ds = Dataset()
    ds.parse(SAMPLE, format="trig")
    return view.graph_to_network(ds)


def _entity_count(net: nx.MultiDiGraph) -> int:
    return sum(1 for _, d in net.nodes(data=True) if d["type"] != "Article")


def _clean(s: Session) -> None:
    assert s.errors == [], s.errors
    assert s.outside == [], s.outside  # no request left the machine
    assert s.dialogs == [], s.dialogs  # no injected alert() ran


def test_sample_page(session: Session, sample_net: nx.MultiDiGraph, tmp_path: Path) -> None:
    page = view.write_page(sample_net, tmp_path / "sample.html",
                           title="<script>alert(3)</script>样例")
    session.open(page)
    ARTIFACTS.mkdir(exist_ok=True)
    # Articles are behind a toggle: every entity is drawn, and only those.
    assert session.js("zhkgPage.drawnNodeCount()") == _entity_count(sample_net)
    assert session.js("zhkgPage.drawnEdgeCount()") == sum(
        1 for *_, k in sample_net.edges(keys=True) if k in styles.RELATIONS)
    session.page.check("#show-articles")
    assert session.js("zhkgPage.drawnNodeCount()") == sample_net.number_of_nodes()
    session.page.uncheck("#show-articles")

    # The hostile headline is text in the article list and the page title is text in the bar.
    options = session.page.locator("#article-filter option").all_text_contents()
    assert any("</script><script>alert(1)</script>" in o for o in options)
    assert session.page.locator("#page-title").text_content() == "<script>alert(3)</script>样例"
    assert session.js("document.querySelectorAll('script').length") == 3
    assert session.js("document.querySelectorAll('b, img').length") == 0

    # Search by an alias, through the box, as a person would.
    session.page.fill("#search", "宁波")
    session.page.press("#search", "Enter")
    selected = session.js("zhkgPage.network.getSelectedNodes()")
    assert [session.js(f"zhkgPage.data.details[{selected[0]}].iri")] == [ID + "city-ningbo"]
    panel = session.page.locator("#details")
    assert panel.is_visible()
    text = panel.inner_text()
    assert "宁波市" in text and "330200" in text and "29.8683" in text
    assert "<img src=x onerror=alert(2)>" in text  # the sentence, shown as text
    session.page.wait_for_timeout(700)  # let the focus animation finish for the screenshot
    session.page.screenshot(path=str(ARTIFACTS / "page_sample_search.png"))

    session.page.fill("#search", "没有这个名字")
    session.page.press("#search", "Enter")
    assert "未找到" in session.page.locator("#search-status").inner_text()
    _clean(session)


def test_filters(session: Session, sample_net: nx.MultiDiGraph, tmp_path: Path) -> None:
    session.open(view.write_page(sample_net, tmp_path / "f.html"))
    everything = session.js("zhkgPage.drawnNodeCount()")
    session.page.click("#legend li[data-type='City']")
    assert session.js("zhkgPage.drawnNodeCount()") == everything - 1
    session.page.click("#legend li[data-type='City']")
    assert session.js("zhkgPage.drawnNodeCount()") == everything

    # One article: the entities it mentions, and only the relations it states.
    index = session.js("zhkgPage.data.articles.findIndex(a => a.id === 'a2')")
    session.page.select_option("#article-filter", str(index))
    a2 = view.graph_to_network(_sample(), article="a2")
    assert session.js("zhkgPage.drawnNodeCount()") == _entity_count(a2)
    assert session.js("zhkgPage.drawnEdgeCount()") == sum(
        1 for *_, k in a2.edges(keys=True) if k in styles.RELATIONS)

    # Searching for something the filter hides brings it back.
    assert session.js("zhkgPage.search('张三')") is not None
    assert session.page.locator("#article-filter").input_value() == ""
    session.page.click("#reset")
    assert session.js("zhkgPage.drawnNodeCount()") == everything
    _clean(session)


def test_click_highlights_the_neighbourhood(session: Session, sample_net: nx.MultiDiGraph,
                                            tmp_path: Path) -> None:
    session.open(view.write_page(sample_net, tmp_path / "c.html"))
    node = session.js(f"zhkgPage.data.details.findIndex(d => d.iri === '{ID}post-ningbo-mayor')")
    pos = session.js(f"zhkgPage.network.canvasToDOM(zhkgPage.network.getPositions([{node}])"
                     f"[{node}])")
    box = session.page.locator("#network").bounding_box()
    session.page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    session.page.wait_for_timeout(300)
    colours = session.js("Object.fromEntries(zhkgPage.nodes.get().map(n => [n.id, n.color]))")
    neighbours = set(session.js(f"zhkgPage.network.getConnectedNodes({node})"))
    assert neighbours  # the post is held by someone and belongs to a body
    dimmed = {int(i) for i, c in colours.items() if c == "#e3e6e8"}
    assert dimmed and not (dimmed & (neighbours | {node}))
    assert session.page.locator("#details h2").inner_text() == "市长"
    _clean(session)


def test_5000_node_page(session: Session, tmp_path: Path) -> None:
    from _pagegraph import synthetic_graph

    net = view.graph_to_network(synthetic_graph(entities=5000, articles=200))
    page = view.write_page(net, tmp_path / "big.html", title="5000 个节点")
    seconds = session.open(page, timeout_s=120)
    assert session.js("zhkgPage.drawnNodeCount()") == 5000
    found = session.js("zhkgPage.search('企业0100')")
    assert session.js(f"zhkgPage.data.details[{found}].label") == "企业0100"
    assert session.js("zhkgPage.network.getSelectedNodes()") == [found]
    session.page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    session.page.screenshot(path=str(ARTIFACTS / "page_5000.png"))
    (ARTIFACTS / "page_5000.json").write_text(json.dumps({"open_seconds": round(seconds, 2)}))
    _clean(session)


def _sample() -> Dataset:
    ds = Dataset()
    ds.parse(SAMPLE, format="trig")
    return ds
