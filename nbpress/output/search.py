"""Stage: a full-text search index of the built site (Pagefind), so search needs no server."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from nbpress.errors import Diagnostic
from nbpress.hashing import digest

FOLDER = "pagefind"


def is_index_file(path: str) -> bool:
    """Whether a file under output/ belongs to the search index."""
    return path.startswith(FOLDER + "/")


def index_manifest(root: Path) -> dict[str, str]:
    """The index's files under root and the digest of each (what the build state records)."""
    folder = root / FOLDER
    found = {}
    for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
        if path.is_file():
            found[path.relative_to(root).as_posix()] = digest(path.read_bytes())
    return found


def _pagefind() -> list[str] | None:
    """The command that runs Pagefind's binary, made to die with this process where the system allows."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        return None
    command = [str(get_executable())]
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL", "--", *command] if setpriv else command


def index_site(root: Path) -> Diagnostic | None:
    """Index the HTML under root into root/pagefind (replacing any older index); a problem, or None."""
    old = root / FOLDER
    if old.exists():
        shutil.rmtree(old)
    command = _pagefind()
    if command is None:
        return Diagnostic("search index not built: the 'pagefind[bin]' package is not installed "
                          "(or set search = false)", severity="warning")
    try:
        proc = subprocess.run([*command, "--site", str(root), "--output-subdir", FOLDER, "--silent"],
                              capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return Diagnostic(f"search index not built: {exc}", severity="warning")
    if proc.returncode != 0:
        said = (proc.stderr or proc.stdout).strip().splitlines()
        reason = said[-1] if said else f"pagefind exited with status {proc.returncode}"
        return Diagnostic(f"search index not built: {reason}", severity="warning")
    return None
