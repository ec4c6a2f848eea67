"""Tiny inline fixtures: a site in a temp folder, and builders for posts and notebooks."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import nbformat
import nbformat.v4 as v4
import pytest

from nbpress.config import Settings, load_settings
from nbpress.model import Page
from nbpress.sources.discover import discover
from nbpress.sources.notebook import render_notebook

# A copy of shared/fixtures/seed-post.md (test_golden checks that it is the same when shared/ is there).
SEED_POST = Path(__file__).parent / "golden" / "site" / "notebooks" / "nextjs" / "seed-post.md"

# The fixture site's own layouts, so that tests never depend on the built-in theme's markup.
LAYOUTS: dict[str, str] = {
    "_base.html": (
        "<!doctype html><html><head><title>{% block title %}{{ site.title }}{% endblock %}</title>"
        '<link rel="stylesheet" href="{{ url(\'/style.css\') }}"></head>'
        '<body><nav><a href="{{ url(\'/\') }}">home</a></nav>{% block main %}{% endblock %}</body></html>\n'
    ),
    "index.html": (
        '{% extends "_base.html" %}{% block main %}<ul>'
        '{% for p in pages %}<li><a href="{{ url(p.url) }}">{{ p.title }}</a> {{ p.excerpt }}</li>{% endfor %}'
        "</ul>{% endblock %}\n"
    ),
    "posts/[slug].html": (
        '{% extends "_base.html" %}{% block title %}{{ page.title }}{% endblock %}{% block main %}'
        "<article><h1>{{ page.title }}</h1><p class=\"excerpt\">{{ page.excerpt }}</p>"
        "{% for c in page.categories %}"
        '<a class="category" href="{{ url(collection_url(\'category\', c)) }}">{{ c }}</a>{% endfor %}'
        "{% if page.cover_image %}<img class=\"cover\" src=\"{{ url(page.cover_image) }}\">{% endif %}"
        "<div class=\"body\">{{ page.body }}</div></article>{% endblock %}\n"
    ),
    "categories/[category].html": (
        '{% extends "_base.html" %}{% block main %}<h1>{{ collection.name }}</h1><ul>'
        '{% for p in pages %}<li><a href="{{ url(p.url) }}">{{ p.title }}</a></li>{% endfor %}</ul>'
        '{% if paginator.next %}<a rel="next" href="{{ url(paginator.next) }}">next</a>{% endif %}'
        "{% endblock %}\n"
    ),
    "tags/[tag].html": (
        '{% extends "_base.html" %}{% block main %}<h1>#{{ collection.name }}</h1><ul>'
        '{% for p in pages %}<li><a href="{{ url(p.url) }}">{{ p.title }}</a></li>{% endfor %}</ul>'
        "{% endblock %}\n"
    ),
    "style.css": "body { margin: 0 }\n",
}

# execute = "off", search = false: these tests are about everything but execution (tests/test_execute.py
# is) and search (tests/test_search.py is).
NBPRESS_TOML = 'title = "Test site"\nexecute = "off"\njobs = 1\nsearch = false\n'


# --- sources -------------------------------------------------------------------------------------


def md(text: str) -> str:
    """A Markdown source, written inline with any indentation."""
    return textwrap.dedent(text).lstrip("\n")


_ids = itertools.count(1)


def _cell_id() -> str:
    return f"c{next(_ids)}"


def code(src: str, outputs: list[dict[str, Any]] | None = None, tags: list[str] | None = None,
         execution_count: int | None = None, **metadata: Any) -> Any:
    """An nbformat v4 code cell."""
    meta: dict[str, Any] = dict(metadata)
    if tags:
        meta["tags"] = list(tags)
    return v4.new_code_cell(md(src), outputs=outputs or [], metadata=meta, execution_count=execution_count,
                            id=_cell_id())


def markdown_cell(src: str, attachments: dict[str, Any] | None = None, tags: list[str] | None = None) -> Any:
    """An nbformat v4 markdown cell."""
    cell = v4.new_markdown_cell(md(src), metadata={"tags": list(tags)} if tags else {}, id=_cell_id())
    if attachments:
        cell["attachments"] = attachments
    return cell


def raw(src: str, **metadata: Any) -> Any:
    """An nbformat v4 raw cell (front matter, or raw HTML with format: text/html)."""
    return v4.new_raw_cell(md(src), metadata=dict(metadata), id=_cell_id())


def stream(text: str, name: str = "stdout") -> Any:
    return v4.new_output("stream", name=name, text=text)


def display(data: dict[str, Any], metadata: dict[str, Any] | None = None, result: bool = False) -> Any:
    if result:
        return v4.new_output("execute_result", data=data, metadata=metadata or {}, execution_count=1)
    return v4.new_output("display_data", data=data, metadata=metadata or {})


def error(ename: str, evalue: str, traceback: list[str]) -> Any:
    return v4.new_output("error", ename=ename, evalue=evalue, traceback=traceback)


# A real 1x1 PNG, base64 as notebooks store it.
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def nb(*cells: Any, metadata: dict[str, Any] | None = None) -> str:
    """An .ipynb (nbformat v4 JSON text), validated by nbformat."""
    meta = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    meta.update(metadata or {})
    notebook = v4.new_notebook(cells=list(cells), metadata=meta)
    return nbformat.writes(notebook)


def nb_v3(title: str = "Old notebook", code_src: str = "print('hi')") -> str:
    """An nbformat v3 notebook (worksheets), as IPython 2 saved them."""
    return json.dumps({
        "metadata": {"name": "", "signature": ""},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [{
            "cells": [
                {"cell_type": "heading", "level": 1, "metadata": {}, "source": [title]},
                {"cell_type": "markdown", "metadata": {}, "source": ["A notebook from the old days."]},
                {"cell_type": "code", "collapsed": False, "input": [code_src], "language": "python",
                 "metadata": {}, "outputs": [{"output_type": "stream", "stream": "stdout", "text": ["hi\n"]}],
                 "prompt_number": 1},
            ],
            "metadata": {},
        }],
    }, indent=1)


def percent(header: str | None, *cells: str) -> str:
    """A jupytext py:percent notebook: an optional YAML header (commented) and `# %%` cells."""
    out = []
    if header is not None:
        lines = "".join(f"# {line}\n" if line else "#\n" for line in md(header).splitlines())
        out.append(f"# ---\n{lines}# ---\n")
    out.extend(md(cell) for cell in cells)
    return "\n".join(out)


JUPYTEXT_MD_HEADER = """\
jupyter:
  jupytext:
    text_representation:
      extension: .md
      format_name: markdown
  kernelspec:
    display_name: Python 3
    language: python
    name: python3
"""


# --- the site ------------------------------------------------------------------------------------


class Site:
    """A site folder in tmp_path: write sources, load pages, build, run the CLI."""

    def __init__(self, root: Path):
        self.root = root

    @property
    def output(self) -> Path:
        return self.root / "output"

    def write(self, rel: str, content: str | bytes) -> Path:
        """Write a file relative to the site root (use "notebooks/..." for content)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def post(self, rel: str, content: str | bytes) -> Path:
        """Write a file under notebooks/."""
        return self.write(f"notebooks/{rel}", content)

    def settings(self, **overrides: Any) -> Settings:
        settings, warnings = load_settings(self.root, overrides)
        assert not warnings, warnings
        return settings

    def sources(self) -> dict[str, Any]:
        sources, _, _ = discover(self.settings())
        return {s.rel: s for s in sources}

    def load(self, rel: str, render: bool = True) -> Page:
        """The Page of notebooks/<rel>, with a notebook's cells rendered."""
        from nbpress.sources.load import load_page

        source = self.sources()[rel]
        page = load_page(source, self.root)
        assert page is not None
        return render_notebook(page) if render else page

    def build(self, output: Path | None = None, **overrides: Any) -> Any:
        """Build in this process (faster than the CLI); NbpressError on content errors."""
        from nbpress.build import build
        from nbpress.config import replace

        settings = self.settings(**overrides)
        if output is not None:
            settings = replace(settings, output_dir=str(output))
        return build(settings)

    def cli(self, *args: str, site: bool = True) -> subprocess.CompletedProcess[str]:
        """`python -m nbpress <args> --site <root>` in a subprocess."""
        argv = [sys.executable, "-m", "nbpress", *args]
        if site:
            argv += ["--site", str(self.root)]
        env = dict(os.environ, PYTHONWARNINGS="error", NO_COLOR="1")
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, cwd=self.root)

    def read(self, rel: str) -> str:
        """A built file under output/."""
        return (self.output / rel).read_text(encoding="utf-8")


def tree(folder: Path) -> dict[str, str]:
    """Every file under folder (relative posix path) -> sha256 of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def make_site(root: Path, layouts: bool = True, toml: str = NBPRESS_TOML) -> Site:
    root.mkdir(parents=True, exist_ok=True)
    (root / "notebooks").mkdir(exist_ok=True)
    if toml is not None:
        (root / "nbpress.toml").write_text(toml, encoding="utf-8")
    if layouts:
        for rel, text in LAYOUTS.items():
            path = root / "layouts" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return Site(root)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """A site: nbpress.toml (execution off), an empty notebooks/ and its own tiny layouts/."""
    return make_site(tmp_path / "site")


def processes_in(folder: Path) -> list[str]:
    """Every live process whose working directory is inside folder (a kernel runs in its notebook's folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or proc.name == str(os.getpid()):
            continue
        try:
            cwd = Path(os.readlink(proc / "cwd"))
            state = next(line for line in (proc / "status").read_text().splitlines() if line.startswith("State:"))
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, StopIteration):
            continue  # gone meanwhile, or not ours to read
        if "zombie" not in state and (cwd == folder or folder in cwd.parents):
            found.append(f"{proc.name} {command}")
    return found
