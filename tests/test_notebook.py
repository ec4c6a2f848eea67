"""Notebook rendering: cells, outputs (images as files), tags."""

from __future__ import annotations

import base64
import re

import pytest
from conftest import PNG_B64, Site, code, display, error, markdown_cell, nb, raw, stream

from nbpress.model import Page

PNG = base64.b64decode(PNG_B64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake jpeg\xff\xd9"
JPEG_B64 = base64.b64encode(JPEG).decode()
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def render(site: Site, *cells: object, **kwargs: object) -> Page:
    site.post("n.ipynb", nb(*cells, **kwargs))  # type: ignore[arg-type]
    page = site.load("n.ipynb")
    assert page.notebook is None  # rendered
    return page


def files(page: Page) -> dict[str, bytes]:
    return {f.name: f.data for f in page.files}


def test_stream_outputs(site: Site) -> None:
    page = render(site, code("print('a'); print('<b>')", outputs=[
        stream("a\n"), stream("<b>\n"), stream("warn\n", name="stderr"),
    ]))
    assert '<pre class="output-stream stdout">a\n&lt;b&gt;\n</pre>' in page.body  # consecutive stdout merged
    assert '<pre class="output-stream stderr">warn\n</pre>' in page.body
    assert "<b>" not in page.body


def test_carriage_returns_keep_the_last_state(site: Site) -> None:
    page = render(site, code("progress()", outputs=[stream("10%\r50%\r100%\ndone\n")]))
    assert "100%\ndone" in page.body
    assert "10%" not in page.body


def test_error_output_ansi_to_html(site: Site) -> None:
    traceback = [
        "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
        "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)",
        "Cell \x1b[0;32mIn[1], line 1\x1b[0m\n"
        "\x1b[0;32m----> 1\x1b[0m \x1b[38;5;241m1\x1b[39m\x1b[38;5;241m/\x1b[39m0 <x>",
        "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
    ]
    page = render(site, code("1/0", outputs=[error("ZeroDivisionError", "division by zero", traceback)]))
    assert "\x1b" not in page.body
    assert "[0;31m" not in page.body
    assert '<pre class="output-error">' in page.body
    assert '<span style="color:var(--ansi-red)">ZeroDivisionError</span>: division by zero' in page.body
    assert '<span style="color:var(--ansi-green)">----&gt; 1</span>' in page.body
    assert "rgb(" in page.body  # 256-colour codes become colours too
    assert "&lt;x&gt;" in page.body


def test_error_output_without_traceback(site: Site) -> None:
    page = render(site, code("raise E", outputs=[error("ValueError", "bad <value>", [])]))
    assert "ValueError: bad &lt;value&gt;" in page.body


def test_ansi_in_stream(site: Site) -> None:
    page = render(site, code("log()", outputs=[stream("\x1b[1mbold\x1b[0m \x1b[2K\x1b[94minfo\x1b[0m\n")]))
    assert "\x1b" not in page.body
    assert '<span style="font-weight:bold">bold</span>' in page.body
    assert '<span style="color:var(--ansi-bright-blue)">info</span>' in page.body


def test_html_wins_over_plain(site: Site) -> None:
    page = render(site, code("df", outputs=[display(
        {"text/html": "<table class='df'><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1"}, result=True)]))
    assert "<table class='df'>" in page.body
    assert "0  1" not in page.body


def test_png_is_a_file_not_base64(site: Site) -> None:
    page = render(site, code("plot()", outputs=[display(
        {"image/png": PNG_B64, "text/plain": "<Figure size 640x480 with 1 Axes>"},
        metadata={"image/png": {"width": 320, "height": 240}})]))
    (name,) = files(page)
    assert name.endswith(".png")
    assert files(page)[name] == PNG
    assert f'<img src="{name}"' in page.body
    assert 'width="320"' in page.body and 'height="240"' in page.body
    assert PNG_B64 not in page.body
    assert "base64" not in page.body
    assert "Figure size" not in page.body


def test_jpeg_is_a_file(site: Site) -> None:
    page = render(site, code("photo()", outputs=[display({"image/jpeg": JPEG_B64, "text/plain": "<Image>"})]))
    (name,) = files(page)
    assert name.endswith((".jpg", ".jpeg"))
    assert files(page)[name] == JPEG
    assert f'src="{name}"' in page.body
    assert JPEG_B64 not in page.body


def test_svg_output(site: Site) -> None:
    page = render(site, code("svg()", outputs=[display({"image/svg+xml": SVG, "text/plain": "<SVG>"})]))
    if page.files:
        (name,) = files(page)
        assert name.endswith(".svg")
        assert files(page)[name] == SVG.encode()
        assert f'src="{name}"' in page.body
    else:
        assert "<svg" in page.body
    assert "&lt;SVG&gt;" not in page.body


def test_several_images_get_distinct_files(site: Site) -> None:
    page = render(site,
                  code("a()", outputs=[display({"image/png": PNG_B64}), display({"image/png": PNG_B64})]),
                  code("b()", outputs=[display({"image/png": PNG_B64})]))
    names = [f.name for f in page.files]
    assert len(names) == 3 == len(set(names))
    for name in names:
        assert f'src="{name}"' in page.body


def test_latex_output(site: Site) -> None:
    page = render(site, code("sympy()", outputs=[display(
        {"text/latex": "$\\frac{1}{2} < x$", "text/plain": "1/2 < x"}, result=True)]))
    assert page.has_math
    assert "\\frac{1}{2} &lt; x" in page.body
    assert "1/2 &lt; x" not in page.body


def test_markdown_output(site: Site) -> None:
    page = render(site, code("Markdown('**bold**')", outputs=[display(
        {"text/markdown": "**bold** and $y$", "text/plain": "<IPython.core.display.Markdown object>"})]))
    assert "<strong>bold</strong>" in page.body
    assert page.has_math
    assert "IPython.core.display.Markdown" not in page.body


def test_plain_text_result_is_escaped(site: Site) -> None:
    page = render(site, code("'<a>'", outputs=[display({"text/plain": "'<a>'"}, result=True)]))
    assert '<pre class="output-text">&#x27;&lt;a&gt;&#x27;</pre>' in page.body


def test_javascript_output_marks_the_page(site: Site) -> None:
    page = render(site, code("js()", outputs=[display({"application/javascript": "console.log(1)",
                                                        "text/plain": "<JS>"})]))
    assert "<script>console.log(1)</script>" in page.body
    assert "javascript" in page.scripts


def test_markdown_cell_attachments_are_files(site: Site) -> None:
    page = render(site, markdown_cell("![diagram](attachment:diagram.png)", attachments={
        "diagram.png": {"image/png": PNG_B64}}))
    (name,) = files(page)
    assert name.endswith(".png")
    assert files(page)[name] == PNG
    assert f'src="{name}"' in page.body
    assert "attachment:" not in page.body
    assert PNG_B64 not in page.body


def test_attachment_names_cannot_escape(site: Site) -> None:
    page = render(site, markdown_cell("![x](attachment:../../evil.png)", attachments={
        "../../evil.png": {"image/png": PNG_B64}}))
    (name,) = files(page)
    assert "/" not in name and ".." not in name


def test_code_is_highlighted_in_the_kernel_language(site: Site) -> None:
    page = render(site, code("def f():\n    return 1"))
    assert '<code class="language-python">' in page.body
    assert '<span class="k">def</span>' in page.body


OUT = [stream("the-output\n")]


@pytest.mark.parametrize("tag,input_shown,output_shown", [
    (None, True, True),
    ("remove-input", False, True),
    ("remove-output", True, False),
    ("remove-cell", False, False),
    ("hide-input", True, True),
])
def test_cell_tags(site: Site, tag: str | None, input_shown: bool, output_shown: bool) -> None:
    page = render(site, code("the_input = 1", outputs=OUT, tags=[tag] if tag else None),
                  code("other_cell = 2"))
    assert ('<span class="n">the_input</span>' in page.body) is input_shown
    assert ("the-output" in page.body) is output_shown
    assert '<span class="n">other_cell</span>' in page.body


def test_hide_input_is_a_details_element(site: Site) -> None:
    page = render(site, code("the_input = 1", outputs=OUT, tags=["hide-input"]))
    start = page.body.index("<details")
    end = page.body.index("</details>")
    assert '<span class="n">the_input</span>' in page.body[start:end]
    assert "<summary>" in page.body[start:end]
    assert "the-output" not in page.body[start:end]  # only the input is folded away
    assert "the-output" in page.body[end:]


def test_remove_cell_on_markdown(site: Site) -> None:
    page = render(site, markdown_cell("Secret notes.", tags=["remove-cell"]), markdown_cell("Public."))
    assert "Secret" not in page.body
    assert "Public." in page.body


def test_jupyterlab_hidden_source(site: Site) -> None:
    page = render(site, code("hidden_src = 1", outputs=OUT, jupyter={"source_hidden": True}))
    assert "<details" in page.body


def test_raw_cells(site: Site) -> None:
    page = render(site, markdown_cell("Intro."), raw("<b>raw html</b>", format="text/html"),
                  raw("\\LaTeX only", format="text/latex"))
    assert "<b>raw html</b>" in page.body
    assert "LaTeX only" not in page.body


def test_headings_across_cells_get_unique_ids(site: Site) -> None:
    page = render(site, markdown_cell("# Title\n\n## Setup"), markdown_cell("## Setup"))
    assert page.title == "Title"
    assert [h.id for h in page.toc] == ["setup", "setup-2"]


def test_images_written_beside_the_page(site: Site) -> None:
    site.post("plots/n.ipynb", nb(raw("---\ntitle: Plots\n---"), code("plot()", outputs=[
        display({"image/png": PNG_B64, "text/plain": "<Figure>"})])))
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    html = site.read("posts/n/index.html")
    images = sorted((site.output / "posts/n").glob("*.png"))
    assert len(images) == 1
    assert images[0].read_bytes() == PNG
    assert f'src="{images[0].name}"' in html
    assert "base64" not in html


def test_element_ids_are_unique_across_cells(site: Site) -> None:
    page = render(site, markdown_cell("## Part\n\nOne."), markdown_cell("## Part\n\nTwo."), code("x = 1"))
    ids = re.findall(r'\sid="([^"]+)"', page.body)
    assert len(ids) == len(set(ids))


def test_footnotes_in_two_cells_get_distinct_ids(site: Site) -> None:
    page = render(site, markdown_cell("One[^a].\n\n[^a]: first note"),
                  markdown_cell("Two[^b].\n\n[^b]: second note"))
    ids = re.findall(r'\sid="([^"]+)"', page.body)
    assert len(ids) == 4
    assert len(ids) == len(set(ids))


# --- outputs nbpress cannot draw, or that reach other hosts ---------------------------------------------

PLOTLY = {"data": [{"type": "bar", "y": [1, 2]}], "layout": {}}


def test_plotly_without_plotly_shows_the_next_representation(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbpress.sources.notebook as notebook

    monkeypatch.setattr(notebook, "plotly_available", lambda: False)
    page = render(site, code("fig", outputs=[display({"application/vnd.plotly.v1+json": PLOTLY,
                                                      "image/png": PNG_B64, "text/html": "<div>html view</div>"})]),
                  code("fig2", outputs=[display({"application/vnd.plotly.v1+json": PLOTLY})]))
    assert "data-plotly" not in page.body and "plotly" not in page.scripts  # no script that was never written
    assert "<div>html view</div>" in page.body  # the next representation, richest first
    assert 'class="output-notice"' in page.body and "cannot be shown" in page.body  # nothing else: a notice
    (warning,) = page.warnings
    assert warning.path == "notebooks/n.ipynb" and "cells 1, 2" in warning.message and "plotly" in warning.message


def test_plotly_without_plotly_fails_a_strict_build(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbpress.sources.notebook as notebook
    from nbpress.build import build
    from nbpress.errors import NbpressError

    monkeypatch.setattr(notebook, "plotly_available", lambda: False)
    site.post("fig.ipynb", nb(code("fig", outputs=[display({"application/vnd.plotly.v1+json": PLOTLY})])))
    result = site.build()
    assert any("Plotly figure" in w.message for w in result.warnings)
    assert not (site.output / "static" / "vendor" / "plotly.min.js").exists()
    with pytest.raises(NbpressError, match="Plotly figure"):
        build(site.settings(), strict=True)


def test_vega_lite_output_is_drawn_by_the_sites_vega(site: Site) -> None:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json", "mark": "bar",
            "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a", "type": "ordinal"}}}
    page = render(site, code("chart", outputs=[display({"application/vnd.vegalite.v5+json": spec,
                                                        "text/plain": "alt.Chart(...)"}, result=True)]))
    assert '<div class="output-vega" id="vega-cell1-1"></div>' in page.body
    assert '<script type="application/json" data-vega="vega-cell1-1">' in page.body
    assert "vega" in page.scripts and page.warnings == ()  # inline data: nothing from another host


def test_scripts_from_other_hosts_are_named(site: Site) -> None:
    requirejs = 'require.config({paths: {d3: "https://cdnjs.cloudflare.com/ajax/libs/d3/5.9.2/d3.min"}});'
    bokeh = '<script src="//cdn.bokeh.org/b.js"></script>'
    page = render(site, code("display(js)", outputs=[display({"application/javascript": requirejs})]),
                  code("display(html)", outputs=[display({"text/html": bokeh})]))
    found = sorted(w.message for w in page.warnings)
    assert len(found) == 2
    assert "cell 1 loads files from another host, cdnjs.cloudflare.com" in found[0]
    assert "cell 2 loads files from another host, cdn.bokeh.org" in found[1]


def test_remove_stderr_and_remove_stdout_tags(site: Site) -> None:
    outputs = [stream("out\n"), stream("warned\n", name="stderr")]
    page = render(site, code("a()", outputs=outputs, tags=["remove-stderr"]),
                  code("b()", outputs=outputs, tags=["remove-stdout"]))
    assert page.body.count("out\n</pre>") == 1 and page.body.count("warned\n</pre>") == 1


# --- syntax and anchors as Jupyter shows them ----------------------------------------------------------

def test_python_notebooks_are_highlighted_as_ipython(site: Site) -> None:
    page = render(site, code("%matplotlib inline\n!pip install numpy\nx = 1"))
    assert 'class="err"' not in page.body
    assert '<span class="o">!</span>pip' in page.body


def test_the_kernels_pygments_lexer_is_used(site: Site) -> None:
    meta = {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"},
            "language_info": {"name": "R", "pygments_lexer": "r"}}
    page = render(site, code("x <- c(1, 2)"), metadata=meta)
    assert 'class="language-R"' in page.body and '<span class="o">&lt;-</span>' in page.body


def test_headings_carry_jupyters_anchors_too(site: Site) -> None:
    page = render(site, markdown_cell("# The Title\n\nIntro."),
                  markdown_cell("## Classification: Predicting Discrete Labels\n\n## `code` and *emphasis*"))
    assert '<h2 id="classification-predicting-discrete-labels"><span id="Classification:-Predicting-Discrete-Labels">' \
        in page.body
    assert '<span id="code-and-emphasis"></span>' not in page.body  # same as nbpress's own id: once
    assert '<span id="The-Title"></span>' in page.body  # the title left the body; its anchor did not
    assert [h.id for h in page.toc] == ["classification-predicting-discrete-labels", "code-and-emphasis"]


def test_setext_title_is_the_title_once(site: Site) -> None:
    page = render(site, code("%matplotlib inline"),
                  markdown_cell("Plotting a Sine Wave\n====================\n\nText."))
    assert page.title == "Plotting a Sine Wave"
    assert "<h1" not in page.body


# --- cell options in the code: Quarto and fastpages -----------------------------------------------------

@pytest.mark.parametrize(("source", "tags", "shown"), [
    ("#| echo: false\nx = 1", {"remove-input"}, "x = 1"),
    ("#| include: false\nx = 1", {"remove-cell"}, "x = 1"),
    ("#| output: false\n#| eval: false\nx = 1", {"remove-output", "skip-execution"}, "x = 1"),
    ("#| code-fold: true\n#| code-summary: Show it\nx = 1", {"hide-input"}, "x = 1"),
    ("#| code-fold: show\nx = 1", {"fold-input"}, "x = 1"),
    ("#| warning: false\n#| error: true\nx = 1", {"remove-stderr", "raises-exception"}, "x = 1"),
    ("#| tags: [remove-output]\nx = 1", {"remove-output"}, "x = 1"),
    ("//| echo: false\nlet x = 1;", {"remove-input"}, "let x = 1;"),
    ("#| hide\nx = 1", {"remove-cell"}, "x = 1"),  # nbdev 2 / nbdev_migrate
    ("#hide\nx = 1", {"remove-cell"}, "x = 1"),
    ("# Hide_Input\nx = 1", {"remove-input"}, "x = 1"),
    ("import os\n#collapse_output\nos.getcwd()", {"hide-output"}, "import os\nos.getcwd()"),
    ("#collapse\nx = 1", {"hide-input"}, "x = 1"),
    ("x = 1  # hide", set(), "x = 1  # hide"),  # a comment, not a flag
    ("# hide the details below\nx = 1", set(), "# hide the details below\nx = 1"),
])
def test_cell_options_as_tags(source: str, tags: set[str], shown: str) -> None:
    from nbpress.sources.options import option_tags, strip_options

    assert option_tags(source) == (tags, None)
    assert strip_options(source) == shown


def test_invalid_cell_options_are_a_warning_naming_the_cell(site: Site) -> None:
    site.post("n.ipynb", nb(code("#| echo: [false\nx = 1")))
    page = site.load("n.ipynb")
    (warning,) = page.warnings
    assert (warning.cell, warning.severity) == (1, "warning") and "invalid cell options" in warning.message
    assert '<span class="n">x</span>' in page.body and "#|" not in page.body


def test_hide_cell_puts_the_whole_cell_behind_a_toggle(site: Site) -> None:
    page = render(site, code("x = 1", outputs=[stream("1\n")], tags=["hide-cell"]))  # Jupyter Book's tag
    assert re.search(r'<details class="cell-toggle"><summary>Show cell</summary>.*?x.*?1\n</pre>.*?</details>',
                     page.body, re.S)
