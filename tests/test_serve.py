"""The dev server, as a real `nbpress serve` subprocess: serving, rebuilding, errors, paths, live reload."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import Site

from nbpress.serve.http import inject, live_script, resolve
from nbpress.serve.watch import changes, ignored

CHROMIUM = Path("/usr/bin/chromium")
POST = "---\ntitle: Hello\n---\n{body}\n"


# --- in-process: the pieces -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [".ipynb_checkpoints", ".post.md.swp", "post.md~", "#post.md#", ".#post.md",
                                  "post.md.tmp", ".~post.ipynb", "4913", "__pycache__", ".DS_Store"])
def test_editor_and_checkpoint_files_are_ignored(name: str) -> None:
    assert ignored(name)


@pytest.mark.parametrize("name", ["post.md", "nb.ipynb", "nb.py", "cover.jpg", "posts", "[slug].html"])
def test_sources_are_watched(name: str) -> None:
    assert not ignored(name)


def test_changes_are_added_removed_and_modified() -> None:
    before = {"a": (1, 1, 1), "b": (1, 1, 2), "c": (1, 1, 3)}
    after = {"a": (1, 1, 1), "b": (2, 1, 2), "d": (1, 1, 4)}
    assert changes(before, after) == {"b", "c", "d"}


def test_resolve_maps_folders_and_refuses_everything_outside(tmp_path: Path) -> None:
    out = tmp_path / "output"
    (out / "posts" / "a").mkdir(parents=True)
    (out / "posts" / "a" / "index.html").write_text("a")
    (out / "index.html").write_text("home")
    (out / "escape").symlink_to(tmp_path)
    (tmp_path / "secret.txt").write_text("no")
    assert resolve(out, "/", "/").file == out / "index.html"
    assert resolve(out, "/", "/posts/a/").file == out / "posts/a/index.html"
    assert resolve(out, "/", "/posts/a").redirect == "/posts/a/"
    assert resolve(out, "/repo/", "/repo").redirect == "/repo/"
    assert resolve(out, "/repo/", "/repo/posts/a/").file == out / "posts/a/index.html"
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/posts/../../secret.txt", "/..%2fsecret.txt",
                 "/escape/secret.txt", "//secret.txt", "/posts/a/%00", "/missing", "/posts/./a/"):
        assert resolve(out, "/", path).file is None, path
        assert resolve(out, "/", path).redirect is None, path
    assert resolve(out, "/repo/", "/index.html").file is None


def test_inject_goes_before_the_last_body_end() -> None:
    script = live_script("/repo/", 3)
    assert b'"/repo/__nbpress/events"' in script and b"var version = 3" in script
    page = inject(b"<html><body><p>x</p></BODY></html>", b"<s>")
    assert page == b"<html><body><p>x</p><s></BODY></html>"
    assert inject(b"<p>fragment</p>", b"<s>") == b"<p>fragment</p><s>"


# --- a real server --------------------------------------------------------------------------------


class Server:
    """A running `nbpress serve`: its URL, its printed lines, and HTTP helpers."""

    def __init__(self, process: subprocess.Popen[str], stderr: Path) -> None:
        self.process = process
        self.stderr = stderr
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.url = ""
        deadline = time.monotonic() + 20
        while not self.url:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no URL printed: {self.output} {self.stderr.read_text()}") from None
            if line is None:
                raise AssertionError(f"the server exited: {self.output} {self.stderr.read_text()}")
            if line.startswith("serving http://"):
                self.url = line.split()[1]
        parts = urlsplit(self.url)
        self.host, self.port, self.base = parts.hostname or "", parts.port or 0, parts.path

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        """A raw GET (no redirects followed, no path normalised): status, headers, body."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def page(self, rel: str) -> str:
        """The body of a page under the base path, which must be served."""
        with urllib.request.urlopen(self.url + rel, timeout=5) as response:
            return str(response.read().decode("utf-8"))

    def status(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "__nbpress/status", timeout=5) as response:
            return dict(json.loads(response.read()))

    def wait_build(self, after: int, timeout: float = 10.0) -> dict[str, Any]:
        """The status once build number `after` has been passed."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if status["build"] > after:
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"no build after #{after} in {timeout} s: {self.output}")
            time.sleep(0.02)

    def stop(self) -> int:
        """Ctrl+C, then the exit status (killed if it does not stop)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.reader.join(timeout=5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return self.process.returncode


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start `nbpress serve --port 0` on a site (waiting for its first build); always stopped after."""
    started: list[Server] = []

    def start(site: Site, *args: str) -> Server:
        stderr = tmp_path / f"stderr-{len(started)}.txt"
        env = dict(os.environ, PYTHONWARNINGS="error", NO_COLOR="1", PYTHONUNBUFFERED="1",
                   PYTHONIOENCODING="utf-8", JUPYTER_PLATFORM_DIRS="1")
        with open(stderr, "w") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "nbpress", "serve", "--site", str(site.root), "--port", "0", *args],
                stdout=subprocess.PIPE, stderr=err, text=True, encoding="utf-8", env=env, cwd=site.root,
            )
        try:
            server = Server(process, stderr)
        except BaseException:
            process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()
            raise
        started.append(server)
        server.wait_build(0, timeout=20)
        return server

    yield start
    for server in started:
        server.stop()


def edit(path: Path, text: str) -> float:
    """Write a file as an editor saves it; the time of the save."""
    path.write_text(text, encoding="utf-8")
    return time.perf_counter()


def test_serves_only_the_output_and_shows_an_edit_within_a_second(site: Site, serve: Callable[..., Server]) -> None:
    post = site.post("post.md", POST.format(body="First words."))
    server = serve(site)
    assert server.url.startswith("http://127.0.0.1:") and server.base == "/"
    status, headers, body = server.get("/posts/post/")
    assert status == 200 and "First words." in body
    assert headers["Cache-Control"] == "no-store" and headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script id="nbpress-live">' in body and body.index("nbpress-live") < body.rindex("</body>")
    status, headers, _ = server.get("/posts/post")
    assert status == 301 and headers["Location"] == "/posts/post/"
    status, headers, css = server.get("/style.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css") and "nbpress-live" not in css

    build = server.status()["build"]
    for words in ("Second words.", "Third words."):
        saved = edit(post, POST.format(body=words))
        server.wait_build(build, timeout=5)
        page = server.page("posts/post/")
        elapsed = time.perf_counter() - saved
        assert words in page
        assert elapsed < 1.0, f"{elapsed:.2f} s from the save to the new page"
        time.sleep(0.35)  # two more polls: one save is one build
        assert server.status()["build"] == build + 1
        build += 1
    assert any("notebooks/post.md: built" in line for line in server.output)

    # Checkpoints, editor files and the output folder are not watched.
    for rel in (".ipynb_checkpoints/post-checkpoint.ipynb", "post.md~", ".post.md.swp", "#post.md#", "x.tmp"):
        site.post(rel, "junk")
    site.write("output/stray.html", "<p>written by hand</p>")
    site.write(".nbpress/other.txt", "x")

    # Nothing outside the output folder is served, however the path is spelled.
    for path in ("/../", "/%2e%2e/", "/posts/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2fnbpress.toml",
                 "/../nbpress.toml", "/%2E%2E/nbpress.toml", "//etc/passwd", "/posts/%2e%2e/%2e%2e/nbpress.toml"):
        code, _, body = server.get(path)
        assert code == 404, path
        assert "execute" not in body and "root:" not in body, path
    code, _, body = server.get("/no/such/page/")
    assert code == 404 and body.startswith((site.output / "404.html").read_text()[:40])

    time.sleep(0.2)
    assert server.status()["build"] == build


def test_a_broken_post_keeps_the_last_good_site_and_shows_the_error(site: Site, serve: Callable[..., Server]) -> None:
    post = site.post("post.md", POST.format(body="Good words."))
    server = serve(site)
    build = server.status()["build"]
    edit(post, "---\ntitle: Hello\ndate: [2024\n---\nBroken words.\n")
    status = server.wait_build(build)
    assert status["ok"] is False
    assert any(re.match(r"notebooks/post\.md:\d+: invalid front matter", e) for e in status["errors"]), status
    code, _, body = server.get("/posts/post/")
    assert code == 200 and "Good words." in body and "Broken words." not in body
    assert "nbpress-error-overlay" in body and "EventSource" in body

    # A page opened now hears about the error at once, HTML-escaped.
    with urllib.request.urlopen(server.url + "__nbpress/events", timeout=5) as events:
        head = [events.readline().decode() for _ in range(5)]
    assert head[0] == "event: hello\n" and head[3] == "event: error\n"
    assert re.match(r"data: notebooks/post\.md:\d+: ", head[4]) and "&#x27;" in head[4]

    edit(post, POST.format(body="Fixed words."))
    status = server.wait_build(build + 1)
    assert status["ok"] is True and status["errors"] == []
    assert "Fixed words." in server.page("posts/post/")

    # A notebook half written by JupyterLab is one more error, not the end of the server.
    site.post("nb.ipynb", '{"cells": [{"cell_type": "markdown", "source": "# Half')
    status = server.wait_build(build + 2)
    assert status["ok"] is False and status["errors"][0].startswith("notebooks/nb.ipynb:1:")
    assert "Fixed words." in server.page("posts/post/")
    assert server.process.poll() is None


def test_a_first_build_that_fails_still_serves_with_the_overlay(site: Site, serve: Callable[..., Server]) -> None:
    post = site.post("post.md", "---\ntitle: [Hello\n---\nWords.\n")
    server = serve(site)
    status = server.status()
    assert status["build"] == 1 and status["ok"] is False
    code, _, body = server.get("/")
    assert code == 404 and "nbpress-error-overlay" in body
    edit(post, POST.format(body="Words."))
    assert server.wait_build(1)["ok"] is True
    assert "Words." in server.page("posts/post/")


def test_base_url_is_the_mount_point_and_a_port_in_use_is_refused(site: Site, serve: Callable[..., Server]) -> None:
    site.write("nbpress.toml", 'title = "Repo"\nexecute = "off"\nbase_url = "/repo/"\n')
    site.post("post.md", POST.format(body="Under a path."))
    server = serve(site)
    assert server.base == "/repo/"
    assert "Under a path." in server.page("posts/post/")
    code, _, body = server.get("/repo/posts/post/")
    assert code == 200 and '"/repo/__nbpress/events"' in body
    assert server.get("/")[0] == 404
    assert server.get("/posts/post/")[0] == 404
    code, headers, _ = server.get("/repo")
    assert code == 301 and headers["Location"] == "/repo/"

    taken = site.cli("serve", "--port", str(server.port))
    assert taken.returncode == 2
    assert f"cannot listen on 127.0.0.1:{server.port}" in taken.stderr and "Traceback" not in taken.stderr


def test_settings_and_layouts_are_watched_and_ctrl_c_stops_cleanly(site: Site, serve: Callable[..., Server]) -> None:
    site.post("post.md", POST.format(body="Words."))
    server = serve(site)
    build = server.status()["build"]
    site.write("nbpress.toml", 'title = "Renamed site"\nexecute = "off"\n')
    assert server.wait_build(build)["ok"] is True
    assert "Renamed site" in server.page("")
    layout = site.root / "layouts/posts/[slug].html"
    edit(layout, layout.read_text().replace("<article>", '<article class="changed-layout">'))
    assert server.wait_build(build + 1)["ok"] is True
    assert "changed-layout" in server.page("posts/post/")
    assert server.stop() == 0
    assert server.output[-1] == "stopped"
    assert "Traceback" not in server.stderr.read_text()


def test_serve_help() -> None:
    result = subprocess.run([sys.executable, "-m", "nbpress", "serve", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    for option in ("--site", "--host", "--port", "--execute", "--drafts"):
        assert option in result.stdout


def test_the_browser_reloads_by_itself(site: Site, serve: Callable[..., Server]) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"no browser at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    post = site.post("post.md", POST.format(body="Words."))
    server = serve(site)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"],
        )
        try:
            page = browser.new_page()
            with page.expect_response(lambda r: r.url.endswith("/__nbpress/events"), timeout=5000):
                page.goto(server.url + "posts/post/")  # the page is listening before the edit
            assert page.title() == "Hello"
            edit(post, POST.replace("Hello", "Goodbye").format(body="Words."))
            page.wait_for_function("() => document.title === 'Goodbye'", timeout=5000)

            edit(post, "---\ntitle: [Goodbye\n---\nWords.\n")
            overlay = page.wait_for_selector("#nbpress-error-overlay", timeout=5000)
            assert overlay is not None and "notebooks/post.md:" in overlay.inner_text()
            assert page.title() == "Goodbye"
            edit(post, POST.replace("Hello", "Back again").format(body="Words."))
            page.wait_for_function("() => document.title === 'Back again'", timeout=5000)
            assert page.query_selector("#nbpress-error-overlay") is None
        finally:
            browser.close()


def test_a_notebook_whose_code_changed_is_run_again_through_the_cache(site: Site, serve: Callable[..., Server]) -> None:
    site.write("nbpress.toml", 'title = "Site"\nexecute = "auto"\njobs = 1\n')
    notebook = site.post("nb.py", "# %% [markdown]\n# # Sums\n\n# %%\nprint(6 * 7)\n")
    server = serve(site)
    assert server.status()["ok"] is True and "42" in server.page("posts/nb/")
    build = server.status()["build"]
    edit(notebook, "# %% [markdown]\n# # Sums\n\n# %%\nprint(6 * 8)\n")
    assert server.wait_build(build, timeout=20)["ok"] is True
    assert "48" in server.page("posts/nb/")
    edit(notebook, "# %% [markdown]\n# # Sums\n# Of two numbers.\n\n# %%\nprint(6 * 8)\n")
    assert server.wait_build(build + 1)["ok"] is True
    page = server.page("posts/nb/")
    assert "Of two numbers." in page and "48" in page, server.output
    runs = [line for line in server.output if line.startswith("notebooks: executed 1,")]
    assert len(runs) == 2, server.output  # the first build and the new code; new prose alone runs nothing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's; elsewhere the watcher polls")
def test_a_change_in_a_watched_folder_wakes_the_watcher_and_a_new_folder_is_watched_once_known(tmp_path: Path) -> None:
    from nbpress.serve.notify import Notify, folders_of

    notify = Notify.open()
    assert notify is not None
    try:
        (tmp_path / "posts").mkdir()
        notify.watch(folders_of(str(tmp_path), ["posts/a.md", "nbpress.toml"]))
        assert notify.watched == {str(tmp_path), str(tmp_path / "posts")}
        assert notify.wait(0.05) is False  # nothing happened
        (tmp_path / "posts/a.md").write_text("saved")
        started = time.monotonic()
        assert notify.wait(5) is True
        assert time.monotonic() - started < 1
        assert notify.wait(0.05) is False  # the events were read
        (tmp_path / "posts/new").mkdir()  # seen in its parent; what it will hold, once a snapshot lists it
        assert notify.wait(1) is True
        notify.watch(folders_of(str(tmp_path), ["posts/new/b.md"]))
        (tmp_path / "posts/new/b.md").write_text("saved")
        assert notify.wait(5) is True
    finally:
        notify.close()


def test_the_background_index_stops_when_a_source_changed_since_the_build(site: Site) -> None:
    from nbpress.build import build

    post = site.post("post.md", POST.format(body="First words."))
    settings = site.settings(search=True)
    build(settings)
    post.write_text(POST.format(body="Second words."))
    first = build(settings, search_index=False)
    assert first.stale_index
    post.write_text("")  # a save half done: the watcher builds it once it settles, not the indexer
    later = build(settings, previous=first.state, index_only=True)
    assert later.unchanged and later.rendered == 0
    assert "Second words." in site.read("posts/post/index.html")


def test_the_work_after_a_build_waits_for_each_open_tab_to_load_the_new_version_at_most_a_moment() -> None:
    from nbpress.serve.http import Live

    live = Live(version=3, tabs=1)

    def reloaded_tab() -> None:  # what the event stream of the reloaded page does when it opens
        time.sleep(0.05)
        with live.changed:
            live.greeted = {3: 1}
            live.changed.notify_all()

    threading.Thread(target=reloaded_tab).start()
    started = time.monotonic()
    live.reloaded(1, timeout=5)
    assert time.monotonic() - started < 2
    started = time.monotonic()
    live.reloaded(2, timeout=0.2)  # a tab that never comes back (closed, or asleep in the background)
    assert 0.2 <= time.monotonic() - started < 2


def test_the_background_index_stops_when_a_source_is_saved_while_it_reads_the_sources(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbpress.build
    from nbpress.build import build

    post = site.post("post.md", POST.format(body="First words."))
    settings = site.settings(search=True)
    build(settings)
    post.write_text(POST.format(body="Second words."))
    first = build(settings, search_index=False)
    assert first.stale_index
    load = nbpress.build._load

    def load_then_save(*args: Any) -> Any:  # an editor saves between the check of the sources and their reading
        pages = load(*args)
        post.write_text("")
        return pages

    monkeypatch.setattr(nbpress.build, "_load", load_then_save)
    later = build(settings, previous=first.state, index_only=True)
    assert later.unchanged and later.rendered == 0
    assert "Second words." in site.read("posts/post/index.html")
