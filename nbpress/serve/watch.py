"""What the dev server watches: a snapshot of every source, layout and settings file, and what changed."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from nbpress.config import Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 0.15  # how often the watcher looks at the sources
SETTLE_SECONDS = 0.06  # after a change, how long the sources must stay quiet: one save is one rebuild
MAX_WAIT_SECONDS = 2.0  # a file that never stops changing still gets built
SETTINGS_FILES = ("nbpress.toml", "pyproject.toml")
_SKIP_DIRS = {"__pycache__", "node_modules"}


def ignored(name: str) -> bool:
    """Dot-files and folders (.ipynb_checkpoints, .~lock), editor backups, swap and temp files."""
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload"))
            or name == "4913" or name in _SKIP_DIRS)  # 4913: the file vim creates to test a folder


Snapshot = dict[str, tuple[int, int, int]]


def _scan(folder: Path, site: Path, skip: set[Path], into: Snapshot) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:  # gone, or not a folder
        return
    for entry in entries:
        if ignored(entry.name):
            continue
        try:
            if entry.is_dir():
                if Path(entry.path).resolve() not in skip:
                    _scan(Path(entry.path), site, skip, into)
                continue
            st = entry.stat()
        except OSError:  # removed between listing and stat
            continue
        into[os.path.relpath(entry.path, site)] = (st.st_mtime_ns, st.st_size, st.st_ino)


def snapshot(settings: Settings, extra: tuple[str, ...] = ()) -> Snapshot:
    """Every watched file (site-relative path) -> (mtime, size, inode): content, layouts, settings, depends."""
    site = settings.site_dir
    found: Snapshot = {}
    skip = {settings.output_path, settings.state_path.resolve()}
    for folder in (settings.content_path, settings.layouts_path):
        _scan(folder, site, skip, found)
    for name in (*SETTINGS_FILES, *extra):
        try:
            st = (site / name).stat()
        except OSError:
            continue
        found[name] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


def changes(before: Snapshot, after: Snapshot) -> set[str]:
    """The paths added, removed or modified between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


