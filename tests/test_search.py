"""Search: the posts indexed as Pagefind shards, merged in the browser, with the results one whole-site index gives."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Site, make_site

from nbpress.output.search import SHARD_SIZE, plan_shards

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]
POSTS = SHARD_SIZE * 2 + 30  # three shards


def test_shards_depend_only_on_the_posts() -> None:
    posts = [f"posts/p{i}/index.html" for i in range(POSTS)]
    shards = plan_shards(posts)
    assert sorted(shards, key=int) == ["0", "1", "2"]
    assert sorted(p for members in shards.values() for p in members) == sorted(posts)
    assert plan_shards(list(reversed(posts))) == shards
    assert plan_shards([]) == {}


def _post(i: int, extra: str = "") -> str:
    return (f"---\ntitle: Post {i}\ndate: 2024-01-{1 + i % 28:02d}\ncategory: C{i % 3}\n---\n"
            f"Post number {i} has the word zq{i}x in its prose. {extra}\n")


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Site:
    site = make_site(tmp_path_factory.mktemp("search") / "site", layouts=False,
                     toml='title = "S"\nexecute = "off"\nsearch = true\n')
    for i in range(POSTS):
        site.post(f"p{i}.md", _post(i))
    site.build()
    return site


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(sharded: Site) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(sharded.output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is missing (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _search(browser: Any, url: str, query: str) -> list[str]:
    """The result links the search page shows for a query (one with a few results: the page shows five)."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/search/?q={query}")
    page.wait_for_function("""() => {
        const said = document.querySelector('.pagefind-ui__message')?.textContent.match(/^([0-9]+) results? for/);
        return said && document.querySelectorAll('.pagefind-ui__result-link').length == Math.min(5, +said[1]);
    }""", timeout=15_000)
    links = page.locator(".pagefind-ui__result-link").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    page.close()
    assert errors == []
    return sorted(links)


_EVERY_RESULT = """async ([entry, merged, queries]) => {
    const pagefind = await import(entry);
    await pagefind.options({baseUrl: '/'});
    for (const bundle of merged) await pagefind.mergeIndex(bundle, {baseUrl: '/'});
    const found = [];
    for (const query of queries) {
        const search = await pagefind.search(query);
        found.push(await Promise.all(search.results.map(r => r.data().then(d => d.url))));
    }
    return found;
}"""
QUERIES = ["prose", "number", "zq17x", "word", "post"]


def _one_index(site: Site, tmp: Path) -> Path:
    """Pagefind's own index of every post of the site at once, to compare against."""
    from nbpress.output.search import _pagefind

    command = _pagefind()
    assert command is not None
    bundle = site.output / "whole-index"
    subprocess.run([*command, "--site", str(site.output), "--glob", "posts/**/*.html", "--output-path", str(bundle),
                    "--silent"], check=True, capture_output=True)
    return bundle


def test_only_post_bodies_are_indexed(sharded: Site) -> None:
    bundles = sorted(p.name for p in (sharded.output / "pagefind").iterdir() if p.is_dir())
    assert bundles == ["0", "1", "2"]
    counts = 0
    for name in bundles:
        entry = (sharded.output / "pagefind" / name / "pagefind-entry.json").read_text()
        counts += int(entry.split('"page_count":')[1].split(",")[0].split("}")[0])
    assert counts == POSTS  # posts only: no home, category, tag or archive pages
    # Merged shards carry only their index; the first also has the script and WebAssembly for all.
    assert (sharded.output / "pagefind/0/pagefind-ui.js").exists()
    assert not (sharded.output / "pagefind/1/pagefind-ui.js").exists()


def test_the_search_page_merges_the_shards(browser: Any, served: str, sharded: Site, tmp_path: Path) -> None:
    assert _search(browser, served, "zq5x") == ["/posts/p5/"]
    assert _search(browser, served, f"zq{POSTS - 1}x") == [f"/posts/p{POSTS - 1}/"]
    # Every result of the merged shards, as the search page merges them, is what one index of the
    # whole site gives.
    bundle = _one_index(sharded, tmp_path)
    found = []
    setups = (("/pagefind/0/pagefind.js", ["/pagefind/1/", "/pagefind/2/"]), ("/whole-index/pagefind.js", []))
    for entry, merged in setups:
        page = browser.new_page()
        page.goto(served + "/")
        found.append(page.evaluate(_EVERY_RESULT, [entry, merged, QUERIES]))
        page.close()
    for query, sharded_urls, whole_urls in zip(QUERIES, *found, strict=True):
        assert sorted(sharded_urls) == sorted(whole_urls) and sharded_urls, query
    assert len(found[0][0]) == POSTS
    shutil.rmtree(bundle)


def test_an_edit_reindexes_one_shard_and_is_found(browser: Any, served: str, sharded: Site) -> None:
    before = {p: p.stat().st_ino for p in (sharded.output / "pagefind").rglob("*") if p.is_file()}
    path = sharded.root / "notebooks" / "p7.md"
    path.write_text(_post(7, "Now also freshzq."))
    os.utime(path, ns=(path.stat().st_mtime_ns + 2_000_000_000,) * 2)
    sharded.build()
    after = {p: p.stat().st_ino for p in (sharded.output / "pagefind").rglob("*") if p.is_file()}
    touched = {p.relative_to(sharded.output / "pagefind").parts[0] for p in after if before.get(p) != after[p]}
    assert touched <= {"shards.json", *(n for n, m in plan_shards([f"posts/p{i}/index.html" for i in range(POSTS)])
                                        .items() if "posts/p7/index.html" in m)}
    assert _search(browser, served, "freshzq") == ["/posts/p7/"]
    assert _search(browser, served, "zq123x") == ["/posts/p123/"]  # an old post, in another shard
