"""Render: layouts get every link built from base_url, and front matter escaped."""

from __future__ import annotations

import re

import pytest
from conftest import PNG_B64, Site, code, display, markdown_cell, nb, raw

from nbpress.urls import absolute, base_path, link

ATTR = re.compile(r"""\s(?:href|src|poster|action)\s*=\s*(["'])(.*?)\1""", re.IGNORECASE)


def links_site(site: Site) -> None:
    """Posts that link in every way a post can: Markdown, raw HTML, images, notebook outputs, covers."""
    site.post("assets/cover.jpg", b"\xff\xd8\xff jpeg")
    site.post("assets/ada.png", b"png")
    site.post("guides/one.md", """\
---
title: One
date: 2024-01-01
coverImage: /assets/cover.jpg
author: {name: Ada, picture: /assets/ada.png}
tags: [a tag]
---
See [two](../guides/two.md), [home](/), [nb](../lab/plots.ipynb#results), [abs](/guides/one.md),
[ext](https://example.com/x), [frag](#top), ![cover](../assets/cover.jpg), ![rel](img.png).

<a href="/assets/cover.jpg">raw html link</a> <img src="/assets/ada.png"> <a href="//cdn.example.com/x.js">cdn</a>
""")
    site.post("guides/img.png", b"png")
    site.post("guides/two.md", "---\ntitle: Two\ndate: 2024-01-02\n---\nBack to [one](one.md).\n")
    site.post("lab/plots.ipynb", nb(
        raw("---\ntitle: Plots\ndate: 2024-01-03\n---"),
        markdown_cell("## Results\n\nSee [one](../guides/one.md) and ![pic](attachment:pic.png)",
                      attachments={"pic.png": {"image/png": PNG_B64}}),
        code("plot()", outputs=[display({"image/png": PNG_B64, "text/plain": "<Figure>"})]),
        code("HTML()", outputs=[display({"text/html": '<a href="/guides/two.md">html output link</a>',
                                         "text/plain": "<HTML>"})]),
    ))


def root_relative_links(site: Site) -> list[tuple[str, str]]:
    found = []
    for path in sorted(site.output.rglob("*")):
        if path.suffix not in (".html", ".xml", ".txt", ".json", ".svg"):
            continue
        text = path.read_text(encoding="utf-8")
        for _, value in ATTR.findall(text):
            if value.startswith("/") and not value.startswith("//"):
                found.append((path.relative_to(site.output).as_posix(), value))
    return found


@pytest.mark.parametrize("base_url", ["/repo/", "https://example.org/repo/", "/repo"])
def test_every_root_link_is_under_base_url(site: Site, base_url: str) -> None:
    links_site(site)
    result = site.cli("build", "--base-url", base_url)
    assert result.returncode == 0, result.stderr
    links = root_relative_links(site)
    assert len(links) > 20
    bad = [(f, v) for f, v in links if not v.startswith("/repo/")]
    assert bad == []
    one = site.read("posts/one/index.html")
    assert 'href="/repo/posts/two/"' in one
    assert 'href="/repo/posts/plots/#results"' in one
    assert 'src="/repo/assets/cover.jpg"' in one
    assert 'src="/repo/guides/img.png"' in one
    assert 'href="//cdn.example.com/x.js"' in one
    assert 'href="https://example.com/x"' in one
    assert 'href="#top"' in one
    plots = site.read("posts/plots/index.html")
    assert 'href="/repo/posts/two/"' in plots  # a link inside an HTML output
    assert 'href="/repo/posts/one/"' in plots


def test_default_base_url_links_from_root(site: Site) -> None:
    links_site(site)
    assert site.cli("build").returncode == 0
    one = site.read("posts/one/index.html")
    assert 'href="/posts/two/"' in one
    assert 'src="/assets/cover.jpg"' in one


@pytest.mark.parametrize("base_url", ["./"])
def test_relative_base_url_has_no_root_links(site: Site, base_url: str) -> None:
    links_site(site)
    result = site.cli("build", "--base-url", base_url)
    assert result.returncode == 0, result.stderr
    assert root_relative_links(site) == []
    one = site.read("posts/one/index.html")
    assert 'href="../two/index.html"' in one
    assert 'src="../../assets/cover.jpg"' in one


def test_image_outputs_resolve_beside_their_page(site: Site) -> None:
    links_site(site)
    assert site.cli("build", "--base-url", "/repo/").returncode == 0
    plots = site.read("posts/plots/index.html")
    for src in re.findall(r'<img src="([^"]+)"', plots):
        if "://" in src:
            continue
        target = src[len("/repo/"):] if src.startswith("/repo/") else "posts/plots/" + src
        assert (site.output / target).is_file(), src


@pytest.mark.parametrize("target,current,base_url,expected", [
    ("/posts/a/", "/", "/", "/posts/a/"),
    ("/posts/a/", "/", "/repo/", "/repo/posts/a/"),
    ("/posts/a/", "/", "https://example.org/repo/", "/repo/posts/a/"),
    ("/tags/ünïcode/", "/", "/", "/tags/%C3%BCn%C3%AFcode/"),
    ("https://x.org/", "/", "/repo/", "https://x.org/"),
    ("/posts/a/", "/posts/b/", "./", "../a/index.html"),
    ("/", "/posts/b/", "./", "../../index.html"),
])
def test_link(target: str, current: str, base_url: str, expected: str) -> None:
    assert link(target, current, base_url) == expected


def test_absolute_and_base_path() -> None:
    assert absolute("/posts/a/", "https://example.org/repo/") == "https://example.org/repo/posts/a/"
    assert absolute("/posts/a/", "/repo/") == "/repo/posts/a/"
    assert base_path("https://example.org/repo") == "/repo/"
    assert base_path("/") == "/"


@pytest.mark.parametrize(("base_url", "site_url", "expected"), [
    ("/repo/", "https://user.github.io", "https://user.github.io/repo/posts/a/"),  # a host: under base_url
    ("/repo/", "https://user.github.io/repo/", "https://user.github.io/repo/posts/a/"),
    ("./", "https://example.org/blog", "https://example.org/blog/posts/a/"),  # relative links, absolute feeds
    ("https://example.org/x/", "", "https://example.org/x/posts/a/"),  # an absolute base_url is the address
    ("/", "", "/posts/a/"),  # no address known: a path
])
def test_site_url_makes_absolute_urls(base_url: str, site_url: str, expected: str) -> None:
    assert absolute("/posts/a/", base_url, site_url) == expected


XSS = "<script>alert(1)</script>"


def test_front_matter_is_escaped(site: Site) -> None:
    site.write("nbpress.toml", f'execute = "off"\ntitle = "{XSS}"\ndescription = "{XSS}"\nauthor = "{XSS}"\n')
    site.post("post.md", f"""\
---
title: '{XSS}'
excerpt: '{XSS}'
author: {{name: '{XSS}', picture: '/x.png"onerror="alert(1)'}}
category: '{XSS}'
tags: ['{XSS}']
series: '{XSS}'
coverImage: '/c.png" onerror="alert(1)'
---
Body.
""")
    site.post("nb.ipynb", nb(raw(f"---\ntitle: '{XSS}'\nslug: nb\n---"), markdown_cell("Text.")))
    site.write("layouts/series/[series].html",
               "<h1>{{ collection.name }}</h1>{% for p in pages %}{{ p.title }} {{ p.author.name }}"
               "<img src=\"{{ url(p.author.picture) }}\">{% endfor %}\n")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    outputs = [p for p in site.output.rglob("*") if p.is_file() and p.suffix in (".html", ".xml", ".json", ".txt")]
    assert outputs
    for path in outputs:
        text = path.read_text(encoding="utf-8")
        assert "<script>alert(1)" not in text, path
        assert 'onerror="alert(1)"' not in text, path
    html = site.read("posts/post/index.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
