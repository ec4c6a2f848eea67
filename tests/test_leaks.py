"""Nothing leaked: symlinks out of the site are never followed, special files are skipped, and the build and
the dev server's watcher agree on which files are sources, assets or ignored."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Site, markdown_cell, nb, tree
from test_serve import Server

from nbpress.files import ignored
from nbpress.serve.watch import snapshot
from nbpress.site.theme import layout_files
from nbpress.sources.discover import discover

POST = "---\ntitle: {title}\ndate: 2024-05-01\n---\n{body}\n"


@pytest.fixture
def secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A token in the build's environment and in a file outside the site, as a CI runner has them."""
    token = "SECRET_TOKEN=" + secrets.token_hex(8)
    monkeypatch.setenv("SECRET_TOKEN", token.split("=", 1)[1])
    (tmp_path / "secrets.txt").write_text(token + "\n")
    return token.split("=", 1)[1]


def hostile(site: Site) -> None:
    """What a one-line-per-file pull request can add: symlinks to secrets, to nowhere, and a named pipe."""
    site.post("post.md", POST.format(title="Hello", body="Words."))
    outside = site.root.parent / "secrets.txt"
    links = {
        "notebooks/env.txt": "/proc/self/environ",
        "notebooks/leak.md": str(outside),
        "notebooks/relative.md": "../../secrets.txt",
        "notebooks/folder": str(site.root.parent),  # a folder out of the site
        "notebooks/git-config.txt": "../.git/config",  # inside the site, but in a place never published
        "notebooks/dangling.png": "no-such-file.png",
        "notebooks/loop": ".",
        "layouts/static/env.css": "/proc/self/environ",
        "layouts/_base.html": "/proc/self/environ",  # every theme page extends _base.html
    }
    (site.root / ".git").mkdir()
    (site.root / ".git" / "config").write_text(f"[http]\n\textraheader = {outside.read_text()}")
    for link, target in links.items():
        path = site.root / link
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        path.symlink_to(target)
    os.mkfifo(site.root / "notebooks" / "pipe.csv")
    with contextlib.chdir(site.root / "notebooks"), socket.socket(socket.AF_UNIX) as sock:
        sock.bind("kernel.sock")  # a relative name: socket paths are limited to about 100 bytes


SKIPPED = ["notebooks/dangling.png", "notebooks/env.txt", "notebooks/folder", "notebooks/git-config.txt",
           "notebooks/kernel.sock", "notebooks/leak.md", "notebooks/loop", "notebooks/pipe.csv",
           "notebooks/relative.md", "layouts/_base.html", "layouts/static/env.css"]


def assert_no_secret(folder: Path, token: str) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_symlinks_out_of_the_site_are_never_published(site: Site, secret: str) -> None:
    hostile(site)
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for path in SKIPPED:
        assert f"{path}: warning: " in result.stderr, path
    assert "notebooks/env.txt: warning: symlink to /proc/self/environ leads outside the site folder" in result.stderr
    assert "notebooks/git-config.txt: warning: symlink to ../.git/config leads into .git" in result.stderr
    assert "notebooks/pipe.csv: warning: a named pipe, not a file: skipped" in result.stderr
    assert "notebooks/kernel.sock: warning: a socket, not a file: skipped" in result.stderr
    assert "notebooks/dangling.png: warning: broken symlink (to no-such-file.png): skipped" in result.stderr
    assert "notebooks/loop: warning: symlink to a folder that contains it (a loop)" in result.stderr
    assert_no_secret(site.output, secret)
    assert_no_secret(site.root / ".nbpress", secret)
    built = set(tree(site.output))
    assert not {"env.txt", "pipe.csv", "dangling.png", "static/env.css"} & built
    assert not any(p.startswith(("posts/leak", "posts/relative", "folder/", "loop/")) for p in built)
    feed = site.read("feed.xml")
    assert "Hello" in feed and "leak" not in feed and "relative" not in feed
    assert "Words." in site.read("posts/post/index.html")  # its layout extends the theme's _base.html instead

    # The warnings are kept by a build with nothing to do, and under --strict they are errors.
    again = site.cli("build")
    assert "nothing changed" in again.stdout and "notebooks/env.txt: warning: symlink" in again.stderr
    before = tree(site.output)
    strict = site.cli("build", "--strict")
    assert strict.returncode == 1
    assert "notebooks/env.txt: symlink to /proc/self/environ leads outside the site folder" in strict.stderr
    assert f"build failed: {len(SKIPPED)} error(s)" in strict.stderr
    assert tree(site.output) == before


def test_a_new_symlink_is_a_change_the_next_build_reports(site: Site, secret: str) -> None:
    site.post("post.md", POST.format(title="Hello", body="Words."))
    assert site.cli("build").returncode == 0
    (site.root / "notebooks/env.txt").symlink_to("/proc/self/environ")
    result = site.cli("build")
    assert result.returncode == 0 and "notebooks/env.txt: warning: symlink" in result.stderr
    assert not (site.output / "env.txt").exists()


def test_symlinks_that_stay_inside_the_site_keep_working(site: Site) -> None:
    site.write("shared/cover.png", b"\x89PNG\r\n\x1a\n")
    site.write("shared/posts/linked.md", POST.format(title="Linked post", body="From a linked folder."))
    site.write("drafts/other.md", POST.format(title="Other", body="Linked file."))
    (site.root / "notebooks/cover.png").symlink_to("../shared/cover.png")
    (site.root / "notebooks/more").symlink_to("../shared/posts")
    (site.root / "notebooks/other.md").symlink_to(site.root / "drafts/other.md")  # absolute, inside the site
    site.write("partials/_extra.html", "<footer>shared footer</footer>")
    (site.root / "layouts/_extra.html").symlink_to("../partials/_extra.html")
    base = site.root / "layouts/_base.html"
    base.write_text(base.read_text().replace("</body>", '{% include "_extra.html" %}</body>'))
    result = site.cli("build", "--site-url", "https://example.org/")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warning
    assert (site.output / "cover.png").read_bytes() == b"\x89PNG\r\n\x1a\n"
    assert "From a linked folder." in site.read("posts/linked/index.html")
    assert "Linked file." in site.read("posts/other/index.html")
    assert "shared footer" in site.read("index.html")


def launch(site: Site, stderr: Path, *args: str, idle: float | None = None) -> Server:
    """A real `nbpress serve --port 0` on the site, after its first build (`idle`: patch the idle timeout)."""
    env = dict(os.environ, PYTHONWARNINGS="error", NO_COLOR="1", PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    patch = f"import nbpress.serve.http as h\nh.Handler.timeout = {idle}\n" if idle is not None else ""
    with open(stderr, "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", f"{patch}from nbpress.cli import main\nmain()", "serve", "--site", str(site.root),
             "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=err, text=True, encoding="utf-8", env=env, cwd=site.root)
    try:
        server = Server(process, stderr)
        server.wait_build(0, timeout=20)
    except BaseException:
        process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()
        raise
    return server


# --- one ignore rule ------------------------------------------------------------------------------

# What editors, office suites, browsers, Jupyter and operating systems leave in a folder of notes.
IGNORED = [
    ".post.md.swp", ".post.md.swo", ".post.md.un~", "post.md~", "4913",  # vim
    "#post.md#", ".#post.md",  # emacs autosave, and its lock (a symlink to nowhere)
    "post.md___jb_tmp___", "post.md___jb_old___",  # JetBrains safe write
    "~$report.docx", "~WRL0001.tmp", ".~lock.report.odt#",  # Microsoft Office, LibreOffice
    ".~post.ipynb", ".ipynb_checkpoints/post-checkpoint.ipynb",  # Jupyter's atomic save and checkpoints
    "__pycache__/helpers.cpython-311.pyc", "node_modules/lib/index.js",
    ".DS_Store", "._cover.jpg", "Thumbs.db", "desktop.ini", ".directory",  # macOS, Windows, KDE
    "data.csv.part", "data.csv.crdownload", "data.csv.download", "data.zip.partial",  # downloads under way
    ".git/config", ".gitignore", ".env", "x.tmp", "x.temp", "sub/.hidden/post.md",
]
KEPT = [
    "post.md", "nb.ipynb", "script.py", "helpers.py", "cover.jpg", "data.csv", "assets/blog/x/cover.jpg",
    "notes~draft.md", "4913.md", "Makefile", "2024-01-01-dated.md", "café.md", "report.docx", "archive.tar.gz",
    "sub/second.md", "Temp/notes.md", "part/x.md",
]


def test_the_build_and_the_watcher_agree_on_every_name(site: Site) -> None:
    for rel in IGNORED + KEPT:
        path = site.root / "notebooks" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.startswith(".#"):
            path.symlink_to("user@host.1234:1700000000")
        elif rel.endswith(".md"):
            path.write_text(POST.format(title=f"Title {rel}", body="Words."))
        elif rel == "script.py":
            path.write_text("# %%\nx = 1\n")
        elif rel.endswith(".ipynb"):
            path.write_text(nb(markdown_cell("# A notebook")))
        else:
            path.write_text("data\n")
    for rel in ("4913", "_base.html~", ".#index.html", "README.md", "static/x.css.part"):
        site.write(f"layouts/{rel}", "junk")
    settings = site.settings()
    sources, assets, skipped = discover(settings)
    published = {s.path for s in sources} | {a.path for a in assets}
    layouts, _ = layout_files(settings)
    site_layouts = {p.relative_to(site.root).as_posix() for p in layouts.values() if site.root in p.parents}
    watched = set(snapshot(settings))
    assert skipped == []
    assert published == {f"notebooks/{rel}" for rel in KEPT}
    assert watched == published | site_layouts | {"nbpress.toml"}
    assert all(any(ignored(part) for part in Path(rel).parts) for rel in IGNORED)

    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    built = set(tree(site.output))
    for rel in IGNORED:
        assert rel not in built, rel
    assert {"data.csv", "cover.jpg", "Makefile", "part/x.md"} - built == {"part/x.md"}  # a post is a page
    assert {"posts/4913/index.html", "posts/x/index.html", "posts/notes-draft/index.html"} <= built


def test_the_watcher_does_not_follow_symlinks_out_of_the_site(site: Site, secret: str) -> None:
    hostile(site)
    watched = snapshot(site.settings())
    for path in SKIPPED:
        assert watched[path][1] == -1, path  # watched as a link (so adding one rebuilds), never read
    assert not any(p.startswith(("notebooks/folder/", "notebooks/loop/")) for p in watched)


def test_serve_never_serves_or_follows_them(site: Site, secret: str, tmp_path: Path) -> None:
    hostile(site)
    server = launch(site, tmp_path / "serve-stderr.txt")
    try:
        for path in ("/env.txt", "/leak/", "/posts/leak/", "/posts/relative/", "/folder/secrets.txt", "/pipe.csv",
                     "/loop/post.md", "/static/env.css", "/git-config.txt"):
            status, _, body = server.get(path)
            assert status == 404 and secret not in body, path
        for path in ("/", "/posts/post/", "/feed.xml", "/__nbpress/status"):
            status, _, body = server.get(path)
            assert status == 200 and secret not in body, path
        assert_no_secret(site.output, secret)

        # A symlink added while serving is seen (and refused) by the next build.
        build = server.status()["build"]
        (site.root / "notebooks/late.md").symlink_to("/proc/self/environ")
        assert server.wait_build(build, timeout=10)["ok"] is True
        assert server.get("/posts/late/")[0] == 404
        deadline = time.monotonic() + 5
        while not any("notebooks/late.md" in line for line in server.stderr.read_text().splitlines()):
            assert time.monotonic() < deadline, server.stderr.read_text()
            time.sleep(0.05)
    finally:
        server.stop()
    assert "Traceback" not in server.stderr.read_text()


def test_a_content_folder_that_leads_out_of_the_site_is_not_read(site: Site, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "post.md").write_text(POST.format(title="Elsewhere", body="Words."))
    (site.root / "notebooks").rmdir()
    (site.root / "notebooks").symlink_to(elsewhere)
    sources, assets, skipped = discover(site.settings())
    assert sources == assets == []
    assert [str(d) for d in skipped] == [f"notebooks: warning: symlink to {elsewhere} leads outside the site folder: "
                                         "not followed, not published"]
