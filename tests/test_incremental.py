"""An incremental build gives exactly what a fresh build of the same sources gives, byte for byte."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import Site, make_site, tree

FRESH_INPUTS = ("notebooks", "layouts", "nbpress.toml")


def fresh_tree(site: Site, tmp: Path) -> dict[str, str]:
    """The sources copied to a new folder (no output/, no .nbpress/) and built there."""
    clean = tmp / "fresh"
    shutil.rmtree(clean, ignore_errors=True)
    clean.mkdir()
    for name in FRESH_INPUTS:
        source = site.root / name
        if source.is_dir():
            shutil.copytree(source, clean / name, copy_function=shutil.copy2)
        elif source.exists():
            shutil.copy2(source, clean / name)
    Site(clean).build()
    return tree(clean / "output")


def assert_same_as_fresh(site: Site, tmp: Path) -> None:
    site.build()
    incremental = tree(site.output)
    fresh = fresh_tree(site, tmp)
    assert incremental.keys() == fresh.keys(), (incremental.keys() ^ fresh.keys())
    differ = [p for p in incremental if incremental[p] != fresh[p]]
    assert not differ, differ


def edit(path: Path, text: str) -> None:
    """Rewrite a file and make sure its mtime moves on, even on coarse clocks."""
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if old:
        os.utime(path, ns=(old + 2_000_000_000, old + 2_000_000_000))


def post(title: str, date: str, extra: str = "", body: str = "Body.") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n{body}\n"


@pytest.fixture
def blog(tmp_path: Path) -> Site:
    site = make_site(tmp_path / "site")
    site.post("x/a.md", post("Alpha", "2024-01-01", "tags: [t, u]\n"))
    site.post("x/b.md", post("Beta", "2024-01-02", "tags: [t]\n"))
    site.post("y/c.md", post("Gamma", "2024-01-03", "tags: [u]\n", "See [alpha](../x/a.md)."))
    site.post("y/d.md", post("Delta", "2024-01-04", "tags: [t, u]\n"))
    site.build()
    return site


def test_a_layout_that_lists_a_collection_sees_a_retitled_post(blog: Site, tmp_path: Path) -> None:
    # pages_of() is part of the layout context: every post page here shows its category's posts.
    edit(blog.root / "layouts/posts/[slug].html",
         '{% extends "_base.html" %}{% block main %}<h1>{{ page.title }}</h1><ul>'
         '{% for c in categories %}{% for p in pages_of(c) %}<li>{{ p.title }}</li>{% endfor %}{% endfor %}'
         "</ul>{% endblock %}\n")
    blog.build()
    edit(blog.root / "notebooks/x/b.md", post("Beta renamed", "2024-01-02", "tags: [t]\n"))
    assert_same_as_fresh(blog, tmp_path)
    assert "Beta renamed" in blog.read("posts/d/index.html")


@pytest.mark.parametrize("change", ["date", "draft", "rename", "tags", "category", "delete", "add"])
def test_neighbours_and_related_posts_follow_an_edit(blog: Site, tmp_path: Path, change: str) -> None:
    edit(blog.root / "layouts/posts/[slug].html",
         '{% extends "_base.html" %}{% block main %}<h1>{{ page.title }}</h1>'
         "{% if newer %}<a rel=next>{{ newer.title }}</a>{% endif %}{% if older %}<a rel=prev>{{ older.title }}</a>"
         "{% endif %}{% for r in related %}<i>{{ r.title }}</i>{% endfor %}{% endblock %}\n")
    blog.build()
    notes = blog.root / "notebooks"
    if change == "date":
        edit(notes / "x/a.md", post("Alpha", "2024-02-01", "tags: [t, u]\n"))
    elif change == "draft":
        edit(notes / "y/c.md", post("Gamma", "2024-01-03", "tags: [u]\ndraft: true\n"))
    elif change == "rename":
        (notes / "x/b.md").rename(notes / "x/bee.md")
    elif change == "tags":
        edit(notes / "x/b.md", post("Beta", "2024-01-02", "tags: [u]\n"))
    elif change == "category":
        edit(notes / "x/b.md", post("Beta", "2024-01-02", "tags: [t]\ncategory: Y\n"))
    elif change == "delete":
        (notes / "y/d.md").unlink()
    else:
        edit(notes / "z/e.md", post("Epsilon", "2024-01-05", "tags: [t]\n"))
    assert_same_as_fresh(blog, tmp_path)


def test_a_link_to_a_file_that_appears_later(blog: Site, tmp_path: Path) -> None:
    edit(blog.root / "notebooks/x/b.md", post("Beta", "2024-01-02", body="[the data](data.csv)"))
    blog.build()
    assert 'href="data.csv"' in blog.read("posts/b/index.html")  # not a file of the site: as written
    edit(blog.root / "notebooks/x/data.csv", "a,b\n")
    assert_same_as_fresh(blog, tmp_path)
    assert 'href="/x/data.csv"' in blog.read("posts/b/index.html")


@pytest.mark.parametrize("change", ["page_size", "title", "partial", "asset"])
def test_settings_layouts_and_assets(blog: Site, tmp_path: Path, change: str) -> None:
    blog.post("assets/logo.svg", "<svg/>")
    blog.build()
    if change == "page_size":
        edit(blog.root / "nbpress.toml", 'title = "Test site"\nexecute = "off"\njobs = 1\npage_size = 2\n')
    elif change == "title":
        edit(blog.root / "nbpress.toml", 'title = "Another title"\nexecute = "off"\njobs = 1\n')
    elif change == "partial":
        base = blog.root / "layouts/_base.html"
        edit(base, base.read_text().replace("<nav>", "<nav class=changed>"))
    else:
        edit(blog.root / "notebooks/assets/logo.svg", "<svg><g/></svg>")
    assert_same_as_fresh(blog, tmp_path)


def test_a_route_that_reads_nothing_that_changed_is_not_rendered_again(blog: Site) -> None:
    before = {p: p.stat().st_ino for p in blog.output.rglob("*.html")}
    edit(blog.root / "notebooks/y/d.md", post("Delta", "2024-01-04", "tags: [t, u]\n", "Changed body."))
    blog.build()
    made = {p.relative_to(blog.output).as_posix() for p in blog.output.rglob("*.html")
            if before.get(p) != p.stat().st_ino}
    # The post, and the home page, the one layout here that shows its excerpt (its neighbour's page and the
    # category and tag pages show only its title, which did not change).
    assert made == {"posts/d/index.html", "index.html"}


@pytest.mark.parametrize(("seed", "search"), [(1, False), (2, False), (3, False), (4, False), (5, False), (6, True)])
def test_random_edits_keep_a_build_in_place_equal_to_one_from_nothing(tmp_path: Path, seed: int,
                                                                      search: bool) -> None:
    """The seeded walk of bench/edits.py, short: `python -m bench.incremental` runs the long one."""
    from bench.incremental import check_seed

    result = check_seed(seed, edits=10, posts=6, work=tmp_path, search=search)
    assert result.equal, result.summary()
