"""Routing: layouts x pages -> every URL of the site, all generated statically."""

from __future__ import annotations

import datetime as dt
import posixpath
from typing import Any

import pytest
from conftest import Site

from nbpress.model import Page, Route
from nbpress.site.route import plan_routes, url_pattern
from nbpress.urls import output_file, slugify

LAYOUTS = ["_base.html", "index.html", "posts/[slug].html", "categories/[category].html", "tags/[tag].html",
           "feed.xml", "style.css"]


def page(name: str, day: int = 1, **fields: Any) -> Page:
    values: dict[str, Any] = {
        "source": f"notebooks/{name}.md", "slug": slugify(name), "title": name.title(),
        "date": dt.datetime(2024, 1, day), "excerpt": "", "body": "", "digest": name,
    }
    values.update(fields)
    return Page(**values)


def by_url(routes: list[Route]) -> dict[str, Route]:
    return {r.url: r for r in routes}


def test_posts_home_and_collections() -> None:
    pages = [page("a", 1, categories=("x",), tags=("t1", "t2")), page("b", 2, categories=("x",), tags=("t1",)),
             page("c", 3, categories=("y",))]
    routes, routed, problems = plan_routes(LAYOUTS, pages, page_size=10)
    assert problems == []
    urls = by_url(routes)
    assert set(urls) == {"/", "/posts/a/", "/posts/b/", "/posts/c/", "/categories/x/", "/categories/y/",
                         "/tags/t1/", "/tags/t2/", "/feed.xml"}
    assert urls["/posts/a/"].output == "posts/a/index.html"
    assert urls["/posts/a/"].page == "notebooks/a.md"
    assert urls["/posts/a/"].layout == "posts/[slug].html"
    assert urls["/"].pages == ("notebooks/c.md", "notebooks/b.md", "notebooks/a.md")  # newest first
    assert urls["/categories/x/"].pages == ("notebooks/b.md", "notebooks/a.md")
    assert urls["/categories/x/"].collection is not None
    assert (urls["/categories/x/"].collection.field, urls["/categories/x/"].collection.name) == ("category", "x")
    assert urls["/tags/t1/"].collection is not None and urls["/tags/t1/"].collection.field == "tag"
    assert urls["/feed.xml"].output == "feed.xml"
    assert {p.source: p.url for p in routed} == {
        "notebooks/a.md": "/posts/a/", "notebooks/b.md": "/posts/b/", "notebooks/c.md": "/posts/c/"}


def test_partials_and_static_files_are_not_routes() -> None:
    routes, _, _ = plan_routes(["_base.html", "posts/_card.html", "style.css", "index.html"], [page("a")], 10)
    assert [r.layout for r in routes] == ["index.html"]


def test_categories_paginated() -> None:
    pages = [page(f"p{i}", i, categories=("Data Science",)) for i in range(1, 6)]
    routes, _, problems = plan_routes(LAYOUTS, pages, page_size=2)
    assert problems == []
    cats = [r for r in routes if r.layout == "categories/[category].html"]
    assert [(r.url, r.output, r.page_number, r.page_count) for r in cats] == [
        ("/categories/data-science/", "categories/data-science/index.html", 1, 3),
        ("/categories/data-science/page/2/", "categories/data-science/page/2/index.html", 2, 3),
        ("/categories/data-science/page/3/", "categories/data-science/page/3/index.html", 3, 3),
    ]
    assert [r.pages for r in cats] == [("notebooks/p5.md", "notebooks/p4.md"),
                                       ("notebooks/p3.md", "notebooks/p2.md"), ("notebooks/p1.md",)]
    assert cats[0].collection is not None and cats[0].collection.name == "Data Science"
    home = [r for r in routes if r.layout == "index.html"]
    assert [r.url for r in home] == ["/", "/page/2/", "/page/3/"]


def test_home_with_no_pages_is_still_written() -> None:
    routes, _, _ = plan_routes(["index.html"], [], 10)
    assert [(r.url, r.pages) for r in routes] == [("/", ())]


def test_custom_route_over_a_front_matter_field() -> None:
    pages = [page("a", 1, meta={"series": "Intro to ML"}), page("b", 2, meta={"series": ["Intro to ML", "Stats"]}),
             page("c", 3)]
    routes, _, problems = plan_routes([*LAYOUTS, "series/[series].html", "[series].html"], pages, 10)
    assert problems == []
    urls = by_url(routes)
    assert urls["/series/intro-to-ml/"].pages == ("notebooks/b.md", "notebooks/a.md")
    assert urls["/series/stats/"].pages == ("notebooks/b.md",)
    assert urls["/intro-to-ml/"].layout == "[series].html"
    collection = urls["/series/intro-to-ml/"].collection
    assert collection is not None and (collection.field, collection.name) == ("series", "Intro to ML")


def test_layout_with_two_params_is_an_error() -> None:
    _, _, problems = plan_routes(["index.html", "[category]/[slug].html"], [page("a", categories=("x",))], 10)
    assert len(problems) == 1
    assert problems[0].path == "[category]/[slug].html"
    assert "one [parameter]" in problems[0].message


def test_same_slug_twice_names_both_files() -> None:
    pages = [page("a", 1, source="notebooks/one/post.md", slug="post"),
             page("b", 2, source="notebooks/two/post.ipynb", slug="post")]
    _, _, problems = plan_routes(LAYOUTS, pages, 10)
    assert len(problems) == 1
    text = str(problems[0])
    assert "notebooks/one/post.md" in text and "notebooks/two/post.ipynb" in text
    assert "/posts/post/" in text


def test_page_layout_from_front_matter() -> None:
    routes, _, problems = plan_routes([*LAYOUTS, "_wide.html"], [page("a", layout="wide")], 10)
    assert problems == []
    assert by_url(routes)["/posts/a/"].layout == "_wide.html"


@pytest.mark.parametrize("layout,pattern", [
    ("index.html", "/"),
    ("posts/[slug].html", "/posts/[slug]/"),
    ("categories/index.html", "/categories/"),
    ("about.html", "/about/"),
    ("404.html", "/404.html"),
    ("feed.xml", "/feed.xml"),
    ("categories/[category]/feed.xml", "/categories/[category]/feed.xml"),
])
def test_url_pattern(layout: str, pattern: str) -> None:
    assert url_pattern(layout) == pattern


UNSAFE = ["../../x", "a/b", "CON", "Data Science", "Ünïcode", "..", "/etc/passwd", "a\\b", "nul.txt", " ", "?#%"]
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def _safe_segment(segment: str) -> bool:
    return (bool(segment) and segment not in (".", "..") and "/" not in segment and "\\" not in segment
            and segment.split(".")[0].lower() not in _WINDOWS_RESERVED)


@pytest.mark.parametrize("value", UNSAFE)
def test_slugify_gives_a_safe_segment(value: str) -> None:
    assert _safe_segment(slugify(value))


def test_slugify_examples() -> None:
    assert slugify("../../x") == "x"
    assert slugify("a/b") == "a-b"
    assert slugify("Data Science") == "data-science"
    assert slugify("Ünïcode") == "ünïcode"
    assert slugify("CON").lower() != "con"


@pytest.mark.parametrize("value", UNSAFE)
def test_unsafe_values_stay_inside_the_output(value: str) -> None:
    pages = [page("a", slug=slugify(value), categories=(value,), tags=(value,), meta={"series": value})]
    routes, _, _ = plan_routes([*LAYOUTS, "series/[series].html"], pages, 10)
    assert len(routes) == 6
    for route in routes:
        assert route.output == posixpath.normpath(route.output)
        assert not route.output.startswith("/")
        assert ".." not in route.output.split("/")
        for segment in route.output.split("/"):
            assert _safe_segment(segment), route.output
        assert output_file(route.url) == route.output


CLI_UNSAFE = ["../../x", "a/b", "CON", "Data Science", "Ünïcode", "/etc/passwd", "..", "nul.txt"]


def test_unsafe_values_built_through_the_cli(site: Site) -> None:
    for i, value in enumerate(CLI_UNSAFE):
        site.post(f"p{i}.md", f'---\ntitle: "T{i}"\ndate: 2024-01-{i + 1:02d}\nslug: "{value}"\n'
                              f'category: "{value}"\ntags: ["{value}"]\nseries: "{value}"\n---\nBody.\n')
    site.write("layouts/series/[series].html", "{% for p in pages %}{{ p.title }}{% endfor %}\n")
    before = {p.relative_to(site.root).as_posix() for p in site.root.rglob("*") if p.is_file()}
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    after = {p.relative_to(site.root).as_posix() for p in site.root.rglob("*") if p.is_file()}
    new = after - before
    assert new
    assert {f.split("/")[0] for f in new} <= {"output", ".nbpress"}
    assert [p.name for p in site.root.parent.iterdir()] == ["site"]  # nothing written beside the site
    output = site.output.resolve()
    posts = set()
    for path in output.rglob("*"):
        assert output in path.resolve().parents
        rel = path.relative_to(output).as_posix()
        for segment in rel.split("/"):
            assert _safe_segment(segment), rel
        if rel.startswith("posts/") and rel.endswith("/index.html"):
            posts.add(rel)
    assert len(posts) == len(CLI_UNSAFE)  # one page each: no value was dropped or merged
    assert (output / "posts/x/index.html").is_file()
    assert (output / "posts/a-b/index.html").is_file()
    assert (output / "categories/data-science/index.html").is_file()
    assert (output / "tags/ünïcode/index.html").is_file()
    assert (output / "series/etc-passwd/index.html").is_file()
    assert not (output / "posts/con").exists() and not (output / "posts/CON").exists()


def test_slug_clash_via_cli_is_an_error(site: Site) -> None:
    site.post("one/post.md", "---\ntitle: One\n---\nBody.\n")
    site.post("two/post.md", "---\ntitle: Two\n---\nBody.\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "notebooks/one/post.md" in result.stderr and "notebooks/two/post.md" in result.stderr
    assert not site.output.exists()


def test_collection_pages_built(site: Site) -> None:
    for i in range(1, 4):
        site.post(f"science/p{i}.md", f"---\ntitle: Post {i}\ndate: 2024-01-0{i}\ntags: [Data Science]\n---\nB.\n")
    site.write("nbpress.toml", 'execute = "off"\npage_size = 2\n')
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    first = site.read("categories/science/index.html")
    second = site.read("categories/science/page/2/index.html")
    assert "Post 3" in first and "Post 2" in first and "Post 1" not in first
    assert "Post 1" in second
    assert 'href="/categories/science/page/2/"' in first
    assert "Post 3" in site.read("tags/data-science/index.html")
    assert "Post 1" in site.read("tags/data-science/page/2/index.html")
    assert 'href="/categories/science/"' in site.read("posts/p1/index.html")


def test_series_route_built(site: Site) -> None:
    site.post("a.md", "---\ntitle: Part A\nseries: Learning Rust\n---\nBody.\n")
    site.post("b.md", "---\ntitle: Part B\nseries: Learning Rust\n---\nBody.\n")
    site.write("layouts/series/[series].html",
               "<h1>{{ collection.name }}</h1>{% for p in pages %}<p>{{ p.title }}</p>{% endfor %}\n")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    html = site.read("series/learning-rust/index.html")
    assert "<h1>Learning Rust</h1>" in html
    assert "Part A" in html and "Part B" in html
