"""Benchmark: `nbpress serve` on the Markdown corpus, as a writer sees it (issue 11).

A real `nbpress serve` over a copy of the corpus and a real Chromium tab on the newest post's
page. Each round saves an edit of that post (a new title and a paragraph with a new word) and
measures, from the moment the file is written:

- **reload**: until the open tab shows the new title (the dev server's own reload, no refresh);
- **search**: until the site's search index (read as the search page reads it) finds the new word.

Needs Chromium (/usr/bin/chromium, or $CHROME_PATH) and Playwright (the test extra).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import search_index
from bench.benchmark import Benchmark, Context
from bench.corpus import edit_post, newest, post_text, write_site
from bench.measure import BenchError, child_env
from bench.report import secs

TARGET_RELOAD = 0.3
TARGET_SEARCH = 2.0
ROUNDS = 5
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]


def _serve(site: Path) -> tuple[subprocess.Popen[str], str]:
    """`nbpress serve` on a free port, once its first build is done; the process and the site's address."""
    proc = subprocess.Popen([sys.executable, "-m", "nbpress", "serve", "--site", str(site), "--port", "0"],
                            cwd=site, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    address = ""
    deadline = time.monotonic() + 600
    for line in proc.stdout:
        found = re.search(r"serving (http://\S+)", line)
        address = found.group(1) if found else address
        if address and ("built" in line or "nothing to rebuild" in line):
            return proc, address
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise BenchError("nbpress serve did not finish its first build")


def _search_finds(output: Path, word: str, timeout: float) -> float | None:
    """Seconds until the index under output/ finds `word` (polled), or None after `timeout`."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if search_index.search(output, word):
                return time.perf_counter() - started
        except (OSError, ValueError):  # a shard being replaced as it is read
            pass
        time.sleep(0.02)
    return None


def measure(site: Path, post: Any, rounds: int = ROUNDS) -> tuple[list[float], list[float | None]]:
    """Reload and search latencies of `rounds` saves of `post` in a served copy of the site."""
    from playwright.sync_api import sync_playwright

    chrome = os.environ.get("CHROME_PATH") or "/usr/bin/chromium"
    if not Path(chrome).exists():
        raise BenchError(f"Chromium not found at {chrome} (apt-get install chromium, or set CHROME_PATH)")
    proc, address = _serve(site)
    reloads: list[float] = []
    searches: list[float | None] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chrome, args=ARGS)
            page = browser.new_page()
            page.goto(f"{address}posts/{post.slug}/")
            for n in range(1, rounds + 1):
                change = edit_post(post, 100 + n)
                time.sleep(1.0)  # the watcher and the tab settle, as between two saves
                started = time.perf_counter()
                (site / "notebooks" / post.file).write_text(post_text(change.post), encoding="utf-8")
                page.wait_for_function("t => document.title.includes(t)", arg=change.post.title, timeout=30_000,
                                       polling=5)
                reloads.append(time.perf_counter() - started)
                found = _search_finds(site / "output", change.word, 10.0)
                searches.append(None if found is None else found + reloads[-1])
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return reloads, searches


def run(ctx: Context) -> None:
    """Rows for the report: the median reload and search latency, against issue 11's targets."""
    corpus = ctx.corpus()
    ctx.report.section(f"serve: an edit of one post, {len(corpus.posts)} posts, {ROUNDS} saves")
    site = ctx.folder("serve-site")
    write_site(site)
    shutil.copytree(corpus.site / "notebooks", site / "notebooks", dirs_exist_ok=True)
    reloads, searches = measure(site, newest(corpus.posts))
    reload = statistics.median(reloads)
    ctx.report.add("serve: the edit reaches the open tab", secs(reload), f"< {TARGET_RELOAD} s", reload < TARGET_RELOAD,
                   note="median; " + ", ".join(f"{r:.2f}" for r in reloads))
    found = [s for s in searches if s is not None]
    search = statistics.median(found) if len(found) == len(searches) else None
    ctx.report.add("serve: search finds the new text", secs(search) if search is not None else "not found",
                   f"< {TARGET_SEARCH} s", search is not None and search < TARGET_SEARCH,
                   note="median; " + ", ".join("-" if s is None else f"{s:.2f}" for s in searches))


BENCHMARK = Benchmark(names=("serve",), about="nbpress serve on the corpus: an edit to the open tab, and to the "
                      "search index (needs Chromium)", run=run, default=False)
