"""Short stable hashes, for digests of pages and routes and signatures of files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def digest(*parts: bytes | str) -> str:
    """A short stable hash of the parts."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def signature(paths: list[Path], extra: Any = None) -> str:
    """A hash of where the files are, when they changed and how big they are."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(extra).encode())
    for path in paths:
        try:
            st = path.stat()
            h.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
        except OSError:
            h.update(f"{path}\0missing\n".encode())
    return h.hexdigest()
