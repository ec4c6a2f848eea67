"""The long check that a build in place equals a build from nothing: N seeds x M random edits (bench/edits.py).

    python -m bench.incremental [--seeds 10] [--edits 30] [--site-posts 25] [--search] [--cli] [--keep DIR]
    python -m bench.incremental --seed 7          # one seed again, to reproduce what it found
    python -m bench.incremental --keep-going      # after a difference, start over in place and go on
    python -m bench --only incremental ...        # the same, as one of the benchmarks

For each seed a small site is made and built. Then, after each edit, the site is built in place
and a copy of its sources is built from nothing (no output/, no .nbpress/), and the two output
trees are compared byte for byte. The first difference of a seed is reported (the edits that
led to it, the file, a short diff) and the seed stops there: what follows would only repeat it.
Builds run in this process by default, as `nbpress serve` runs them; --cli runs each as
`python -m nbpress build`, as a user at a terminal does (slower).
"""

from __future__ import annotations

import argparse
import difflib
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.benchmark import Benchmark, Context
from bench.edits import copy_sources, make_site, random_edits
from bench.measure import child_env, tail


@dataclass(frozen=True)
class Difference:
    """The first file in which two built trees differ."""

    path: str  # relative to the output folders
    what: str  # "only in place", "only fresh" or "differs"
    diff: str = ""  # a short unified diff (text files) or the sizes (other files)
    others: tuple[str, ...] = ()  # the other files that differ

    def __str__(self) -> str:
        shown = ", ".join(self.others[:5]) + (f" and {len(self.others) - 5} more" if len(self.others) > 5 else "")
        more = f" (also: {shown})" if self.others else ""
        return f"{self.path}: {self.what}{more}" + (f"\n{self.diff}" if self.diff else "")


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else {}


def first_difference(in_place: Path, fresh: Path, lines: int = 24, width: int = 160) -> Difference | None:
    """The first file (in sorted order) that is missing from one tree or not byte-identical, or None."""
    a, b = _files(in_place), _files(fresh)
    differ = [rel for rel in sorted(a.keys() | b.keys())
              if rel not in a or rel not in b or a[rel].read_bytes() != b[rel].read_bytes()]
    if not differ:
        return None
    rel, others = differ[0], tuple(differ[1:])
    if rel not in b:
        return Difference(rel, "only in place", others=others)
    if rel not in a:
        return Difference(rel, "only fresh", others=others)
    old, new = a[rel].read_bytes(), b[rel].read_bytes()
    try:
        diff = difflib.unified_diff(old.decode().splitlines(), new.decode().splitlines(),
                                    f"in place/{rel}", f"fresh/{rel}", n=1, lineterm="")
        shown = [line if len(line) <= width else line[:width] + " ..." for line in diff]
    except UnicodeDecodeError:
        shown = [f"{len(old)} bytes in place, {len(new)} bytes fresh"]
    more = f"\n... {len(shown) - lines} more diff lines" if len(shown) > lines else ""
    return Difference(rel, "differs", "\n".join(shown[:lines]) + more, others)


def build_site(site: Path, cli: bool = False) -> str | None:
    """Build site into site/output; None when it built, else what the build said."""
    if cli:
        proc = subprocess.run([sys.executable, "-m", "nbpress", "build", "--site", str(site)],
                              capture_output=True, text=True, env=child_env(), check=False)
        return None if proc.returncode == 0 else f"exit status {proc.returncode}\n" + tail("stderr", proc.stderr)
    from nbpress.build import build
    from nbpress.config import load_settings
    from nbpress.errors import NbpressError, SettingsError

    try:
        build(load_settings(site)[0])
    except (NbpressError, SettingsError) as exc:
        return "\n".join(str(d) for d in exc.diagnostics) if isinstance(exc, NbpressError) else str(exc)
    return None


@dataclass(frozen=True)
class Finding:
    """After which edit the build in place and the build from nothing disagreed, and how."""

    step: int  # edits applied so far (0: the first build, before any edit)
    edit: str  # that edit's describe()
    difference: Difference | None = None  # the first file that differed
    failure: str | None = None  # or: a build failed, and what it said

    def __str__(self) -> str:
        found = f"build failed:\n{self.failure}" if self.failure else str(self.difference)
        return f"after edit {self.step} ({self.edit}): " + found.replace("\n", "\n  ")


@dataclass
class SeedResult:
    """What one seed's walk of edits found."""

    seed: int
    edits: list[str] = field(default_factory=list)  # describe() of every edit applied, in order
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def equal(self) -> bool:
        """Every build in place equalled the fresh one."""
        return not self.findings

    def summary(self) -> str:
        """A paragraph: equal, or the edits and what differed after which of them."""
        n = len(self.edits)
        if self.equal:
            return f"seed {self.seed}: equal after each of {n} edits ({self.seconds:.1f} s)"
        steps = "".join(f"\n    {i}. {e}" for i, e in enumerate(self.edits, 1))
        found = "".join(f"\n  {f}" for f in self.findings)
        return f"seed {self.seed}: DIFFERENT {len(self.findings)} time(s) in {n} edits\n  edits:{steps}{found}"


def _compare(site: Path, fresh_dir: Path, cli: bool) -> tuple[Difference | None, str | None]:
    """Build site in place and a copy of its sources from nothing; their first difference, or a failure."""
    fresh = copy_sources(site, fresh_dir)
    in_place_said, fresh_said = build_site(site, cli), build_site(fresh, cli)
    if in_place_said or fresh_said:
        return None, f"in place: {in_place_said or 'built'}\nfrom nothing: {fresh_said or 'built'}"
    return first_difference(site / "output", fresh / "output"), None


def _reset(site: Path, cli: bool) -> None:
    """Forget the build in place (output/ and .nbpress/) and build again, to go on from a clean state."""
    for name in ("output", ".nbpress"):
        shutil.rmtree(site / name, ignore_errors=True)
    build_site(site, cli)


def check_seed(seed: int, edits: int, posts: int, work: Path, search: bool = False, cli: bool = False,
               keep_going: bool = False) -> SeedResult:
    """Make a site from seed, then edit it `edits` times, comparing in place with fresh after each edit.

    The seed stops at its first finding, unless keep_going: then the build in place starts over
    from nothing and the walk goes on, so one run lists every edit after which the two differed.
    """
    started = time.perf_counter()
    result = SeedResult(seed)
    shutil.rmtree(work / f"seed-{seed}", ignore_errors=True)
    site = make_site(work / f"seed-{seed}", posts=posts, seed=seed, search=search)
    fresh = work / f"seed-{seed}-fresh"
    steps = iter(random_edits(random.Random(seed), site, edits))
    step, described = 0, "the first build, two folders"  # two fresh builds: the folder must not matter
    while True:
        difference, failure = _compare(site, fresh, cli)
        if difference or failure:
            result.findings.append(Finding(step, described, difference, failure))
            if not keep_going or failure:
                break  # the fresh copy stays, to compare by hand (with --keep)
            _reset(site, cli)
        edit = next(steps, None)
        if edit is None:
            break
        edit.apply()
        step, described = step + 1, edit.describe()
        result.edits.append(described)
    result.seconds = time.perf_counter() - started
    return result


def seeds_of(args: argparse.Namespace) -> list[int]:
    """--seed S: just S; otherwise 1..--seeds."""
    return [args.seed] if args.seed is not None else list(range(1, args.seeds + 1))


def check_all(args: argparse.Namespace, work: Path) -> list[SeedResult]:
    """Every seed, printing each one's summary as it ends."""
    results = []
    for seed in seeds_of(args):
        result = check_seed(seed, args.edits, args.site_posts, work, args.search, args.cli, args.keep_going)
        print(result.summary(), flush=True)
        results.append(result)
    return results


def add_options(p: argparse.ArgumentParser) -> None:
    """This check's own options."""
    g = p.add_argument_group("incremental")
    g.add_argument("--seeds", type=int, default=10, help="seeds to walk, 1..N (default 10)")
    g.add_argument("--seed", type=int, help="walk only this seed (to reproduce a difference)")
    g.add_argument("--edits", type=int, default=30, help="edits per seed (default 30)")
    g.add_argument("--site-posts", type=int, default=25, help="posts in each seed's site (default 25)")
    g.add_argument("--search", action="store_true", help="sites with search on (Pagefind after every build)")
    g.add_argument("--cli", action="store_true", help="build with `python -m nbpress build` (default: in process)")
    g.add_argument("--keep-going", action="store_true",
                   help="after a difference, rebuild in place from nothing and go on (default: next seed)")


def run(ctx: Context) -> None:
    """As a benchmark: one verdict row, and each seed's first difference."""
    args = ctx.args
    ctx.report.section(f"incremental: in place == from nothing, {len(seeds_of(args))} seeds x {args.edits} edits")
    results = check_all(args, ctx.folder("incremental"))
    equal = [r for r in results if r.equal]
    ctx.report.add(f"incremental == fresh ({args.edits} edits, {args.site_posts}-post sites)",
                   f"{len(equal)} of {len(results)} seeds", "every seed", len(equal) == len(results),
                   note=f"{sum(r.seconds for r in results):.0f} s")
    for r in results:
        for f in r.findings:
            what = f"build failed: {f.failure.splitlines()[0]}" if f.failure else \
                f"{f.difference.path} {f.difference.what}" if f.difference else ""
            ctx.report.add(f"  seed {r.seed}", f"edit {f.step}", "", False, note=f"{f.edit} -> {what}")


BENCHMARK = Benchmark(
    names=("incremental",),
    about="random edits to small sites: every build in place must equal a build from nothing",
    run=run, options=add_options, default=False,
)


def main(argv: list[str] | None = None) -> int:
    """The check on its own; exit status 1 when some seed found a difference."""
    p = argparse.ArgumentParser(prog="python -m bench.incremental", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p)
    p.add_argument("--keep", metavar="DIR", help="make the sites in DIR and keep them (default: a temp folder)")
    args = p.parse_args(argv)
    if args.keep:
        work = Path(args.keep).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="nbpress-incremental-"))
    try:
        results = check_all(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    different = [r.seed for r in results if not r.equal]
    print(f"\n{len(results) - len(different)} of {len(results)} seeds equal"
          + (f"; different: {', '.join(map(str, different))}" if different else ""))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
