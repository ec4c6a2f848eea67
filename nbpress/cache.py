"""Everything under .nbpress/: the build state (what output/ holds, pages already loaded)
and the executed-notebook cache. The only code that touches .nbpress/."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbpress import __version__
from nbpress.errors import Diagnostic
from nbpress.model import Page

STATE_FORMAT = 1


def _code_version() -> str:
    """Changes whenever the code that makes pages changes, so stored pages are never stale."""
    h = hashlib.blake2b(__version__.encode(), digest_size=8)
    for name in ("model.py", "meta.py", "load.py", "markdown.py", "notebook.py", "cache.py"):
        h.update((Path(__file__).parent / name).read_bytes())
    return f"{STATE_FORMAT}-{h.hexdigest()}"


@dataclass
class BuildState:
    """What the last successful build into one output folder knew."""

    inputs: str = ""  # a hash of every input's path, mtime and size, and the options
    outputs: dict[str, str] = field(default_factory=dict)  # output file -> digest
    watched: list[str] = field(default_factory=list)  # extra input files (depends, lock files)
    warnings: list[Diagnostic] = field(default_factory=list)  # said again when nothing changed
    expires: str | None = None  # when the first future-dated post is due: rebuild then
    indexed: bool = True  # the search index describes the pages in output/
    pages: dict[str, tuple[str, Page]] = field(default_factory=dict)  # source -> (signature, page)
    related: tuple[str, dict[str, tuple[str, ...]]] | None = None  # (related_key, related posts)


def _state_dir(site_dir: Path, output: Path) -> Path:
    key = hashlib.blake2b(str(output).encode(), digest_size=6).hexdigest()
    return site_dir / ".nbpress" / "state" / key


def load_state(site_dir: Path, output: Path, with_pages: bool = True) -> BuildState:
    """The state of the last build into `output`, or an empty one (a miss is always safe)."""
    folder = _state_dir(site_dir, output)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("format") != _code_version():
            return BuildState()
        warnings = [Diagnostic(**w) for w in manifest.get("warnings", [])]
        state = BuildState(manifest["inputs"], manifest["outputs"], manifest.get("watched", []), warnings,
                           manifest.get("expires"), manifest.get("indexed", True))
        if with_pages:
            with open(folder / "pages.pickle", "rb") as handle:
                state.pages, state.related = pickle.load(handle)
        return state
    except (OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        return BuildState()


def save_state(site_dir: Path, output: Path, state: BuildState) -> None:
    """Record a successful build; written atomically, file by file."""
    folder = _state_dir(site_dir, output)
    folder.mkdir(parents=True, exist_ok=True)
    ignore = site_dir / ".nbpress" / "state" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# build state: local to this machine, never commit\n*\n")
    _atomic(folder / "pages.pickle", pickle.dumps((state.pages, state.related), protocol=pickle.HIGHEST_PROTOCOL))
    manifest = {"format": _code_version(), "inputs": state.inputs,
                "outputs": state.outputs, "watched": state.watched,
                "warnings": [vars(w) for w in state.warnings], "expires": state.expires,
                "indexed": state.indexed}
    _atomic(folder / "manifest.json", json.dumps(manifest, sort_keys=True).encode())


def forget_state(site_dir: Path, output: Path) -> None:
    """Drop the state of builds into `output` (it no longer describes what is there)."""
    folder = _state_dir(site_dir, output)
    for name in ("manifest.json", "pages.pickle"):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()


def _atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + f".{os.getpid()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def digest(*parts: bytes | str) -> str:
    """A short stable hash of the parts."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def templates_dir(site_dir: Path) -> Path:
    """Where compiled layouts are kept between builds."""
    folder = site_dir / ".nbpress" / "state" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


# --- the executed-notebook cache ("freeze"): plain JSON, safe to commit -------------------------

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


def _cache_dir(site_dir: Path) -> Path:
    return site_dir / ".nbpress" / "cache"


def _entry_name(source: str) -> str:
    return source.replace("/", "__")


def cache_get(site_dir: Path, key: str) -> dict[str, Any] | None:
    """The cache entry with this key (from any source path, so a renamed notebook still hits)."""
    folder = _cache_dir(site_dir)
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


def cache_put(site_dir: Path, source: str, key: str, entry: dict[str, Any]) -> None:
    """Store a successful execution, replacing older entries of the same notebook."""
    folder = _cache_dir(site_dir)
    folder.mkdir(parents=True, exist_ok=True)
    readme = folder / "README.md"
    if not readme.exists():
        readme.write_text("Executed notebooks, written by `nbpress build`. Safe to commit: a CI build\n"
                          "then publishes these outputs without running anything. `nbpress clean --cache`\n"
                          "removes them.\n")
    name = _entry_name(source)
    for old in folder.glob(f"{name}--*.json"):
        if not old.name.endswith(f"--{key}.json"):
            old.unlink()
    data = json.dumps({"format": CACHE_FORMAT, "key": key, "source": source, **entry},
                      sort_keys=True, indent=1, ensure_ascii=False)
    _atomic(folder / f"{name}--{key}.json", data.encode("utf-8") + b"\n")
