"""Benchmark: M small notebooks executed by serial `jupyter nbconvert --execute` and by nbpress (issue 3).

The site has `search = false`: these figures are about execution, and nbconvert builds no index.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.benchmark import Benchmark, Context
from bench.corpus import write_site
from bench.measure import BenchError, Run, best, child_env, peak, run_checked, run_measured, spread, tail
from bench.report import mib, secs

TARGET_JOBS2_RATIO = 0.5
TARGET_CACHED = 1.0
REF_NBCONVERT_20 = 36.0  # the team's serial nbconvert time for 20 notebooks


def make_notebook(index: int) -> dict[str, Any]:
    """A small nbformat 4.5 notebook without outputs: front matter, import, compute, print, plot."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=index - 1)
    freq = 1 + index % 7
    sources = [
        ("raw", f"---\ntitle: Notebook {index:02d}\ndate: {day.isoformat()}\n---"),
        ("markdown", f"A small benchmark notebook: a damped sine wave of frequency {freq}."),
        ("code", "import math\n\nimport matplotlib.pyplot as plt"),
        ("code", "xs = [i / 50 for i in range(500)]\n"
                 f"ys = [math.sin({freq} * x) * math.exp(-x / 5) for x in xs]\n"
                 "area = sum(abs(y) for y in ys) / 50"),
        ("code", f'print(f"notebook {index:02d}: area = {{area:.4f}}")'),
        ("code", "fig, ax = plt.subplots(figsize=(4, 2.5))\n"
                 "ax.plot(xs, ys)\n"
                 f'ax.set_title("Notebook {index:02d}")\n'
                 "plt.show()"),
    ]
    return notebook_json(sources)


def notebook_json(sources: list[tuple[str, str]]) -> dict[str, Any]:
    """An nbformat 4.5 notebook without outputs, of (cell type, source) pairs, with a Python 3 kernel."""
    cells: list[dict[str, Any]] = []
    for k, (kind, source) in enumerate(sources):
        # Fixed ids, so the files are the same every time.
        cell: dict[str, Any] = {"cell_type": kind, "id": f"cell-{k}", "metadata": {},
                                "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell |= {"execution_count": None, "outputs": []}
        cells.append(cell)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def generate_nb_site(site: Path, count: int) -> list[Path]:
    """A site holding only count notebooks, under notebooks/nb/."""
    write_site(site, "Bench notebooks", search=False)
    folder = site / "notebooks" / "nb"
    folder.mkdir(parents=True)
    paths = []
    for i in range(1, count + 1):
        path = folder / f"nb{i:02d}.ipynb"
        path.write_text(json.dumps(make_notebook(i), indent=1) + "\n", encoding="utf-8")
        paths.append(path)
    print(f"corpus: {count} notebooks without outputs -> {folder}", flush=True)
    return paths


def _jupyter() -> list[str]:
    beside = Path(sys.executable).parent / "jupyter"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("jupyter")
    return [found] if found else [sys.executable, "-m", "jupyter"]


def _build(site: Path, *extra: str) -> Run:
    cmd = [sys.executable, "-m", "nbpress", "build", "--site", str(site), "--output", str(site / "output"), *extra]
    return run_checked("nbpress build", cmd, cwd=site, env=child_env(), watch_kernels=True)


def _clean(site: Path, cache: bool = True) -> None:
    for name in ("output", ".nbpress") if cache else ("output",):
        shutil.rmtree(site / name, ignore_errors=True)


def run(ctx: Context) -> None:
    """Serial nbconvert, nbpress --jobs 1 and 2 cold, and a fully cached rebuild."""
    args, report = ctx.args, ctx.report
    m = args.notebooks
    report.section(f"notebooks: {m} small notebooks")
    site = ctx.root / "nb-site"
    paths = generate_nb_site(site, m)

    # Untimed: make sure matplotlib's one-time font cache exists before timing.
    subprocess.run([sys.executable, "-c", "import matplotlib.pyplot"], check=False, capture_output=True)
    out = ctx.root / "nbconvert-out"
    nbconvert_total: list[float] = []
    nbconvert_peak = 0.0
    for _ in range(args.cold_repeat):
        shutil.rmtree(out, ignore_errors=True)
        total = 0.0
        for path in paths:
            cmd = [*_jupyter(), "nbconvert", "--to", "notebook", "--execute", "--output-dir", str(out), str(path)]
            measured = run_measured(cmd, cwd=site)
            if measured.returncode != 0:
                raise BenchError(f"jupyter nbconvert failed on {path.name}\n" + tail("stderr", measured.stderr))
            total += measured.seconds
            nbconvert_peak = max(nbconvert_peak, measured.max_rss_mib)
        nbconvert_total.append(total)
    serial = min(nbconvert_total)
    report.add(f"nbconvert --execute, serial ({m} nb)", secs(serial), f"team: {REF_NBCONVERT_20 * m / 20:.0f} s",
               note=f"peak {mib(nbconvert_peak)}")

    cold: dict[int, Run] = {}
    for jobs in (1, 2):
        runs = []
        for _ in range(args.cold_repeat):
            _clean(site)
            runs.append(_build(site, "--execute", "cache", "--jobs", str(jobs)))
        cold[jobs] = best(runs)
        report.add(f"nbpress build --jobs {jobs}, cold", secs(cold[jobs].seconds),
                   note=f"kernels seen: {cold[jobs].kernels}, {spread(runs)}")
    ratio = cold[2].seconds / serial
    report.add("  --jobs 2 / serial nbconvert", f"{ratio:.2f}x", f"<= {TARGET_JOBS2_RATIO}x",
               ratio <= TARGET_JOBS2_RATIO)

    cached = []
    for _ in range(args.repeat):
        _clean(site, cache=False)
        cached.append(_build(site, "--execute", "cache"))
    c = best(cached)
    report.add("rebuild, all notebooks cached", secs(c.seconds), f"< {TARGET_CACHED} s",
               c.seconds < TARGET_CACHED, note=spread(cached))
    kernels = [r.kernels for r in cached]
    n_kernels = None if None in kernels else sum(k or 0 for k in kernels)
    report.add("  kernels started", "n/a" if n_kernels is None else str(n_kernels), "0",
               None if n_kernels is None else n_kernels == 0)
    report.add("peak memory, notebook builds (max RSS)", mib(peak(list(cold.values()) + cached)))


BENCHMARK = Benchmark(
    names=("notebooks",),
    about="M small notebooks: serial nbconvert --execute, nbpress --jobs 1 and 2 cold, a fully cached rebuild",
    run=run,
)
