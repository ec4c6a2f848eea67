"""A site whose .nbpress/ another nbpress wrote rebuilds cleanly, says why once, and never crashes on the old files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import Site, code, nb, raw, tree

from nbpress import __version__
from nbpress.output.guard import MARKER
from nbpress.store import Store

POST = "---\ntitle: A\ndate: 2024-01-01\n---\nA post.\n"


def cli(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nbpress", "build", "--site", str(site.root), *args],
                          capture_output=True, text=True, timeout=120, cwd=site.root)


def state_folder(site: Site) -> Path:
    return Store(site.root).state_dir(site.settings().output_path)


def test_a_build_state_from_another_version_is_rebuilt_and_said_once(site: Site) -> None:
    site.post("a.md", POST)
    assert cli(site).returncode == 0
    fresh = tree(site.output)
    manifest = state_folder(site) / "manifest.json"
    old = json.loads(manifest.read_text())
    manifest.write_text(json.dumps(old | {"format": "1-0123456789abcdef", "nbpress": "0.0.9"}))
    first = cli(site)
    assert first.returncode == 0, first.stderr
    assert f"the build state is from nbpress 0.0.9: rebuilding everything with {__version__}" in first.stderr
    assert "Traceback" not in first.stderr
    assert tree(site.output) == fresh
    second = cli(site)
    assert "nothing changed" in second.stdout and "build state" not in second.stderr


def test_a_site_built_before_the_marker_by_the_first_release(site: Site) -> None:
    """nbpress 0.1.0 wrote manifest.json (format 1, no version in it) and pages.pickle, and no marker."""
    site.post("a.md", POST)
    assert cli(site).returncode == 0
    fresh = tree(site.output)
    folder = state_folder(site)
    outputs = json.loads((folder / "manifest.json").read_text())["outputs"]
    (folder / "manifest.json").write_text(json.dumps({"format": "1-f00dfeedf00dfeed", "inputs": "x",
                                                       "outputs": outputs, "watched": [], "warnings": []}))
    (folder / "state.pickle").unlink()
    (folder / "pages.pickle").write_bytes(b"\x80\x05 not a pickle of today's pages")
    (site.output / MARKER).unlink()
    result = cli(site)
    assert result.returncode == 0, result.stderr  # its own output, recognised from the old state
    assert "the build state is from an earlier nbpress" in result.stderr and "Traceback" not in result.stderr
    assert tree(site.output) == fresh


def test_a_corrupt_build_state_is_a_full_build(site: Site) -> None:
    site.post("a.md", POST)
    assert cli(site).returncode == 0
    fresh = tree(site.output)
    (state_folder(site) / "state.pickle").write_bytes(b"garbage")
    (site.post("b.md", POST.replace("title: A", "title: B")))
    result = cli(site)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "posts/b/index.html" in tree(site.output) and fresh.keys() <= tree(site.output).keys()


def test_cached_outputs_from_another_cache_format_run_again_and_say_so(site: Site) -> None:
    site.write("nbpress.toml", 'title = "t"\nexecute = "cache"\njobs = 1\nsearch = false\n')
    site.post("n.ipynb", nb(raw("---\ntitle: N\ndate: 2024-01-01\n---"), code("print(6 * 7)")))
    assert cli(site).returncode == 0
    cache = Store(site.root).cache_dir
    (entry,) = cache.glob("*.json")
    data = json.loads(entry.read_text())
    entry.write_text(json.dumps(data | {"format": 0, "nbpress": "0.0.9"}))
    shutil.rmtree(site.root / ".nbpress" / "state")  # a fresh clone in CI, the cache committed long ago
    shutil.rmtree(site.output)
    first = cli(site)
    assert first.returncode == 0, first.stderr
    assert "the cached outputs of notebooks/n.ipynb were made by nbpress 0.0.9" in first.stderr
    assert "notebooks: executed 1" in first.stdout
    assert "42" in site.read("posts/n/index.html")
    (entry,) = cache.glob("*.json")
    assert json.loads(entry.read_text())["nbpress"] == __version__
    again = cli(site, "--execute", "force")
    assert "were made by" not in again.stderr  # said once; a forced run says nothing of the cache
