"""Execution against a real ipykernel: the cache, every failure kind, parallelism, the demo site."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from nbpress.build import build
from nbpress.config import load_settings
from nbpress.errors import NbpressError
from nbpress.execute import Job, Outcome, Progress

os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
ROOT = Path(__file__).resolve().parents[1]


def code(source: str, tags: Sequence[str] = ()) -> Any:
    cell = new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def write_nb(path: Path, *cells: Any, front: str = "title: T\ndate: 2024-01-01", kernel: str = "python3") -> Path:
    nb = new_notebook(cells=[new_raw_cell(f"---\n{front}\n---"), *cells])
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def run(nb_site: Path, **overrides: Any):  # type: ignore[no-untyped-def]
    settings, _ = load_settings(nb_site, {"timeout": 30, **overrides})
    return build(settings)


def errors_of(nb_site: Path, **overrides: Any) -> list[str]:
    with pytest.raises(NbpressError) as info:
        run(nb_site, **overrides)
    return [str(d) for d in info.value.diagnostics]


@pytest.fixture
def nb_site(tmp_path: Path) -> Path:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "nbpress.toml").write_text('title = "t"\nsearch = false\n')
    return tmp_path


def page_html(nb_site: Path, slug: str) -> str:
    return (nb_site / "output" / "posts" / slug / "index.html").read_text()


def test_cache_hit_miss_and_depends(nb_site: Path) -> None:
    (nb_site / "nbpress.toml").write_text('title = "t"\nsearch = false\nexecute = "cache"\n')
    (nb_site / "notebooks" / "data.csv").write_text("1\n2\n")
    nb = write_nb(nb_site / "notebooks" / "nb.ipynb", new_markdown_cell("Some prose."),
                  code("print(sum(int(x) for x in open('data.csv')))"),
                  front="title: T\ndate: 2024-01-01\ndepends: [data.csv]")
    first = run(nb_site)
    assert first.executed["executed"] == 1
    assert "3" in page_html(nb_site, "nb")
    cache_files = list((nb_site / ".nbpress" / "cache").glob("*.json"))
    assert len(cache_files) == 1
    text = cache_files[0].read_text()
    assert str(nb_site) not in text  # no absolute paths: safe to commit

    # A prose edit, and re-saved outputs with other execution counts, never re-execute.
    doc = nbformat.read(nb, as_version=4)
    doc.cells[1].source = "Other prose."
    doc.cells[2].execution_count = 42
    doc.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale\n")]
    nbformat.write(doc, nb)
    second = run(nb_site)
    assert second.executed == {"executed": 0, "cached": 1, "failed": 0, "seconds": second.executed["seconds"]}
    assert "Other prose." in page_html(nb_site, "nb")

    # A change to a listed data file always does.
    (nb_site / "notebooks" / "data.csv").write_text("1\n2\n3\n")
    third = run(nb_site)
    assert third.executed["executed"] == 1
    assert '<pre class="output-stream stdout">6\n</pre>' in page_html(nb_site, "nb")

    # So does a code edit.
    doc = nbformat.read(nb, as_version=4)
    doc.cells[2].source = "print('edited')"
    nbformat.write(doc, nb)
    assert run(nb_site).executed["executed"] == 1
    assert "edited" in page_html(nb_site, "nb")
    assert len(list((nb_site / ".nbpress" / "cache").glob("*.json"))) == 1  # older entries replaced


def test_modes(nb_site: Path) -> None:
    saved = write_nb(nb_site / "notebooks" / "saved.ipynb", code("print('fresh')"))
    doc = nbformat.read(saved, as_version=4)
    doc.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="as saved\n")]
    doc.cells[1].execution_count = 1
    nbformat.write(doc, saved)
    run(nb_site)  # auto: shown as saved
    assert "as saved" in page_html(nb_site, "saved")
    assert run(nb_site, execute="cache").executed["executed"] == 1
    assert "fresh" in page_html(nb_site, "saved")
    assert run(nb_site, execute="force").executed["executed"] == 1
    result = run(nb_site, execute="off")
    assert result.executed["executed"] == result.executed["cached"] == 0
    assert "as saved" in page_html(nb_site, "saved")


def test_cached_rebuild_starts_no_kernel(nb_site: Path) -> None:
    write_nb(nb_site / "notebooks" / "a.ipynb", code("1 + 1"))
    run(nb_site)

    class NoKernels:
        def run(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]:
            raise AssertionError(f"a kernel was started for {[j.source for j in jobs]}")

    settings, _ = load_settings(nb_site, {})
    (nb_site / "notebooks" / "a.ipynb").touch()
    result = build(settings, executor=NoKernels())
    assert result.executed["cached"] == 1


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ([code("x = 1"), code("1 / 0")], "notebooks/bad.ipynb: cell 3: ZeroDivisionError: division by zero"),
        ([code("import time\ntime.sleep(60)")], "notebooks/bad.ipynb: cell 2: timed out"),
        ([code("import os\nos._exit(1)")], "notebooks/bad.ipynb: cell 2: the kernel died"),
        ([code("input('name? ')")], "notebooks/bad.ipynb: cell 2: StdinNotImplementedError"),
    ],
    ids=["raises", "timeout", "dead-kernel", "input"],
)
def test_failures_are_located_content_errors(nb_site: Path, cells: list[Any], expected: str) -> None:
    write_nb(nb_site / "notebooks" / "bad.ipynb", *cells)
    errors = errors_of(nb_site, timeout=3)
    assert len(errors) == 1
    assert errors[0].startswith(expected), errors[0]
    assert "\x1b[" not in errors[0]
    assert not list((nb_site / ".nbpress" / "cache").glob("*.json"))  # a failure is never cached


def test_traceback_tail_is_shown(nb_site: Path) -> None:
    write_nb(nb_site / "notebooks" / "bad.ipynb", code("def f():\n    return {}['missing']\nf()"))
    (error,) = errors_of(nb_site)
    assert "KeyError: 'missing'" in error
    assert "return {}['missing']" in error


def test_missing_kernel_lists_installed(nb_site: Path) -> None:
    write_nb(nb_site / "notebooks" / "k.ipynb", code("1"), kernel="no-such-kernel")
    (error,) = errors_of(nb_site)
    assert "kernel 'no-such-kernel' is not installed" in error
    assert "python3" in error


def test_allowed_errors_are_shown(nb_site: Path) -> None:
    write_nb(nb_site / "notebooks" / "tagged.ipynb", code("1 / 0", tags=["raises-exception"]), code("print('after')"))
    write_nb(nb_site / "notebooks" / "allowed.ipynb", code("raise ValueError('shown')"), code("print('after')"),
             front="title: A\ndate: 2024-01-02\nexecute: {allow_errors: true}")
    result = run(nb_site)
    assert result.executed["executed"] == 2
    assert "ZeroDivisionError" in page_html(nb_site, "tagged")
    assert "after" in page_html(nb_site, "tagged")
    assert "ValueError" in page_html(nb_site, "allowed")


def test_skip_execution_and_tags_on_fresh_outputs(nb_site: Path) -> None:
    write_nb(nb_site / "notebooks" / "t.ipynb",
             code("raise SystemExit('never run')", tags=["skip-execution"]),
             code("print('hidden-source')", tags=["remove-input"]),
             code("print('no-output-here')", tags=["remove-output"]),
             code("print('folded')", tags=["hide-input"]),
             code("print('gone')", tags=["remove-cell"]))
    run(nb_site)
    html = page_html(nb_site, "t")
    assert "never run" in html  # source kept, not executed
    assert "hidden-source" in html and "print" not in html.split("hidden-source")[0].rsplit("cell-3", 1)[-1]
    assert "no-output-here" in html  # its source stays
    assert html.count("no-output-here") == 1
    assert "<details" in html and "folded" in html
    assert "gone" not in html


def test_failed_build_keeps_previous_output(nb_site: Path) -> None:
    nb = write_nb(nb_site / "notebooks" / "n.ipynb", code("print('good')"))
    run(nb_site)
    before = page_html(nb_site, "n")
    doc = nbformat.read(nb, as_version=4)
    doc.cells[1].source = "1/0"
    nbformat.write(doc, nb)
    errors_of(nb_site)
    assert page_html(nb_site, "n") == before


def test_notebooks_run_at_the_same_time(nb_site: Path) -> None:
    # Each notebook waits for the other's flag: they can only finish if they run in parallel.
    rendezvous = nb_site / "flags"
    rendezvous.mkdir()
    for me, other in (("a", "b"), ("b", "a")):
        write_nb(nb_site / "notebooks" / f"{me}.ipynb", code(
            "import pathlib, time\n"
            f"here = pathlib.Path({str(rendezvous)!r})\n"
            f"(here / '{me}').touch()\n"
            "deadline = time.time() + 20\n"
            f"while not (here / '{other}').exists() and time.time() < deadline:\n"
            "    time.sleep(0.05)\n"
            f"assert (here / '{other}').exists(), 'ran alone'\n"
            "print('met')"), front=f"title: {me}\ndate: 2024-01-01")
    result = run(nb_site, jobs=2)
    assert result.executed["executed"] == 2


def test_kernel_runs_in_the_notebook_folder_and_images_are_files(nb_site: Path) -> None:
    (nb_site / "notebooks" / "sub").mkdir()
    (nb_site / "notebooks" / "sub" / "msg.txt").write_text("hello from data")
    write_nb(nb_site / "notebooks" / "sub" / "p.ipynb", code("print(open('msg.txt').read())"),
             code("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"))
    run(nb_site)
    html = page_html(nb_site, "p")
    assert "hello from data" in html
    assert "base64" not in html
    images = list((nb_site / "output" / "posts" / "p").glob("*.png"))
    assert images and images[0].read_bytes().startswith(b"\x89PNG")


def test_demo_site_builds_with_an_executed_notebook(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    for name in ("notebooks", "layouts"):
        shutil.copytree(ROOT / name, demo / name)
    shutil.copy(ROOT / "nbpress.toml", demo / "nbpress.toml")
    proc = subprocess.run(
        [sys.executable, "-m", "nbpress", "build", "--site", str(demo)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "notebooks: executed 2" in proc.stdout  # the jupytext pair and the Markdown notebook
    assert list((demo / "output" / "posts" / "random-walks").glob("*.png"))
    entry = next((demo / ".nbpress" / "cache").glob("notebooks__tutorials__random-walks.ipynb--*.json"))
    cache = json.loads(entry.read_text())
    assert cache["source"] == "notebooks/tutorials/random-walks.ipynb"
    assert str(demo) not in entry.read_text()


def test_plotly_and_widgets_work_in_the_static_page(nb_site: Path) -> None:
    write_nb(nb_site / "notebooks" / "fig.ipynb", code(
        "import plotly.graph_objects as go\ngo.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]))"))
    write_nb(nb_site / "notebooks" / "slider.ipynb", code("import ipywidgets as w\nw.IntSlider(value=7)"),
             front="title: S\ndate: 2024-01-02")
    write_nb(nb_site / "notebooks" / "plain.ipynb", code("print('no scripts')"), front="title: P\ndate: 2024-01-03")
    run(nb_site)
    out = nb_site / "output"
    fig = page_html(nb_site, "fig")
    assert 'data-plotly="plotly-cell2-1"' in fig and '"type": "scatter"' in fig
    assert (out / "static" / "vendor" / "plotly.min.js").is_file()
    slider = page_html(nb_site, "slider")
    assert "application/vnd.jupyter.widget-state+json" in slider
    assert "application/vnd.jupyter.widget-view+json" in slider
    assert (out / "static" / "vendor" / "widgets" / "embed.js").is_file()
    plain = page_html(nb_site, "plain")
    assert "plotly.min.js" not in plain and "embed.js" not in plain  # a page loads only what it needs
