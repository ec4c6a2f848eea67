"""The command line: `python -m bench [--only NAME,...] [--posts N] ...` runs the benchmarks listed here, in order."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence

from bench import baseline, build, dask_notebooks, incremental, lighthouse, notebooks, serve
from bench.benchmark import Benchmark, Context
from bench.corpus import prepare_root
from bench.measure import BenchError, load_text, warn_if_busy
from bench.report import Report

# In this order: the build verdict uses the baseline's machine factor. A new benchmark is a
# module ending in `BENCHMARK = Benchmark(...)`, added here with one line.

BENCHMARKS: list[Benchmark] = [
    baseline.BENCHMARK,
    build.BENCHMARK,
    notebooks.BENCHMARK,
    incremental.BENCHMARK,
    serve.BENCHMARK,
    dask_notebooks.BENCHMARK,
    lighthouse.BENCHMARK,
]


def _names(benchmarks: Sequence[Benchmark]) -> list[str]:
    return [name for b in benchmarks for name in b.names]


def parse_args(argv: Sequence[str] | None, benchmarks: Sequence[Benchmark] = BENCHMARKS) -> argparse.Namespace:
    """The command line: the shared options, then each benchmark's own."""
    names = _names(benchmarks)

    def only(text: str) -> frozenset[str]:
        chosen = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in names]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(f"{text!r}: choose from {', '.join(names)} (comma-separated)")
        return frozenset(chosen)

    listing = "\n".join(f"  {'/'.join(b.names):<12} {b.about}{'' if b.default else ' (only with --only)'}"
                        for b in benchmarks)
    p = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark nbpress (see bench/README.md).",
        epilog="benchmarks, in the order they run:\n" + listing, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--posts", type=int, default=1000, help="Markdown posts in the generated corpus (default 1000)")
    p.add_argument("--notebooks", type=int, default=20, help="notebooks (default 20)")
    p.add_argument("--only", type=only, metavar="NAME[,NAME...]",
                   help="run only these benchmarks (default: every one not marked 'only with --only')")
    p.add_argument("--keep", metavar="DIR", help="generate in DIR and keep it (default: a temp folder)")
    p.add_argument("--repeat", type=int, default=3, help="runs per rebuild and baseline figure, best kept (default 3)")
    p.add_argument("--cold-repeat", type=int, default=1, help="runs per cold figure, best kept (default 1)")
    for b in benchmarks:
        if b.options:
            b.options(p)
    args = p.parse_args(argv)
    if min(args.posts, args.notebooks, args.repeat, args.cold_repeat) < 1:
        p.error("--posts, --notebooks, --repeat and --cold-repeat must be at least 1")
    return args


def selected(benchmark: Benchmark, only: frozenset[str] | None) -> bool:
    """Whether a benchmark runs: named in --only, or (without --only) one that runs by default."""
    return benchmark.default if only is None else any(name in only for name in benchmark.names)


def main(argv: Sequence[str] | None = None, benchmarks: Sequence[Benchmark] = BENCHMARKS,
         report: Report | None = None) -> int:
    """Run the chosen benchmarks into report (a new one by default), print the tables; 1 if one failed."""
    args = parse_args(argv, benchmarks)
    try:
        root, temporary = prepare_root(args.keep)
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 2
    print(f"nbpress bench: python {sys.version.split()[0]}, {os.cpu_count()} cores, in {root}")
    print(f"load average: {load_text()}", flush=True)
    warn_if_busy()
    ctx = Context(args=args, root=root, report=report or Report(), only=args.only)
    try:
        for benchmark in benchmarks:
            if not selected(benchmark, args.only):
                continue
            try:
                benchmark.run(ctx)
            except BenchError as e:
                print(f"\nbench: {benchmark.name}: {e}", file=sys.stderr, flush=True)
                ctx.report.fail(benchmark.name, str(e).splitlines()[0])
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"\nkept: {root}")
    ctx.report.print_tables()
    print(f"load average at the end: {load_text()}")
    return 1 if ctx.report.failures else 0
