"""Hostile and oversized input: YAML alias bombs, names too long for a file system, cells that print
megabytes, and requests to `nbpress serve` that no browser sends. Each is a short error or warning, fast."""

from __future__ import annotations

import re
import time

import pytest
from conftest import JUPYTEXT_MD_HEADER, NBPRESS_TOML, Site, code, nb, percent, raw, tree

from nbpress.errors import NbpressError
from nbpress.sources.front_matter import MAX_YAML_VALUES
from nbpress.urls import MAX_SEGMENT_BYTES, slugify


@pytest.fixture(autouse=True)
def no_search(site: Site) -> None:
    site.write("nbpress.toml", NBPRESS_TOML + "search = false\n")  # these tests are not about search


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
    tags = sorted(p for p in built if p.startswith("tags/") and p.endswith("/index.html"))
    assert len(posts) == 3 and len(categories) == 2 and len(tags) == 3
    page = site.read(posts[0] if "First." in site.read(posts[0]) else posts[1])
    link = re.search(r'class="category" href="/(categories/[^"]+)"', page)
    assert link is not None and link.group(1) + "index.html" in built
