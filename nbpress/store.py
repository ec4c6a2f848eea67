"""The layout of .nbpress/: the one place that knows where the cache and the build state live."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

_STATE_IGNORE = "# build state: local to this machine, never commit\n*\n"
_CACHE_README = ("Executed notebooks, written by `nbpress build`. Safe to commit: a CI build\n"
                 "then publishes these outputs without running anything. `nbpress clean --cache`\n"
                 "removes them.\n")


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that a reader sees the old contents or the new, never a part."""
    temp = path.with_name(path.name + f".{os.getpid()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


@dataclass(frozen=True)
class Store:
    """.nbpress/ of one site: cache/ (executed notebooks, safe to commit) and state/ (local builds)."""

    site_dir: Path

    @property
    def root(self) -> Path:
        return self.site_dir / ".nbpress"

    @property
    def cache_dir(self) -> Path:
        """Executed notebooks, plain JSON."""
        return self.root / "cache"

    @property
    def state_root(self) -> Path:
        return self.root / "state"

    def state_dir(self, output: Path) -> Path:
        """The build state of builds into one output folder (created, with its .gitignore)."""
        key = hashlib.blake2b(str(output).encode(), digest_size=6).hexdigest()
        folder = self.state_root / key
        folder.mkdir(parents=True, exist_ok=True)
        ignore = self.state_root / ".gitignore"
        if not ignore.exists():
            ignore.write_text(_STATE_IGNORE)
        return folder

    def templates_dir(self) -> Path:
        """Where compiled layouts are kept between builds."""
        folder = self.state_root / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def cache_folder(self) -> Path:
        """The cache folder, created with a README saying what it is."""
        folder = self.cache_dir
        folder.mkdir(parents=True, exist_ok=True)
        readme = folder / "README.md"
        if not readme.exists():
            readme.write_text(_CACHE_README)
        return folder

    def clean(self, cache: bool) -> list[Path]:
        """Remove the build state (and with `cache`, all of .nbpress/); the folders removed."""
        removed = []
        for target in [self.root] if cache else [self.state_root]:
            if target.exists():
                shutil.rmtree(target)
                removed.append(target)
        return removed
