"""The command line: exit statuses, help, version, no tracebacks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Site

import nbpress


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nbpress", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"nbpress, version {nbpress.__version__}"


def test_help() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout
    for command in ("build", "clean"):
        assert command in result.stdout


def test_build_help() -> None:
    result = run("build", "--help")
    assert result.returncode == 0
    for option in ("--site", "--output", "--execute", "--jobs", "--timeout", "--executor", "--drafts", "--base-url",
                   "--strict"):
        assert option in result.stdout


def test_console_script_is_installed() -> None:
    script = shutil.which("nbpress", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and nbpress.__version__ in result.stdout


@pytest.mark.parametrize("args", [
    ["nosuchcommand"],
    ["build", "--no-such-option"],
    ["build", "--execute", "sometimes"],
    ["build", "--jobs", "0"],
])
def test_bad_usage_exits_2(args: list[str], tmp_path: Path) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


def test_settings_error_exits_2(site: Site) -> None:
    site.write("nbpress.toml", 'execute = "off"\npage_size = 0\n')
    result = site.cli("build")
    assert result.returncode == 2
    assert "nbpress.toml:2:" in result.stderr and "page_size" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_site_folder_exits_2(tmp_path: Path) -> None:
    result = run("build", "--site", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_missing_content_folder_exits_2(tmp_path: Path) -> None:
    (tmp_path / "nbpress.toml").write_text('execute = "off"\n')
    result = run("build", "--site", str(tmp_path))
    assert result.returncode == 2
    assert "content folder 'notebooks' not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_succeeds_and_says_so(site: Site) -> None:
    site.post("post.md", "---\ntitle: Hello\n---\nWorld.\n")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "built" in result.stdout
    assert (site.output / "posts/post/index.html").is_file()
    again = site.cli("build")
    assert again.returncode == 0
    assert "nothing changed" in again.stdout


def test_strict_turns_warnings_into_errors(site: Site) -> None:
    site.post("post.md", "---\ntitle: Hello\ncoverImage: /assets/missing.jpg\n---\nWorld.\n")
    strict = site.cli("build", "--strict")
    assert strict.returncode == 1
    assert "notebooks/post.md" in strict.stderr and "/assets/missing.jpg" in strict.stderr
    assert not site.output.exists()
    relaxed = site.cli("build")
    assert relaxed.returncode == 0
    assert "warning" in relaxed.stderr and "/assets/missing.jpg" in relaxed.stderr


def test_strict_after_a_relaxed_build_still_fails(site: Site) -> None:
    site.post("post.md", "---\ntitle: Hello\ncoverImage: /assets/missing.jpg\n---\nWorld.\n")
    assert site.cli("build").returncode == 0
    strict = site.cli("build", "--strict")
    assert strict.returncode == 1
    assert "/assets/missing.jpg" in strict.stderr


def test_clean_removes_output(site: Site) -> None:
    site.post("post.md", "---\ntitle: Hello\n---\nWorld.\n")
    assert site.cli("build").returncode == 0
    result = site.cli("clean")
    assert result.returncode == 0, result.stderr
    assert not site.output.exists()
    assert (site.root / "notebooks/post.md").exists()
