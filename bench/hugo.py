"""The same posts built by Hugo (the reference), alone and followed by Pagefind, as peers of the build benchmark.

The Hugo site is bench/hugo-theme/ (hugo.toml, layouts/, static/: a theme about as rich as
nbpress's built-in one) with every post copied verbatim to content/<category>/<slug>.md, so
each category folder is a Hugo section, and the posts' images are under static/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import Corpus, Post
from bench.measure import Run, child_env, in_sequence, run_checked

THEME = Path(__file__).with_name("hugo-theme")
MISSING = "hugo: not installed (apt-get install hugo) — skipped"
# What `hugo` leaves in the site besides its sources; all deleted before a cold build.
OUTPUTS = ("public", "resources", ".hugo-cache", ".hugo_build.lock")


def hugo_binary() -> str | None:
    """The hugo executable on PATH, or None."""
    return shutil.which("hugo")


def hugo_version(binary: str) -> str:
    """e.g. "0.111.3", or "" when `hugo version` does not say."""
    said = subprocess.run([binary, "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"v(\d+\.\d+(?:\.\d+)?)", said)
    return match.group(1) if match else ""


def make_hugo_site(site: Path, corpus: Corpus) -> None:
    """site/: the bench theme and config, and a verbatim copy of every post of the corpus."""
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(THEME, site)
    for post in corpus.posts:
        target = site / "content" / post.file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus.site / "notebooks" / post.file, target)
    shutil.copytree(corpus.site / "notebooks" / "assets", site / "static" / "assets", dirs_exist_ok=True)


@dataclass(frozen=True)
class HugoPeer:
    """`hugo --quiet` in the site, then (with pagefind) `python -m pagefind --site public`, timed as one build."""

    label: str
    site: Path
    binary: str
    pagefind: bool

    @property
    def output(self) -> Path:
        """The built site."""
        return self.site / "public"

    @property
    def searches(self) -> bool:
        """Whether the build makes a Pagefind index."""
        return self.pagefind

    def source(self, post: Post) -> Path:
        """The file of `post` in this site."""
        return self.site / "content" / post.file

    def clean(self) -> None:
        """Delete every output and cache, for a cold build."""
        for name in OUTPUTS:
            path = self.site / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    def build(self) -> Run:
        """One full build (Hugo has no incremental mode outside `hugo server`); BenchError if it fails."""
        env = dict(os.environ, HUGO_CACHEDIR=str(self.site / ".hugo-cache"))  # not the user's ~/.cache
        runs = [run_checked("hugo", [self.binary, "--quiet"], cwd=self.site, env=env)]
        if self.pagefind:
            cmd = [sys.executable, "-m", "pagefind", "--site", "public", "--silent"]
            runs.append(run_checked("pagefind", cmd, cwd=self.site, env=child_env()))
        return in_sequence(runs)


def hugo_peers(root: Path, corpus: Corpus, binary: str) -> list[HugoPeer]:
    """Hugo alone and Hugo then Pagefind, each in its own copy of the site under root."""
    version = hugo_version(binary)
    peers = []
    for name, label, pagefind in (("hugo-site", f"Hugo {version}".strip(), False),
                                  ("hugo-pagefind-site", "Hugo, then Pagefind", True)):
        make_hugo_site(root / name, corpus)
        peers.append(HugoPeer(label, root / name, binary, pagefind))
    return peers
