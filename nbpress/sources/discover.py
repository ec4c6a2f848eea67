"""Stage 1: find the sources and assets under the content folder."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

from nbpress.config import Settings
from nbpress.errors import Diagnostic
from nbpress.files import walk
from nbpress.model import Asset, SourceFile

_PERCENT = re.compile(rb"^# %%|^# ---\n# jupyter:", re.MULTILINE)


def is_percent_script(path: Path) -> bool:
    """A .py file is a jupytext notebook when it has `# %%` cells or a jupytext header."""
    with open(path, "rb") as handle:
        return bool(_PERCENT.search(handle.read(65536)))


def discover(settings: Settings) -> tuple[list[SourceFile], list[Asset], list[Diagnostic]]:
    """Every source and every asset under the content folder, sorted by path, and warnings about files skipped.

    What is ignored, and which symlinks are followed, is decided by nbpress.files (the dev server watches
    through the same walk).
    """
    content = settings.content_path
    site = settings.site_dir
    sources: list[SourceFile] = []
    assets: list[Asset] = []
    found, problems = walk(content, site, skip=(settings.output_path, settings.state_path))
    notebooks = {f.path[: -len(".ipynb")] for f in found if f.path.endswith(".ipynb")}
    in_site, in_content = len(str(site)) + 1, len(str(content)) + 1  # the walk's paths start with the folder's
    for item in found:
        full, st = item.path, item.stat
        path, rel = full[in_site:].replace(os.sep, "/"), full[in_content:].replace(os.sep, "/")
        stem, ext = os.path.splitext(full)
        sig = f"{st.st_mtime_ns}-{st.st_size}"
        if ext == ".ipynb":
            sources.append(SourceFile(path, rel, "ipynb", st.st_mtime, sig))
        elif ext == ".md":
            sources.append(SourceFile(path, rel, "md", st.st_mtime, sig, paired=stem in notebooks))
        elif ext == ".py" and is_percent_script(Path(full)):
            if stem not in notebooks:  # a paired .py is the .ipynb's twin, not a page
                sources.append(SourceFile(path, rel, "py", st.st_mtime, sig))
        else:
            assets.append(Asset(path, rel, sig))
    return sources, assets, problems


def git_dates(site_dir: Path, paths: list[str]) -> dict[str, dt.datetime]:
    """The date each path was first committed (a typo fix never changes it), from one `git log` call."""
    if not paths:
        return {}
    try:
        out = subprocess.run(
            ["git", "log", "--reverse", "--diff-filter=A", "--format=@%ct", "--name-only", "--", *paths],
            cwd=site_dir, capture_output=True, text=True, timeout=30, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    prefix = subprocess.run(
        ["git", "rev-parse", "--show-prefix"], cwd=site_dir, capture_output=True, text=True, check=False
    ).stdout.strip()
    dates: dict[str, dt.datetime] = {}
    when: dt.datetime | None = None
    for line in out.splitlines():
        if line.startswith("@"):
            when = dt.datetime.fromtimestamp(int(line[1:]), dt.UTC).replace(tzinfo=None)
        elif line and when is not None:
            rel = line[len(prefix):] if prefix and line.startswith(prefix) else line
            dates.setdefault(rel, when)
    return dates


def _shallow(site_dir: Path) -> bool:
    try:
        out = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=site_dir, capture_output=True,
                             text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return out.strip() == "true"


def undated_dates(site_dir: Path, paths: list[str]) -> tuple[dict[str, dt.datetime], list[Diagnostic]]:
    """Dates for sources without one (their first commit; the others keep their mtime), and one warning naming them."""
    if not paths:
        return {}, []
    dates = git_dates(site_dir, paths)
    committed = [p for p in paths if p in dates]
    others = [p for p in paths if p not in dates]
    parts = []
    if committed:
        parts.append(f"dated by their first commit: {_names(committed)}")
    if others:
        parts.append(f"dated by their file's modification time (not committed): {_names(others)}")
    message = (f"{len(paths)} post{'s' * (len(paths) > 1)} without a date ({'; '.join(parts)}); "
               "give each a `date:` (or a YYYY-MM-DD- file name) so that its date never changes")
    if committed and _shallow(site_dir):
        message += ("; this git checkout is shallow, so those are the date of its last commit "
                    "(check out the full history: fetch-depth: 0)")
    return dates, [Diagnostic(message, severity="warning")]


def _names(paths: list[str], limit: int = 5) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
