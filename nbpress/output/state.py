"""The build state: what the last successful build into one output folder knew, so the next does only what changed.

Two files in .nbpress/state/<output>/: manifest.json, small, read by every build to see at once whether
anything changed, and state.pickle with the rest (pages already loaded, what each route read). Both say
which trees they describe by the identity of the trees' marker files, so a state that does not match
the folders on disk (a build killed after its swap, a folder changed by hand) is never trusted.
"""

from __future__ import annotations

import contextlib
import functools
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
from nbpress.store import Store, write_atomic

STATE_FORMAT = 3
PACKAGE = Path(__file__).resolve().parent.parent

Manifest = dict[str, str]  # file under the tree -> digest of its contents
Identity = tuple[int, int, int]  # (device, inode, mtime) of a tree's marker file


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Changes whenever any of nbpress's code changes, so that nothing stored is ever stale."""
    h = hashlib.blake2b(__version__.encode(), digest_size=8)
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{STATE_FORMAT}-{h.hexdigest()}"


def identity(marker: Path) -> Identity | None:
    """Which file a marker is: a new one is made for every tree published."""
    try:
        st = marker.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


@dataclass(frozen=True)
class RouteRecord:
    """What one route's file was made from: the route itself, and the keys of what it read (site/reads.py)."""

    route: str
    reads: tuple[str, ...]


@dataclass
class BuildState:
    """What the last successful build into one output folder knew."""

    inputs: str = ""  # a hash of every input's path, mtime and size, and the options
    live: Identity | None = None  # the marker of output/ as that build published it
    outputs: Manifest = field(default_factory=dict)  # output/'s files
    spare: Identity | None = None  # the marker of the spare tree (the site before), if kept
    spare_outputs: Manifest = field(default_factory=dict)
    folders: dict[str, int] = field(default_factory=dict)  # output/'s folders as published (output/write.py)
    spare_folders: dict[str, int] = field(default_factory=dict)
    watched: list[str] = field(default_factory=list)  # extra input files (depends, lock files)
    warnings: list[Diagnostic] = field(default_factory=list)  # said again when nothing changed
    expires: str | None = None  # when the first future-dated post is due: rebuild then
    shards: dict[str, tuple[str, ...]] = field(default_factory=dict)  # search index shard -> its posts
    stale: list[str] = field(default_factory=list)  # shards whose posts changed since they were indexed
    searched: dict[str, str] = field(default_factory=dict)  # post file -> digest of what the search index reads
    pages: dict[str, tuple[str, Page]] = field(default_factory=dict)  # source -> (signature, page)
    routes: dict[str, RouteRecord] = field(default_factory=dict)  # output file -> what made it
    related: tuple[str, dict[str, tuple[str, ...]]] | None = None  # (what they are made from, related posts)
    read_values: dict[str, str] = field(default_factory=dict, repr=False)  # every key routes read -> its digest
    # The pages as the routes read them, so that the digests of the attributes of every page that is the same
    # need no computing (they share their fields with `pages`, so they cost the pickle little).
    read_pages: dict[str, Page] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Loaded:
    """A state read back, and why it could not be used if it could not (said once, to the user)."""

    state: BuildState
    note: str | None = None


def _folder(store: Store, output: Path) -> Path:
    return store.state_dir(output)


def load_state(store: Store, output: Path, live: Identity | None, full: bool = True) -> Loaded:
    """The state of the last build into `output` if it describes the tree whose marker is `live`; else empty."""
    folder = _folder(store, output)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except FileNotFoundError:
        return Loaded(BuildState())
    except (OSError, ValueError):
        return Loaded(BuildState(), "the build state could not be read: rebuilding everything")
    if not isinstance(manifest, dict) or manifest.get("format") != code_version():
        made_by = manifest.get("nbpress") if isinstance(manifest, dict) else None
        if made_by == __version__:
            return Loaded(BuildState())  # the same release, other code (a development install): not news
        origin = f"nbpress {made_by}" if made_by else "an earlier nbpress"
        return Loaded(BuildState(), f"the build state is from {origin}: rebuilding everything with {__version__}")
    if live is None or tuple(manifest.get("live") or ()) != live:
        return Loaded(BuildState())  # output/ is not the site this state describes
    state = BuildState(inputs=manifest["inputs"], live=live, outputs=manifest["outputs"],
                       watched=manifest["watched"], warnings=[Diagnostic(**w) for w in manifest["warnings"]],
                       expires=manifest["expires"], stale=manifest["stale"])
    if not full:
        return Loaded(state)
    try:
        with open(folder / "state.pickle", "rb") as handle:
            rest: dict[str, Any] = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError):
        return Loaded(BuildState())
    if tuple(rest.get("live") or ()) != live:
        return Loaded(BuildState())  # killed between the two files: trust neither
    state.spare = rest["spare"]
    state.spare_outputs, state.pages, state.routes = rest["spare_outputs"], rest["pages"], rest["routes"]
    state.folders, state.spare_folders = rest["folders"], rest["spare_folders"]
    state.shards, state.related, state.searched = rest["shards"], rest["related"], rest["searched"]
    state.read_values, state.read_pages = rest["read_values"], rest["read_pages"]
    return Loaded(state)


def save_state(store: Store, output: Path, state: BuildState) -> None:
    """Record a successful build: the pickle first, then the manifest that vouches for it."""
    folder = _folder(store, output)
    rest = {"live": state.live, "spare": state.spare, "spare_outputs": state.spare_outputs,
            "folders": state.folders, "spare_folders": state.spare_folders,
            "pages": state.pages, "routes": state.routes, "shards": state.shards, "related": state.related,
            "searched": state.searched, "read_values": state.read_values,
            "read_pages": state.read_pages}
    write_atomic(folder / "state.pickle", pickle.dumps(rest, protocol=pickle.HIGHEST_PROTOCOL))
    manifest = {"format": code_version(), "nbpress": __version__, "inputs": state.inputs, "live": state.live,
                "outputs": state.outputs, "watched": state.watched,
                "warnings": [vars(w) for w in state.warnings], "expires": state.expires,
                "stale": state.stale}
    write_atomic(folder / "manifest.json", json.dumps(manifest, sort_keys=True).encode())


def forget_state(store: Store, output: Path) -> None:
    """Drop the state of builds into `output` (it no longer describes what is there)."""
    folder = _folder(store, output)
    for name in ("manifest.json", "state.pickle"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / name)


def watched_files(store: Store, output: Path) -> list[str]:
    """The extra files (depends:, lock files) the last build into `output` said to watch."""
    try:
        manifest = json.loads((_folder(store, output) / "manifest.json").read_text())
    except (OSError, ValueError):
        return []
    return [str(w) for w in manifest.get("watched", [])] if isinstance(manifest, dict) else []
