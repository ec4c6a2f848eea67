"""bench/: the benchmark runs end to end on a tiny corpus, and its parts (the edit generator, the
tree comparison, the Pagefind reader) do what the longer runs rely on."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import edits, search_index
from bench.build import verify_search
from bench.corpus import edit_post, make_posts
from bench.incremental import build_site, first_difference
from bench.report import Report, Table
from bench.run import main

REPO = Path(__file__).resolve().parent.parent
HUGO = shutil.which("hugo") is not None


def _table(report: Report, title: str) -> Table:
    return next(t for t in report.tables if t.title.startswith(title))


def _rows(table: Table) -> dict[str, tuple[str, ...]]:
    return {row[0]: row[1:] for row in table.rows}


def test_benchmark_reports_every_figure_on_a_tiny_corpus(tmp_path: Path) -> None:
    only = "baseline,build,notebooks" + (",hugo" if HUGO else "")
    report = Report()
    status = main(["--posts", "20", "--notebooks", "1", "--repeat", "1", "--only", only,
                   "--keep", str(tmp_path / "work")], report=report)
    assert status == 0, report.failures
    assert not report.failures

    baseline = _rows(_table(report, "baseline"))
    assert {"baseline, 1 process (20 posts)", "baseline, 2 processes (20 posts)", "machine factor"} <= set(baseline)

    matrix = _table(report, "build: 20 posts, every tool")
    peers = ["nbpress, defaults (search on)", "nbpress, search off"]
    peers += ["Hugo 0.", "Hugo, then Pagefind"] if HUGO else []
    assert len(matrix.header) == 1 + len(peers)
    assert all(h.startswith(p) for h, p in zip(matrix.header[1:], peers, strict=True))
    rows = _rows(matrix)
    for label in ("cold build (best of 1)", "one post changed (best of 1)", "nothing changed (best of 1)",
                  "peak memory (largest max RSS)", "cpu time, cold build", "files written, cold build"):
        assert all(cell.strip() for cell in rows[label]), (label, rows[label])
    assert set(rows["change shown (post, category, feeds)"]) == {"yes"}
    searches = [p in ("nbpress, defaults (search on)", "Hugo, then Pagefind") for p in peers]
    assert list(rows["search finds the change"]) == ["yes" if s else "-" for s in searches]
    assert [cell == "20" for cell in rows["pages in the search index"]] == searches

    targets = _rows(_table(report, "build: the targets"))
    for name in ("search on", "search off"):
        for figure in ("cold build", "one post changed", "nothing changed", "change shown", "peak memory"):
            assert f"{name}: {figure}" in targets
    assert targets["search on: change shown"][0] == "yes"
    assert "index finds it" in targets["search on: one post changed"][1]

    notebooks = _rows(_table(report, "notebooks"))
    for label in ("nbconvert --execute, serial (1 nb)", "nbpress build --jobs 1, cold",
                  "nbpress build --jobs 2, cold", "rebuild, all notebooks cached", "  kernels started"):
        assert notebooks[label][0].strip(), label
    assert notebooks["  kernels started"][0] == "0"


def test_hugo_asked_for_but_missing_fails_the_run(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))  # no hugo on this PATH
    proc = subprocess.run([sys.executable, "bench/bench.py", "--posts", "3", "--only", "hugo"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "hugo: not installed (apt-get install hugo)" in proc.stdout
    assert "FAILED: hugo: not installed" in proc.stdout


# --- the edit generator (the in-suite incremental test imports it too) ----------------------------


def _sources_tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.relative_to(site).parts[0] not in ("output", ".nbpress")}


def test_make_site_builds_a_small_site_with_notebooks_and_layouts(tmp_path: Path) -> None:
    site = edits.make_site(tmp_path / "site", posts=6, seed=3)
    kinds = sorted(p.suffix for p in edits.sources(site))
    assert kinds == [".ipynb"] * 2 + [".md"] * 6
    assert build_site(site) is None
    built = {p.relative_to(site / "output").as_posix() for p in (site / "output").rglob("*.html")}
    assert "reading-list/index.html" in built
    assert sum(p.startswith("notes/") for p in built) == 8  # one notes page per post
    assert any(p.startswith("series/") for p in built)
    assert list((site / "output").rglob("*.png"))  # the notebook's image output and the covers


@pytest.mark.parametrize("kind", sorted(edits.KINDS))
def test_every_kind_of_edit_changes_the_sources_and_the_site_still_builds(tmp_path: Path, kind: str) -> None:
    site = edits.make_site(tmp_path / "site", posts=6, seed=1)
    before = _sources_tree(site)
    edit = next(edits.random_edits(random.Random(kind), site, 1, {kind: edits.KINDS[kind]}))
    assert edit.describe().startswith(f"{edit.kind} ")
    edit.apply()
    assert _sources_tree(site) != before, edit.describe()
    assert build_site(site) is None, edit.describe()


def test_the_same_seed_draws_the_same_edits(tmp_path: Path) -> None:
    walks = []
    for name in ("a", "b"):
        site = edits.make_site(tmp_path / name, posts=8, seed=5)
        walk = []
        for edit in edits.random_edits(random.Random(5), site, 25):
            edit.apply()
            walk.append(edit.describe())
        walks.append(walk)
    assert walks[0] == walks[1]
    assert len(walks[0]) == 25
    assert len({w.split()[0] for w in walks[0]}) > 5  # many kinds, not one


def test_copy_sources_leaves_out_the_build_and_keeps_file_times(tmp_path: Path) -> None:
    site = edits.make_site(tmp_path / "site", posts=3, seed=2, notebooks=0)
    (site / "output").mkdir()
    (site / ".nbpress").mkdir()
    copy = edits.copy_sources(site, tmp_path / "copy")
    assert not (copy / "output").exists() and not (copy / ".nbpress").exists()
    for path in edits.sources(site):
        twin = copy / path.relative_to(site)
        assert twin.read_bytes() == path.read_bytes()
        assert twin.stat().st_mtime == path.stat().st_mtime  # an undated post's date is its mtime


def test_first_difference_names_the_file_and_shows_a_short_diff(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "posts").mkdir(parents=True)
        (root / "same.html").write_text("<p>same</p>\n")
    assert first_difference(a, b) is None
    (a / "posts" / "x.html").write_text("<h1>Old title</h1>\n<p>body</p>\n")
    (b / "posts" / "x.html").write_text("<h1>New title</h1>\n<p>body</p>\n")
    found = first_difference(a, b)
    assert found is not None and found.path == "posts/x.html" and found.what == "differs"
    assert "-<h1>Old title</h1>" in found.diff and "+<h1>New title</h1>" in found.diff
    (b / "extra.png").write_bytes(b"\x89PNG")
    found = first_difference(a, b)
    assert found is not None and (found.path, found.what) == ("extra.png", "only fresh")
    assert found.others == ("posts/x.html",) and "(also: posts/x.html)" in str(found)


# --- reading a Pagefind index ----------------------------------------------------------------------


def test_cbor_decodes_what_pagefind_writes() -> None:
    # The start of a pf_meta: [version, [[page hash, word count]], ...]
    assert search_index.cbor(bytes.fromhex("8365312e352e328182626531038180")) == ["1.5.2", [["e1", 3]], [[]]]
    assert search_index.cbor(bytes.fromhex("83010203")) == [1, 2, 3]
    assert search_index.cbor(bytes.fromhex("a2616101616282f5f6")) == {"a": 1, "b": [True, None]}
    assert search_index.cbor(bytes.fromhex("9f0102ff")) == [1, 2]  # indefinite length
    assert search_index.cbor(bytes.fromhex("1903e8")) == 1000
    assert search_index.cbor(bytes.fromhex("20")) == -1


def test_search_finds_a_word_on_the_page_that_holds_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for name, text in (("a", "zqbrvk appears here"), ("b", "nothing to see")):
        (site / name).mkdir(parents=True)
        (site / name / "index.html").write_text(
            f'<html lang="en"><body><h1>{name}</h1><main data-pagefind-body><p>{text}</p></main></body></html>')
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--silent"], check=True, timeout=60)
    assert search_index.page_count(site) == 2
    assert search_index.search(site, "zqbrvk") == {"/a/": "zqbrvk appears here."}
    assert search_index.search(site, "zqnothere") == {}


def test_verify_search_wants_the_new_word_on_the_post_only_and_the_old_word_gone(tmp_path: Path) -> None:
    post = make_posts(1)[0]
    first, second = edit_post(post, 1), edit_post(post, 2)
    assert first.word != second.word and first.word in first.post.body and first.word not in second.post.body

    def index(pages: dict[str, str]) -> Path:
        site = tmp_path / f"site{len(list(tmp_path.iterdir()))}"
        for url, text in pages.items():
            (site / url).mkdir(parents=True)
            (site / url / "index.html").write_text(
                f'<html lang="en"><body><main data-pagefind-body><p>{text}</p></main></body></html>')
        subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--silent"], check=True, timeout=60)
        return site

    good = index({f"posts/{post.slug}": f"new {second.word}", "posts/other": "old text"})
    assert verify_search(good, second, first, indexed=2)[0]
    stale = index({f"posts/{post.slug}": f"new {second.word}", "posts/other": f"still {first.word}"})
    ok, detail = verify_search(stale, second, first, indexed=2)
    assert not ok and "still found on /posts/other/" in detail
    missing = index({"posts/other": "old text"})
    ok, detail = verify_search(missing, second, None, indexed=2)
    assert not ok and "is not found" in detail and "holds 1 pages" in detail
