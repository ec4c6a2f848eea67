"""The one Markdown engine, for posts and notebook markdown cells."""

from __future__ import annotations

import re

import pytest
from conftest import Site, markdown_cell, md, nb

from nbpress.sources.load import content_link
from nbpress.sources.markdown import highlight, render_markdown, trim


def html(text: str, **kwargs: object) -> str:
    return render_markdown(md(text), **kwargs).html  # type: ignore[arg-type]


def test_table() -> None:
    out = html("""\
        | a | b |
        |---|--:|
        | 1 | 2 |
        """)
    assert "<table>" in out
    assert "<th>a</th>" in out
    assert re.search(r'<td style="text-align:\s*right;?">2</td>', out)


def test_footnotes() -> None:
    out = html("""\
        Text[^note] here.

        [^note]: The note.
        """)
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">' in out
    assert '<section class="footnotes">' in out
    assert '<li id="fn1" class="footnote-item"><p>The note.' in out


def test_task_lists() -> None:
    out = html("""\
        - [x] done
        - [ ] todo
        """)
    assert out.count('type="checkbox"') == 2
    assert out.count('checked="checked"') == 1
    assert "contains-task-list" in out


def test_strikethrough() -> None:
    assert "<s>gone</s>" in html("~~gone~~")


def test_heading_ids_unique_and_unicode_kept() -> None:
    rendered = render_markdown(md("""\
        ## Intro
        ## Intro
        ## Intro
        ## Ünïcode Straße 日本
        ## C++ & Rust!
        """))
    ids = [h.id for h in rendered.headings]
    assert ids == ["intro", "intro-2", "intro-3", "ünïcode-straße-日本", "c-rust"]
    assert '<h2 id="ünïcode-straße-日本">Ünïcode Straße 日本</h2>' in rendered.html
    assert '<h2 id="c-rust">C++ &amp; Rust!</h2>' in rendered.html
    assert [h.level for h in rendered.headings] == [2] * 5


def test_heading_ids_shared_across_calls() -> None:
    ids: set[str] = set()
    first = render_markdown("## Setup", ids=ids)
    second = render_markdown("## Setup", ids=ids)
    assert (first.headings[0].id, second.headings[0].id) == ("setup", "setup-2")


def test_leading_h1_becomes_the_title() -> None:
    rendered = render_markdown("# The Title\n\nFirst *para*.\n\n# Later h1\n")
    assert rendered.title == "The Title"
    assert "The Title" not in rendered.html
    assert '<h1 id="later-h1">Later h1</h1>' in rendered.html
    assert rendered.excerpt == "First para."


def test_leading_h1_that_differs_from_the_title_stays() -> None:
    rendered = render_markdown("# Something else\n\nText.", title="The Title")
    assert rendered.title is None
    assert '<h1 id="something-else">Something else</h1>' in rendered.html


def test_inline_and_display_math() -> None:
    rendered = render_markdown(md("""\
        Inline $x^2 < y$ here.

        $$
        \\int_0^1 f(x)\\,dx
        $$
        """))
    assert rendered.has_math
    assert '<span class="math inline">\\(x^2 &lt; y\\)</span>' in rendered.html
    assert re.search(r'<div class="math block">\s*\\\[\\int_0\^1 f\(x\)\\,dx\\\]\s*</div>', rendered.html)


def test_dollar_amounts_are_not_math() -> None:
    rendered = render_markdown("It costs $5 and $10.")
    assert not rendered.has_math
    assert "It costs $5 and $10." in rendered.html


def test_no_math_no_flag() -> None:
    assert not render_markdown("Plain text.").has_math


def test_fenced_code_has_pygments_classes() -> None:
    out = html("""\
        ```python
        def f(x):
            return x + 1
        ```
        """)
    assert '<div class="highlight"><pre><code class="language-python">' in out
    assert '<span class="k">def</span>' in out
    assert '<span class="nf">f</span>' in out
    assert '<span class="mi">1</span>' in out


def test_fenced_code_unknown_language_is_escaped_text() -> None:
    out = html("""\
        ```nosuchlanguage
        <b>x</b>
        ```
        """)
    assert "&lt;b&gt;x&lt;/b&gt;" in out
    assert "<b>" not in out


def test_fenced_code_without_language_is_escaped() -> None:
    out = html("""\
        ```
        a < b && c
        ```
        """)
    assert "a &lt; b &amp;&amp; c" in out


def test_highlight_matches_the_fence_markup() -> None:
    assert highlight("x = 1\n", "python").startswith('<div class="highlight"><pre><code class="language-python">')


def test_relative_links_resolved() -> None:
    out = html(
        "[up](../img/a.png) [same](other.md#sec) ![pic](pics/p%20q.png) [abs](/x/) "
        "[ext](https://e.org/a) [frag](#intro) [mail](mailto:a@b.c)",
        resolve=content_link("blog/post.md"),
    )
    assert 'href="/img/a.png"' in out
    assert 'href="/blog/other.md#sec"' in out
    assert 'src="/blog/pics/p%20q.png"' in out  # the file pics/p q.png, its name encoded in the link
    assert 'href="/x/"' in out
    assert 'href="https://e.org/a"' in out
    assert 'href="#intro"' in out
    assert 'href="mailto:a@b.c"' in out


def test_links_in_top_level_post() -> None:
    assert 'href="/b.md"' in html("[b](b.md)", resolve=content_link("a.md"))


@pytest.mark.parametrize("text,expected", [
    ("short", "short"),
    ("a  b\n c", "a b c"),
    ("word " * 100, ("word " * 48).strip() + "…"),
])
def test_trim(text: str, expected: str) -> None:
    assert trim(text) == expected


def test_posts_and_notebook_cells_look_the_same(site: Site) -> None:
    text = "Some *text* with `code`.\n\n| a |\n|---|\n| 1 |\n\n```python\nx = 1\n```\n"
    site.post("post.md", "---\ntitle: T\n---\n" + text)
    site.post("nb.ipynb", nb(markdown_cell(text)))
    post = site.load("post.md").body
    cell = site.load("nb.ipynb").body
    assert post in cell


def test_link_to_another_source_goes_to_its_page(site: Site) -> None:
    site.post("a/one.md", "---\ntitle: One\n---\nSee [two](../b/two.md#part) and [three](../c/three.ipynb).\n")
    site.post("b/two.md", "---\ntitle: Two\nslug: second\n---\n## Part\n")
    site.post("c/three.ipynb", nb(markdown_cell("# Three\n\nText.")))
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    page = site.read("posts/one/index.html")
    assert 'href="/posts/second/#part"' in page
    assert 'href="/posts/three/"' in page


@pytest.mark.parametrize(("text", "kind", "title"), [
    ("```{note}\nA *MyST* note.\n```", "note", "Note"),  # Jupyter Book
    ("```{admonition} Read this\n:class: dropdown\nA *MyST* note.\n```", "note", "Read this"),
    (":::{warning}\nA *MyST* note.\n:::", "warning", "Warning"),
    ('::: {.callout-tip title="Quarto tip"}\nA *MyST* note.\n:::', "tip", "Quarto tip"),  # Quarto
    (":::{.callout-important}\nA *MyST* note.\n:::", "important", "Important"),  # nbdev_migrate's
])
def test_admonitions_and_callouts(text: str, kind: str, title: str) -> None:
    html = render_markdown(text + "\n\nAfter.").html
    assert html.startswith(f'<div class="callout callout-{kind}" role="note"><p class="callout-title">{title}</p>')
    assert "<em>MyST</em>" in html and ":class:" not in html and ":::" not in html
    assert html.endswith("</div>\n<p>After.</p>\n")


def test_math_and_links_inside_an_admonition_count() -> None:
    found: list[str] = []
    rendered = render_markdown("```{note}\nSee $x^2$ and [b](b.md).\n```", resolve=lambda h: found.append(h) or h)
    assert rendered.has_math and found == ["b.md"]


def test_a_pandoc_div_that_is_no_callout_stays_text() -> None:
    assert "::: {.cell .markdown}" in render_markdown("::: {.cell .markdown}\ntext\n:::").html
