"""Bad input: every problem is an NbpressError naming the file and the line or cell, never a traceback."""

from __future__ import annotations

import pytest
from conftest import JUPYTEXT_MD_HEADER, Site, code, markdown_cell, nb, percent, raw, tree

from nbpress.errors import Diagnostic, NbpressError


def load_error(site: Site, rel: str) -> list[Diagnostic]:
    with pytest.raises(NbpressError) as info:
        site.load(rel)
    assert info.value.exit_code == 1
    for diag in info.value.diagnostics:
        assert diag.path == f"notebooks/{rel}"
        assert diag.severity == "error"
    return info.value.diagnostics


def test_bad_yaml_in_markdown_names_the_line(site: Site) -> None:
    site.post("post.md", "---\ntitle: A\ntags: x\n  bad: : y\n---\nBody.\n")
    (diag,) = load_error(site, "post.md")
    assert diag.line == 4
    assert "invalid front matter" in diag.message
    assert str(diag).startswith("notebooks/post.md:4: invalid front matter")


def test_unclosed_yaml_flow_names_where_it_started(site: Site) -> None:
    site.post("post.md", "---\ntitle: A\ndate: [2024\n---\nBody.\n")
    (diag,) = load_error(site, "post.md")
    assert diag.line == 4  # where YAML noticed, the line after the value (libyaml's report)
    assert "started on line 3" in diag.message


def test_front_matter_that_is_not_a_mapping(site: Site) -> None:
    site.post("post.md", "---\n- a\n- b\n---\nBody.\n")
    (diag,) = load_error(site, "post.md")
    assert "key: value" in diag.message


def test_unsafe_yaml_tag_is_an_error_not_code(site: Site) -> None:
    site.post("post.md", "---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\nBody.\n")
    (diag,) = load_error(site, "post.md")
    assert diag.line == 2


def test_impossible_yaml_date_is_a_diagnostic(site: Site) -> None:
    site.post("post.md", "---\ntitle: A\ndate: 2024-13-45\n---\nBody.\n")
    (diag,) = load_error(site, "post.md")
    assert diag.line == 3
    assert "date" in diag.message


def test_impossible_yaml_date_via_cli_has_no_traceback(site: Site) -> None:
    site.post("post.md", "---\ntitle: A\ndate: 2024-13-45\n---\nBody.\n")
    result = site.cli("build")
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert "notebooks/post.md:3" in result.stderr


WRONG_TYPE = "title: T\ndraft: maybe\n"  # `draft` is on line 3 of the file in every text format


@pytest.mark.parametrize("fmt", [
    "md",
    "md-notebook",
    "py",
])
def test_wrong_typed_key_names_the_line_of_the_key(site: Site, fmt: str) -> None:
    if fmt == "md":
        text = f"---\n{WRONG_TYPE}---\nBody.\n"
    elif fmt == "md-notebook":
        text = f"---\n{WRONG_TYPE}{JUPYTEXT_MD_HEADER}---\n\nBody.\n"
    else:
        text = percent(WRONG_TYPE, "# %%\nx = 1\n")
    rel = f"post.{'py' if fmt == 'py' else 'md'}"
    site.post(rel, text)
    (diag,) = load_error(site, rel)
    assert "'draft' must be true or false, not 'maybe'" in diag.message
    assert diag.line == 3


def test_wrong_typed_key_in_raw_cell_names_the_cell(site: Site) -> None:
    site.post("n.ipynb", nb(raw("---\ntitle: T\ndraft: maybe\n---"), markdown_cell("Text.")))
    (diag,) = load_error(site, "n.ipynb")
    assert diag.cell == 1
    assert "draft" in diag.message


def test_every_wrong_key_is_reported(site: Site) -> None:
    site.post("post.md", "---\ntitle: [a, b]\ndate: someday\ndraft: maybe\ntags: {a: b}\n---\nBody.\n")
    diags = load_error(site, "post.md")
    assert {d.line for d in diags} == {2, 3, 4, 5}
    assert all("invalid front matter" in d.message for d in diags)


def test_invalid_notebook_json_names_the_line(site: Site) -> None:
    site.post("n.ipynb", '{\n "cells": [\n  ,\n ]\n}\n')
    (diag,) = load_error(site, "n.ipynb")
    assert diag.line == 3
    assert "invalid notebook JSON" in diag.message


def test_json_that_is_not_a_notebook(site: Site) -> None:
    site.post("n.ipynb", '{"hello": "world"}')
    (diag,) = load_error(site, "n.ipynb")
    assert "not a Jupyter notebook" in diag.message


def test_raw_cell_with_bad_yaml_names_cell_1(site: Site) -> None:
    site.post("n.ipynb", nb(raw("---\ntitle: [unclosed\n---"), markdown_cell("Text."), code("1")))
    (diag,) = load_error(site, "n.ipynb")
    assert diag.cell == 1
    assert "invalid front matter" in diag.message
    assert str(diag).startswith("notebooks/n.ipynb: cell 1: invalid front matter")


def test_bad_metadata_front_matter_does_not_blame_cell_1(site: Site) -> None:
    site.post("n.ipynb", nb(markdown_cell("Text."), metadata={"nbpress": {"draft": "maybe"}}))
    (diag,) = load_error(site, "n.ipynb")
    assert "draft" in diag.message
    assert diag.cell is None


@pytest.mark.parametrize("rel,text", [
    ("broken.py", "# ---\n# jupyter:\n#   kernelspec: [\n# ---\n\n# %%\nx = 1\n"),
    ("broken2.py", "# ---\n# title: A\n# jupyter:\n#   jupytext: 3\n# ---\n\n# %%\nx = 1\n"),
    ("broken.md", "---\ntitle: A\njupyter:\n  kernelspec: [\n---\n\n```python\nx = 1\n```\n"),
])
def test_broken_jupytext_file(site: Site, rel: str, text: str) -> None:
    site.post(rel, text)
    diags = load_error(site, rel)
    assert diags
    assert all(d.path == f"notebooks/{rel}" for d in diags)


def test_non_utf8_file_names_the_line(site: Site) -> None:
    site.post("post.md", b"---\ntitle: A\n---\nfine\ncaf\xe9\n")
    (diag,) = load_error(site, "post.md")
    assert diag.line == 5
    assert "UTF-8" in diag.message


def test_utf8_bom_is_accepted(site: Site) -> None:
    site.post("post.md", "\ufeff---\ntitle: With BOM\n---\nText.\n".encode())
    assert site.load("post.md").title == "With BOM"


BROKEN: dict[str, str | bytes] = {
    "a-yaml.md": "---\ntitle: A\ntags: x\n  bad: : y\n---\nBody.\n",
    "b-json.ipynb": '{"cells": [,]}',
    "c-raw.ipynb": nb(raw("---\ntitle: [unclosed\n---"), markdown_cell("Text.")),
    "d-latin1.md": b"---\ntitle: A\n---\ncaf\xe9\n",
    "e-type.md": "---\ntitle: A\ndraft: maybe\n---\nBody.\n",
}


def test_cli_reports_every_error_in_one_run_and_keeps_the_output(site: Site) -> None:
    site.post("good.md", "---\ntitle: Good\ndate: 2024-01-01\n---\nFine.\n")
    first = site.cli("build")
    assert first.returncode == 0, first.stderr
    before = tree(site.output)
    assert "posts/good/index.html" in before

    for name, text in BROKEN.items():
        site.post(name, text)
    site.post("good.md", "---\ntitle: Good, edited\ndate: 2024-01-01\n---\nChanged.\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for where in ("notebooks/a-yaml.md:4:", "notebooks/b-json.ipynb:1:", "notebooks/c-raw.ipynb: cell 1:",
                  "notebooks/d-latin1.md:4:", "notebooks/e-type.md:3:"):
        assert where in result.stderr, (where, result.stderr)
    assert "5 error(s)" in result.stderr
    assert tree(site.output) == before  # byte for byte, nothing added or removed


def test_cli_first_build_with_errors_writes_nothing(site: Site) -> None:
    site.post("bad.md", BROKEN["a-yaml.md"])
    result = site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert not site.output.exists()


def test_missing_page_layout_is_a_warning_and_an_error_when_strict(site: Site) -> None:
    # Jekyll's `layout: post` (every fastpages post has it): the page uses the default layout.
    site.post("post.md", "---\ntitle: A\nlayout: post\n---\nBody.\n")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "notebooks/post.md:3: warning: layout 'post' is not a layout of this site" in result.stderr
    assert "Body." in site.read("posts/post/index.html")
    strict = site.cli("build", "--strict")
    assert strict.returncode == 1
    assert "notebooks/post.md:3: layout 'post'" in strict.stderr


def test_layout_syntax_error_names_the_layout_and_line(site: Site) -> None:
    site.post("post.md", "---\ntitle: A\n---\nBody.\n")
    site.write("layouts/posts/[slug].html", "<h1>{{ page.title }}</h1>\n{% if %}\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "layouts/posts/[slug].html:2" in result.stderr
