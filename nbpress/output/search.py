"""Stage: a full-text search index of the posts (Pagefind), so search needs no server.

The posts are indexed as shards, each a Pagefind bundle of about SHARD_SIZE posts at
pagefind/<n>/, which the search page merges in the browser (Pagefind's `mergeIndex`, made for
searching several sites at once). Which shard a post is in depends only on its URL and the number
of posts, so an incremental build and a fresh one make the same shards; a change re-indexes only
the shards whose posts changed, and a cold build indexes them in parallel. Only posts are indexed
(not the home, category, tag and archive pages that repeat them), so a query finds each post once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from nbpress.errors import Diagnostic
from nbpress.hashing import digest

FOLDER = "pagefind"
SHARDS = f"{FOLDER}/shards.json"  # the shard names, read by the search page
SHARD_SIZE = 50  # posts per shard: one changed post re-indexes about this many (Pagefind: ~2 ms a post)
MAX_SHARDS = 40  # past 2000 posts shards grow instead: a search loads a little of every shard
# What the browser needs from a merged shard; the first shard also carries the script, the
# WebAssembly and the UI that search with all of them.
_MERGED_FILES = ("pagefind-entry.json",)
_MERGED_DIRS = ("index", "fragment", "filter")


_IGNORED = re.compile(rb"<([a-zA-Z][\w-]*)\b[^>]*?\sdata-pagefind-ignore\b[^>]*>")
_IMAGE = re.compile(rb"<img\b[^>]*>", re.IGNORECASE)
_READ_ANYWHERE = (b"data-pagefind-meta", b"data-pagefind-filter", b"data-pagefind-sort", b"data-pagefind-default-meta")
_VOID = {b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"source", b"track",
         b"wbr"}


def search_digest(html: bytes) -> str:
    """A digest of what Pagefind reads of a page: all of it but its data-pagefind-ignore elements, which it skips
    (unless they hold metadata, filters or sort keys, which it reads there too; and it takes a page's image from
    the first <img> after its <h1> wherever that is). A post whose page changed only where the index does not
    look (the links to the posts around it) leaves its shard as it is."""
    h1 = html.find(b"<h1")
    image = _IMAGE.search(html, h1) if h1 >= 0 else None
    kept, at = [image.group(0) if image else b""], 0
    for match in _IGNORED.finditer(html):
        if match.start() < at:
            continue  # inside a region already left out
        end = match.end() if match.group(1).lower() in _VOID else _element_end(html, match.group(1), match.end())
        if end is None:
            return digest(html)  # tags that do not close as expected: every byte counts
        if not any(marker in html[match.start():end] for marker in _READ_ANYWHERE):
            kept.append(html[at:match.start()])
            at = end
    kept.append(html[at:])
    return digest(b"".join(kept))


def _element_end(html: bytes, name: bytes, start: int) -> int | None:
    """Where the element whose start tag ends at `start` ends (after its closing tag), counting nested ones."""
    depth = 1
    for tag in re.finditer(rb"<(/?)" + re.escape(name) + rb"(?=[\s>/])[^>]*>", html[start:], re.IGNORECASE):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return start + tag.end()
    return None


def is_index_file(path: str) -> bool:
    """Whether a file under output/ belongs to the search index."""
    return path.startswith(FOLDER + "/")


def plan_shards(posts: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The posts (their files under output/) of each shard, by shard name."""
    count = min(MAX_SHARDS, max(1, -(-len(posts) // SHARD_SIZE)))
    shards: dict[str, list[str]] = {str(n): [] for n in range(count)} if posts else {}
    for post in posts:
        n = int.from_bytes(hashlib.blake2b(post.encode(), digest_size=4).digest(), "big") % count
        shards[str(n)].append(post)
    return {name: tuple(sorted(members)) for name, members in shards.items()}


def stale_shards(shards: Mapping[str, tuple[str, ...]], before: Mapping[str, tuple[str, ...]],
                 changed: set[str], stale: Sequence[str]) -> set[str]:
    """The shards to index again: new ones, ones with a post whose search digest changed, and ones left stale by
    an earlier build."""
    return {name for name, members in shards.items()
            if before.get(name) != members or name in stale or any(m in changed for m in members)}


def shard_manifest(root: Path, names: Sequence[str]) -> dict[str, str]:
    """The files of these shards under root, and the digest of each (what the build state records)."""
    found = {}
    for name in names:
        folder = root / FOLDER / name
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file():
                found[path.relative_to(root).as_posix()] = digest(path.read_bytes())
    return found


def shards_file(shards: Mapping[str, tuple[str, ...]]) -> bytes:
    """pagefind/shards.json: which bundles the search page merges (the first one first)."""
    return (json.dumps({"shards": sorted(shards, key=int)}) + "\n").encode()


def _pagefind() -> list[str] | None:
    """The command that runs Pagefind's binary, made to die with this process where the system allows."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        return None
    command = [str(get_executable())]
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL", "--", *command] if setpriv else command


def index_shards(root: Path, shards: Mapping[str, tuple[str, ...]], names: set[str], jobs: int) -> Diagnostic | None:
    """Index the posts of the named shards (files under root) into root/pagefind/<name>/; a problem, or None."""
    command = _pagefind()
    if command is None:
        return Diagnostic("search index not built: the 'pagefind[bin]' package is not installed "
                          "(or set search = false)", severity="warning")
    todo = sorted(names, key=int)
    running: list[tuple[str, Path, subprocess.Popen[str]]] = []
    problem = None
    try:
        while todo or running:
            while todo and len(running) < max(1, jobs):
                name = todo.pop(0)
                source, bundle = _shard_source(root, name, shards[name]), root / FOLDER / name
                shutil.rmtree(bundle, ignore_errors=True)  # shared with the live site: never written into
                proc = subprocess.Popen([*command, "--site", str(source), "--output-path", str(bundle), "--silent"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                running.append((name, source, proc))
            name, source, proc = running.pop(0)
            said, _ = proc.communicate(timeout=600)
            shutil.rmtree(source, ignore_errors=True)
            if proc.returncode != 0:
                lines = said.strip().splitlines()
                problem = problem or Diagnostic("search index not built: " + (
                    lines[-1] if lines else f"pagefind exited with status {proc.returncode}"), severity="warning")
            elif name != "0":
                _keep_merged_files(root / FOLDER / name)
    finally:
        for _, source, proc in running:
            proc.kill()
            proc.wait()
            shutil.rmtree(source, ignore_errors=True)
    return problem


def _shard_source(root: Path, name: str, members: Sequence[str]) -> Path:
    """A folder holding just this shard's posts, at their paths (hard links), for Pagefind to read."""
    source = root.parent / f"{root.name}.index-{name}"
    shutil.rmtree(source, ignore_errors=True)
    for member in members:
        target = source / member
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(root / member, target)
        except OSError:
            shutil.copyfile(root / member, target)
    source.mkdir(parents=True, exist_ok=True)
    return source


def _keep_merged_files(bundle: Path) -> None:
    for entry in bundle.iterdir():
        keep = (entry.is_dir() and entry.name in _MERGED_DIRS) or entry.name in _MERGED_FILES or (
            entry.name.startswith("pagefind.") and entry.name.endswith(".pf_meta"))
        if not keep:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
