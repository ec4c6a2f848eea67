"""The demo site in a real browser: headless Chromium (the system one) through Playwright.

Loads the home page, a post with math and a plot, a category page and a search; fails on any
console error, failed request or image that did not load; saves full-page screenshots, light and
dark, to test-artifacts/.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing (.ci/run installs it)")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    demo = tmp_path_factory.mktemp("demo")
    for name in ("notebooks", "layouts"):
        shutil.copytree(ROOT / name, demo / name)
    shutil.copy(ROOT / "nbpress.toml", demo / "nbpress.toml")
    proc = subprocess.run([sys.executable, "-m", "nbpress", "build", "--site", str(demo), "--base-url", "/"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    handler = functools.partial(_Quiet, directory=str(demo / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def visit(browser: Any, url: str, shot: str, scheme: str = "light") -> tuple[Any, list[str]]:
    """Open url; every console error, failed request, HTTP error and broken image is a problem."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 else None)
    page.goto(url, wait_until="networkidle")
    # Lazy images below the fold load only when scrolled to: ask for all of them now.
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("[...document.images].every(i => i.complete)")
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    problems.extend(f"image did not load: {src}" for src in broken)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}-{scheme}.png"), full_page=True)
    return page, problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("path", "shot"), [
    ("/", "home"),
    ("/posts/sine-waves/", "post-plot-math"),
    ("/posts/bootstrap-confidence-intervals/", "post-math"),
    ("/categories/tutorials/", "category"),
])
def test_pages_load_cleanly(browser: Any, site_url: str, path: str, shot: str, scheme: str) -> None:
    page, problems = visit(browser, site_url + path, shot, scheme)
    assert problems == []
    if shot.startswith("post"):
        assert page.locator(".katex").count() > 0  # math typeset by the site's own KaTeX
    if shot == "post-plot-math":
        assert page.locator(".output img").count() >= 1  # the notebook's plot, a file beside the page
    page.context.close()


def test_search_finds_the_post(browser: Any, site_url: str) -> None:
    page, problems = visit(browser, site_url + "/search/?q=bootstrap", "search")
    results = page.locator(".pagefind-ui__result-link")
    results.first.wait_for(timeout=10_000)
    titles = results.all_inner_texts()
    assert any("Bootstrap Confidence Intervals" in t for t in titles), titles
    assert problems == []
    page.context.close()
