"""One build at a time into one output folder: a lock other builds wait for (or give up on)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from nbpress.errors import SettingsError


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        return f" (process {int(path.read_text().strip())})"
    return ""


@contextlib.contextmanager
def build_lock(path: Path, wait: bool = True, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock at `path` while the block runs; another holder makes this wait, or fail with `wait=False`.

    The operating system drops the lock when its process dies, so a killed build never blocks the next one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(path)
            if not wait:
                raise SettingsError(f"another nbpress build{holder} is writing this site; "
                                    "try again when it is done") from None
            if waiting is not None:
                waiting(f"waiting for another nbpress build{holder} of this site to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
