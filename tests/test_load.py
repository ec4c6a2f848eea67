"""Load: every source format becomes the same Page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import (
    JUPYTEXT_MD_HEADER,
    SEED_POST,
    Site,
    code,
    markdown_cell,
    md,
    nb,
    nb_v3,
    percent,
    raw,
    stream,
)

from nbpress.errors import NbpressError
from nbpress.sources.discover import discover
from nbpress.urls import slugify

FORMATS = ["md", "ipynb", "py", "md-notebook"]
KIND = {"md": "markdown", "ipynb": "ipynb", "py": "py", "md-notebook": "md-notebook"}
EXT = {"md": "md", "ipynb": "ipynb", "py": "py", "md-notebook": "md"}


def source(fmt: str, front_matter: str | None, body: str = "Body paragraph.") -> str:
    """One post in a format: YAML front matter (or none), a Markdown body and, for notebooks, a code cell."""
    fm = md(front_matter) if front_matter is not None else None
    if fmt == "md":
        return (f"---\n{fm}---\n\n" if fm is not None else "") + body + "\n"
    if fmt == "ipynb":
        cells = [raw(f"---\n{fm}---")] if fm is not None else []
        return nb(*cells, markdown_cell(body), code("x = 1", outputs=[stream("1\n")]))
    if fmt == "py":
        commented = "".join(f"# {line}\n" if line else "#\n" for line in body.splitlines())
        return percent(fm, "# %% [markdown]\n" + commented, "# %%\nx = 1\n")
    if fmt == "md-notebook":
        return f"---\n{fm or ''}{JUPYTEXT_MD_HEADER}---\n\n{body}\n\n```python\nx = 1\n```\n"
    raise AssertionError(fmt)


FULL = """\
title: 'Front matter title'
date: 2024-05-06
excerpt: 'The summary.'
author:
  name: Ada Lovelace
  picture: /assets/ada.png
tags: [python, data]
categories: [science, notes]
extra_key: kept
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_front_matter_fields(site: Site, fmt: str) -> None:
    site.post(f"post.{EXT[fmt]}", source(fmt, FULL))
    page = site.load(f"post.{EXT[fmt]}")
    assert page.kind == KIND[fmt]
    assert page.title == "Front matter title"
    assert page.date == dt.datetime(2024, 5, 6)
    assert page.dated is True
    assert page.excerpt == "The summary."
    assert page.author is not None
    assert (page.author.name, page.author.picture) == ("Ada Lovelace", "/assets/ada.png")
    assert page.tags == ("python", "data")
    assert page.categories == ("science", "notes")
    assert page.meta.get("extra_key") == "kept"
    assert page.slug == "post"
    assert "Body paragraph." in page.body
    assert "Front matter title" not in page.body  # front matter never leaks into the body
    assert "extra_key" not in page.body


@pytest.mark.parametrize("fmt", FORMATS)
def test_category_from_first_sub_folder(site: Site, fmt: str) -> None:
    site.post(f"data-science/deep/post.{EXT[fmt]}", source(fmt, "title: T\n"))
    page = site.load(f"data-science/deep/post.{EXT[fmt]}")
    assert page.categories == ("Data Science",)  # a folder name made readable; its URL is /categories/data-science/


def test_folder_name_with_capitals_is_kept(site: Site) -> None:
    site.post("NextJS/post.md", "---\ntitle: T\n---\nBody.\n")
    assert site.load("NextJS/post.md").categories == ("NextJS",)


@pytest.mark.parametrize("fmt", FORMATS)
def test_front_matter_category_wins_over_folder(site: Site, fmt: str) -> None:
    site.post(f"folder/post.{EXT[fmt]}", source(fmt, "title: T\ncategory: chosen\n"))
    assert site.load(f"folder/post.{EXT[fmt]}").categories == ("chosen",)


@pytest.mark.parametrize("fmt", FORMATS)
def test_slug_from_file_name(site: Site, fmt: str) -> None:
    site.post(f"My_First Post.{EXT[fmt]}", source(fmt, "title: T\n"))
    assert site.load(f"My_First Post.{EXT[fmt]}").slug == "my-first-post"


@pytest.mark.parametrize("fmt", FORMATS)
def test_slug_from_front_matter(site: Site, fmt: str) -> None:
    site.post(f"post.{EXT[fmt]}", source(fmt, "title: T\nslug: Custom Slug\n"))
    assert site.load(f"post.{EXT[fmt]}").slug == "custom-slug"


@pytest.mark.parametrize("fmt", FORMATS)
def test_author_as_plain_string(site: Site, fmt: str) -> None:
    site.post(f"post.{EXT[fmt]}", source(fmt, "title: T\nauthor: Grace Hopper\n"))
    page = site.load(f"post.{EXT[fmt]}")
    assert page.author is not None
    assert (page.author.name, page.author.picture) == ("Grace Hopper", None)


@pytest.mark.parametrize("fmt", FORMATS)
def test_date_as_iso_string_with_time(site: Site, fmt: str) -> None:
    site.post(f"post.{EXT[fmt]}", source(fmt, "title: T\ndate: '2024-05-01T09:30:00'\n"))
    assert site.load(f"post.{EXT[fmt]}").date == dt.datetime(2024, 5, 1, 9, 30)


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_date_is_undated(site: Site, fmt: str) -> None:
    site.post(f"post.{EXT[fmt]}", source(fmt, "title: T\n"))
    page = site.load(f"post.{EXT[fmt]}")
    assert page.dated is False
    assert isinstance(page.date, dt.datetime)


@pytest.mark.parametrize("fmt", FORMATS)
def test_excerpt_defaults_to_first_paragraph_as_plain_text(site: Site, fmt: str) -> None:
    body = "Hello *there* and [a link](https://example.org).\n\nSecond paragraph."
    site.post(f"post.{EXT[fmt]}", source(fmt, "title: T\n", body=body))
    assert site.load(f"post.{EXT[fmt]}").excerpt == "Hello there and a link."


@pytest.mark.parametrize("fmt", FORMATS)
def test_description_is_an_excerpt(site: Site, fmt: str) -> None:
    site.post(f"post.{EXT[fmt]}", source(fmt, "title: T\ndescription: Described.\n"))
    assert site.load(f"post.{EXT[fmt]}").excerpt == "Described."


@pytest.mark.parametrize("fmt", FORMATS)
def test_title_from_first_heading_which_leaves_the_body(site: Site, fmt: str) -> None:
    site.post(f"post.{EXT[fmt]}", source(fmt, "date: 2024-01-01\n", body="# The Heading\n\nIntro text."))
    page = site.load(f"post.{EXT[fmt]}")
    assert page.title == "The Heading"
    assert "<h1" not in page.body
    assert "Intro text." in page.body
    assert page.excerpt == "Intro text."


@pytest.mark.parametrize("fmt", FORMATS)
def test_title_from_file_name_when_nothing_else(site: Site, fmt: str) -> None:
    site.post(f"quiet_notes.{EXT[fmt]}", source(fmt, "date: 2024-01-01\n", body="Just text."))
    page = site.load(f"quiet_notes.{EXT[fmt]}")
    assert page.title.lower() == "quiet notes"
    assert page.slug == "quiet-notes"


def test_seed_post_loads_exactly(site: Site) -> None:
    site.post("nextjs/dynamic-routing.md", SEED_POST.read_bytes())
    page = site.load("nextjs/dynamic-routing.md")
    assert page.kind == "markdown"
    assert page.title == "Demystifying Dynamic Routing and Static Generation in Next.js"
    assert page.excerpt == ("Unravel the power of dynamic routing and static generation in Next.js "
                            "with this SEO-optimized guide.")
    assert page.date == dt.datetime(2023, 10, 24)
    assert page.dated is True
    assert page.author is not None
    assert page.author.name == "Alex McKenzie"
    assert page.author.picture == "/assets/blog/headshot.jpeg"
    assert page.cover_image == "/assets/blog/dynamic-routing/cover.jpg"
    assert page.og_image == "/assets/blog/dynamic-routing/cover.jpg"
    assert [slugify(c) for c in page.categories] == ["nextjs"]  # from its folder
    assert page.slug == "dynamic-routing"
    assert page.meta == {}
    # The body's leading `# heading` repeats the title: it is not rendered twice.
    assert "<h1" not in page.body
    assert page.body.count("Demystifying Dynamic Routing") == 0
    assert page.body.startswith("<p>Unlock the secrets of dynamic routing")
    assert [h.text for h in page.toc][:2] == ["Dynamic Routing: Turbocharge Your Content", "How It Works"]
    assert len({h.id for h in page.toc}) == len(page.toc)  # the two "How It Works" get distinct ids


def test_seed_post_builds_with_one_title(site: Site) -> None:
    site.post("nextjs/dynamic-routing.md", SEED_POST.read_bytes())
    site.post("assets/blog/dynamic-routing/cover.jpg", b"\xff\xd8\xff jpeg")
    site.post("assets/blog/headshot.jpeg", b"\xff\xd8\xff jpeg")
    result = site.cli("build", "--base-url", "https://example.org/")  # with an address: no site_url warning
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    html = site.read("posts/dynamic-routing/index.html")
    assert html.count("<h1") == 1
    assert html.count("<h1>Demystifying Dynamic Routing and Static Generation in Next.js</h1>") == 1
    assert (site.output / "assets/blog/dynamic-routing/cover.jpg").read_bytes() == b"\xff\xd8\xff jpeg"
    assert 'src="/assets/blog/dynamic-routing/cover.jpg"' in html


def test_heading_that_differs_from_the_title_stays(site: Site) -> None:
    site.post("post.md", "---\ntitle: Title\n---\n# Another heading\n\nText.\n")
    page = site.load("post.md")
    assert page.title == "Title"
    assert '<h1 id="another-heading">Another heading</h1>' in page.body


def test_ipynb_front_matter_in_metadata(site: Site) -> None:
    site.post("meta.ipynb", nb(
        markdown_cell("# Heading in the body\n\nFirst words."),
        code("1 + 1"),
        metadata={"nbpress": {"title": "From metadata", "date": "2021-05-06", "slug": "meta-slug",
                              "tags": ["a"], "series": "s1"}},
    ))
    page = site.load("meta.ipynb")
    assert page.title == "From metadata"
    assert page.date == dt.datetime(2021, 5, 6)
    assert page.slug == "meta-slug"
    assert page.tags == ("a",)
    assert page.meta == {"series": "s1"}
    assert '<h1 id="heading-in-the-body"><span id="Heading-in-the-body"></span>Heading in the body</h1>' in page.body
    assert page.excerpt == "First words."


def test_ipynb_raw_cell_wins_over_metadata(site: Site) -> None:
    site.post("both.ipynb", nb(raw("---\ntitle: From raw\n---"), markdown_cell("Text."),
                               metadata={"nbpress": {"title": "From metadata"}}))
    page = site.load("both.ipynb")
    assert page.title == "From raw"
    assert "---" not in page.body


def test_ipynb_fastpages_first_cell(site: Site) -> None:
    site.post("notes/fast.ipynb", nb(
        markdown_cell("""\
            # Counting Things
            > Quick notes on collections.Counter.

            - toc: true
            - badges: false
            - author: Jane Doe
            - date: 2023-01-30
            - categories: [notes, python]
            """),
        markdown_cell("The body starts here."),
        code("from collections import Counter"),
    ))
    page = site.load("notes/fast.ipynb")
    assert page.title == "Counting Things"
    assert page.excerpt == "Quick notes on collections.Counter."
    assert page.date == dt.datetime(2023, 1, 30)
    assert page.author is not None and page.author.name == "Jane Doe"
    assert page.categories == ("notes", "python")
    assert page.meta == {"toc": True, "badges": False}
    assert "Counting Things" not in page.body
    assert "- toc:" not in page.body
    assert "The body starts here." in page.body


def test_ipynb_without_front_matter(site: Site) -> None:
    site.post("Plain Notebook.ipynb", nb(
        code("import math"),
        markdown_cell("# Computing Circles\n\nAreas of circles."),
        code("math.pi"),
    ))
    page = site.load("Plain Notebook.ipynb")
    assert page.title == "Computing Circles"
    assert page.slug == "plain-notebook"
    assert page.excerpt == "Areas of circles."
    assert page.dated is False


def test_nbformat_v3_notebook_is_upgraded(site: Site) -> None:
    site.post("old.ipynb", nb_v3(title="An Old Notebook", code_src="print('hi')"))
    page = site.load("old.ipynb")
    assert page.kind == "ipynb"
    assert page.title == "An Old Notebook"
    assert page.slug == "old"
    assert "A notebook from the old days." in page.body
    assert "print" in page.body
    assert '<pre class="output-stream stdout">hi\n</pre>' in page.body


def test_nbformat_v3_notebook_builds(site: Site) -> None:
    site.post("old.ipynb", nb_v3())
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "A notebook from the old days." in site.read("posts/old/index.html")


@pytest.mark.parametrize("twin", ["py", "md"])
def test_paired_notebook_is_one_page(site: Site, twin: str) -> None:
    site.post("tutorials/walk.ipynb", nb(raw("---\ntitle: From the ipynb\ndate: 2024-01-01\n---"),
                                         markdown_cell("Text."), code("x = 1", outputs=[stream("1\n")])))
    if twin == "py":
        site.post("tutorials/walk.py", percent("title: From the py\ndate: 2024-01-01\n" + JUPYTEXT_MD_HEADER,
                                               "# %% [markdown]\n# Text.\n", "# %%\nx = 1\n"))
    else:
        site.post("tutorials/walk.md", source("md-notebook", "title: From the md\ndate: 2024-01-01\n", "Text."))
    sources, assets, _ = discover(site.settings())
    pages = [s for s in sources if not s.paired]
    assert [s.rel for s in pages] == ["tutorials/walk.ipynb"]
    assert all(a.rel != f"tutorials/walk.{twin}" for a in assets)  # the twin is not copied either
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    posts = sorted(p.relative_to(site.output).as_posix() for p in (site.output / "posts").rglob("*.html"))
    assert posts == ["posts/walk/index.html"]
    assert "From the ipynb" in site.read("posts/walk/index.html")
    assert not (site.output / f"tutorials/walk.{twin}").exists()


def test_plain_py_file_is_an_asset(site: Site) -> None:
    site.post("code/helpers.py", "def helper():\n    return 42\n")
    site.post("code/post.md", "---\ntitle: T\n---\nText.\n")
    sources, assets, _ = discover(site.settings())
    assert [s.rel for s in sources] == ["code/post.md"]
    assert [a.rel for a in assets] == ["code/helpers.py"]
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert (site.output / "code/helpers.py").read_text() == "def helper():\n    return 42\n"
    assert not (site.output / "posts/helpers").exists()


def test_percent_script_is_a_page(site: Site) -> None:
    site.post("script.py", "# %%\nx = 1\n\n# %%\nprint(x)\n")
    sources, assets, _ = discover(site.settings())
    assert [(s.rel, s.kind) for s in sources] == [("script.py", "py")]
    assert assets == []


@pytest.mark.parametrize("key", ["jupyter", "jupytext", "kernelspec"])
def test_md_with_notebook_key_is_a_notebook(site: Site, key: str) -> None:
    value = {"jupyter": JUPYTEXT_MD_HEADER.split("\n", 1)[1],
             "jupytext": "  formats: ipynb,md\n",
             "kernelspec": "  name: python3\n  language: python\n  display_name: Python 3\n"}[key]
    site.post("nb.md", f"---\ntitle: A notebook\n{key}:\n{value}---\n\nText.\n\n```python\nx = 1\n```\n")
    page = site.load("nb.md", render=False)
    assert page.kind == "md-notebook"
    assert page.notebook is not None
    assert [c["cell_type"] for c in page.notebook["cells"]][-2:] == ["markdown", "code"]


def test_md_without_notebook_key_is_a_post_and_its_code_is_highlighted(site: Site) -> None:
    site.post("post.md", "---\ntitle: A post\nkernel_notes: none\n---\n\n```python\nx = 1\n```\n")
    page = site.load("post.md", render=False)
    assert page.kind == "markdown"
    assert page.notebook is None
    assert '<span class="n">x</span>' in page.body


def test_jupytext_key_below_the_top_level_does_not_make_a_notebook(site: Site) -> None:
    site.post("post.md", "---\ntitle: A post\nnotes:\n  jupyter: mentioned\n---\n\nText.\n")
    assert site.load("post.md", render=False).kind == "markdown"


def test_ipynb_outputs_survive_loading(site: Site) -> None:
    site.post("n.ipynb", nb(code("print('hi')", outputs=[stream("hi\n")])))
    page = site.load("n.ipynb", render=False)
    assert page.notebook is not None
    cell = page.notebook["cells"][0]
    assert cell["outputs"][0]["text"] in ("hi\n", ["hi\n"])
    json.dumps(page.notebook)  # plain JSON, ready for the executor and the cache


def test_draft_is_left_out_unless_drafts(site: Site) -> None:
    site.post("draft.md", "---\ntitle: Secret\ndraft: true\n---\nText.\n")
    site.post("public.md", "---\ntitle: Public\n---\nText.\n")
    assert site.load("draft.md").draft is True
    assert site.cli("build").returncode == 0
    assert not (site.output / "posts/draft").exists()
    assert "Secret" not in site.read("index.html")
    assert site.cli("build", "--drafts").returncode == 0
    assert (site.output / "posts/draft/index.html").exists()


def test_relative_links_name_files_beside_the_source_or_stay_page_relative(site: Site) -> None:
    site.post("guides/a.md", "---\ntitle: A\n---\n![p](pic.png) [b](b.md) [next](../other-post/) [up](../)\n")
    site.post("guides/b.md", "---\ntitle: B\n---\nB\n")
    (site.root / "notebooks" / "guides" / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    body = site.load("guides/a.md").body
    assert 'src="/guides/pic.png"' in body  # a file beside the post
    assert 'href="/guides/b.md"' in body  # another source: its page URL is filled in when rendering
    assert 'href="../other-post/"' in body  # no such file: relative to the page's URL, as written
    assert 'href="/"' in body  # the content folder itself: the site root


# --- a notebook's structure is checked once, where it is read -----------------------------------------

def _notebook(**changes: object) -> dict[str, object]:
    """A valid notebook as JSON data, with some fields replaced."""
    data = json.loads(nb(markdown_cell("# Title\n\nText."), code("x = 1", outputs=[stream("1\n")], execution_count=1)))
    for path, value in changes.items():
        target = data
        *steps, last = path.split("__")
        for step in steps:
            target = target[int(step)] if step.isdigit() else target[step]  # type: ignore[index]
        target[int(last) if last.isdigit() else last] = value  # type: ignore[index]
    return data


# The realistic triggers of the crashes issue 10 found (nbformat's v4_5_invalid_metadata.ipynb among them).
ERRORS = {
    "cell-is-a-number": (_notebook(cells__1=7), 2, "not a cell: a number"),
    "null-in-source": (_notebook(cells__1__source=["x = 1", None]), 2, "source must be text or a list of lines"),
    "outputs-an-object": (_notebook(cells__1__outputs={"text": "1"}), 2, "outputs must be a list, not a mapping"),
    "outputs-of-strings": (_notebook(cells__1__outputs=["1\n"]), 2, "output 1 is text, not an output"),
    "nbpress-a-list": (_notebook(metadata__nbpress=["title"]), None, "metadata.nbpress must be a mapping"),
    "no-cell-type": (_notebook(cells__0__cell_type=None), 1, "the cell has no cell_type"),
}
WARNINGS = {
    "no-metadata": (lambda d: d.pop("metadata"), None),
    "nbformat-as-text": (lambda d: d.update(nbformat="4"), "nbformat must be a number, not text"),
    "kernelspec-a-string": (lambda d: d["metadata"].update(kernelspec="BAD: should be a dict"),
                            "metadata.kernelspec must be a mapping"),
    "kernelspec-name-a-number": (lambda d: d["metadata"]["kernelspec"].update(name=3),
                                 "metadata.kernelspec.name must be text"),
    "kernelspec-language-a-list": (lambda d: d["metadata"]["kernelspec"].update(language=["py"]),
                                   "metadata.kernelspec.language must be text"),
    "tags-true": (lambda d: d["cells"][1]["metadata"].update(tags=True), "tags must be a list of text"),
    "bad-base64-image": (lambda d: d["cells"][1]["outputs"].append(
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": "not base64!", "text/plain": "fig"}}),
        "image/png is not valid base64"),
    "bad-base64-attachment": (lambda d: d["cells"][0].update(
        attachments={"a.png": {"image/png": "%%%"}}), "attachment 'a.png': image/png is not valid base64"),
    "execution-count-text": (lambda d: d["cells"][1].update(execution_count="1"), "execution_count must be a number"),
    "unknown-output-type": (lambda d: d["cells"][1]["outputs"].append({"output_type": "future"}),
                            "unknown output_type 'future'"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_malformed_notebook_is_an_error_naming_the_file_and_cell(site: Site, case: str) -> None:
    data, cell, message = ERRORS[case]
    site.post("bad.ipynb", json.dumps(data))
    with pytest.raises(NbpressError) as raised:
        site.load("bad.ipynb")
    found = raised.value.diagnostics
    assert [(d.path, d.cell) for d in found] == [("notebooks/bad.ipynb", cell)]
    assert message in found[0].message


@pytest.mark.parametrize("case", sorted(WARNINGS))
def test_malformed_field_with_a_safe_default_is_a_warning(site: Site, case: str) -> None:
    change, message = WARNINGS[case]
    data = _notebook()
    change(data)
    site.post("odd.ipynb", json.dumps(data))
    page = site.load("odd.ipynb")
    assert "1\n</pre>" in page.body  # the page is whole
    assert all(w.path == "notebooks/odd.ipynb" and w.severity == "warning" for w in page.warnings)
    if message:
        assert any(message in w.message for w in page.warnings), page.warnings
    if case == "bad-base64-image":
        assert '<pre class="output-text">fig</pre>' in page.body  # the next representation


def test_every_broken_notebook_is_reported_in_one_run(site: Site) -> None:
    for case, (data, _, _) in ERRORS.items():
        site.post(f"{case}.ipynb", json.dumps(data))
    site.post("v4_5_invalid_metadata.ipynb", json.dumps(_notebook(metadata={"kernelspec": "BAD: should be a dict",
                                                                            "authors": "BAD: a list of dicts"})))
    site.post("fine.md", "---\ntitle: Fine\ndate: 2024-01-01\n---\nFine.\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for case, (_, cell, message) in ERRORS.items():
        where = f"notebooks/{case}.ipynb: " + (f"cell {cell}: " if cell else "")
        assert any(line.startswith(where) and message in line for line in lines), result.stderr
    assert "v4_5_invalid_metadata" not in result.stderr  # a kernelspec that is a string: a warning, not an error
    assert not site.output.exists()


def test_empty_notebook_is_left_out_with_a_warning(site: Site) -> None:
    site.post("Untitled.ipynb", json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    site.post("blank.ipynb", nb(code(""), markdown_cell("  ")))
    site.post("fine.md", "---\ntitle: Fine\ndate: 2024-01-01\n---\nFine.\n")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "notebooks/Untitled.ipynb: warning: an empty notebook (no cell holds anything): left out" in result.stderr
    assert "notebooks/blank.ipynb: warning: an empty notebook" in result.stderr
    assert not (site.output / "posts" / "untitled").exists()
    assert "Untitled" not in site.read("index.html")


# --- dates, names and fields written for other tools ---------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_jekyll_file_name_gives_the_date_and_the_slug(site: Site, fmt: str) -> None:
    site.post(f"2020-02-20-my-post.{EXT[fmt]}", source(fmt, None))
    page = site.load(f"2020-02-20-my-post.{EXT[fmt]}")
    assert (page.date, page.dated, page.slug) == (dt.datetime(2020, 2, 20), True, "my-post")


def test_front_matter_date_wins_over_the_file_name_and_bad_name_dates_are_names(site: Site) -> None:
    site.post("2020-02-20-a.md", "---\ntitle: A\ndate: 2021-01-01\n---\nA\n")
    site.post("2020-13-45-b.md", "---\ntitle: B\n---\nB\n")
    assert site.load("2020-02-20-a.md").date == dt.datetime(2021, 1, 1)
    b = site.load("2020-13-45-b.md")
    assert (b.dated, b.slug) == (False, "2020-13-45-b")


@pytest.mark.parametrize(("value", "expected"), [
    ("'2024-02-01'", dt.datetime(2024, 2, 1)),  # the Next.js starter quotes its dates
    ("2024-02-01 10:00:00 -0500", dt.datetime(2024, 2, 1, 15, 0)),  # Jekyll
    ("March 7, 2024", dt.datetime(2024, 3, 7)),
    ("2024-2-5", dt.datetime(2024, 2, 5)),
])
def test_dates_as_other_tools_write_them(site: Site, value: str, expected: dt.datetime) -> None:
    site.post("p.md", f"---\ntitle: P\ndate: {value}\nupdated: {value}\nlast_modified_at: {value}\n---\nP\n")
    page = site.load("p.md")
    assert page.date == expected
    assert page.meta["updated"] == page.meta["last_modified_at"] == expected


def test_quarto_unfixed_dates_mean_undated(site: Site) -> None:
    site.post("p.md", "---\ntitle: P\ndate: last-modified\n---\nP\n")
    assert site.load("p.md").dated is False


def test_quarto_date_modified_is_the_updated_date(site: Site) -> None:
    site.post("p.md", "---\ntitle: P\ndate: 2024-01-01\ndate-modified: '2024-03-01'\n---\nP\n")
    assert site.load("p.md").meta["updated"] == dt.datetime(2024, 3, 1)


def test_fastpages_cell_quotes_html_and_flags(site: Site) -> None:
    site.post("fast.ipynb", nb(
        markdown_cell("""\
            # "fastcore: An Underrated Python Library"
            > "A unique python library, with <a href='https://x.org'>a link</a>."

            - author: "<a href='https://twitter.com/HamelHusain'>Hamel Husain</a>"
            - toc: false
            - hide: false
            - search_exclude: true
            - image: images/copied_from_nb/fastcore_imgs/td.png
            - permalink: /fastcore/
            - sticky_rank: 2
            """),
        code("#hide\n!pip install fastcore"),
    ))
    page = site.load("fast.ipynb")
    assert page.title == "fastcore: An Underrated Python Library"
    assert page.excerpt == "A unique python library, with a link."
    assert page.author is not None and page.author.name == "Hamel Husain"
    assert page.og_image == "/images/copied_from_nb/fastcore_imgs/td.png"
    assert (page.permalink, page.pinned) == ("/fastcore/", 2)
    assert page.meta["toc"] is False and page.toc == ()
    assert "pip install" not in page.body


@pytest.mark.parametrize(("fm", "message"), [
    ("permalink: https://other.org/x/", "'permalink' must be a path on this site"),
    ("aliases: 3", "'aliases' must be a path or a list of paths"),
    ("sticky_rank: first", "'sticky_rank' must be a whole number"),
    ("pinned: maybe", "'pinned' must be true or false"),
    ("toc: sometimes", "'toc' must be true or false"),
    ("author: [3]", "'author' must be a name"),
    ("updated: 2024-13-45x", "'updated' must be a date"),
])
def test_fields_for_other_tools_are_checked_with_their_line(site: Site, fm: str, message: str) -> None:
    site.post("p.md", f"---\ntitle: P\n{fm}\n---\nP\n")
    with pytest.raises(NbpressError) as raised:
        site.load("p.md")
    (found,) = raised.value.diagnostics
    assert (found.path, found.line) == ("notebooks/p.md", 3) and message in found.message, found


def test_jekyll_permalink_pattern_is_a_warning(site: Site) -> None:
    site.post("p.md", "---\ntitle: P\npermalink: /:year/:title/\n---\nP\n")
    page = site.load("p.md")
    assert page.permalink is None
    assert [(w.line, w.severity) for w in page.warnings] == [(3, "warning")]


def test_permalink_to_an_html_file_keeps_the_old_url_as_an_alias(site: Site) -> None:
    site.post("p.md", "---\ntitle: P\npermalink: /about.html\nredirect_from: [/old/]\n---\nP\n")
    page = site.load("p.md")
    assert page.permalink == "/about/"
    assert set(page.aliases) == {"/about.html", "/old/"}


def test_raw_cell_of_fenced_prose_is_no_front_matter(site: Site) -> None:
    # jupytext's own test notebooks hold such a first raw cell.
    site.post("raw.ipynb", nb(raw("---\nContent.\n---"), markdown_cell("# The Title"), code("x = 1")))
    page = site.load("raw.ipynb")
    assert page.title == "The Title"


def test_a_post_loading_scripts_from_another_host_is_a_warning(site: Site) -> None:
    site.post("p.md", '---\ntitle: P\n---\nText.\n\n<script src="https://platform.twitter.com/widgets.js"></script>\n')
    (warning,) = site.load("p.md").warnings
    assert warning.path == "notebooks/p.md" and "another host, platform.twitter.com" in warning.message
