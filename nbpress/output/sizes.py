"""Files too big to publish well: past 10 MB a page is slow for readers; past 100 MB hosts refuse it.

GitHub refuses files over 100 MiB (so GitHub Pages cannot publish them). Both are warnings, so that
`--strict` (warnings are errors) fails the build before such a site goes live.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from nbpress.errors import Diagnostic

MiB = 1024 * 1024
HEAVY_BYTES = 10 * MiB
HOST_LIMIT_BYTES = 100 * MiB


def size_problem(path: str, size: int, origin: str | None = None) -> Diagnostic | None:
    """A warning for an output file of `size` bytes (None if it is small enough); it names the source that made it."""
    if size <= HEAVY_BYTES:
        return None
    if size > HOST_LIMIT_BYTES:
        why = f"hosts refuse files over {HOST_LIMIT_BYTES // MiB} MB (GitHub Pages does)"
    else:
        why = f"files over {HEAVY_BYTES // MiB} MB are slow for readers to load"
    return Diagnostic(f"writes {path} of {size / MiB:.1f} MB: {why}", origin or path, severity="warning")


def oversized(folder: Path, paths: Iterable[str], origins: Mapping[str, str] | None = None,
              shown: str = "output") -> list[Diagnostic]:
    """Warnings for the files under `folder` that are too big; `origins` maps a file to the source that made it."""
    problems, base = [], os.fspath(folder) + "/"
    for path in sorted(set(paths)):
        try:
            size = os.stat(base + path).st_size  # a string: a Path per file costs more than the stat
        except OSError:
            continue
        problem = size_problem(f"{shown}/{path}", size, (origins or {}).get(path))
        if problem is not None:
            problems.append(problem)
    return problems
