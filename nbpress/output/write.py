"""Stage: put the built site in output/, all at once; the only code that touches output/.

Every build makes a whole new tree and swaps it in for output/ in one step, so that output/ is the
complete old site or the complete new one whatever moment a build dies at, and a served site never
shows a mix. The new tree is not written from nothing: it starts from the spare tree (the site the build
before the last one made, kept after the last swap), and only what differs is changed. Unchanged files
are hard links to the live site's, so both trees share them; a file is therefore never written into,
only created anew, or the live site would change with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from nbpress.model import OutputFile

Manifest = dict[str, str]  # file under the tree -> digest of its contents
Folders = dict[str, int]  # folder under the tree ("" the root) -> its modification time (ns) when it was made
WRITERS = 4  # file creation is mostly waiting on the file system, and threads wait in parallel
STAGING = "staging"
SPARE = "spare"


def _create(target: Path, data: bytes | None = None, copy_from: str | None = None) -> None:
    """A new file at target (any file there is unlinked first: it may be shared with the live site)."""
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    if copy_from is not None:
        shutil.copyfile(copy_from, target)
    else:
        with open(target, "xb") as handle:
            handle.write(data or b"")


class Writer:
    """Creates files under a tree on a few threads; leaving the `with` block waits for them all."""

    def __init__(self, root: Path, base: Mapping[str, str], searched: Callable[[bytes], str] | None = None) -> None:
        self.root = root
        self.base = base
        self.pool = ThreadPoolExecutor(WRITERS)
        self.pending: list[Future[None]] = []
        self.folders: set[Path] = set()
        self.digest_for_search = searched  # what the search index reads of a page, for the pages put here
        self.searched: dict[str, str] = {}

    def _folder(self, path: str) -> Path:
        target = self.root / path
        if target.parent not in self.folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(target.parent)
        return target

    def put(self, path: str, data: bytes, digest: str) -> None:
        """A rendered file (nothing to do when the tree already holds exactly these bytes)."""
        if self.digest_for_search is not None and path.endswith(".html"):
            self.searched[path] = self.digest_for_search(data)
        if digest and self.base.get(path) == digest:
            return
        self.pending.append(self.pool.submit(_create, self._folder(path), data))

    def copy(self, path: str, source: str) -> None:
        self.pending.append(self.pool.submit(_create, self._folder(path), None, source))

    def link(self, path: str, live: Path) -> None:
        """The live site's file, shared (a hard link; a copy where the file system has none)."""
        self.pending.append(self.pool.submit(_link, live / path, self._folder(path)))

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.pool.shutdown(wait=True)
        for future in self.pending:
            future.result()  # re-raises the first failed write


def _link(source: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


@dataclass(frozen=True)
class Staging:
    """The new tree being made for output/ (plain data, so render workers can be handed it)."""

    root: Path
    base: Manifest  # what the tree held when it was taken (the spare's files, or nothing)

    def writer(self, searched: Callable[[bytes], str] | None = None) -> Writer:
        """A writer into this tree; with `searched`, it also keeps what that says of each page it puts."""
        return Writer(self.root, self.base, searched)

    def prune(self, wanted: Iterable[str]) -> None:
        """Remove every file the new site does not have, and folders left empty."""
        self.remove(set(self.base) - set(wanted))

    def remove(self, paths: Iterable[str]) -> None:
        """Remove these files if the tree has them, and folders left empty."""
        folders: set[Path] = set()
        for path in sorted(paths):
            self.base.pop(path, None)
            with contextlib.suppress(FileNotFoundError):
                (self.root / path).unlink()
            folders.add((self.root / path).parent)
        for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
            while folder != self.root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent

    def fill(self, files: Iterable[OutputFile], live: Path, live_manifest: Mapping[str, str]) -> None:
        """Put in every file that is not rendered: copies, written bytes, and unchanged files from the live site."""
        with self.writer() as writer:
            for item in files:
                if item.digest and self.base.get(item.path) == item.digest:
                    continue
                if item.digest and live_manifest.get(item.path) == item.digest:
                    writer.link(item.path, live)
                elif item.data is not None:
                    writer.put(item.path, item.data, item.digest)
                elif item.copy_from is not None:
                    writer.copy(item.path, item.copy_from)
                else:
                    raise ValueError(f"no bytes for {item.path}")  # a bug: unchanged, but not in the live site


class Trees:
    """Where the trees of one output folder live: output/ itself, and its spare and staging trees beside."""

    def __init__(self, output: Path, work: Path) -> None:
        self.output = output
        # Swapping needs one file system; the state folder is the tidy place when it is on the same one.
        self.work = work if _same_device(work, output.parent) else output.parent / f".{output.name}.nbpress"

    @property
    def spare(self) -> Path:
        return self.work / SPARE

    def clear_leftovers(self) -> None:
        """Remove what a build that died left behind: staging trees (never published)."""
        if not self.work.is_dir():
            return
        for entry in self.work.iterdir():
            if entry.name.startswith(STAGING):
                shutil.rmtree(entry, ignore_errors=True)

    def begin(self, spare: Manifest | None, folders: Folders | None = None) -> Staging:
        """A new tree to build in: the spare tree when its files are known, else an empty one (`folders`: the
        spare's folders as it was made, so that only those changed since are looked through for strays)."""
        self.work.mkdir(parents=True, exist_ok=True)
        self.clear_leftovers()
        staging = Path(tempfile.mkdtemp(prefix=STAGING + "-", dir=self.work))
        if spare is not None and self.spare.is_dir():
            staging.rmdir()
            os.replace(self.spare, staging)
            strays = stray_files(staging, spare, folders)  # put into output/ by hand
            taken = Staging(staging, dict(spare))
            taken.remove(strays)
            return taken
        shutil.rmtree(self.spare, ignore_errors=True)  # its files are not known: useless
        return Staging(staging, {})

    def publish(self, staging: Staging, keep_old: bool) -> None:
        """The new tree replaces output/ in one step; the old one becomes the spare (or goes, if not `keep_old`)."""
        os.chmod(staging.root, 0o755)
        if self.output.exists():
            _exchange(staging.root, self.output)
            if keep_old:
                os.replace(staging.root, self.spare)
            else:
                shutil.rmtree(staging.root, ignore_errors=True)
        else:
            self.output.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging.root, self.output)

    def discard(self, staging: Staging) -> None:
        """Drop a tree that will not be published (the build failed)."""
        shutil.rmtree(staging.root, ignore_errors=True)

    def remove(self) -> None:
        """Remove output/ and its spare tree (`nbpress clean`)."""
        for tree in (self.output, self.spare):
            shutil.rmtree(tree, ignore_errors=True)
        self.clear_leftovers()


def _same_device(a: Path, b: Path) -> bool:
    def device(path: Path) -> int | None:
        for folder in (path, *path.parents):
            with contextlib.suppress(OSError):
                return folder.stat().st_dev
        return None

    return device(a) == device(b)


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders in one step (Linux renameat2, macOS renamex_np); two renames where neither exists."""
    libc = _libc()
    if sys.platform.startswith("linux") and libc is not None and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2
        if libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
    elif sys.platform == "darwin" and libc is not None and hasattr(libc, "renamex_np"):
        rename_swap = 2
        if libc.renamex_np(os.fsencode(a), os.fsencode(b), rename_swap) == 0:
            return
    # No atomic swap here: a moment without output/ (a reader sees a missing site, never a mixed one).
    hold = a.with_name(a.name + ".old")
    os.replace(b, hold)
    os.replace(a, b)
    os.replace(hold, a)


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def tree_folders(root: Path, files: Iterable[str]) -> Folders:
    """The modification time of every folder that holds these files (and of the root), as the tree is now."""
    names = {""}
    for path in files:
        parts = path.split("/")[:-1]
        names.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
    base = os.fspath(root) + "/"
    return {name: os.stat(base + name).st_mtime_ns for name in names}


def stray_files(root: Path, manifest: Mapping[str, str], folders: Folders | None) -> list[str]:
    """Files under root that the manifest does not list. With the tree's `folders` as it was made, only the
    root and the folders whose modification time changed since are listed (a file created, renamed or deleted
    in a folder changes its time); a folder that was not there is stray as a whole."""
    if folders is None:
        return [path for path in tree_files(root) if path not in manifest]
    found: list[str] = []
    base = os.fspath(root) + "/"
    for name, made in folders.items():
        try:
            if name and os.stat(base + name).st_mtime_ns == made:
                continue
            entries = list(os.scandir(base + name))
        except FileNotFoundError:
            continue
        for entry in entries:
            rel = f"{name}/{entry.name}" if name else entry.name
            if entry.is_dir(follow_symlinks=False):
                if rel not in folders:
                    found.extend(f"{rel}/{path}" for path in tree_files(Path(entry.path)))
            elif rel not in manifest:
                found.append(rel)
    return found


def tree_files(root: Path) -> Iterator[str]:
    """Every file under root, as a posix path relative to it."""
    for folder, _, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        for name in files:
            yield name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
