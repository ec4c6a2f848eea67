"""What a benchmark is (names, options, a run function) and the Context every benchmark runs in.

A benchmark module ends with one `BENCHMARK = Benchmark(...)`, and bench/run.py lists it once.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import Corpus, generate_corpus
from bench.report import Report


@dataclass
class Context:
    """What a benchmark gets: the options, a work folder, the report, and the shared corpus."""

    args: argparse.Namespace
    root: Path  # the work folder; every benchmark makes its own sub-folders in it
    report: Report
    only: frozenset[str] | None = None  # the --only names; None: every benchmark that runs by default
    machine_factor: float | None = None  # set by the baseline: this machine's speed against the team's
    _corpus: Corpus | None = field(default=None, repr=False)

    def wants(self, name: str) -> bool:
        """Whether `name` is part of this run (everything is, without --only)."""
        return self.only is None or name in self.only

    def asked_for(self, name: str) -> bool:
        """Whether `name` was asked for with --only (then not being able to run it is a failure)."""
        return self.only is not None and name in self.only

    def corpus(self) -> Corpus:
        """The --posts Markdown posts in root/md-site, generated on first use and shared."""
        if self._corpus is None:
            self._corpus = generate_corpus(self.root, self.args.posts)
        return self._corpus

    def folder(self, name: str) -> Path:
        """root/name, empty."""
        path = self.root / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: the --only names that select it, what it measures, and how to run it."""

    names: tuple[str, ...]  # the first is its name in messages; any of them selects it
    about: str  # one line for --help
    run: Callable[[Context], None]  # measures, adds to ctx.report; raises BenchError when it cannot run
    options: Callable[[argparse.ArgumentParser], None] | None = None  # its own command-line options
    default: bool = True  # part of a run without --only

    @property
    def name(self) -> str:
        """The benchmark's name in messages."""
        return self.names[0]
