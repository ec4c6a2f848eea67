"""Publishing output/: only a folder nbpress built is replaced, and a killed or concurrent build never breaks it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Site, make_site, tree

from nbpress.output.guard import MARKER


def cli(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "nbpress", *args, "--site", str(root)], cwd=root, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = cli(root, *args)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_git_repository_is_never_the_output(site: Site) -> None:
    site.post("a.md", "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n")
    subprocess.run(["git", "init", "-q", str(site.root)], check=True)
    subprocess.run(["git", "-C", str(site.root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(site.root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one"],
                   check=True)
    for output in (".git", ".git/objects", ".nbpress"):
        result = run(site.root, "build", "--output", str(site.root / output))
        assert result.returncode == 2, result.stderr
        assert "will not write the site" in result.stderr and "Traceback" not in result.stderr
    log = subprocess.run(["git", "-C", str(site.root), "log", "--oneline"], capture_output=True, text=True, check=True)
    assert "one" in log.stdout


@pytest.mark.parametrize("output", [".", "notebooks", "notebooks/assets", ".."])
def test_a_folder_holding_sources_is_never_the_output(site: Site, output: str) -> None:
    site.post("a.md", "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n")
    result = run(site.root, "build", "--output", str((site.root / output).resolve()))
    assert result.returncode == 2
    assert "sources" in result.stderr
    assert (site.root / "notebooks/a.md").exists()


def test_a_folder_nbpress_did_not_build_is_left_alone(site: Site, tmp_path: Path) -> None:
    site.post("a.md", "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n")
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("precious")
    site.write("nbpress.toml", f'title = "t"\nexecute = "off"\noutput_dir = "{thesis}"\n')
    for command in ("build", "clean"):
        result = run(site.root, command)
        assert result.returncode == 2, result.stderr
        assert "nbpress did not build it" in result.stderr and "empty or remove it yourself" in result.stderr
        assert (thesis / "chapter1.tex").read_text() == "precious"
    (thesis / "chapter1.tex").unlink()  # an empty folder is fine
    assert run(site.root, "build").returncode == 0
    assert (thesis / MARKER).is_file() and (thesis / "posts/a/index.html").is_file()
    assert run(site.root, "clean").returncode == 0
    assert not thesis.exists()


def test_a_site_built_by_an_earlier_nbpress_is_replaced(site: Site) -> None:
    """Sites built before the marker: the build state lists exactly their files."""
    site.post("a.md", "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n")
    site.build()
    (site.output / MARKER).unlink()
    assert run(site.root, "build").returncode == 0
    (site.output / MARKER).unlink()
    (site.output / "mine.txt").write_text("not nbpress's")
    assert run(site.root, "build").returncode == 2


def many_posts(site: Site, count: int, version: str) -> None:
    for i in range(count):
        body = f"Post {i}, version {version}. " + "Some words of prose. " * 40
        site.post(f"c{i % 5}/p{i}.md", f"---\ntitle: Post {i} {version}\ndate: 2024-01-{1 + i % 28:02d}\n"
                                       f"tags: [t{i % 7}]\n---\n{body}\n\n## Part\n\nMore.\n")


def leftovers(site: Site) -> list[str]:
    state = site.root / ".nbpress" / "state"
    found = [p.name for p in site.root.iterdir() if p.name.startswith(".output")]
    found += [p.name for p in state.glob("*/staging*")]
    return found


def _staged(site: Site) -> list[Path]:
    return list((site.root / ".nbpress" / "state").glob("*/staging-*"))


def _pages(staging: Path) -> int:
    """Pages written into a staging tree so far (0 once it is gone: the leftover of the build killed before,
    which this build removes as it starts)."""
    try:
        return sum(1 for _ in staging.rglob("index.html"))
    except FileNotFoundError:
        return 0


def _moment(site: Site, name: str, marker: tuple[int, int]) -> bool:
    """Whether the build under way has reached a moment worth killing it at."""
    staged = _staged(site)
    if name == "staging":
        return bool(staged)
    if name == "rendering":
        return any(_pages(s) > 100 for s in staged)
    if name == "indexing":
        return any((s / "pagefind").is_dir() for s in staged)
    st = (site.output / MARKER).stat()
    return (st.st_ino, st.st_mtime_ns) != marker  # swapped in, state not yet saved


@pytest.mark.parametrize("search", [False, True])
def test_a_build_killed_at_any_moment_leaves_the_old_site_or_the_new(tmp_path: Path, search: bool) -> None:
    site = make_site(tmp_path / "site", toml=f'title = "t"\nexecute = "off"\nsearch = {str(search).lower()}\n')
    many_posts(site, 300, "one")
    assert run(site.root, "build").returncode == 0
    old = tree(site.output)
    many_posts(site, 300, "two")
    reference = make_site(tmp_path / "reference", toml=(site.root / "nbpress.toml").read_text())
    shutil.copytree(site.root / "notebooks", reference.root / "notebooks", dirs_exist_ok=True)
    reference.build()
    new = tree(reference.output)
    assert old != new
    moments = ["staging", "rendering", *(["indexing"] if search else []), "swapped"]
    for moment in moments:
        st = (site.output / MARKER).stat()
        marker = (st.st_ino, st.st_mtime_ns)
        proc = cli(site.root, "build")
        try:
            while proc.poll() is None and not _moment(site, moment, marker):
                time.sleep(0.002)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        assert proc.returncode == -signal.SIGKILL, f"the build ended before the moment '{moment}'"
        now = tree(site.output)
        assert now == (new if moment == "swapped" else old), f"a mixed site after a kill while {moment}"
        if moment == "swapped":
            break
    assert run(site.root, "build").returncode == 0
    assert tree(site.output) == new
    assert leftovers(site) == []
    if search:  # the index process died with the build
        pagefind = subprocess.run(["pgrep", "-f", str(site.root)], capture_output=True, text=True)
        assert pagefind.stdout.strip() == ""


def test_a_second_build_waits_for_the_first(site: Site) -> None:
    from nbpress.output.lock import build_lock
    from nbpress.store import Store

    site.post("a.md", "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n")
    lock = Store(site.root).state_dir(site.settings().output_path) / "lock"
    with build_lock(lock):
        refused = run(site.root, "build", "--no-wait")
        assert refused.returncode == 2 and "another nbpress build" in refused.stderr
        waiting = cli(site.root, "build")
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "waiting for another nbpress build" in err and "built" in out


def test_two_builds_a_second_apart_both_succeed(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", toml='title = "t"\nexecute = "off"\nsearch = true\n')
    many_posts(site, 200, "one")
    first = cli(site.root, "build")
    time.sleep(1.0)
    second = run(site.root, "build")
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in run(site.root, "build").stdout
    assert (site.output / "pagefind" / "0" / "pagefind-entry.json").is_file()
    assert leftovers(site) == []
