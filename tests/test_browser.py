"""The demo site in a real browser: headless Chromium (the system one) through Playwright.

One build of the demo site (plus a notebook with a stored Plotly figure, a plot, math and a widget) is
served as GitHub Pages serves it (404.html for a missing path) and opened in one Chromium.
Every page type is audited with axe-core, light and dark, on a desktop and a phone: zero
violations, no console error, failed request or broken image, no sideways scroll. Screenshots
of every page are saved to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat.v4 as v4
import pytest
from conftest import KERNELSPEC

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PLOTLY_HEIGHT = 380

# Every page type of the theme (name: path).
PAGES = {
    "home": "/",
    "post": "/posts/dynamic-routing/",
    "notebook": "/posts/interactive-beats/",
    "category": "/categories/tutorials/",
    "categories": "/categories/",
    "tag": "/tags/numpy/",
    "tags": "/tags/",
    "archive": "/archive/",
    "search": "/search/?q=bootstrap",
    "404": "/no/such/page/",
}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing (.ci/run installs it)")


def plotly_notebook() -> dict[str, Any]:
    """A notebook as Jupyter saves it: a Plotly figure (with its template), a PNG plot, math, a widget."""
    import ipywidgets
    import plotly.graph_objects as go
    from ipywidgets.embed import embed_data

    xs = [i / 50 for i in range(101)]
    fig = go.Figure(layout={"title": {"text": "Two tones and their sum"}, "height": PLOTLY_HEIGHT,
                            "xaxis": {"title": {"text": "time (s)"}}})
    fig.add_scatter(x=xs, y=[round((i % 10) / 10, 2) for i in range(101)], name="sawtooth")
    fig.add_scatter(x=xs, y=[round(((i * 7) % 13) / 13, 2) for i in range(101)], name="steps")
    sine = json.loads((ROOT / "notebooks" / "data-science" / "sine-waves.ipynb").read_text())
    png = next(o["data"]["image/png"] for c in sine["cells"] for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))
    width = int.from_bytes(base64.b64decode(png)[16:20], "big")
    widget = embed_data(views=[ipywidgets.IntSlider(value=7, description="Gain")])
    front = ("---\ntitle: Interactive beats\ndate: 2023-09-02\ncategories: [Data Science]\n"
             "tags: [numpy, plotly]\nexcerpt: A Plotly figure, a plot and a formula, as a notebook saves them.\n---")
    cells = [
        v4.new_raw_cell(front),
        v4.new_markdown_cell("## The figure\n\nTwo signals $f(t)$ and $g(t)$; hover to read values.\n\n"
                             "$$\n\\sin a + \\sin b = 2 \\cos\\frac{a-b}{2} \\sin\\frac{a+b}{2}\n$$"),
        v4.new_code_cell("fig.show()", execution_count=1, outputs=[v4.new_output(
            "display_data", data={"application/vnd.plotly.v1+json": json.loads(fig.to_json()),
                                  "text/html": "<div>plotly</div>"})]),
        v4.new_markdown_cell("## A retina plot\n\nSaved at twice its size, shown at its size."),
        v4.new_code_cell('plt.title("Beats")\nplt.show()', execution_count=2, outputs=[v4.new_output(
            "display_data", data={"image/png": png, "text/plain": "<Figure size 540x315 with 1 Axes>"},
            metadata={"image/png": {"width": width // 2}})]),
        v4.new_code_cell('ipywidgets.IntSlider(value=7, description="Gain")', execution_count=3, outputs=[
            v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": widget["view_specs"][0],
                                                "text/plain": "IntSlider(value=7, description='Gain')"})]),
        v4.new_markdown_cell("## Code\n\nA long line scrolls: `" + "x" * 10 + "`."),
        v4.new_code_cell("values = [" + ", ".join(str(i) for i in range(60)) + "]\nlen(values)",
                         execution_count=4, metadata={"tags": ["hide-input"]},
                         outputs=[v4.new_output("execute_result", data={"text/plain": "60"}, execution_count=4)]),
    ]
    metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"},
                "widgets": {"application/vnd.jupyter.widget-state+json": widget["manager_state"]}}
    return v4.new_notebook(cells=cells, metadata=metadata)


class _Pages(http.server.SimpleHTTPRequestHandler):
    """A static host like GitHub Pages: a missing path gets 404.html with status 404."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        data = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


@functools.cache
def _serve(folder: Path) -> str:
    handler = functools.partial(_Pages, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _servers.append(server)
    return f"http://127.0.0.1:{server.server_address[1]}"


_servers: list[http.server.ThreadingHTTPServer] = []


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    demo = tmp_path_factory.mktemp("demo")
    for name in ("notebooks", "layouts"):
        shutil.copytree(ROOT / name, demo / name)
    shutil.copy(ROOT / "nbpress.toml", demo / "nbpress.toml")
    (demo / "notebooks" / "data-science" / "interactive-beats.ipynb").write_text(json.dumps(plotly_notebook()))
    proc = subprocess.run([sys.executable, "-m", "nbpress", "build", "--site", str(demo), "--base-url", "/"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    yield _serve(demo / "output")
    while _servers:
        server = _servers.pop()
        server.shutdown()
        server.server_close()
    _serve.cache_clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Any, viewport: dict[str, int], scheme: str = "light", **options: Any) -> tuple[Any, list[str]]:
    """A new tab whose console errors, failed requests and HTTP errors are collected as problems
    (but for the 404 page's own status, which is the point of it)."""
    context = browser.new_context(color_scheme=scheme, viewport=viewport, reduced_motion="reduce", **options)
    page = context.new_page()
    problems: list[str] = []

    def expected_404(url: str) -> bool:
        return url.endswith(PAGES["404"]) or url.endswith("/a/b/c/")

    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and not expected_404(msg.location.get("url", "")) else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 and not expected_404(response.url) else None)
    return page, problems


def load(page: Any, url: str, problems: list[str]) -> None:
    """Go to url and wait for every image and script-drawn output; broken images are problems."""
    page.goto(url, wait_until="networkidle")
    # Lazy images and figures below the fold load only when near the screen: load them now.
    page.evaluate("""async () => {
      const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
      document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; });
      for (const figure of document.querySelectorAll('.output-plotly')) { figure.scrollIntoView(); await frame(); }
      scrollTo(0, 0); await frame();
    }""")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("[...document.images].every(i => i.complete)")
    page.wait_for_function("[...document.querySelectorAll('.output-plotly')].every(e => e.querySelector('svg'))")
    if page.locator("script[type='application/vnd.jupyter.widget-view+json']").count():
        page.wait_for_selector(".widget-slider .noUi-handle[aria-label]")
    broken = page.evaluate("[...document.images].filter(i => i.naturalWidth === 0).map(i => i.src)")
    problems.extend(f"image did not load: {src}" for src in broken)


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(n["target"][0] for n in v["nodes"][:4])
            for v in results["violations"]]


def sideways(page: Any) -> int:
    """How far the page scrolls sideways (0: it fits the viewport)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_every_page_type_is_accessible(browser: Any, site_url: str, device: str, scheme: str) -> None:
    page, problems = open_page(browser, DESKTOP if device == "desktop" else PHONE, scheme)
    found: dict[str, list[str]] = {}
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in PAGES.items():
        problems.clear()
        load(page, site_url + path, problems)
        if name == "search":
            page.locator(".pagefind-ui__result-link").first.wait_for(timeout=10_000)
        problems.extend(axe_violations(page))
        if sideways(page):
            problems.append(f"scrolls sideways by {sideways(page)} px")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{device}-{scheme}.png"))
        if problems:
            found[name] = list(problems)
    page.context.close()
    assert found == {}, json.dumps(found, indent=1)


def test_nothing_scrolls_sideways_at_320_px(browser: Any, site_url: str) -> None:
    page, problems = open_page(browser, {"width": 320, "height": 640})
    wide = {}
    for name, path in PAGES.items():
        load(page, site_url + path, problems)
        if sideways(page):
            wide[name] = sideways(page)
        if name in ("home", "post", "notebook"):
            page.screenshot(path=str(ARTIFACTS / f"{name}-320.png"), full_page=True)
    page.context.close()
    assert wide == {}
    assert problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_plotly_figure_is_its_layout_height(browser: Any, site_url: str, scheme: str) -> None:
    page, problems = open_page(browser, DESKTOP, scheme)
    load(page, site_url + PAGES["notebook"], problems)
    figure = page.locator(".output-plotly")
    assert figure.count() == 1
    svg = figure.locator(".main-svg").first
    assert round(svg.bounding_box()["height"]) == PLOTLY_HEIGHT
    assert figure.get_attribute("aria-label") == "Two tones and their sum"
    page.set_viewport_size(PHONE)  # plotly.js follows the width and keeps the height
    page.wait_for_function(f"""(() => {{
        const box = document.querySelector('.output-plotly .main-svg').getBoundingClientRect();
        return box.width <= {PHONE['width']} && Math.round(box.height) === {PLOTLY_HEIGHT}; }})()""")
    background = page.evaluate("document.querySelector('.output-plotly .main-svg').style.background")
    assert ("0, 0, 0, 0" in background) == (scheme == "dark")  # the page's own colours in dark mode
    page.screenshot(path=str(ARTIFACTS / f"plotly-phone-{scheme}.png"), full_page=True)
    page.context.close()
    assert problems == []


def test_notebook_outputs_have_their_size_alt_text_and_math(browser: Any, site_url: str) -> None:
    page, problems = open_page(browser, DESKTOP)
    load(page, site_url + PAGES["notebook"], problems)
    plot = page.locator(".output img")
    assert plot.get_attribute("alt") == "Beats"  # the title the cell's code gives the figure
    assert (plot.get_attribute("width"), plot.get_attribute("height")) == ("265", "153")  # a retina figure
    assert plot.bounding_box()["width"] == 265
    assert page.locator(".katex").count() >= 3  # typeset by the site's own KaTeX
    page.get_by_role("slider", name="Gain").wait_for()  # the widget, drawn from its saved state and named
    load(page, site_url + "/posts/sine-waves/", problems)
    assert page.locator(".output img").get_attribute("alt") == "Beats from two nearby frequencies"
    page.context.close()
    assert problems == []


def test_search_has_one_labelled_box_and_finds_the_post(browser: Any, site_url: str) -> None:
    page, problems = open_page(browser, DESKTOP, "dark")
    load(page, site_url + "/search/?q=bootstrap", problems)
    results = page.locator(".pagefind-ui__result-link")
    results.first.wait_for(timeout=10_000)
    assert any("Bootstrap Confidence Intervals" in t for t in results.all_inner_texts())
    boxes = page.locator("input[type=search], input[type=text]")
    assert boxes.count() == 1  # the header's box is not repeated on the search page
    named = page.get_by_role("searchbox", name="Search").count() + page.get_by_role("textbox", name="Search").count()
    assert named == 1  # named by the page's heading
    mark = page.evaluate("getComputedStyle(document.querySelector('.search-ui mark')).backgroundColor")
    assert mark != "rgb(255, 255, 0)"  # no bright yellow in dark mode
    excerpt = page.evaluate("getComputedStyle(document.querySelector('.pagefind-ui__result-excerpt')).fontSize")
    assert float(excerpt.rstrip("px")) >= 16
    page.context.close()
    phone, _ = open_page(browser, PHONE)
    load(phone, site_url + "/", problems)
    link = phone.get_by_role("link", name="Search")
    assert link.is_visible()  # the box is hidden on a phone; a link to the search page is not
    link.click()
    phone.wait_for_url("**/search/")
    phone.context.close()
    assert problems == []


def test_first_screen_shows_the_text_of_a_post(browser: Any, site_url: str) -> None:
    page, problems = open_page(browser, DESKTOP)
    for path in (PAGES["post"], "/posts/sine-waves/"):
        load(page, site_url + path, problems)
        top = page.locator(".post-body > p, .post-body .cell.markdown > p").first.bounding_box()["y"]
        assert top < DESKTOP["height"] - 40, path  # the cover does not push the first paragraph off the screen
    page.context.close()
    assert problems == []


def test_tap_targets_are_44_px(browser: Any, site_url: str) -> None:
    page, problems = open_page(browser, PHONE)
    load(page, site_url + "/", problems)
    small = page.evaluate("""[...document.querySelectorAll(
        '.site-nav a, .search-link, .card .eyebrow a, .site-footer a, .pagination a, .skip-link')]
      .filter(a => a.getClientRects().length && a.getBoundingClientRect().height < 44)
      .map(a => a.textContent.trim() + ' ' + a.getBoundingClientRect().height)""")
    page.context.close()
    assert small == []
    assert problems == []


def test_code_blocks_copy_show_and_scroll(browser: Any, site_url: str) -> None:
    page, problems = open_page(browser, PHONE, permissions=["clipboard-read", "clipboard-write"])
    load(page, site_url + PAGES["notebook"], problems)
    summary = page.locator(".cell details > summary").first
    assert summary.inner_text() == "Show code"
    summary.click()
    page.wait_for_function("document.querySelector('.cell details > summary').textContent === 'Hide code'")
    block = page.locator(".cell details .highlight").first
    block.hover()
    block.locator(".copy-button").click()
    page.wait_for_function("document.querySelector('.cell details .copy-button').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()").startswith("values = [0, 1, 2")
    wide = page.locator(".cell details pre")  # wider than a phone: reachable with the keyboard
    assert wide.get_attribute("tabindex") == "0"
    page.context.close()
    assert problems == []


def test_contents_mark_the_section_being_read(browser: Any, site_url: str) -> None:
    page, problems = open_page(browser, DESKTOP)
    load(page, site_url + PAGES["post"], problems)
    side = page.locator(".toc-side a[aria-current]")
    assert side.count() == 1
    page.evaluate("document.querySelectorAll('.post-body h2')[1].scrollIntoView()")
    page.wait_for_function("document.querySelector('.toc-side a[aria-current]').textContent.includes('Speedster')")
    page.evaluate("scrollTo(0, document.body.scrollHeight)")  # the last section, too short to reach the top
    page.wait_for_function("document.querySelector('.toc-side a[aria-current]').textContent.includes('Master')")
    page.context.close()
    assert problems == []


def test_404_with_relative_links_works_at_a_nested_url(browser: Any, tmp_path: Path) -> None:
    """base_url "./" (the demo's setting): the 404 page, served at any depth, keeps its style and links."""
    (tmp_path / "nbpress.toml").write_text('title = "Relative"\nbase_url = "./"\nsearch = false\n')
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "hello.md").write_text("---\ntitle: Hello\ndate: 2024-01-01\n---\nHi.\n")
    proc = subprocess.run([sys.executable, "-m", "nbpress", "build", "--site", str(tmp_path), "--execute", "off"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    page, problems = open_page(browser, PHONE)
    load(page, _serve(tmp_path / "output") + "/a/b/c/", problems)
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.evaluate("getComputedStyle(document.body).display") == "flex"  # the theme's stylesheet loaded
    page.get_by_role("link", name="Go to the home page").click()
    page.wait_for_load_state()
    assert page.locator(".card-title").inner_text() == "Hello"
    page.context.close()
    assert problems == []
