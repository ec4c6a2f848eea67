"""Altair charts in a real browser (headless Chromium): drawn by the site's own vega, with no other host."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import code, display, make_site, markdown_cell, nb
from test_wild import ALTAIR_HTML

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing (.ci/run installs it)")

SPEC_V5 = {  # what Altair 5 saves
    "$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json", "mark": {"type": "line", "point": True},
    "data": {"values": [{"x": 1, "y": 3}, {"x": 2, "y": 1}, {"x": 3, "y": 2}]},
    "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}},
    "params": [{"name": "pick", "select": "point"}],
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = make_site(tmp_path_factory.mktemp("vega") / "site", layouts=False,
                     toml='title = "Charts"\nexecute = "off"\nsearch = false\n')
    site.post("charts.ipynb", nb(
        markdown_cell("# Charts\n\nTwo Altair charts."),
        code("chart", execution_count=1,
             outputs=[display({"application/vnd.vegalite.v5+json": SPEC_V5, "text/plain": "alt.Chart(...)"})]),
        code("old_chart", execution_count=2, outputs=[display({"text/html": ALTAIR_HTML}, result=True)]),
    ))
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    handler = functools.partial(_Quiet, directory=str(site.output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_altair_charts_draw_offline(served: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            problems: list[str] = []
            elsewhere: list[str] = []
            page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
            page.on("request", lambda request: elsewhere.append(request.url)
                    if not request.url.startswith(served) else None)
            page.goto(served + "/posts/charts/", wait_until="networkidle")
            page.wait_for_function("document.querySelectorAll('.output-vega svg.marks').length === 2", timeout=15_000)
            assert page.locator(".output-vega .mark-symbol path, .output-vega .mark-rect path").count() >= 3
            assert problems == [] and elsewhere == []
        finally:
            browser.close()
