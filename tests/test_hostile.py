"""Hostile and oversized input: YAML alias bombs, names too long for a file system, cells that print
megabytes, and requests to `nbpress serve` that no browser sends. Each is a short error or warning, fast."""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import JUPYTEXT_MD_HEADER, Site, code, display, nb, percent, raw, stream, tree
from test_leaks import launch
from test_serve import Server

from nbpress.errors import NbpressError
from nbpress.output.sizes import HEAVY_BYTES, HOST_LIMIT_BYTES, size_problem
from nbpress.serve.http import allowed_hosts, host_allowed
from nbpress.sources.front_matter import MAX_YAML_VALUES
from nbpress.sources.streams import MAX_CHARS, MAX_LINES, joined_streams, shorten
from nbpress.urls import MAX_SEGMENT_BYTES, slugify

# --- YAML alias bombs -----------------------------------------------------------------------------

LAUGHS = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
    f"{x}: &{x} [{','.join([f'*{y}'] * 9)}]" for x, y in zip("bcdefgh", "abcdefg", strict=True)
]  # ~600 bytes that stand for 9^8 = 43 million strings


def bomb_source(fmt: str) -> tuple[str, str]:
    """A post whose front matter is an alias bomb, in each format that has YAML front matter."""
    bomb = "\n".join(LAUGHS) + "\ntags: [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    if fmt == "md":
        return "bomb.md", f"---\ntitle: Boom\n{bomb}---\nBody.\n"
    if fmt == "md-notebook":  # under `jupyter:`, which jupytext reads (and expands) itself
        nested = "".join(f"  {line}\n" for line in bomb.splitlines())
        return "bomb.md", f"---\n{JUPYTEXT_MD_HEADER}  extra:\n{nested}---\n\nBody.\n"
    if fmt == "py":
        nested = "".join(f"  {line}\n" for line in bomb.splitlines())
        return "bomb.py", percent(f"title: Boom\njupyter:\n  extra:\n{nested}", "# %%\nx = 1\n")
    return "bomb.ipynb", nb(raw(f"---\ntitle: Boom\n{bomb}---"), code("1"))


@pytest.mark.parametrize("fmt", ["md", "md-notebook", "py", "ipynb"])
def test_a_yaml_alias_bomb_is_a_short_error_at_once(site: Site, fmt: str) -> None:
    rel, text = bomb_source(fmt)
    site.post(rel, text)
    started = time.perf_counter()
    with pytest.raises(NbpressError) as info:
        site.load(rel)
    assert time.perf_counter() - started < 0.5
    (diag,) = info.value.diagnostics
    assert diag.path == f"notebooks/{rel}"
    assert f"aliases (*name) expand to more than {MAX_YAML_VALUES:,} values" in diag.message

    result = site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr) < 400
    assert f"notebooks/{rel}" in result.stderr and "expand to more than" in result.stderr


def test_an_alias_that_contains_itself_is_refused(site: Site) -> None:
    site.post("post.md", "---\ntitle: Loop\nextra: &x [1, *x]\n---\nBody.\n")
    result = site.cli("build")
    assert result.returncode == 1 and "expand to more than" in result.stderr


def test_ordinary_aliases_still_work(site: Site) -> None:
    site.post("post.md", "---\ntitle: Shared\nauthor: &me {name: Ada, picture: /ada.png}\n"
                         "reviewer: *me\ntags: &t [a, b]\nkeywords: *t\nsummary: 2 * 3 is six\n---\nBody.\n")
    page = site.load("post.md")
    assert page.author is not None and page.author.name == "Ada"
    assert page.meta["reviewer"] == {"name": "Ada", "picture": "/ada.png"}
    assert page.meta["keywords"] == ["a", "b"] and page.meta["summary"] == "2 * 3 is six"


def test_an_error_quotes_a_huge_value_briefly(site: Site) -> None:
    site.post("post.md", "---\ntitle: T\ntags: {" + ", ".join(f"k{i}: {'v' * 500}" for i in range(2000)) + "}\n---\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "notebooks/post.md:3: invalid front matter: 'tags' must be a name or a list of names" in result.stderr
    assert len(result.stderr) < 600


# --- names too long for a file system -------------------------------------------------------------


def test_long_segments_are_cut_in_bytes_and_stay_unique() -> None:
    long = "c" * 300
    assert slugify(long) != slugify(long + "d") != slugify(long[:-1] + "e")
    for value in (long, "数" * 100, "é" * 120, "Data Science " * 30):
        slug = slugify(value)
        assert len(slug.encode()) <= MAX_SEGMENT_BYTES
        assert re.search(r"-[0-9a-f]{8}$", slug), slug
    assert slugify("数" * 100).startswith("数" * 30)  # cut between characters, never inside one
    assert slugify("Hello World") == "hello-world"  # short names are as before
    assert slugify("2020-03-15-" + "word-" * 35 + "end") == "2020-03-15-" + "word-" * 35 + "end"  # and long file names
    assert slugify("x" * MAX_SEGMENT_BYTES) == "x" * MAX_SEGMENT_BYTES
    assert len(slugify("a" * 500, max_bytes=None)) == 500


def test_300_character_names_and_100_cjk_characters_build(site: Site) -> None:
    long = "Category " + "c" * 300
    site.post("a.md", f"---\ntitle: A\ndate: 2024-01-01\ncategory: {long}\ntags: [{'t' * 300}, {'数' * 100}]\n"
                      f"slug: {'s' * 300}\n---\nFirst.\n")
    site.post("b.md", f"---\ntitle: B\ndate: 2024-01-02\ncategory: {long}x\ntags: [{'t' * 299}u]\n"
                      f"slug: {'s' * 299}t\n---\nSecond.\n")
    site.post(f"{'数' * 80}.md", "---\ntitle: C\ndate: 2024-01-03\n---\nThird.\n")  # 240 bytes: a legal file name
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    built = tree(site.output)
    assert all(len(part.encode()) <= MAX_SEGMENT_BYTES for path in built for part in path.split("/"))
    posts = sorted(p for p in built if p.startswith("posts/"))
    categories = sorted(p for p in built if p.startswith("categories/c") and p.endswith("/index.html"))
    tags = sorted(p for p in built if p.startswith("tags/") and p.endswith("/index.html") and p != "tags/index.html")
    assert len(posts) == 3 and len(categories) == 2 and len(tags) == 3
    page = site.read(posts[0] if "First." in site.read(posts[0]) else posts[1])
    link = re.search(r'class="category" href="/(categories/[^"]+)"', page)
    assert link is not None and link.group(1) + "index.html" in built


# --- cells that print megabytes -------------------------------------------------------------------


def test_size_warnings_at_the_real_thresholds() -> None:
    assert HEAVY_BYTES == 10 * 1024 * 1024 and HOST_LIMIT_BYTES == 100 * 1024 * 1024  # GitHub's limit
    assert size_problem("output/a.html", HEAVY_BYTES) is None
    heavy = size_problem("output/a.html", HEAVY_BYTES + 1, "notebooks/a.ipynb")
    assert heavy is not None and heavy.severity == "warning" and heavy.path == "notebooks/a.ipynb"
    assert "writes output/a.html of 10.0 MB: files over 10 MB are slow for readers" in heavy.message
    refused = size_problem("output/a.html", 105 * 1024 * 1024)
    assert refused is not None and refused.path == "output/a.html"
    assert "of 105.0 MB: hosts refuse files over 100 MB (GitHub Pages does)" in refused.message


def test_long_text_keeps_its_start_and_end() -> None:
    text = "".join(f"epoch {i}\n" for i in range(50_000))
    head, middle, tail = shorten(text)
    assert head + middle + tail == text
    assert head.count("\n") == MAX_LINES * 4 // 5 and tail.count("\n") == MAX_LINES // 5
    assert tail.endswith("epoch 49999\n") and head.startswith("epoch 0\n")
    one_line = "x" * (3 * MAX_CHARS)
    head, middle, tail = shorten(one_line)
    assert len(head) + len(tail) == MAX_CHARS and head + middle + tail == one_line
    assert shorten("short\n") == ("short\n", "", "")
    fits = "".join(f"{i}\n" for i in range(MAX_LINES))
    assert shorten(fits) == (fits, "", "")
    outputs = [stream("a"), stream("b"), stream("e", "stderr"), {"output_type": "display_data"}, stream("c")]
    assert joined_streams(outputs) == {0: "ab", 1: None, 2: "e", 4: "c"}


def test_a_long_stream_is_cut_on_the_page(site: Site) -> None:
    lines = "".join(f"step {i}: loss {1 / (i + 1):.6f}\n" for i in range(20_000))
    chunks = [lines[i : i + 10_000] for i in range(0, len(lines), 10_000)]  # as a kernel sends it, in pieces
    site.post("train.ipynb", nb(raw("---\ntitle: Training\ndate: 2024-01-01\n---"),
                                code("train()", outputs=[stream(c) for c in chunks], execution_count=1)))
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    page = site.read("posts/train/index.html")
    assert len(page) < 2 * MAX_CHARS
    assert "step 0: loss" in page and "step 19999: loss" in page and "step 10000: loss" not in page
    assert re.search(r"\[… 19,000 lines \(\d+\.\d kB\) not shown …\]", page)
    assert page.count('<pre class="output-stream stdout">') == 1  # the chunks are one output


def test_the_cache_keeps_all_of_a_long_output(site: Site) -> None:
    site.write("nbpress.toml", 'title = "t"\nexecute = "auto"\njobs = 1\nsearch = false\n')
    site.post("count.py", percent("title: Count\ndate: 2024-01-01", "# %%\nfor i in range(3000):\n    print(i)\n"))
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    page = site.read("posts/count/index.html")
    assert "\n2999\n" in page and "\n1500\n" not in page and "2,000 lines" in page
    (entry,) = (site.root / ".nbpress" / "cache").glob("*.json")
    cells = json.loads(entry.read_text())["cells"]
    printed = "".join("".join(o["text"]) for c in cells for o in c.get("outputs", []) if o["output_type"] == "stream")
    assert printed == "".join(f"{i}\n" for i in range(3000))


def _patched(prelude: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command line, with a module constant patched first (to test a limit without its size)."""
    code_ = f"{prelude}\nfrom nbpress.cli import main\nmain()"
    env = dict(os.environ, PYTHONWARNINGS="error", NO_COLOR="1")
    return subprocess.run([sys.executable, "-c", code_, *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)


def test_big_files_warn_and_fail_under_strict(site: Site) -> None:
    site.post("big.ipynb", nb(raw("---\ntitle: Big\ndate: 2024-01-01\n---"),
                              code("show()", outputs=[display({"text/html": "<p>" + "x" * 60_000 + "</p>"})])))
    site.post("data/table.csv", "x\n" * 20_000)
    site.post("small.md", "---\ntitle: Small\ndate: 2024-01-02\n---\nSmall.\n")
    patch = "import nbpress.output.sizes as s\ns.HEAVY_BYTES, s.HOST_LIMIT_BYTES = 30_000, 50_000"
    result = _patched(patch, "build", "--site", str(site.root), cwd=site.root)
    assert result.returncode == 0, result.stderr
    assert re.search(r"notebooks/big\.ipynb: warning: writes output/posts/big/index\.html of 0\.\d MB: hosts refuse "
                     r"files over 0 MB", result.stderr), result.stderr
    assert "notebooks/data/table.csv: warning: writes output/data/table.csv of 0.0 MB: files over 0 MB are slow" \
        in result.stderr
    assert "small" not in result.stderr
    before = tree(site.output)
    site.post("small.md", "---\ntitle: Small\ndate: 2024-01-02\n---\nSmaller.\n")
    strict = _patched(patch, "build", "--strict", "--site", str(site.root), cwd=site.root)
    assert strict.returncode == 1
    assert "notebooks/big.ipynb: writes output/posts/big/index.html" in strict.stderr
    assert tree(site.output) == before  # nothing published

    # An incremental build still says so (the big page is not rendered again).
    site.post("small.md", "---\ntitle: Small\ndate: 2024-01-02\n---\nSmallest.\n")
    again = _patched(patch, "build", "--site", str(site.root), cwd=site.root)
    assert again.returncode == 0 and "notebooks/big.ipynb: warning: writes" in again.stderr


# --- nbpress serve --------------------------------------------------------------------------------


@pytest.fixture
def serving(site: Site, tmp_path: Path) -> Iterator[Server]:
    """A site with a draft, served with --drafts; connections idle for half a second are closed."""
    site.post("post.md", "---\ntitle: Hello\ndraft: true\n---\nA draft.\n")
    server = launch(site, tmp_path / "stderr.txt", "--drafts", idle=0.5)
    try:
        yield server
    finally:
        server.stop()


def request(server: Server, path: str, host: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        conn.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_serve_answers_every_request(serving: Server) -> None:
    assert request(serving, "/posts/post/")[0] == 200
    for path in ("/" + "a/" * 3000, "/" + "a" * 300, "/posts/" + "%ff" * 100, "/%ff", "/" + "x" * 5000 + "/",
                 "/posts/post/" + "../" * 50):
        assert request(serving, path)[0] == 404, path[:40]
    assert "Traceback" not in serving.stderr.read_text()


def test_serve_answers_only_to_local_host_names(serving: Server) -> None:
    port = serving.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"preview.localhost:{port}",
                 f"[::1]:{port}", "192.168.1.20:8000"):
        assert request(serving, "/posts/post/", host)[0] == 200, host
    for path in ("/posts/post/", "/__nbpress/status", "/__nbpress/events", "/"):
        status, body = request(serving, path, f"attacker.example:{port}")  # DNS rebinding: their name, our address
        assert status == 403 and "A draft." not in body and "--host attacker.example" in body, path
    assert not host_allowed("attacker.example") and host_allowed("attacker.example", allowed_hosts("attacker.example"))
    assert allowed_hosts("0.0.0.0") == allowed_hosts("::") == frozenset() and host_allowed(None)
    assert not host_allowed("localhost.attacker.example") and not host_allowed("127.0.0.1.nip.io")


def test_serve_takes_many_connections_at_once_and_closes_idle_ones(serving: Server) -> None:
    started = time.monotonic()
    sockets = []
    try:
        for _ in range(200):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex((serving.host, serving.port))
            sockets.append(sock)
        pending = list(sockets)
        while pending and time.monotonic() - started < 5:
            _, writable, _ = select.select([], pending, [], 0.1)
            pending = [s for s in pending if s not in writable]
        assert not pending and time.monotonic() - started < 1.0  # a backlog of 5 made this take seconds
    finally:
        for sock in sockets:
            sock.close()
    assert request(serving, "/posts/post/")[0] == 200

    for sent in (b"", b"GET / HTTP/1.1\r\n"):  # nothing at all, or a request never finished
        with socket.create_connection((serving.host, serving.port), timeout=10) as idle:
            idle.sendall(sent)
            started = time.monotonic()
            assert idle.recv(1024) == b""  # closed by the server
            assert time.monotonic() - started < 5
    assert request(serving, "/posts/post/")[0] == 200
