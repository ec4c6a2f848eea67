"""Benchmark the Dask executor (issue 12): small notebooks on a two-worker local Dask cluster
against `nbpress build --jobs 2` on this machine, and the overhead per notebook.

    python -m bench.dask_notebooks [--notebooks 20] [--repeat 3] [--keep DIR]
    python -m bench --only dask

The cluster is started with Dask's own command line (`dask scheduler`, two `dask worker`
processes with one thread each, so both sides run two notebooks at a time) on 127.0.0.1 and
stopped at the end. Every build is a fresh child process from an empty cache (`output/` and
`.nbpress/` removed first); the two kinds of build take turns, so a busy machine slows both,
and the fastest of each is reported. The first cluster build, on workers that have not yet
imported nbclient, is reported on its own line: a long-lived cluster pays it once.

What the overhead covers: connecting to the scheduler, sending each notebook to a worker and
its outputs back, laying out its `depends:` files in a temporary folder, and Dask's
scheduling. The kernels, the pages and the search index cost the same on both sides.

Needs the project's dependencies and `distributed` (pip install "nbpress[dask]"); matplotlib
(the demo extra) is used when present, as in bench.py's notebook corpus. `run()` is the entry
point for bench.py's driver: it returns the figures as a dict.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from bench.benchmark import Benchmark, Context
from bench.measure import BenchError
from bench.notebooks import notebook_json
from bench.report import secs

REPO = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"notebooks: executed (\d+), from cache (\d+), failed (\d+), in ([\d.]+) s")


def make_notebook(index: int, plot: bool) -> dict[str, Any]:
    """A small notebook without outputs (bench.py's corpus): front matter, compute, print, a plot."""
    freq = 1 + index % 7
    sources = [
        ("raw", f"---\ntitle: Notebook {index:02d}\ndate: 2024-01-{1 + index % 28:02d}\n"
                f"depends: [data/nb{index:02d}.csv]\n---"),
        ("markdown", f"A small benchmark notebook: a damped sine wave of frequency {freq}."),
        ("code", "import math\n" + ("\nimport matplotlib.pyplot as plt" if plot else "")),
        ("code", f"scale = float(open('data/nb{index:02d}.csv').read())\n"
                 "xs = [i / 50 for i in range(500)]\n"
                 f"ys = [scale * math.sin({freq} * x) * math.exp(-x / 5) for x in xs]\n"
                 "area = sum(abs(y) for y in ys) / 50"),
        ("code", f'print(f"notebook {index:02d}: area = {{area:.4f}}")'),
    ]
    if plot:
        sources.append(("code", "fig, ax = plt.subplots(figsize=(4, 2.5))\nax.plot(xs, ys)\n"
                                f'ax.set_title("Notebook {index:02d}")\nplt.show()'))
    return notebook_json(sources)


def write_site(site: Path, count: int) -> None:
    """A site of `count` notebooks under notebooks/nb/, each reading a small data file it declares."""
    plot = importlib.util.find_spec("matplotlib") is not None
    folder = site / "notebooks" / "nb"
    (folder / "data").mkdir(parents=True)
    (site / "nbpress.toml").write_text('title = "Bench notebooks"\nsearch = false\n')
    for i in range(1, count + 1):
        (folder / "data" / f"nb{i:02d}.csv").write_text(f"{1 + i / 10}\n")
        (folder / f"nb{i:02d}.ipynb").write_text(json.dumps(make_notebook(i, plot), indent=1) + "\n")


def child_env() -> dict[str, str]:
    """The environment of every child: the repository importable, no platformdirs warning from Jupyter."""
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))])
    env.pop("NBPRESS_EXECUTOR", None)
    return env


@contextmanager
def local_cluster(root: Path, workers: int = 2) -> Iterator[str]:
    """`dask scheduler` and `workers` one-thread `dask worker`s on 127.0.0.1; the scheduler's address."""
    dask = [sys.executable, "-m", "dask"]
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def start(name: str, *args: str) -> None:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        logs.append(folder / "log.txt")
        with logs[-1].open("wb") as log:
            processes.append(subprocess.Popen([*dask, *args], cwd=folder, env=child_env(), stdout=log,
                                              stderr=subprocess.STDOUT, start_new_session=True))

    def wait(what: str, done: Any, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise BenchError(f"the cluster did not start ({what}):\n"
                                 + "\n".join(log.read_text(errors="replace")[-1500:] for log in logs))
            time.sleep(0.1)

    file = root / "scheduler.json"
    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(file))
        wait("scheduler", lambda: file.is_file() and file.read_text().strip())
        address = json.loads(file.read_text())["address"]
        for n in range(1, workers + 1):
            start(f"w{n}", "worker", address, "--name", f"w{n}", "--nthreads", "1", "--host", "127.0.0.1",
                  "--no-dashboard", "--local-directory", "scratch")
        wait("workers", lambda: sum(log.read_text(errors="replace").count("Registered to:") for log in logs[1:])
             >= workers)
        yield address
    finally:
        for process in processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def build(site: Path, *args: str) -> tuple[float, float, str]:
    """A cold `nbpress build`: its wall time, the execution stage's time and what it printed."""
    for folder in ("output", ".nbpress"):
        shutil.rmtree(site / folder, ignore_errors=True)
    command = [sys.executable, "-m", "nbpress", "build", "--site", str(site), *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(), cwd=site, timeout=900)
    wall = time.perf_counter() - started
    found = SUMMARY.search(done.stdout)
    if done.returncode != 0 or not found or found.group(3) != "0":
        raise BenchError(f"`{' '.join(command)}` exited {done.returncode}:\n{done.stderr[-3000:]}{done.stdout}")
    return wall, float(found.group(4)), done.stdout


def cache_outputs(site: Path) -> dict[str, Any]:
    """Each cache entry's outputs, to check that both executors did the same work."""
    return {path.name: json.loads(path.read_text())["cells"] for path in (site / ".nbpress" / "cache").glob("*.json")}


def run(notebooks: int = 20, repeat: int = 3, root: Path | None = None) -> dict[str, float]:
    """Time `notebooks` notebooks: `--jobs 2` here, then on a two-worker Dask cluster; the figures, in seconds."""
    with tempfile.TemporaryDirectory(prefix="nbpress-bench-dask-") as tmp:
        base = root or Path(tmp)
        site = base / "site"
        if site.exists():
            shutil.rmtree(site)
        write_site(site, notebooks)
        local: list[tuple[float, float]] = []
        cluster: list[tuple[float, float]] = []
        with local_cluster(base / "cluster") as address:
            first, first_exec, said = build(site, "--executor", address)
            if f"{notebooks} ran on the Dask cluster" not in said:
                raise BenchError(f"not every notebook ran on the cluster:\n{said}")
            on_cluster = cache_outputs(site)
            for _ in range(repeat):
                local.append(build(site, "--jobs", "2")[:2])
                cluster.append(build(site, "--executor", address)[:2])
            if cache_outputs(site) != on_cluster:
                raise BenchError("the cluster's outputs differ between builds")
        build(site, "--jobs", "2")
        if cache_outputs(site) != on_cluster:
            raise BenchError("the cluster's outputs differ from this machine's")
    best_local, best_cluster = min(local), min(cluster)
    return {
        "notebooks": notebooks,
        "local_wall": best_local[0], "local_execute": best_local[1],
        "cluster_wall": best_cluster[0], "cluster_execute": best_cluster[1],
        "cluster_first_wall": first, "cluster_first_execute": first_exec,
        "overhead_per_notebook": (best_cluster[1] - best_local[1]) / notebooks,
        "overhead_per_notebook_wall": (best_cluster[0] - best_local[0]) / notebooks,
    }


def _bench(ctx: Context) -> None:
    """As a benchmark of `python -m bench`: both builds and the overhead per notebook."""
    if importlib.util.find_spec("distributed") is None:
        raise BenchError('distributed is not installed (pip install "nbpress[dask]")')
    n = ctx.args.notebooks
    ctx.report.section(f"dask: {n} notebooks, two-worker local cluster against --jobs 2")
    figures = run(n, ctx.args.repeat, ctx.folder("dask"))
    ctx.report.add("notebooks, nbpress build --jobs 2 (this machine)", secs(figures["local_wall"]),
                   note=f"execution {secs(figures['local_execute'])}")
    ctx.report.add("notebooks, --executor on 2 Dask workers", secs(figures["cluster_wall"]),
                   note=f"execution {secs(figures['cluster_execute'])}; "
                        f"first build {secs(figures['cluster_first_wall'])}")
    ctx.report.add("  cluster overhead per notebook", secs(figures["overhead_per_notebook"]), note="execution stage")


BENCHMARK = Benchmark(names=("dask",), about="notebooks on a two-worker local Dask cluster against --jobs 2",
                      run=_bench, default=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=int, default=20, help="notebooks in the generated site (20)")
    parser.add_argument("--repeat", type=int, default=3, help="builds of each kind; the fastest counts (3)")
    parser.add_argument("--keep", type=Path, default=None, help="generate in this folder and keep it")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("distributed") is None:
        print('dask_notebooks: distributed is not installed (pip install "nbpress[dask]")', file=sys.stderr)
        return 1
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    print(f"{args.notebooks} notebooks, {args.repeat} cold builds of each kind, {os.cpu_count()} cores", flush=True)
    try:
        figures = run(args.notebooks, args.repeat, args.keep)
    except BenchError as exc:
        print(f"dask_notebooks: {exc}", file=sys.stderr)
        return 1
    n = figures["notebooks"]
    rows = [
        ("nbpress build --jobs 2 (this machine)", figures["local_wall"], figures["local_execute"]),
        ("nbpress build --executor (2 workers x 1 thread)", figures["cluster_wall"], figures["cluster_execute"]),
        ("  the first one, on fresh workers", figures["cluster_first_wall"], figures["cluster_first_execute"]),
    ]
    print(f"\n{'build (cold, fastest)':<50} {'wall':>8} {'execute':>8} {'per notebook':>13}")
    for name, wall, execute in rows:
        print(f"{name:<50} {wall:>7.2f}s {execute:>7.2f}s {execute / n:>12.3f}s")
    print(f"\noverhead of the cluster per notebook: {figures['overhead_per_notebook']:+.3f} s "
          f"(execution stage), {figures['overhead_per_notebook_wall']:+.3f} s (whole build)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
