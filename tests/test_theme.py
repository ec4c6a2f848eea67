"""The built-in theme's pages as search engines and readers get them: absolute URLs from site_url,
page numbers, category names, the navigation, the archive, the 404 page with relative links."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import Site, make_site

from nbpress.config import Settings, load_settings
from nbpress.errors import SettingsError
from nbpress.site.render import missing_site_url, page_numbers

WARNING = "site_url is not set"


def theme_site(tmp_path: Path, toml: str, posts: dict[str, str]) -> Site:
    """A site on the built-in theme with Markdown posts (rel path: front matter)."""
    site = make_site(tmp_path / "site", layouts=False, toml='execute = "off"\njobs = 1\nsearch = false\n' + toml + "\n")
    for rel, front in posts.items():
        site.post(rel, f"---\n{front}\n---\nThe text of {rel}.\n")
    return site


def built(site: Site, *args: str) -> str:
    result = site.cli("build", *args)
    assert result.returncode == 0, result.stderr
    return result.stderr


POSTS = {
    "guides/one.md": "title: One\ndate: 2024-01-05\ntags: [python]\ncoverImage: /img/c.png",
    "guides/two.md": "title: Two\ndate: 2023-03-01\ntags: [python, tips]",
}


def test_site_url_makes_canonical_social_cards_sitemap_and_robots_absolute(tmp_path: Path) -> None:
    site = theme_site(tmp_path, 'title = "T"\nbase_url = "/repo/"\nsite_url = "https://me.github.io"', POSTS)
    site.post("img/c.png", b"\x89PNG\r\n\x1a\n")
    assert WARNING not in built(site)
    one = site.read("posts/one/index.html")
    root = "https://me.github.io/repo/"
    assert f'<link rel="canonical" href="{root}posts/one/">' in one
    assert f'<meta property="og:url" content="{root}posts/one/">' in one
    assert f'<meta property="og:image" content="{root}img/c.png">' in one
    article = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', one, re.S).group(1))
    assert article["@type"] == "BlogPosting" and article["url"] == f"{root}posts/one/"
    assert article["image"] == f"{root}img/c.png" and article["datePublished"].startswith("2024-01-05")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text or "" for e in ET.parse(site.output / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    assert locs and all(loc.startswith(root) for loc in locs)
    assert {root, f"{root}archive/", f"{root}tags/", f"{root}posts/one/"} <= set(locs)
    assert f"Sitemap: {root}sitemap.xml" in site.read("robots.txt")


@pytest.mark.parametrize("base_url", ["/", "/repo/", "./"])
def test_without_the_address_no_relative_canonical_and_one_warning(tmp_path: Path, base_url: str) -> None:
    site = theme_site(tmp_path, f'title = "T"\nbase_url = "{base_url}"', POSTS)
    site.post("img/c.png", b"\x89PNG\r\n\x1a\n")
    stderr = built(site)
    served = base_url != "./"  # relative links: a site to read from the disk, where no address is wanted
    assert stderr.count(WARNING) == served and ("nbpress.toml" in stderr) == served
    one = site.read("posts/one/index.html")
    assert 'rel="canonical"' not in one and "og:url" not in one and "og:image" not in one
    assert '"url"' not in one  # nor in the structured data
    assert "Sitemap:" not in site.read("robots.txt")
    assert "set site_url" in site.read("sitemap.xml")
    assert (WARNING in built(site)) == served  # an unchanged rebuild still says so
    assert WARNING not in built(site, "--base-url", "https://example.org/blog/")  # an absolute base_url is one


def test_missing_site_url_is_a_warning_only_without_an_address(tmp_path: Path) -> None:
    assert missing_site_url(Settings(tmp_path, base_url="https://x.org/")) is None
    assert missing_site_url(Settings(tmp_path, base_url="./", site_url="https://x.org/blog/")) is None
    assert missing_site_url(Settings(tmp_path, base_url="./")) is None  # read from the disk
    warning = missing_site_url(Settings(tmp_path, settings_file="pyproject.toml"))
    assert warning is not None and warning.severity == "warning" and warning.path == "pyproject.toml"


@pytest.mark.parametrize(("number", "count", "expected"), [
    (1, 1, [1]),
    (1, 100, [1, 2, 3, None, 100]),
    (50, 100, [1, None, 48, 49, 50, 51, 52, None, 100]),
    (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),  # a gap of one page shows that page
    (4, 7, [1, 2, 3, 4, 5, 6, 7]),
])
def test_page_numbers(number: int, count: int, expected: list[int | None]) -> None:
    assert page_numbers(number, count) == expected


def test_pagination_links_pages_by_number(tmp_path: Path) -> None:
    posts = {f"p/post{i:02}.md": f"title: Post {i}\ndate: 2024-01-{i:02}" for i in range(1, 26)}
    site = theme_site(tmp_path, 'title = "T"\npage_size = 2', posts)
    built(site)
    seventh = site.read("page/7/index.html")
    nav = seventh[seventh.index('class="pagination"'):]
    numbers = re.findall(r'class="pagination-number" href="([^"]+)"[^>]*>(\d+)</a>', nav)
    assert [n for _, n in numbers] == ["1", "5", "6", "7", "8", "9", "13"]
    assert ("/", "1") in numbers and ("/page/13/", "13") in numbers
    assert 'aria-current="page" aria-label="Page 7 of 13">7</a>' in nav
    assert 'rel="prev" href="/page/6/"' in nav and 'rel="next" href="/page/8/"' in nav
    assert nav.count("…") == 4  # a gap each side, and the phone's own gaps
    first = site.read("index.html")
    assert 'rel="prev"' not in first and 'rel="next" href="/page/2/"' in first


def test_category_names_from_settings_and_front_matter(tmp_path: Path) -> None:
    posts = {
        "nextjs/a.md": "title: A\ndate: 2024-01-01",  # the folder: Nextjs, unless the settings say
        "ml/b.md": "title: B\ndate: 2024-01-02",
        "ml/c.md": "title: C\ndate: 2024-01-03\ncategories: [ML, Notes]",  # the spelling front matter gives
        "notes/d.md": "title: D\ndate: 2024-01-04\ncategories: [notes]",  # all lower case says nothing
    }
    site = theme_site(tmp_path, 'title = "T"\n\n[categories]\nnextjs = "Next.js"\n', posts)
    built(site)
    index = site.read("categories/index.html")
    assert re.findall(r'class="category-name"><a href="[^"]+">([^<]+)</a>', index) == ["ML", "Next.js", "Notes"]
    assert (site.output / "categories" / "next-js" / "index.html").is_file()  # the URL follows the name
    assert ">Next.js</a>" in site.read("posts/a/index.html")
    ml = site.read("categories/ml/index.html")
    cards = ml[ml.index('class="card-grid"'):]
    assert ">ML</a>" not in cards  # a category page does not label each card with itself
    assert ">Notes</a>" in cards


def test_category_display_names_are_checked(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "nbpress.toml").write_text('title = "T"\n\n[categories]\nnextjs = 3\n')
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path)
    assert "nbpress.toml:3: setting 'categories' must be a table of display names" in str(info.value)
    (tmp_path / "nbpress.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.nbpress]\ntitle = "T"\n[tool.nbpress.categories]\nml = "ML"\n')
    settings, warnings = load_settings(tmp_path)
    assert settings.categories == (("ml", "ML"),) and warnings == []


def test_tags_have_their_page_and_their_place_in_the_menu(tmp_path: Path) -> None:
    site = theme_site(tmp_path, 'title = "T"', POSTS)
    built(site)
    tag = site.read("tags/python/index.html")
    assert re.search(r'href="/tags/" aria-current="page">Tags</a>', tag)
    assert not re.search(r'href="/categories/" aria-current', tag)
    tags = site.read("tags/index.html")
    assert 'href="/tags/python/">#python <span class="count">2 posts</span>' in tags
    category = site.read("categories/guides/index.html")
    assert re.search(r'href="/categories/" aria-current="page">Categories</a>', category)


def test_archive_counts_since_the_oldest_year(tmp_path: Path) -> None:
    site = theme_site(tmp_path, 'title = "T"', POSTS)
    built(site)
    assert "2 posts since 2023." in site.read("archive/index.html")


def test_404_resolves_relative_links_from_the_root(tmp_path: Path) -> None:
    site = theme_site(tmp_path, 'title = "T"\nbase_url = "./"', POSTS)
    built(site)
    page = site.read("404.html")
    assert 'href="static/nbpress.css"' in page  # relative, as on every page (it opens from disk too)
    assert page.index('<base href="/">') < page.index("nbpress.css")  # served at /any/depth/: from the root
    toml = site.root / "nbpress.toml"
    toml.write_text('site_url = "https://me.github.io/blog/"\n' + toml.read_text())
    built(site)
    assert '<base href="/blog/">' in site.read("404.html")
    built(site, "--base-url", "/blog/")
    assert "<base" not in site.read("404.html") and 'href="/blog/static/nbpress.css"' in site.read("404.html")
