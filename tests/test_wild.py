"""Content written for other tools builds as it is: small made-up fixtures in the style of fastpages, Quarto
(and a fastpages blog migrated to Quarto by nbdev_migrate), Jupyter Book, the Python Data Science Handbook,
jupytext's formats and the Next.js blog-starter, each built through the real `nbpress` command.

Formats as their own docs describe them: fastpages' README (front matter cell, #hide/#collapse flags,
sticky_rank, permalink, image), Quarto's cells-jupyter reference (#| echo/eval/include/output/warning/
error/code-fold) and its aliases, nbdev's migrate.py (what a migrated blog holds), jupytext's formats page
(percent, light, sphinx, MyST, Pandoc headers) and Jupyter's heading anchors (text with spaces as '-').
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import feedparser
import pytest
from conftest import PNG_B64, Site, code, display, make_site, markdown_cell, md, nb, raw, stream

# --- fixtures in the style of the real thing -------------------------------------------------------

# Altair 4's `html` renderer (the default in classic Jupyter and Colab): the spec, and a loader that fetches
# vega from a CDN. nbpress draws the spec with its own copy instead.
ALTAIR_HTML = """
<div id="altair-viz-5f1d"></div>
<script type="text/javascript">
  (function(spec, embedOpt){
    let outputDiv = document.currentScript.previousElementSibling;
    const paths = {
      "vega": "https://cdn.jsdelivr.net/npm//vega@5?noext",
      "vega-lite": "https://cdn.jsdelivr.net/npm//vega-lite@4.8.1?noext",
      "vega-embed": "https://cdn.jsdelivr.net/npm//vega-embed@6?noext",
    };
    function loadScript(lib) { /* ... */ }
    function displayChart(vegaEmbed) { vegaEmbed(outputDiv, spec, embedOpt); }
    if(typeof define === "function" && define.amd) { requirejs.config({paths}); }
  })({"config": {"view": {"continuousWidth": 400}}, "data": {"values": [{"a": 1, "b": 2}, {"a": 2, "b": 5}]},
      "mark": "bar", "encoding": {"x": {"type": "ordinal", "field": "a"}, "y": {"type": "quantitative",
      "field": "b"}}, "$schema": "https://vega.github.io/schema/vega-lite/v4.8.1.json"}, {"mode": "vega-lite"});
</script>
"""

FASTPAGES_NB = nb(
    markdown_cell("""\
        # "Fastpages: A Notebook Post"
        > "A tour of fastpages with <a href="https://jupyter.org/">Jupyter</a>."

        - toc: false
        - badges: true
        - comments: true
        - categories: [jupyter]
        - image: images/chart-preview.png
        - author: "<a href='https://twitter.com/jane'>Jane Doe</a>"
        - permalink: /fastpages-tour/
        - sticky_rank: 1
        """),
    code("#hide\n!pip install pandas altair"),  # never run: saved without a count, like the real one
    markdown_cell("## First section"),
    code("#hide_input\nprint('The comment #hide_input hid this code')", execution_count=1,
         outputs=[stream("The comment #hide_input hid this code\n")]),
    code("#collapse-hide\nimport math", execution_count=2),
    code("#collapse-show\nradius = 2.0", execution_count=3),
    code("#collapse-output\nprint('a long output')", execution_count=4, outputs=[stream("a long output\n")]),
    markdown_cell("## Second section"),
    code("# hide\nsecret = 42", execution_count=5),
    code("import altair as alt\nalt.Chart(df).mark_bar()", execution_count=6,
         outputs=[display({"text/html": ALTAIR_HTML, "text/plain": "alt.Chart(...)"}, result=True)]),
    markdown_cell("## Third section"),
)

# What nbdev_migrate makes of a fastpages notebook (raw-cell front matter, #| directives), plus Quarto's options.
QUARTO_NB = nb(
    raw("""\
        ---
        aliases:
        - /jupyter/2020/02/21/quarto-post
        author:
        - name: Ada Lovelace
          url: https://example.org/ada
        - Grace Hopper
        categories:
        - quarto
        date: '2020-02-21'
        date-modified: '2024-02-01'
        description: An easy to use blogging platform with extra features for <a href="https://jupyter.org/">Jupyter
          Notebooks</a>, and $y = f(x)$ in it.
        image: images/diagram.png
        title: A Quarto Notebook
        toc: true
        draft: 'false'
        ---
        """),
    markdown_cell("Intro paragraph."),
    code("#| include: false\n!pip install -U pandas"),
    code("#| echo: false\nprint('output without its code')", execution_count=1, outputs=[stream("output only\n")]),
    code("#| output: false\nprint('code without its output')", execution_count=2,
         outputs=[stream("SHOULD-NOT-SHOW\n")]),
    code("#| code-fold: true\nfolded = 1", execution_count=3),
    code("#| code-fold: show\nshown_folded = 2", execution_count=4),
    code("#| warning: false\nimport warnings; warnings.warn('noisy')", execution_count=5,
         outputs=[stream("UserWarning: noisy\n", name="stderr"), stream("kept stdout\n")]),
    code("#| eval: false\nnever_evaluated()"),
    code("#| label: fig-polar\n#| fig-cap: \"A line plot: on a polar axis\"\nplot()", execution_count=6,
         outputs=[display({"image/png": PNG_B64, "text/plain": "<Figure>"})]),
)

# The Python Data Science Handbook: links with Jupyter's anchors, IPython syntax, an empty Untitled.ipynb.
NAIVE_BAYES_NB = nb(
    markdown_cell("# In Depth: Naive Bayes Classification"),
    markdown_cell("## Gaussian Naive Bayes\n\nText.\n\n## Classification: Predicting Discrete Labels\n\nMore."),
    code("%matplotlib inline\n!ls data\nimport numpy as np", execution_count=1),
)
INTRO_NB = nb(
    markdown_cell("# What Is Machine Learning?\n\n"
                  "See [Gaussian Naive Bayes](05.05-Naive-Bayes.ipynb#Gaussian-Naive-Bayes)"
                  " and [labels](05.05-Naive-Bayes.ipynb#Classification:-Predicting-Discrete-Labels), or "
                  "[below](#A-Heading-Here)."),
    markdown_cell("### A Heading Here\n\nBody."),
)
EMPTY_NB = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 2})

# Jekyll / fastpages Markdown post: the date and the slug are in the file name; `layout: post` is Jekyll's.
JEKYLL_POST = md("""\
    ---
    toc: true
    layout: post
    description: A minimal example of using markdown with fastpages.
    categories: [markdown]
    title: An Example Markdown Post
    ---
    # Example Markdown Post

    Links to [a C# post](c%23-tips.md), [a question](what%3F.md) and [a percentage](100%25.md).
    """)

# The Next.js blog-starter writes quoted dates; `updated` is read like `date`.
NEXT_POST = md("""\
    ---
    title: 'Preview Mode for Static Generation'
    excerpt: 'Lorem ipsum dolor sit amet.'
    coverImage: '/assets/blog/preview/cover.jpg'
    date: '2020-03-16T05:35:07.322Z'
    updated: '2024-02-01'
    author:
      name: Joe Haddad
      picture: '/assets/blog/authors/joe.jpeg'
    ogImage:
      url: '/assets/blog/preview/cover.jpg'
    ---

    Lorem ipsum dolor sit amet.
    """)


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """One site of every kind of post, built once by `nbpress build` with the default `--execute auto`."""
    site = make_site(tmp_path_factory.mktemp("wild") / "site", layouts=False,
                     toml='title = "Wild"\njobs = 1\nsearch = false\nsite_url = "https://example.org/"\n')
    site.post("2020-02-20-fastpages-tour.ipynb", FASTPAGES_NB)
    site.post("quarto-post.ipynb", QUARTO_NB)
    site.post("handbook/05.05-Naive-Bayes.ipynb", NAIVE_BAYES_NB)
    site.post("handbook/05.01-What-Is-Machine-Learning.ipynb", INTRO_NB)
    site.post("handbook/Untitled.ipynb", EMPTY_NB)
    site.post("2020-01-14-test-markdown-post.md", JEKYLL_POST)
    for name, title in (("c#-tips.md", "C Sharp"), ("what?.md", "A Question"), ("100%.md", "All Of It")):
        site.post(name, f"---\ntitle: {title}\ndate: 2019-01-01\n---\nBody of {title}.\n")
    site.post("nextjs/preview.md", NEXT_POST)
    site.post("2020-05-05-hidden.md", "---\ntitle: Off The Home Page\nhide: true\n---\nShared by link.\n")
    for path in ("assets/blog/preview/cover.jpg", "assets/blog/authors/joe.jpeg", "images/chart-preview.png",
                 "images/diagram.png"):
        site.post(path, b"\xff\xd8\xff\xe0 not really an image")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    site.stderr = result.stderr  # type: ignore[attr-defined]
    return site


def _page(site: Site, url: str) -> str:
    return site.read(url.strip("/") + "/index.html")


def test_auto_runs_nothing_that_was_saved_with_outputs(blog: Site) -> None:
    # The fastpages notebook's `#hide !pip install` cell has no count; the rest hold outputs: published as saved.
    assert "notebooks: executed" not in blog.stderr  # type: ignore[attr-defined]
    assert not (blog.root / ".nbpress" / "cache").exists()


def test_fastpages_front_matter_cell(blog: Site) -> None:
    html = _page(blog, "/fastpages-tour/")  # permalink
    assert '<h1 class="post-title" data-pagefind-meta="title">Fastpages: A Notebook Post</h1>' in html  # no quotes
    assert '<meta name="description" content="A tour of fastpages with Jupyter.">' in html
    assert '<p class="byline-name">Jane Doe</p>' in html  # HTML in an author: plain text
    assert "&lt;a href" not in html
    assert '<time datetime="2020-02-20"' in html  # the date in the file name
    assert 'property="og:image" content="https://example.org/images/chart-preview.png"' in html  # fastpages' image:
    assert 'class="toc' not in html  # toc: false, three headings notwithstanding
    assert not (blog.output / "posts" / "fastpages-tour").exists()


def test_fastpages_flags_act_like_tags(blog: Site) -> None:
    html = _page(blog, "/fastpages-tour/")
    assert "pip install" not in html and "secret" not in html  # #hide: the whole cell
    assert "The comment #hide_input hid this code\n</pre>" in html  # #hide_input: the output stays...
    assert "&#39;The comment #hide_input" not in html  # ...its code does not
    folded = re.search(r'<details class="input"><summary>Show code</summary>.*?import.*?math.*?</details>', html, re.S)
    assert folded  # #collapse-hide: closed
    assert re.search(r'<details class="input" open><summary>Hide code</summary>.*?radius', html, re.S)
    assert re.search(r'<details class="outputs"><summary>Show output</summary>.*?a long output', html, re.S)
    assert "#collapse" not in html  # the flags are not shown
    assert "#hide" not in html.replace("The comment #hide_input hid this code", "")


def test_sticky_rank_pins_the_post_to_the_top_of_the_home_page(blog: Site) -> None:
    home = blog.read("index.html")
    titles = re.findall(r'class="card-title"><a href="[^"]*">([^<]*)</a>', home)
    assert titles[0] == "Fastpages: A Notebook Post"  # dated 2020, pinned above the newer posts
    assert titles.index("Preview Mode for Static Generation") < titles.index("A Quarto Notebook")
    assert "Off The Home Page" not in titles  # fastpages' hide: true
    assert "Shared by link." in _page(blog, "/posts/hidden/")


def test_altair_html_is_drawn_with_the_sites_own_vega(blog: Site) -> None:
    html = _page(blog, "/fastpages-tour/")
    assert 'data-vega="vega-cell10-1"' in html and '"mark": "bar"' in html
    assert "cdn.jsdelivr.net" not in html
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        assert f'src="/static/vendor/vega/{name}"' in html
        assert (blog.output / "static" / "vendor" / "vega" / name).is_file()
    assert "vega.min.js" not in _page(blog, "/posts/quarto-post/")  # only pages with a chart load it


def test_quarto_cell_options(blog: Site) -> None:
    html = _page(blog, "/posts/quarto-post/")
    assert "#|" not in html
    assert "pip install" not in html  # include: false
    assert "output only" in html and "output without its code" not in html  # echo: false
    assert "code without its output" in html and "SHOULD-NOT-SHOW" not in html  # output: false
    assert re.search(r'<details class="input"><summary>Show code</summary>.*?folded', html, re.S)  # code-fold: true
    assert re.search(r'<details class="input" open>.*?shown_folded', html, re.S)  # code-fold: show
    assert "kept stdout" in html and "noisy\n</pre>" not in html  # warning: false drops stderr
    assert "never_evaluated" in html  # eval: false: shown, not run
    assert "fig-cap" not in html and '<img src="cell10-1.png"' in html


def test_quarto_front_matter(blog: Site) -> None:
    html = _page(blog, "/posts/quarto-post/")
    assert '<p class="byline-name">Ada Lovelace and Grace Hopper</p>' in html
    description = "An easy to use blogging platform with extra features for Jupyter Notebooks, and y = f(x) in it."
    assert f'<meta name="description" content="{description}">' in html  # plain text, no raw TeX
    assert 'property="og:image" content="https://example.org/images/diagram.png"' in html
    feed = feedparser.parse((blog.output / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if e.title == "A Quarto Notebook")
    assert entry.summary == description
    assert entry.updated.startswith("2024-02-01")  # date-modified, read like date


def test_aliases_redirect_to_the_post(blog: Site) -> None:
    old = _page(blog, "/jupyter/2020/02/21/quarto-post/")
    assert '<meta http-equiv="refresh" content="0; url=/posts/quarto-post/">' in old
    assert '<a href="/posts/quarto-post/">A Quarto Notebook</a>' in old
    assert '<meta name="robots" content="noindex">' in old
    sitemap = blog.read("sitemap.xml")
    assert "/jupyter/2020/" not in sitemap  # an old URL is not a page of the site


def test_jupyter_heading_anchors_land(blog: Site) -> None:
    target = _page(blog, "/posts/05-05-naive-bayes/")
    assert '<span id="Gaussian-Naive-Bayes"></span>' in target
    assert '<span id="Classification:-Predicting-Discrete-Labels"></span>' in target
    assert 'id="gaussian-naive-bayes"' in target  # nbpress's own ids stay
    intro = _page(blog, "/posts/05-01-what-is-machine-learning/")
    assert 'href="/posts/05-05-naive-bayes/#Gaussian-Naive-Bayes"' in intro
    assert 'href="#A-Heading-Here"' in intro and '<span id="A-Heading-Here"></span>' in intro
    check = blog.cli("check")
    assert "broken anchor" not in check.stderr, check.stderr


def test_ipython_syntax_is_not_an_error(blog: Site) -> None:
    html = _page(blog, "/posts/05-05-naive-bayes/")
    assert 'class="err"' not in html
    assert "matplotlib" in html


def test_empty_notebook_is_left_out_with_a_warning(blog: Site) -> None:
    assert "notebooks/handbook/Untitled.ipynb: warning: an empty notebook" in blog.stderr  # type: ignore[attr-defined]
    assert not (blog.output / "posts" / "untitled").exists()
    assert "Untitled" not in blog.read("index.html")


def test_jekyll_post_name_date_and_layout(blog: Site) -> None:
    html = _page(blog, "/posts/test-markdown-post/")
    assert '<time datetime="2020-01-14"' in html
    assert "notebooks/2020-01-14-test-markdown-post.md:3: warning: layout 'post'" in blog.stderr  # type: ignore[attr-defined]


def test_links_to_sources_with_hash_question_mark_and_percent(blog: Site) -> None:
    html = _page(blog, "/posts/test-markdown-post/")
    assert 'href="/posts/c-tips/"' in html
    assert 'href="/posts/what/"' in html
    assert 'href="/posts/100/"' in html


def test_next_starter_quoted_updated_date(blog: Site) -> None:
    feed = feedparser.parse((blog.output / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if e.title == "Preview Mode for Static Generation")
    assert entry.updated.startswith("2024-02-01")
    assert entry.published.startswith("2020-03-16")
    assert "<lastmod>2024-02-01</lastmod>" in blog.read("sitemap.xml")


def test_outputs_from_other_hosts_are_named(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", layouts=False, toml='title = "Hosts"\nexecute = "off"\nsearch = false\n')
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "point",
            "data": {"url": "https://vega.github.io/vega-datasets/data/cars.json"}}
    loader = '<div id="hc"></div><script src="https://code.highcharts.com/highcharts.js"></script>'
    site.post("charts.ipynb", nb(
        markdown_cell("# Charts"),
        code("alt.Chart(cars).mark_point()", execution_count=1,
             outputs=[display({"application/vnd.vegalite.v5+json": spec, "text/plain": "Chart"})]),
        code("highcharts()", execution_count=2, outputs=[display({"text/html": loader})]),
    ))
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert ("notebooks/charts.ipynb: warning: cell 2 loads files from another host, vega.github.io"
            in result.stderr)
    assert "cell 3 loads files from another host, code.highcharts.com" in result.stderr
    check = site.cli("check")
    assert check.returncode == 0  # a warning: the page works online
    assert ("posts/charts/index.html:" in check.stderr
            and "warning: loads a script from another host: https://code.highcharts.com/highcharts.js"
            in check.stderr)
    strict = site.cli("build", "--strict")
    assert strict.returncode == 1


def test_check_reports_a_broken_link_once_not_once_more_per_feed(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", layouts=False, toml='title = "Check"\nexecute = "off"\nsearch = false\n')
    site.post("notes/post.md", "---\ntitle: Post\ndate: 2024-01-02\ncategory: Notes\n---\n[gone](/nowhere/)\n")
    assert site.cli("build").returncode == 0
    check = site.cli("check")
    broken = [line for line in check.stderr.splitlines() if "/nowhere/" in line]
    assert len(broken) == 1, check.stderr
    assert broken[0].startswith("posts/post/index.html:")


# --- jupytext's formats ---------------------------------------------------------------------------

PERCENT_NAME_ONLY = """\
# ---
# title: Percent with a short kernelspec
# date: 2024-03-01
# jupyter:
#   kernelspec:
#     name: python3
# ---

# %% [markdown]
# Some prose.

# %%
x = 1
"""

LIGHT = """\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: light
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# # A Light Script
#
# Prose in the light format.

import math
math.pi
"""

SPHINX = """\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: sphinx
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

\"\"\"
Plotting a Sine Wave
====================

A sphinx-gallery example.
\"\"\"

import math

###############################################################################
# Compute it
# ----------

print(math.sin(1))
"""

MYST = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
title: A MyST Notebook
date: 2024-03-02
---

Some prose.

```{code-cell} ipython3
:tags: [remove-input]
print("only the output")
```
"""

PANDOC = """\
---
jupyter:
  kernelspec:
    display_name: Python 3
    language: python
    name: python3
  nbformat: 4
  nbformat_minor: 2
---

::: {.cell .markdown}
# A Pandoc Notebook
:::
"""


@pytest.mark.parametrize(("name", "text", "title"), [
    ("percent.py", PERCENT_NAME_ONLY, "Percent with a short kernelspec"),  # kernelspec with only a name
    ("light.py", LIGHT, "A Light Script"),
    ("plot_sine.py", SPHINX, "Plotting a Sine Wave"),
    ("myst.md", MYST, "A MyST Notebook"),
])
def test_jupytext_formats_build(site: Site, name: str, text: str, title: str) -> None:
    site.post(name, text)
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    slug = name.rsplit(".", 1)[0].replace("_", "-")
    html = site.read(f"posts/{slug}/index.html")
    assert html.count(title) == 2, html  # <title> and the page's one heading: shown once, not twice
    if name == "myst.md":
        assert "only the output" not in html  # remove-input (not executed: the output does not exist)


@pytest.mark.parametrize(("header", "line", "message"), [
    ("# ---\n# jupyter:\n# ---\n", 2, "'jupyter' must be a mapping"),
    ("# ---\n# jupyter:\n#   kernelspec: python3\n# ---\n", 3, "'kernelspec' must be a mapping"),
    ("# ---\n# jupyter:\n#   kernelspec:\n#     name: 3\n# ---\n", 4, "kernelspec 'name' must be text"),
    ("# ---\n# jupyter:\n#   jupytext: [\n# ---\n", 4, "invalid front matter"),  # YAML notices at the end
])
def test_jupytext_header_errors_name_the_line(site: Site, header: str, line: int, message: str) -> None:
    site.post("bad.py", header + "\n# %%\nx = 1\n")
    site.post("good.md", "---\ntitle: Good\ndate: 2024-01-01\n---\nFine.\n")
    site.post("also-bad.md", "---\ntitle: [\n---\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "NoneType" not in result.stderr
    assert f"notebooks/bad.py:{line}: " in result.stderr and message in result.stderr, result.stderr
    assert "notebooks/also-bad.md:" in result.stderr  # every other file is still reported


@pytest.mark.skipif(shutil.which("pandoc") is not None, reason="pandoc is installed: the notebook reads")
def test_pandoc_notebook_without_pandoc_says_it_needs_pandoc(site: Site) -> None:
    site.post("pandoc.md", PANDOC)
    result = site.cli("build")
    assert result.returncode == 1
    assert "notebooks/pandoc.md: a Pandoc Markdown notebook" in result.stderr
    assert "needs pandoc" in result.stderr


# --- tracebacks for settings and dates ------------------------------------------------------------

def test_settings_that_are_not_utf8_exit_2(site: Site) -> None:
    site.write("nbpress.toml", 'title = "caf\xe9"\n'.encode("latin-1"))
    result = site.cli("build")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "nbpress.toml:1: not UTF-8 text" in result.stderr


def test_bad_date_fields_are_each_named_with_their_line(site: Site) -> None:
    for n in (1, 2, 3):
        site.post(f"p{n}.md", f"---\ntitle: P{n}\ndate: '2024-01-0{n}'\nupdated: 'soon-ish'\n---\nBody.\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "_feed.xml" not in result.stderr
    for n in (1, 2, 3):
        assert f"notebooks/p{n}.md:4: invalid front matter: 'updated' must be a date" in result.stderr


def test_a_render_error_names_the_pages_source(site: Site) -> None:
    site.write("layouts/posts/[slug].html", "{{ page.meta.when|rfc3339 }}\n")
    site.post("a.md", "---\ntitle: A\ndate: 2024-01-01\nwhen: not a date\n---\nA.\n")
    site.post("b.md", "---\ntitle: B\ndate: 2024-01-02\nwhen: nor this\n---\nB.\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "layouts/posts/[slug].html:1: ValueError: not a date: 'not a date'" in result.stderr
    assert "(rendering /posts/a/ from notebooks/a.md)" in result.stderr
    assert "(rendering /posts/b/ from notebooks/b.md)" in result.stderr  # not only the first one


# --- dates from git ----------------------------------------------------------------------------------

def _git(folder: Path, *args: str, when: str = "2021-06-01T12:00:00Z") -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
           "PATH": "/usr/bin:/bin", "HOME": str(folder)}
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, env=env)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is missing")
def test_undated_post_keeps_the_date_of_its_first_commit(site: Site) -> None:
    site.post("undated.md", "---\ntitle: Undated\n---\nFirst version.\n")
    _git(site.root, "init", "-q")
    _git(site.root, "add", ".")
    _git(site.root, "commit", "-q", "-m", "first")
    site.post("undated.md", "---\ntitle: Undated\n---\nA typo fixed.\n")
    _git(site.root, "commit", "-q", "-am", "typo", when="2023-09-09T12:00:00Z")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "warning: 1 post without a date (dated by their first commit: notebooks/undated.md)" in result.stderr
    assert "<lastmod>2021-06-01</lastmod>" in site.read("sitemap.xml")  # not the typo fix's date
    clone = site.root.parent / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{site.root}", str(clone)], check=True,
                   capture_output=True)
    shallow = Site(clone).cli("build")
    assert shallow.returncode == 0, shallow.stderr
    assert "this git checkout is shallow" in shallow.stderr and "fetch-depth: 0" in shallow.stderr
