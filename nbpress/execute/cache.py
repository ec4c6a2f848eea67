"""The executed-notebook cache ("freeze"): plain JSON in .nbpress/cache, safe to commit."""

from __future__ import annotations

import glob
import hashlib
import json
from pathlib import Path
from typing import Any

from nbpress import __version__
from nbpress.store import Store, write_atomic

CACHE_FORMAT = 1
LOCK_FILES = ("requirements.txt", "uv.lock", "poetry.lock", "environment.yml", "environment.yaml",
              "pylock.toml", "pixi.lock", "Pipfile.lock")
EXECUTION_TAGS = ("skip-execution", "raises-exception")


def execution_key(notebook: dict[str, Any], kernel: str, inputs: list[tuple[str, bytes]], allow_errors: bool) -> str:
    """A hash of exactly what affects a notebook's outputs: kernel, code, tags, data and lock files.

    `inputs` are (site-relative path, contents) pairs, so the key is the same on every machine.
    """
    h = hashlib.sha256()
    h.update(f"nbpress-exec-{CACHE_FORMAT}\0{kernel}\0{allow_errors}\0".encode())
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        tags = sorted(t for t in (cell.get("metadata", {}).get("tags") or []) if t in EXECUTION_TAGS)
        h.update(("".join(source) if isinstance(source, list) else source).encode() + b"\0")
        h.update(",".join(tags).encode() + b"\1")
    for path, data in sorted(inputs):
        h.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()[:32]


def _entry_name(source: str) -> str:
    """The notebook's path as one file name; a long one is cut and keeps a hash (names have at most 255 bytes)."""
    name = source.replace("/", "__")
    encoded = name.encode("utf-8")
    if len(encoded) <= 150:
        return name
    return encoded[:140].decode("utf-8", "ignore") + "-" + hashlib.blake2b(encoded, digest_size=4).hexdigest()


def cache_get(store: Store, key: str) -> dict[str, Any] | None:
    """The cache entry with this key (from any source path, so a renamed notebook still hits)."""
    folder: Path = store.cache_dir
    if not folder.is_dir():
        return None
    for path in folder.glob(f"*--{key}.json"):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if entry.get("format") == CACHE_FORMAT and entry.get("key") == key:
            return entry
    return None


def earlier_format(store: Store, source: str) -> str | None:
    """What made this notebook's entry when it is from another cache format (another nbpress), else None."""
    folder = store.cache_dir
    for path in folder.glob(f"{glob.escape(_entry_name(source))}--*.json") if folder.is_dir() else ():
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(entry, dict) and entry.get("format") != CACHE_FORMAT:
            made_by = entry.get("nbpress")
            return f"nbpress {made_by}" if isinstance(made_by, str) else f"cache format {entry.get('format')!r}"
    return None


def cache_put(store: Store, source: str, key: str, entry: dict[str, Any]) -> None:
    """Store a successful execution, replacing older entries of the same notebook."""
    folder = store.cache_folder()
    name = _entry_name(source)
    for old in folder.glob(f"{glob.escape(name)}--*.json"):  # a path may hold [ ] * ?
        if not old.name.endswith(f"--{key}.json"):
            old.unlink()
    data = json.dumps({"format": CACHE_FORMAT, "nbpress": __version__, "key": key, "source": source, **entry},
                      sort_keys=True, indent=1, ensure_ascii=False)
    write_atomic(folder / f"{name}--{key}.json", data.encode("utf-8") + b"\n")
