"""`--execute auto` (the default) publishes what was saved; it runs only notebooks that were never run.

Real kernels (ipykernel), the real command.
"""

from __future__ import annotations

import pytest
from conftest import Site, code, make_site, markdown_cell, nb, percent, stream

TOML = 'title = "Auto"\njobs = 1\nsearch = false\n'  # execute: the default, auto


@pytest.fixture
def auto_site(tmp_path):  # type: ignore[no-untyped-def]
    return make_site(tmp_path / "site", toml=TOML)


def test_a_notebook_with_any_output_is_published_as_saved(auto_site: Site) -> None:
    # As on the Handbook: one cell re-saved without a count (an import) must not re-run the rest and replace the
    # published random arrays; as on fastpages: a `#hide !pip install` cell must never run at build time.
    auto_site.post("saved.ipynb", nb(
        markdown_cell("# Saved"),
        code("import numpy as np"),  # no output, no count
        code("print('RAN AT BUILD TIME')", execution_count=2, outputs=[stream("published random array\n")]),
    ))
    auto_site.post("counted.ipynb", nb(code("x = 1", execution_count=1), code("print('RAN AT BUILD TIME')")))
    result = auto_site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "notebooks: executed" not in result.stdout
    saved = auto_site.read("posts/saved/index.html")
    assert "published random array" in saved and "RAN AT BUILD TIME\n</pre>" not in saved
    assert "RAN AT BUILD TIME\n</pre>" not in auto_site.read("posts/counted/index.html")
    assert not (auto_site.root / ".nbpress" / "cache").exists()


def test_notebooks_never_run_are_run(auto_site: Site) -> None:
    auto_site.post("fresh.ipynb", nb(markdown_cell("# Fresh"), code("print(6 * 7)")))
    auto_site.post("script.py", percent("title: Script\ndate: 2024-01-01", "# %%\nprint('from jupytext')"))
    result = auto_site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "notebooks: executed 2, from cache 0, failed 0" in result.stdout
    assert "42\n</pre>" in auto_site.read("posts/fresh/index.html")
    assert "from jupytext\n</pre>" in auto_site.read("posts/script/index.html")


def test_build_help_says_what_auto_runs(auto_site: Site) -> None:
    result = auto_site.cli("build", "--help", site=False)
    assert "only notebooks never run" in " ".join(result.stdout.split())
    assert "published as saved" in " ".join(result.stdout.split())


def test_a_missing_kernel_is_one_clear_message(auto_site: Site) -> None:
    meta = {"kernelspec": {"name": "no-such-kernel", "display_name": "Nope", "language": "python"}}
    auto_site.post("k.ipynb", nb(code("1 + 1"), metadata=meta))
    result = auto_site.cli("build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "jupyter_client" not in result.stderr
    assert "notebooks/k.ipynb: kernel 'no-such-kernel' is not installed (installed kernels: " in result.stderr
