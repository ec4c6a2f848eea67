"""Stage: put the built files in output/, atomically; the only code that touches output/."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from nbpress.model import OutputFile

# File creation is mostly waiting on the file system, and threads wait in parallel.
WRITERS = 4


def _put(root: Path, item: OutputFile) -> None:
    target = root / item.path
    if item.copy_from is not None:
        shutil.copyfile(item.copy_from, target)
    elif item.data is not None:
        with open(target, "wb") as handle:
            handle.write(item.data)


class Writer:
    """Writes files under a folder on a few threads; leaving the `with` block waits for them all."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pool = ThreadPoolExecutor(WRITERS)
        self.pending: list[Future[None]] = []
        self.folders: set[Path] = set()

    def put(self, item: OutputFile) -> None:
        folder = (self.root / item.path).parent
        if folder not in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)
        self.pending.append(self.pool.submit(_put, self.root, item))

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.pool.shutdown(wait=True)
        for future in self.pending:
            future.result()  # re-raises the first failed write


def stage(output: Path) -> Path:
    """A new, empty folder beside output/ where a whole new site is written."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))


def publish(staging: Path, output: Path) -> None:
    """The staged site replaces output/ in one rename; the old one is removed after."""
    os.chmod(staging, 0o755)
    if output.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
        os.replace(output, old / "site")
        os.replace(staging, output)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, output)


def discard(staging: Path) -> None:
    """Drop a staged site that will not be published (the build failed)."""
    shutil.rmtree(staging, ignore_errors=True)


def write_fresh(output: Path, files: Iterable[OutputFile]) -> None:
    """Write every file into a new folder, then swap it in for the old output."""
    staging = stage(output)
    try:
        with Writer(staging) as writer:
            for item in files:
                writer.put(item)
        publish(staging, output)
    except BaseException:
        discard(staging)
        raise


def _replace(output: Path, item: OutputFile) -> None:
    """One file swapped in atomically: written beside its target, then renamed over it."""
    target = output / item.path
    fd, temp = tempfile.mkstemp(prefix=".nbpress-", dir=target.parent)
    os.close(fd)
    try:
        _put(target.parent, OutputFile(Path(temp).name, item.data, item.copy_from))
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise


def write_changes(output: Path, files: Iterable[OutputFile], previous: Mapping[str, str]) -> int:
    """Update an existing output in place: changed files replaced atomically, stale ones removed."""
    kept: set[str] = set()
    changed: list[OutputFile] = []
    for item in files:
        kept.add(item.path)
        if item.data is None and item.copy_from is None:
            continue  # unchanged since the last build
        if previous.get(item.path) == item.digest and item.digest and (output / item.path).exists():
            continue
        changed.append(item)
    for folder in sorted({(output / item.path).parent for item in changed}):
        folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(WRITERS) as pool:
        for _ in pool.map(lambda item: _replace(output, item), changed):
            pass  # re-raises the first failed write
    removed = 0
    for stale in sorted(set(previous) - kept, reverse=True):
        path = output / stale
        if path.is_file():
            path.unlink()
            removed += 1
            folder = path.parent
            while folder != output and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
    return len(changed) + removed
