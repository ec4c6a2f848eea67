"""Which files a build reads under notebooks/ and layouts/: the one ignore rule, and a walk that stays in the site.

The build (discover, layouts) and the dev server's watcher all list files through `walk`, so what is published
is exactly what is watched. A symlink is followed only when its target is inside the site folder and not in a
place that is never published (.git, .env, .nbpress, the output folder): a one-line symlink in a pull request
must not publish the build machine's secrets.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from nbpress.errors import Diagnostic

# Editors' swap, backup and safe-write files, downloads under way, and the files operating systems leave behind.
_TEMP_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".swn", ".tmp", ".temp", ".part", ".partial", ".crdownload",
                  ".download", "___jb_tmp___", "___jb_old___", "___jb_bak___")
_TEMP_PREFIXES = (".", "#", "~$")  # dot-files (.git, .DS_Store, .#emacs-lock), emacs autosave, Office owner files
_NAMES = {
    "4913",  # vim writes it to test that a folder is writable
    "__pycache__", "node_modules",
    "Thumbs.db", "ehthumbs.db", "desktop.ini", "Icon\r",  # Windows and macOS folder metadata
}


def ignored(name: str) -> bool:
    """True for a file or folder name that is never a source, an asset or a layout, and is never watched."""
    return name.startswith(_TEMP_PREFIXES) or name.endswith(_TEMP_SUFFIXES) or name in _NAMES


@dataclass(frozen=True)
class Found:
    """A regular file under the walked folder (a symlink is listed under its own path, with its target's stat)."""

    path: str  # the walked folder's path joined with the names below it (not resolved)
    stat: os.stat_result


_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _within(real: str, folder: str) -> bool:
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def escapes(path: Path | str, site: Path | str, skip: Collection[Path | str] = ()) -> str | None:
    """Why a build must not read the real file behind `path`, or None when it lies inside `site` and may be read.

    Outside the site, in an ignored place (.git, .env, .nbpress) or in a `skip` folder (the output) is refused.
    """
    real, root = os.path.realpath(path), os.path.realpath(site)
    if not _within(real, root):
        return "leads outside the site folder"
    hidden = next((part for part in Path(os.path.relpath(real, root)).parts if ignored(part)), None)
    if hidden is not None:
        return f"leads into {hidden}, which is never published"
    if any(_within(real, os.path.realpath(folder)) for folder in skip):
        return "leads into the output folder"
    return None


def walk(root: Path, site: Path, ignore: Callable[[str], bool] = ignored,
         skip: Collection[Path] = ()) -> tuple[list[Found], list[Diagnostic]]:
    """Every file under `root` that is not ignored, in sorted order (a folder's files before its sub-folders'),
    and a warning for each symlink not followed and each special file (pipe, socket, device) skipped.

    Warnings name the path relative to `site`; folders in `skip` (the output, .nbpress) are left out.
    """
    found: list[Found] = []
    problems: list[Diagnostic] = []
    site_real = os.path.realpath(site)
    skipped = {os.path.realpath(folder) for folder in skip}

    def warn(path: str, message: str) -> None:
        problems.append(Diagnostic(message, Path(os.path.relpath(path, site)).as_posix(), severity="warning"))

    def visit(folder: str, real: str, chain: frozenset[str]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except FileNotFoundError:  # removed while we walked
            return
        except OSError as exc:
            warn(folder, f"cannot read this folder: {exc.strerror or exc}")
            return
        folders: list[tuple[str, str]] = []
        for entry in entries:
            if ignore(entry.name):
                continue
            try:
                if entry.is_symlink():
                    target = os.readlink(entry.path)
                    why = escapes(entry.path, site_real, skipped)
                    if why is not None:
                        warn(entry.path, f"symlink to {target} {why}: not followed, not published")
                        continue
                    try:
                        st = os.stat(entry.path)
                    except OSError:  # dangling, or a loop of links
                        warn(entry.path, f"broken symlink (to {target}): skipped")
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        folders.append((entry.path, os.path.realpath(entry.path)))
                    elif stat.S_ISREG(st.st_mode):
                        found.append(Found(entry.path, st))
                    else:
                        warn(entry.path, f"symlink to {_kind(st.st_mode)} ({target}): skipped")
                elif entry.is_dir(follow_symlinks=False):
                    child = os.path.join(real, entry.name)
                    if child not in skipped:
                        folders.append((entry.path, child))
                elif entry.is_file(follow_symlinks=False):
                    found.append(Found(entry.path, entry.stat(follow_symlinks=False)))
                else:
                    warn(entry.path, f"{_kind(entry.stat(follow_symlinks=False).st_mode)}, not a file: skipped")
            except FileNotFoundError:  # removed between listing and stat
                continue
        for path, child in folders:
            if child in chain:
                warn(path, "symlink to a folder that contains it (a loop): not followed")
                continue
            visit(path, child, chain | {child})

    if not os.path.isdir(root):
        return found, problems
    root_real = os.path.realpath(root)
    if _within(os.path.normpath(root), site_real) and not _within(root_real, site_real):
        warn(str(root), f"symlink to {root_real} leads outside the site folder: not followed, not published")
        return found, problems
    # A folder the settings place outside the site is its own boundary.
    site_real = site_real if _within(root_real, site_real) else root_real
    visit(str(root), root_real, frozenset({root_real}))
    return found, problems
