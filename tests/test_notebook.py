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
