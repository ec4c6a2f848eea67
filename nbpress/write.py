"""Stage: put the built files in output/, atomically; the only code that touches output/."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from nbpress.model import OutputFile


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def _put(root: Path, item: OutputFile) -> None:
    target = root / item.path
    if item.copy_from is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.copy_from, target)
    elif item.data is not None:
        _write_bytes(target, item.data)


def write_fresh(output: Path, files: Iterable[OutputFile]) -> None:
    """Write every file into a new folder, then swap it in for the old output in one rename."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    try:
        for item in files:
            _put(staging, item)
        os.chmod(staging, 0o755)
        if output.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
            os.replace(output, old / "site")
            os.replace(staging, output)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_changes(output: Path, files: Iterable[OutputFile], previous: Mapping[str, str]) -> int:
    """Update an existing output in place: changed files replaced atomically, stale ones removed."""
    kept: set[str] = set()
    changed = 0
    for item in files:
        kept.add(item.path)
        if item.data is None and item.copy_from is None:
            continue  # unchanged since the last build
        if previous.get(item.path) == item.digest and item.digest and (output / item.path).exists():
            continue
        target = output / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".nbpress-", dir=target.parent)
        os.close(fd)
        try:
            _put(Path(temp).parent, OutputFile(Path(temp).name, item.data, item.copy_from))
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
        changed += 1
    for stale in sorted(set(previous) - kept, reverse=True):
        path = output / stale
        if path.is_file():
            path.unlink()
            changed += 1
            folder = path.parent
            while folder != output and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
    return changed
