"""One golden site, built end to end by the real `nbpress` command and compared file by file.

After an intended change to the output, regenerate the expected tree with
`NBPRESS_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and review the diff.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "golden"
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "seed-post.md"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _build(site: Path, output: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nbpress", "build", "--site", str(site), "--output", str(output), "--execute", "off"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_golden_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(HERE / "site", site)
    output = tmp_path / "output"
    _build(site, output)
    built = _tree(output)
    expected_root = HERE / "expected"
    if os.environ.get("NBPRESS_UPDATE_GOLDEN"):
        shutil.rmtree(expected_root, ignore_errors=True)
        shutil.copytree(output, expected_root)
        pytest.skip("golden output regenerated")
    expected = _tree(expected_root)
    assert sorted(built) == sorted(expected)
    for name, data in expected.items():
        assert built[name] == data, f"{name} differs from tests/golden/expected/{name}"


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    site = tmp_path / "site"
    shutil.copytree(HERE / "site", site)
    _build(site, first)
    shutil.rmtree(site / ".nbpress")  # a second build from nothing, not an incremental one
    _build(site, second)
    assert _tree(first) == _tree(second)


# The SHA-256 of shared/fixtures/seed-post.md, so that a clean clone (without shared/ beside it) checks its copy too.
SEED_SHA256 = "c1e4dd8bbf4a9e536ba1c87b746b7106a5c052b6686eb4222a7d6c30e06be969"


def test_golden_seed_post_is_the_shared_fixture() -> None:
    copy = (HERE / "site" / "notebooks" / "nextjs" / "seed-post.md").read_bytes()
    assert hashlib.sha256(copy).hexdigest() == SEED_SHA256
    if SHARED_SEED.is_file():
        assert copy == SHARED_SEED.read_bytes()
