"""A wake-up call when a watched folder changes (Linux inotify), so the dev server looks at once, not at its next poll.

Only a hint: the watcher's snapshots stay the truth, and it still polls, so a change in a folder
with no watch yet (just made, or past the system's limit of watches) is seen at the next poll.
Where inotify is not available (macOS, Windows), `Notify.open()` gives None and polling does it all.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import select
import sys
from collections.abc import Iterable

log = logging.getLogger(__name__)

# <sys/inotify.h>: what changes a build would see (contents, names, metadata), and the flags of inotify_init1.
_MASK = (0x002 | 0x004 | 0x008 | 0x040 | 0x080 | 0x100 | 0x200 | 0x400 | 0x800)
_NONBLOCK, _CLOEXEC = os.O_NONBLOCK, 0o2000000


class Notify:
    """An inotify instance watching some folders; `wait` says whether anything in them changed."""

    def __init__(self, fd: int, libc: ctypes.CDLL) -> None:
        self.fd, self.libc = fd, libc
        self.watched: set[str] = set()
        self.full = False  # the system's limit of watches was reached: the rest is polled

    @classmethod
    def open(cls) -> Notify | None:
        if not sys.platform.startswith("linux"):
            return None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            fd = libc.inotify_init1(_NONBLOCK | _CLOEXEC)
        except (OSError, AttributeError):
            return None
        return cls(fd, libc) if fd >= 0 else None

    def watch(self, folders: Iterable[str]) -> None:
        """Watch these folders too (those watched already, and any gone since, cost nothing)."""
        for folder in folders:
            if folder in self.watched or self.full:
                continue
            if self.libc.inotify_add_watch(self.fd, os.fsencode(folder), _MASK) >= 0:
                self.watched.add(folder)
            elif ctypes.get_errno() == 28:  # ENOSPC: no more watches for this user
                self.full = True
                log.debug("inotify watch limit reached at %d folders: polling the rest", len(self.watched))

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for a change; whether there was one (the events are read and dropped)."""
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            while os.read(self.fd, 65536):
                pass
        self.watched = {f for f in self.watched if os.path.isdir(f)}  # a folder made again needs a new watch
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def folders_of(root: str, paths: Iterable[str]) -> set[str]:
    """The folders that hold these files (paths relative to root), and every folder between them and root."""
    found = {""}
    for path in paths:
        folder = os.path.dirname(path)
        while folder not in found:
            found.add(folder)
            folder = os.path.dirname(folder)
    return {os.path.join(root, folder) if folder else root for folder in found}
