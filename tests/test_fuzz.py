"""Property tests: nothing a notebook or front matter holds crashes the build.

Notebook JSON with any field nbpress reads set to any JSON value (or taken out), and front matter with every
key set to every kind of wrong value: loading and rendering either give a page or a content error naming the
file; a build either succeeds (with the post's page written) or fails with errors naming the post, never a
Python traceback and never an error in a built-in layout.

CI runs a bounded number of examples (a few seconds); NBPRESS_FUZZ_EXAMPLES=2000 runs a long search.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from conftest import PNG_B64, make_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbpress.config import load_settings
from nbpress.errors import NbpressError
from nbpress.execute import execute
from nbpress.execute.cache import execution_key
from nbpress.execute.jobs import Job, Outcome, Progress
from nbpress.execute.run import _needs_run
from nbpress.model import SourceFile
from nbpress.sources.front_matter import DATE_KEYS, KNOWN
from nbpress.sources.links import content_link
from nbpress.sources.load import load_page
from nbpress.sources.markdown import first_h1, plain, render_markdown
from nbpress.sources.notebook import render_notebook

EXAMPLES = int(os.environ.get("NBPRESS_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 60, deadline=None, database=None, derandomize=not EXAMPLES,
                suppress_health_check=[HealthCheck.too_slow])
BUILDS = settings(max_examples=EXAMPLES // 10 or 8, deadline=None, database=None, derandomize=not EXAMPLES,
                  suppress_health_check=[HealthCheck.too_slow])

# JSON values of every kind, as a notebook file can hold them (json.loads reads NaN and Infinity too).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats() | st.text(max_size=12)
    | st.sampled_from(["", "python3", "markdown", "code", "stream", PNG_B64, "not base64!", "---\ntitle: x\n---"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)

BASE: dict[str, Any] = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python", "pygments_lexer": "ipython3"},
                 "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}},
                 "nbpress": {"title": "Fuzzed"}},
    "cells": [
        {"id": "a", "cell_type": "raw", "metadata": {}, "source": "---\ntitle: Raw\n---"},
        {"id": "b", "cell_type": "markdown", "metadata": {"tags": []},
         "source": ["# Heading\n", "text ![x](attachment:a.png)"], "attachments": {"a.png": {"image/png": PNG_B64}}},
        {"id": "c", "cell_type": "code", "metadata": {"tags": ["hide-input"], "jupyter": {"source_hidden": True}},
         "execution_count": 1, "source": "#| echo: false\nprint(1)",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]},
                     {"output_type": "display_data", "metadata": {"image/png": {"width": 10}},
                      "data": {"image/png": PNG_B64, "text/plain": "fig", "application/vnd.plotly.v1+json": {}}},
                     {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                      "data": {"application/vnd.vegalite.v5+json": {"mark": "bar"}, "text/html": "<b>x</b>"}},
                     {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["tb"]}]},
    ],
}
CELL_FIELDS = ["cell_type", "source", "metadata", "outputs", "execution_count", "attachments"]
OUTPUT_FIELDS = ["output_type", "name", "text", "data", "metadata", "traceback", "ename", "evalue"]
PATHS: list[tuple[Any, ...]] = [
    ("nbformat",), ("metadata",), ("cells",), ("worksheets",),
    *[("metadata", key) for key in ("kernelspec", "language_info", "widgets", "nbpress")],
    *[("metadata", "kernelspec", key) for key in ("name", "language", "display_name")],
    *[("metadata", "language_info", key) for key in ("name", "pygments_lexer")],
    ("metadata", "widgets", "application/vnd.jupyter.widget-state+json"),
    *[("cells", n) for n in range(3)],
    *[("cells", n, key) for n in range(3) for key in CELL_FIELDS],
    *[("cells", n, "metadata", key) for n in range(3) for key in ("tags", "jupyter", "format", "raw_mimetype")],
    ("cells", 2, "metadata", "jupyter", "source_hidden"), ("cells", 1, "attachments", "a.png"),
    ("cells", 1, "attachments", "a.png", "image/png"), ("cells", 1, "source", 0),
    *[("cells", 2, "outputs", k) for k in range(4)],
    *[("cells", 2, "outputs", k, key) for k in range(4) for key in OUTPUT_FIELDS],
    *[("cells", 2, "outputs", 1, "data", mime) for mime in ("image/png", "text/plain",
                                                           "application/vnd.plotly.v1+json")],
    ("cells", 2, "outputs", 1, "metadata", "image/png"), ("cells", 2, "outputs", 1, "metadata", "image/png", "width"),
    ("cells", 2, "outputs", 2, "data", "application/vnd.vegalite.v5+json"), ("cells", 2, "outputs", 0, "text", 0),
]
DELETE = object()


def _mutate(nb: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set (or delete) the value at path, where the containers on the way still are what they were."""
    parent: Any = nb
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(parent, dict) or (isinstance(parent, list) and isinstance(last, int) and last < len(parent)):
        if value is DELETE:
            parent.pop(last, None) if isinstance(parent, dict) else parent.pop(last)
        else:
            parent[last] = value


notebooks = st.lists(st.tuples(st.sampled_from(PATHS), json_values | st.just(DELETE)), min_size=1, max_size=4)


class _Echo:
    """An executor whose notebooks come back as they went, with their outputs."""

    def run(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]:
        return [Outcome(job.source, copy.deepcopy(job.notebook), None, "Python 3", 0.1) for job in jobs]


def _source(root: Path, rel: str) -> SourceFile:
    path = root / "notebooks" / rel
    kind = "ipynb" if rel.endswith(".ipynb") else "md"
    return SourceFile(f"notebooks/{rel}", rel, kind, path.stat().st_mtime, "sig")  # type: ignore[arg-type]


@FUZZ
@given(notebooks)
def test_any_notebook_loads_and_renders_or_names_the_file(mutations: list[tuple[tuple[Any, ...], Any]]) -> None:
    nb = copy.deepcopy(BASE)
    for path, value in mutations:
        _mutate(nb, path, value)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "notebooks").mkdir()
        (root / "notebooks" / "fuzz.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        try:
            page = load_page(_source(root, "fuzz.ipynb"), root)
        except NbpressError as exc:
            assert exc.diagnostics and all(d.path == "notebooks/fuzz.ipynb" for d in exc.diagnostics), exc
            return
        assert page is not None and page.notebook is not None
        _needs_run(page.notebook)  # what execution and the cache key read
        execution_key(page.notebook, "python3", [], False)
        # Planning a run, the cache and putting outputs back (the executor hands the notebook back as it ran:
        # no kernel, which is beside the point here; tests/test_execute.py runs real ones).
        (root / "nbpress.toml").write_text('execute = "force"\n', encoding="utf-8")
        settings, _ = load_settings(root)
        pages, problems, _ = execute([page], settings, _Echo())
        assert all(p.path == "notebooks/fuzz.ipynb" for p in problems)
        page = pages[0]
        rendered = render_notebook(page, root)
        assert isinstance(rendered.body, str) and rendered.notebook is None
        assert all(w.path == "notebooks/fuzz.ipynb" for w in rendered.warnings)


# Every key nbpress reads, with values of every kind (dates too: YAML writes them as dates).
front_matter_values = json_values | st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)) | st.datetimes(
    dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1))
FM_KEYS = sorted(KNOWN | set(DATE_KEYS) | {"toc", "series", "year"})
front_matter = st.dictionaries(st.sampled_from(FM_KEYS), front_matter_values, min_size=1, max_size=6)


@BUILDS
@given(front_matter, st.booleans())
def test_any_front_matter_builds_or_names_the_post(fm: dict[str, Any], in_notebook: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        site = make_site(Path(folder) / "site", layouts=False,
                         toml='title = "Fuzz"\nexecute = "off"\njobs = 1\nsearch = false\n')
        if in_notebook:  # metadata.nbpress: JSON, so no dates
            data = json.loads(json.dumps(fm, default=str))
            rel = "post.ipynb"
            site.post(rel, json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"nbpress": data}, "cells": [
                {"id": "m", "cell_type": "markdown", "metadata": {}, "source": "Body text."}]}))
        else:
            rel = "post.md"
            site.post(rel, "---\n" + yaml.safe_dump(fm, allow_unicode=True) + "---\nBody text.\n")
        site.post("other.md", "---\ntitle: Other\ndate: 2020-01-01\n---\nAnother post.\n")
        try:
            site.build()
        except NbpressError as exc:
            errors = [d for d in exc.diagnostics if d.severity == "error"]
            assert errors and all(d.path == f"notebooks/{rel}" for d in errors), exc
            return
        assert (site.output / "index.html").is_file()
        pages = [p for p in (site.output / "posts").rglob("index.html")]
        assert pages, "a build that succeeds writes the posts"


SNIPPETS = ["```{note}\n", "```{admonition} T\n:class: x\n", ":::{.callout-tip title='t'}\n", ":::\n", "```\n",
            "# ", "## ", "Title\n=====\n", "$x$", "$$\ny\n$$\n", "[a](b.md#c)", "[%](a%00b.md)", "![i](x.png)",
            "<script src='//h/x.js'></script>", "\n\n", "text ", "> Note: ", "- item\n", "| a | b |\n|---|---|\n",
            "[^1]\n\n[^1]: f\n", "<a id='x'>", "&amp;", "\\(", "`code`"]
markdown_text = st.lists(st.sampled_from(SNIPPETS) | st.text(max_size=8), max_size=14).map("".join)


@FUZZ
@given(markdown_text)
def test_any_markdown_renders(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        links: list[str] = []
        rendered = render_markdown(text, title=None, resolve=content_link("a/b.md", links, Path(folder)),
                                   jupyter_ids=True)
        assert isinstance(rendered.html, str)
        plain(text)
        first_h1(text)
