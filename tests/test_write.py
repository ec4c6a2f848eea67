"""Write: deterministic output, incremental rebuilds, and old output kept when a build fails."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import PNG_B64, Site, code, display, markdown_cell, nb, percent, raw, stream, tree

from nbpress.model import OutputFile
from nbpress.output.write import Trees, stray_files, tree_folders


def small_site(site: Site) -> None:
    site.post("x/a.md", "---\ntitle: Alpha\ndate: 2024-01-01\ntags: [t]\n---\nAlpha body.\n")
    site.post("x/b.md", "---\ntitle: Beta\ndate: 2024-01-02\n---\nBeta body.\n")
    site.post("y/c.md", "---\ntitle: Gamma\ndate: 2024-01-03\n---\nGamma body with [a](../x/a.md).\n")
    site.post("y/n.ipynb", nb(raw("---\ntitle: Delta\ndate: 2024-01-04\n---"), markdown_cell("## Heading\n\nText."),
                              code("plot()", outputs=[stream("out\n"), display({"image/png": PNG_B64})])))
    site.post("y/p.py", percent("title: Epsilon\n", "# %% [markdown]\n# Undated.\n", "# %%\nx = 1\n"))
    site.post("assets/data.csv", "a,b\n1,2\n")


def edit(path: Path, text: str) -> None:
    """Rewrite a file and make sure its mtime moves on, even on coarse clocks."""
    old = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(old + 2_000_000_000, old + 2_000_000_000))


def test_two_builds_into_two_folders_are_byte_identical(site: Site, tmp_path: Path) -> None:
    small_site(site)
    one, two = tmp_path / "out-one", tmp_path / "out-two"
    # Two processes, so that set and dict orders that depend on the hash seed would show.
    assert site.cli("build", "--output", str(one)).returncode == 0
    assert site.cli("build", "--output", str(two)).returncode == 0
    first, second = tree(one), tree(two)
    assert "posts/n/index.html" in first and "assets/data.csv" in first
    assert any(p.startswith("posts/n/") and p.endswith(".png") for p in first)
    assert first == second


def test_rebuild_is_byte_identical_to_a_fresh_build(site: Site, tmp_path: Path) -> None:
    small_site(site)
    site.build()
    edit(site.root / "notebooks/x/b.md", "---\ntitle: Beta two\ndate: 2024-01-02\n---\nBeta body, edited.\n")
    site.build()
    fresh = tmp_path / "fresh"
    site.build(output=fresh)
    assert tree(site.output) == tree(fresh)


def test_unchanged_rebuild_writes_nothing(site: Site) -> None:
    small_site(site)
    site.build()
    before = {p: p.stat().st_mtime_ns for p in site.output.rglob("*") if p.is_file()}
    assert site.build().unchanged
    assert {p: p.stat().st_mtime_ns for p in site.output.rglob("*") if p.is_file()} == before


def test_edit_updates_the_post_its_category_and_home(site: Site) -> None:
    small_site(site)
    site.build()
    untouched = site.output / "posts/c/index.html"
    untouched_bytes = untouched.read_bytes()
    edit(site.root / "notebooks/x/a.md", "---\ntitle: Alpha Edited\ndate: 2024-01-01\ntags: [t]\n---\nNew body.\n")
    site.build()
    post = site.read("posts/a/index.html")
    assert "Alpha Edited" in post and "New body." in post and "Alpha body." not in post
    assert "Alpha Edited" in site.read("categories/x/index.html")
    assert "Alpha Edited" in site.read("index.html")
    assert "Alpha Edited" in site.read("tags/t/index.html")
    assert untouched.read_bytes() == untouched_bytes


def test_edit_notebook_updates_its_page(site: Site) -> None:
    small_site(site)
    site.build()
    edit(site.root / "notebooks/y/n.ipynb", nb(raw("---\ntitle: Delta Two\ndate: 2024-01-04\n---"),
                                               markdown_cell("Changed."), code("1", outputs=[stream("two\n")])))
    site.build()
    html = site.read("posts/n/index.html")
    assert "Delta Two" in html and "Changed." in html
    assert not list((site.output / "posts/n").glob("*.png"))  # its old image output is gone


def test_category_change_moves_the_post(site: Site) -> None:
    small_site(site)
    site.build()
    edit(site.root / "notebooks/x/b.md", "---\ntitle: Beta\ndate: 2024-01-02\ncategory: z\n---\nBeta body.\n")
    site.build()
    assert "Beta" not in site.read("categories/x/index.html")
    assert "Beta" in site.read("categories/z/index.html")


def test_deleted_post_is_removed(site: Site) -> None:
    small_site(site)
    site.build()
    assert (site.output / "posts/b/index.html").exists()
    (site.root / "notebooks/x/b.md").unlink()
    (site.root / "notebooks/y/n.ipynb").unlink()
    (site.root / "notebooks/assets/data.csv").unlink()
    site.build()
    assert not (site.output / "posts/b").exists()
    assert not (site.output / "posts/n").exists()
    assert not (site.output / "assets/data.csv").exists()
    assert "Beta" not in site.read("index.html")
    assert "Beta" not in site.read("categories/x/index.html")


def test_deleting_a_category_removes_its_page(site: Site) -> None:
    small_site(site)
    site.build()
    for name in ("c.md", "n.ipynb", "p.py"):
        (site.root / "notebooks/y" / name).unlink()
    site.build()
    assert not (site.output / "categories/y").exists()


def test_failed_build_keeps_the_old_output(site: Site) -> None:
    small_site(site)
    site.build()
    before = tree(site.output)
    edit(site.root / "notebooks/x/a.md", "---\ntitle: Alpha\ndate: [broken\n---\nBody.\n")
    (site.root / "notebooks/x/b.md").unlink()
    result = site.cli("build")
    assert result.returncode == 1
    assert "notebooks/x/a.md" in result.stderr
    assert tree(site.output) == before
    # Fixed, the next build catches up with both changes.
    edit(site.root / "notebooks/x/a.md", "---\ntitle: Alpha fixed\ndate: 2024-01-01\n---\nBody.\n")
    site.build()
    assert "Alpha fixed" in site.read("posts/a/index.html")
    assert not (site.output / "posts/b").exists()


def test_layout_change_rebuilds(site: Site) -> None:
    small_site(site)
    site.build()
    layout = site.root / "layouts/posts/[slug].html"
    edit(layout, "<main>NEW LAYOUT {{ page.title }}</main>\n")
    site.build()
    assert site.read("posts/a/index.html") == "<main>NEW LAYOUT Alpha</main>\n"


def test_output_never_inside_the_sources(site: Site) -> None:
    small_site(site)
    result = site.cli("build", "--output", str(site.root / "notebooks"))
    assert result.returncode == 2
    assert (site.root / "notebooks/x/a.md").exists()
    result = site.cli("build", "--output", str(site.root))
    assert result.returncode == 2
    assert (site.root / "nbpress.toml").exists()


def contents(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _publish(trees: Trees, spare: dict[str, str] | None, files: list[OutputFile], live: dict[str, str],
             keep_old: bool = True) -> dict[str, str]:
    staging = trees.begin(spare)
    staging.prune(f.path for f in files)
    staging.fill(files, trees.output, live)
    trees.publish(staging, keep_old)
    return {f.path: f.digest for f in files}


def test_trees_swap_whole_sites_and_share_unchanged_files(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    trees = Trees(out, work)
    src = tmp_path / "src.bin"
    src.write_bytes(b"copied")
    first = _publish(trees, None, [OutputFile("a/index.html", b"a", digest="1"),
                                   OutputFile("b/index.html", b"b", digest="2"),
                                   OutputFile("f.bin", copy_from=str(src), digest="s")], {})
    assert contents(out) == {"a/index.html": b"a", "b/index.html": b"b", "f.bin": b"copied"}
    assert not trees.spare.exists()  # the first site replaced nothing
    live_a = (out / "a/index.html").stat().st_ino
    second = _publish(trees, None, [OutputFile("a/index.html", digest="1"),  # unchanged: shared with the live site
                                    OutputFile("b/index.html", b"B", digest="2b")], first)
    assert contents(out) == {"a/index.html": b"a", "b/index.html": b"B"}
    assert (out / "a/index.html").stat().st_ino == live_a
    assert contents(trees.spare) == {"a/index.html": b"a", "b/index.html": b"b", "f.bin": b"copied"}  # the old site
    # The third site starts from the spare (the first): only what differs from it is touched.
    _publish(trees, first, [OutputFile("a/index.html", digest="1"), OutputFile("b/index.html", b"3", digest="3")],
             second)
    assert contents(out) == {"a/index.html": b"a", "b/index.html": b"3"}
    assert contents(trees.spare) == {"a/index.html": b"a", "b/index.html": b"B"}
    assert [p.name for p in work.iterdir()] == ["spare"]  # no staging tree left behind


def test_files_put_into_a_tree_by_hand_are_found_in_the_folders_whose_time_changed(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    manifest = {"index.html": "1", "posts/a/index.html": "2", "posts/b/index.html": "3", "f/g/h.css": "4"}
    for path in manifest:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    folders = tree_folders(root, manifest)
    assert set(folders) == {"", "posts", "posts/a", "posts/b", "f", "f/g"}
    assert stray_files(root, manifest, folders) == []
    time_before = folders["posts/b"]
    (root / "posts/b/extra.html").write_text("by hand")
    (root / "f/g/new").mkdir()
    (root / "f/g/new/deep.js").write_text("by hand")
    (root / "top.txt").write_text("by hand")
    assert os.stat(root / "posts/b").st_mtime_ns != time_before
    found = stray_files(root, manifest, folders)
    assert sorted(found) == ["f/g/new/deep.js", "posts/b/extra.html", "top.txt"]
    assert sorted(found) == sorted(stray_files(root, manifest, None))  # as a walk of the whole tree finds them


def test_a_file_shared_with_the_live_site_is_replaced_not_written_into(tmp_path: Path) -> None:
    trees = Trees(tmp_path / "out", tmp_path / "work")
    first = _publish(trees, None, [OutputFile("x.html", b"one", digest="1")], {})
    second = _publish(trees, None, [OutputFile("x.html", digest="1")], first)  # live and spare share x.html
    staging = trees.begin(first)
    staging.fill([OutputFile("x.html", b"two", digest="2")], trees.output, second)
    assert (trees.output / "x.html").read_bytes() == b"one"  # the live site does not change under a build
    trees.discard(staging)
    assert not staging.root.exists()


def test_links_follow_a_renamed_slug(site: Site, tmp_path: Path) -> None:
    site.post("a.md", "---\ntitle: A\ndate: 2024-01-01\n---\nSee [b](b.md).\n")
    site.post("b.md", "---\ntitle: B\ndate: 2024-01-02\n---\nB.\n")
    site.build()
    assert 'href="/posts/b/"' in site.read("posts/a/index.html")
    edit(site.root / "notebooks/b.md", "---\ntitle: B\ndate: 2024-01-02\nslug: bee\n---\nB.\n")
    site.build()
    assert not (site.output / "posts/b").exists()
    fresh = tmp_path / "fresh"
    site.build(output=fresh)
    assert 'href="/posts/bee/"' in (fresh / "posts/a/index.html").read_text()
    assert 'href="/posts/bee/"' in site.read("posts/a/index.html")


def test_a_file_put_into_the_output_folder_by_hand_is_gone_when_its_tree_comes_round_again(site: Site,
                                                                                           tmp_path: Path) -> None:
    site.post("a.md", "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n")
    site.post("b.md", "---\ntitle: B\ndate: 2024-01-02\n---\nB.\n")
    site.build()
    edit(site.root / "notebooks/b.md", "---\ntitle: B\ndate: 2024-01-02\n---\nB1.\n")
    site.build()  # the first tree is now the spare
    site.write("output/posts/a/by-hand.html", "<p>by hand</p>")
    site.write("output/extra/deep/file.txt", "by hand")
    for body in ("A2.", "A3."):  # the tree that holds them is the spare, then the one built into
        edit(site.root / "notebooks/a.md", f"---\ntitle: A\ndate: 2024-01-01\n---\n{body}\n")
        site.build()
        assert not (site.output / "posts/a/by-hand.html").exists()
    assert not list(site.root.rglob("by-hand.html")), "left in the spare tree"
    fresh = tmp_path / "fresh"
    site.build(output=fresh)
    assert contents(site.output) == contents(fresh)
