"""The build state: what the last successful build into one output folder knew."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from nbpress import __version__
from nbpress.errors import Diagnostic
from nbpress.model import Page
from nbpress.store import Store, write_atomic

STATE_FORMAT = 1
PACKAGE = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Changes whenever any of nbpress's code changes, so that nothing stored is ever stale."""
    h = hashlib.blake2b(__version__.encode(), digest_size=8)
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
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


def load_state(store: Store, output: Path, with_pages: bool = True) -> BuildState:
    """The state of the last build into `output`, or an empty one (a miss is always safe)."""
    folder = store.state_dir(output)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("format") != code_version():
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


def save_state(store: Store, output: Path, state: BuildState) -> None:
    """Record a successful build; written atomically, file by file."""
    folder = store.state_dir(output)
    write_atomic(folder / "pages.pickle", pickle.dumps((state.pages, state.related), protocol=pickle.HIGHEST_PROTOCOL))
    manifest = {"format": code_version(), "inputs": state.inputs,
                "outputs": state.outputs, "watched": state.watched,
                "warnings": [vars(w) for w in state.warnings], "expires": state.expires,
                "indexed": state.indexed}
    write_atomic(folder / "manifest.json", json.dumps(manifest, sort_keys=True).encode())


def forget_state(store: Store, output: Path) -> None:
    """Drop the state of builds into `output` (it no longer describes what is there)."""
    folder = store.state_dir(output)
    for name in ("manifest.json", "pages.pickle"):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
