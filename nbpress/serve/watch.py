"""What the dev server watches: a snapshot of every source, layout and settings file, and what changed."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from nbpress.config import Settings
from nbpress.files import ignored, walk
from nbpress.site.theme import layout_ignored

log = logging.getLogger(__name__)

POLL_SECONDS = 0.15  # how often the watcher looks at the sources
NOTIFIED_POLL_SECONDS = 1.0  # the same where the system says when a folder changes (the poll is a safety net)
SETTLE_SECONDS = 0.06  # after a change, how long the sources must stay quiet: one save is one rebuild
MAX_WAIT_SECONDS = 2.0  # a file that never stops changing still gets built
SETTINGS_FILES = ("nbpress.toml", "pyproject.toml")

Snapshot = dict[str, tuple[int, int, int]]


def _scan(folder: Path, site: Path, ignore: Callable[[str], bool], skip: tuple[Path, ...], into: Snapshot) -> None:
    """The files a build reads under `folder` (the same walk as the build's), and the ones it skips, so that
    adding a symlink the build refuses is a change too (the rebuild says why it was skipped)."""
    found, skipped = walk(folder, site, ignore, skip)
    for item in found:
        st = item.stat
        into[os.path.relpath(item.path, site)] = (st.st_mtime_ns, st.st_size, st.st_ino)
    for path in (p.path for p in skipped if p.path):
        try:
            st = os.lstat(site / path)
        except OSError:
            continue
        into[path] = (st.st_mtime_ns, -1, st.st_ino)


def snapshot(settings: Settings, extra: tuple[str, ...] = ()) -> Snapshot:
    """Every watched file (site-relative path) -> (mtime, size, inode): content, layouts, settings, depends."""
    site = settings.site_dir
    found: Snapshot = {}
    skip = (settings.output_path, settings.state_path)
    _scan(settings.content_path, site, ignored, skip, found)
    _scan(settings.layouts_path, site, layout_ignored, skip, found)
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


