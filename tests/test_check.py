"""nbpress check: real sites built by the real command pass; planted problems are each named with page and link."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import PNG_B64, SEED_POST, code, display, markdown_cell, md, nb

from nbpress.check import check_site, html_files, parse_html

REPO = Path(__file__).resolve().parent.parent
DEMO_URL = "https://example.github.io/repo/"

LINKED = md("""
    ---
    title: Linked post
    excerpt: A post that links to the seed post, to itself and to an image.
    date: 2024-01-02
    tags: [links]
    ---
    See [the seed post](/posts/seed-post/) and [how it works](/posts/seed-post/#how-it-works),
    [the details below](#details) and [the top](#top).

    ![A headshot](/assets/blog/headshot.jpeg)

    ## Details

    Elsewhere: [an external page](https://example.org/a?b=1#c), [mail](mailto:someone@example.org).
    """)


def _write_small_site(root: Path, base_url: str) -> None:
    """A small site on the built-in theme: the seed post, a linking post and a notebook with an image output."""
    (root / "notebooks" / "nextjs").mkdir(parents=True)
    (root / "nbpress.toml").write_text(f'title = "Small"\ndescription = "A small site."\nbase_url = "{base_url}"\n'
                                       'execute = "off"\njobs = 1\n', encoding="utf-8")
    shutil.copy(SEED_POST, root / "notebooks" / "nextjs" / "seed-post.md")
    (root / "notebooks" / "tutorials").mkdir()
    (root / "notebooks" / "tutorials" / "linked.md").write_text(LINKED, encoding="utf-8")
    (root / "notebooks" / "tutorials" / "plot.ipynb").write_text(nb(
        markdown_cell("# A plot\n\nA notebook whose output is an image.\n\n## The picture"),
        code("plot()", outputs=[display({"image/png": PNG_B64, "text/plain": "<Figure>"})], execution_count=1),
    ), encoding="utf-8")
    images = root / "notebooks" / "assets" / "blog"
    (images / "dynamic-routing").mkdir(parents=True)
    (images / "dynamic-routing" / "cover.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    (images / "headshot.jpeg").write_bytes(b"\xff\xd8\xff\xd9")


def _nbpress(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONWARNINGS="error", NO_COLOR="1")
    return subprocess.Popen([sys.executable, "-m", "nbpress", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=cwd)


def check(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`nbpress check --site site ...` in a subprocess."""
    process = _nbpress("check", "--site", str(site), *args, cwd=site)
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every site built at once, each in its own folder, by the real `nbpress build` (execution off)."""
    root = tmp_path_factory.mktemp("check")
    sites: dict[str, Path] = {}
    builds = []
    for name, base_url in (("root", "/"), ("base", "/some/base/"), ("relative", "./")):
        sites[name] = root / name
        _write_small_site(sites[name], base_url)
        builds.append(_nbpress("build", "--site", str(sites[name]), "--execute", "off", cwd=root))
    for name, extra in (("demo", ()), ("demo-url", ("--base-url", DEMO_URL)), ("demo-repo", ("--base-url", "/repo/"))):
        sites[name] = root / name
        sites[name].mkdir()
        for folder in ("notebooks", "layouts"):
            shutil.copytree(REPO / folder, sites[name] / folder)
        shutil.copy(REPO / "nbpress.toml", sites[name] / "nbpress.toml")
        builds.append(_nbpress("build", "--site", str(sites[name]), "--execute", "off", *extra, cwd=root))
    for process in builds:
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
    return sites


# --- real sites pass -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["root", "base", "relative"])
def test_built_site_passes(sites: dict[str, Path], name: str) -> None:
    result = check(sites[name])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    pages = len(html_files(sites[name] / "output"))
    assert pages > 5
    plot = parse_html((sites[name] / "output" / "posts" / "plot" / "index.html").read_text(encoding="utf-8"))
    assert any(ref.kind == "image" and ref.url.endswith(".png") for ref in plot.refs)  # the notebook's output
    assert result.stdout.strip() == f"checked {pages} pages: 0 problems"


@pytest.mark.parametrize("name,extra", [("demo", ()), ("demo-url", ("--base-url", DEMO_URL))])
def test_demo_site_passes(sites: dict[str, Path], name: str, extra: tuple[str, ...]) -> None:
    result = check(sites[name], *extra)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert re.fullmatch(r"checked \d+ pages: 0 problems\n", result.stdout)


def test_check_uses_the_base_url_the_site_was_built_with(sites: dict[str, Path]) -> None:
    """Built with --base-url /repo/ (a GitHub project site), checked with plain `nbpress check`."""
    result = check(sites["demo-repo"])
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"checked \d+ pages: 0 problems\n", result.stdout)
    assert check(sites["demo-repo"], "--base-url", "/").returncode == 1  # told otherwise, it is believed


def test_check_site_in_process_reads_demo_absolute_urls(sites: dict[str, Path], tmp_path: Path) -> None:
    """Built for an absolute base_url, canonical and og:image URLs are the site's own, and are checked."""
    output = tmp_path / "output"
    shutil.copytree(sites["demo-url"] / "output", output)
    page = parse_html((output / "posts" / "sine-waves" / "index.html").read_text(encoding="utf-8"))
    assert any(ref.url.startswith(DEMO_URL) for ref in page.refs)
    (output / "assets" / "blog" / "sine-waves" / "cover.jpg").unlink()
    problems = [str(p) for p in check_site(output, DEMO_URL) if "in feed" not in p.message]
    assert f"posts/sine-waves/index.html:{_line(output, 'posts/sine-waves/index.html', 'og:image')}: missing image " \
           f"{DEMO_URL}assets/blog/sine-waves/cover.jpg (no file at assets/blog/sine-waves/cover.jpg)" in problems


def _line(output: Path, rel: str, needle: str) -> int:
    lines = (output / rel).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_no_built_site(sites: dict[str, Path], tmp_path: Path) -> None:
    result = check(sites["root"], "--output", str(tmp_path / "nothing"))
    assert result.returncode == 1
    assert "no built site at" in result.stderr and "run nbpress build first" in result.stderr
    assert "Traceback" not in result.stderr


# --- planted problems ------------------------------------------------------------------------------


def _plant(output: Path, rel: str, html: str) -> None:
    path = output / rel
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("</body>", html + "\n</body>", 1), encoding="utf-8")


def test_planted_problems_are_named_with_page_and_link(sites: dict[str, Path], tmp_path: Path) -> None:
    shutil.copy(sites["base"] / "nbpress.toml", tmp_path / "nbpress.toml")  # tmp_path: the site, its base_url
    (tmp_path / "notebooks").mkdir()
    output = tmp_path / "planted"
    shutil.copytree(sites["base"] / "output", output)
    _plant(output, "posts/linked/index.html", '<a href="/some/base/posts/missing/">gone</a>')
    _plant(output, "posts/plot/index.html", '<a href="/some/base/posts/seed-post/#nowhere">nowhere</a>')
    _plant(output, "posts/seed-post/index.html", '<img src="/some/base/assets/missing.png" alt="">')
    _plant(output, "categories/index.html", '<script src="../static/missing.js"></script>')
    _plant(output, "index.html", '<a href="/elsewhere/">outside</a>')
    untitled = output / "tags" / "links" / "index.html"
    untitled.write_text(re.sub(r"<title>.*?</title>", "", untitled.read_text(encoding="utf-8"), flags=re.S),
                        encoding="utf-8")
    (output / "feed.xml").write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>x', encoding="utf-8")

    result = check(tmp_path, "--output", str(output))
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()

    def reported(rel: str, message: str, line: str | None = None) -> None:
        where = f"{rel}:{_line(output, rel, line)}" if line else rel
        assert f"{where}: {message}" in lines, "\n".join(lines)

    reported("posts/linked/index.html", "broken link /some/base/posts/missing/ (no page at posts/missing/index.html)",
             "/posts/missing/")
    reported("posts/plot/index.html",
             "broken anchor /some/base/posts/seed-post/#nowhere (no id 'nowhere' in posts/seed-post/index.html)",
             "#nowhere")
    reported("posts/seed-post/index.html",
             "missing image /some/base/assets/missing.png (no file at assets/missing.png)", "missing.png")
    reported("categories/index.html", "missing script ../static/missing.js (no file at static/missing.js)",
             "missing.js")
    reported("index.html", "broken link /elsewhere/ (outside the site's base path /some/base/)", "/elsewhere/")
    reported("tags/links/index.html", "page has no <title>")
    assert any(line.startswith("feed.xml:1: invalid feed: ") for line in lines), lines
    assert lines[-1] == f"Error: checked {len(html_files(output))} pages: {len(lines) - 1} problems"
    assert len(lines) - 1 == 7, lines


def test_planted_problems_in_a_relative_site(sites: dict[str, Path], tmp_path: Path) -> None:
    output = tmp_path / "output"
    shutil.copytree(sites["relative"] / "output", output)
    _plant(output, "posts/linked/index.html", '<a href="../missing/index.html">gone</a>')
    _plant(output, "posts/plot/index.html", '<a href="../linked/index.html#nowhere">nowhere</a>')
    _plant(output, "index.html", '<img src="assets/blog/missing.jpeg" alt="">')
    result = check(sites["relative"], "--output", str(output))
    assert result.returncode == 1
    assert "posts/linked/index.html:" in result.stderr
    assert ": broken link ../missing/index.html (no page at posts/missing/index.html)\n" in result.stderr
    assert ": broken anchor ../linked/index.html#nowhere (no id 'nowhere' in posts/linked/index.html)\n" \
        in result.stderr
    assert ": missing image assets/blog/missing.jpeg (no file at assets/blog/missing.jpeg)\n" in result.stderr


def test_warnings_alone_pass(sites: dict[str, Path], tmp_path: Path) -> None:
    output = tmp_path / "output"
    shutil.copytree(sites["root"] / "output", output)
    page = output / "posts" / "linked" / "index.html"
    page.write_text(re.sub(r'<meta name="description"[^>]*>', "", page.read_text(encoding="utf-8")),
                    encoding="utf-8")
    result = check(sites["root"], "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "posts/linked/index.html: warning: page has no meta description\n"
    assert result.stdout.endswith(": 1 problem\n")


# --- the tokenizer reads what html.parser reads ----------------------------------------------------


class _Reference(HTMLParser):
    """What the stdlib parser finds: ids, <a name>s, URLs in the attributes check_site reads, the <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: set[str] = set()
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in reversed(attrs)}
        if "id" in found:
            self.ids.add(found["id"])
        if tag == "a" and found.get("name"):
            self.ids.add(found["name"])
        url_attrs = {"a": ["href"], "link": ["href"], "img": ["src", "srcset"], "script": ["src"],
                     "source": ["src", "srcset"], "video": ["src", "poster"], "iframe": ["src"]}.get(tag, [])
        for attr in url_attrs:
            if attr == "srcset":
                self.urls.update(part.split()[0] for part in found.get(attr, "").split(",") if part.strip())
            elif attr in found:
                self.urls.add(found[attr])
        if tag == "title" and self.title is None:
            self._in_title, self.title = True, ""

    def handle_endtag(self, tag: str) -> None:
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data


def test_tokenizer_agrees_with_html_parser_on_built_pages(sites: dict[str, Path]) -> None:
    checked = 0
    for name in ("base", "demo"):
        output = sites[name] / "output"
        for rel in html_files(output):
            text = (output / rel).read_text(encoding="utf-8")
            reference = _Reference()
            reference.feed(text)
            reference.close()
            page = parse_html(text)
            assert page.ids == reference.ids, rel
            assert {ref.url for ref in page.refs if not ref.meta} == reference.urls, rel
            assert page.title == (reference.title.strip() if reference.title is not None else None), rel
            checked += 1
    assert checked > 30


# --- rules, on small hand-written sites ------------------------------------------------------------


def _doc(body: str, head: str = "", title: str = "T") -> str:
    return (f'<!doctype html><html><head><title>{title}</title><meta name="description" content="d">{head}</head>'
            f"<body>{body}</body></html>\n")


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _messages(root: Path, base_url: str) -> list[str]:
    return [str(p) for p in check_site(root, base_url)]


def test_parse_html_ignores_comments_and_raw_text() -> None:
    page = parse_html(
        '<html><head><title>A &amp; B</title></head><body>\n'
        '<!-- <a href="commented.html" id="c"> -->\n'
        '<script type="application/json">{"html": "<a href=\'json.html\' id=\'j\'>"}</script>\n'
        '<script src="s.js"></script><style>a { background: url(x.png) } <img src="css.png"></style>\n'
        '<textarea><a href="typed.html"></textarea>\n'
        '<A HREF="Upper.html" ID="Up">x</A> <a name="old-anchor"></a> <p data-id="no" id=\'yes\'>grid=1 id = 2</p>\n'
        '<img srcset="a.png 1x, b.png 2x" src="a.png" alt="x>y"> <svg><title>icon</title></svg>\n'
        '</body></html>')
    assert page.title == "A & B"
    assert page.ids == {"Up", "old-anchor", "yes"}
    assert [(ref.kind, ref.url, ref.line) for ref in page.refs] == [
        ("script", "s.js", 4), ("link", "Upper.html", 6), ("image", "a.png", 7), ("image", "b.png", 7)]


def test_link_resolution(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "index.html": _doc(
            '<a href="posts/a/">a</a> <a href="posts/a">a, served as posts/a/</a> <a href="posts/a/index.html?x=1">'
            '</a> <a href="posts/caf%C3%A9/">café</a> <a href="#top">top</a> <a href="#here" id="here"></a>'
            ' <a href="http://example.org/missing/">other site</a> <a href="mailto:x@example.org"></a>'
            ' <a href="javascript:void(0)"></a> <img src="data:image/png;base64,AAAA">'
            ' <a href="https://me.github.io/other-repo/">another project</a>'
            ' <a href="https://me.github.io/repo/posts/a/#s">own absolute</a>'
            ' <a href="/repo">base path without slash</a>'),
        "posts/a/index.html": _doc('<h2 id="s">S</h2><a href="../../">home</a> <a href="../../../x/">out</a>'
                                   ' <a href="../b/#gone">b</a> <a href="/repo/posts/a/#s">self</a>'),
        "posts/b/index.html": _doc("<p>b</p>"),
        "posts/café/index.html": _doc("<p>café</p>"),
    })
    assert _messages(root, "https://me.github.io/repo/") == [
        "posts/a/index.html:1: broken link ../../../x/ (outside the site)",
        "posts/a/index.html:1: broken anchor ../b/#gone (no id 'gone' in posts/b/index.html)",
    ]


def test_relative_mode_warns_about_what_breaks_from_disk(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "index.html": _doc('<a href="posts/a/">folder</a> <a href="/posts/a/index.html">root</a>'
                           ' <a href="posts/a/index.html">fine</a>'),
        "posts/a/index.html": _doc("<p>a</p>"),
    })
    assert _messages(root, "./") == [
        "index.html:1: warning: link posts/a/ leads to a folder: opened from disk it shows a file listing, "
        "not posts/a/index.html",
        "index.html:1: warning: root-relative link /posts/a/index.html does not work when the site is opened "
        "from disk (it is built with relative links)",
    ]
    assert _messages(root, "/") == []


def test_404_page_is_read_from_the_site_root(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "404.html": _doc('<a href="/repo/">home</a> <a href="static/x.css">relative</a> <a href="/repo/nope/">x</a>'),
        "index.html": _doc("<p>home</p>"),
        "static/x.css": "",
    })
    assert _messages(root, "/repo/") == [
        "404.html:1: warning: relative link static/x.css in 404.html breaks when it is served at a nested URL "
        "(GitHub Pages serves it for every missing page)",
        "404.html:1: broken link /repo/nope/ (no page at nope/index.html)",
    ]


def test_titles_descriptions_and_what_is_not_a_page(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "index.html": "<html><head></head><body></body></html>",
        "a/index.html": _doc("", title="  "),
        "b/index.html": "<html><head><title>B</title></head><body></body></html>",
        "assets/figure.html": "<html><body>an exported figure, no title</body></html>",
        "static/vendor/widgets/demo.html": '<a href="missing.html">vendored: not checked</a>',
        "pagefind/x.html": '<img src="missing.png">',
    })
    assert _messages(root, "/") == [
        "index.html: page has no <title>",
        "index.html: warning: page has no meta description",
        "a/index.html: page has an empty <title>",
        "b/index.html: warning: page has no meta description",
    ]


def test_feeds_and_sitemap(tmp_path: Path) -> None:
    atom = ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            '<id>tag:x,2024:/</id><updated>2024-01-01T00:00:00Z</updated>'
            '<link rel="self" href="https://me.github.io/repo/feed.xml"/>'
            '<entry><title>a</title><id>tag:x,2024:/a</id><updated>2024-01-01T00:00:00Z</updated>'
            '<link href="https://me.github.io/repo/posts/a/"/>'
            '<content type="html">&lt;img src="https://me.github.io/repo/missing.png"&gt;</content></entry></feed>\n')
    rss = ('<?xml version="1.0"?>\n<rss version="2.0"><channel><title>t</title><link>https://me.github.io/repo/</link>'
           '<description>d</description><item><title>x</title><link>https://me.github.io/repo/posts/gone/</link>'
           '</item></channel></rss>\n')
    sitemap = ('<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               '<url><loc>https://me.github.io/repo/</loc></url><url><loc>https://me.github.io/repo/gone/</loc></url>'
               '<url><loc>https://elsewhere.org/</loc></url></urlset>\n')
    root = _tree(tmp_path, {"index.html": _doc(""), "posts/a/index.html": _doc(""), "feed.xml": atom,
                            "rss.xml": rss, "sitemap.xml": sitemap, "data.xml": "<data><broken>"})
    assert _messages(root, "https://me.github.io/repo/") == [
        "feed.xml: missing image https://me.github.io/repo/missing.png in feed (no file at missing.png)",
        "rss.xml: broken link https://me.github.io/repo/posts/gone/ in feed (no page at posts/gone/index.html)",
        "sitemap.xml: sitemap lists https://me.github.io/repo/gone/ (no page at gone/index.html)",
    ]
    (root / "rss.xml").write_text(rss.replace("</channel>", ""), encoding="utf-8")
    rss_problems = [m for m in _messages(root, "https://me.github.io/repo/") if m.startswith("rss.xml")]
    assert len(rss_problems) == 1, rss_problems
    assert rss_problems[0].startswith("rss.xml:2: invalid feed: mismatched tag")


def test_strict_build_checks_the_site_before_replacing_the_old_one(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    post = tmp_path / "notebooks" / "s.md"
    post.write_text("---\ntitle: S\ndate: 2024-01-01\n---\nFine.\n")
    cmd = [sys.executable, "-m", "nbpress", "build", "--site", str(tmp_path), "--execute", "off"]
    assert subprocess.run(cmd, capture_output=True, text=True, check=False).returncode == 0
    before = (tmp_path / "output" / "posts" / "s" / "index.html").read_bytes()
    post.write_text("---\ntitle: S\ndate: 2024-01-01\n---\n[gone](/posts/gone/) [here](#nowhere)\n")
    strict = subprocess.run([*cmd, "--strict"], capture_output=True, text=True, check=False)
    assert strict.returncode == 1
    assert "output/posts/s/index.html" in strict.stderr and "broken link /posts/gone/" in strict.stderr
    assert "broken anchor #nowhere" in strict.stderr and "Traceback" not in strict.stderr
    assert (tmp_path / "output" / "posts" / "s" / "index.html").read_bytes() == before
