"""`--executor`: notebooks run on a real Dask cluster (Dask's own `dask scheduler` and `dask worker`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Site, code, make_site, nb, processes_in, raw, tree
from test_interrupt import alive, endless, interrupt, start_build, wait_for

pytest.importorskip("distributed", reason='the Dask executor needs distributed (pip install "nbpress[dask]")')

WORKERS = ("w1", "w2")


@dataclass
class Cluster:
    root: Path
    address: str  # tcp://127.0.0.1:PORT
    logs: dict[str, Path]

    @property
    def url(self) -> str:
        """The scheduler's address as nbpress users write it."""
        return self.address.replace("tcp://", "dask://")

    def registered(self) -> int:
        """How many times workers registered with the scheduler (a nanny restarts a killed worker)."""
        return sum(log.read_text(errors="replace").count("Registered to:") for log in self.logs.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A scheduler and two one-thread workers on 127.0.0.1, each worker with a working folder of its own."""
    root = tmp_path_factory.mktemp("cluster")
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1",
               # A task whose worker died is tried once more, then given up on: the Dask default is 3 more.
               DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    dask = [sys.executable, "-m", "dask"]
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str, cwd: Path) -> Path:
        log = root / f"{name}.log"
        with log.open("wb") as out:
            processes.append(subprocess.Popen([*dask, *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                              start_new_session=True))
        return log

    try:
        scheduler_file = root / "scheduler.json"
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
              "--no-dashboard", "--scheduler-file", str(scheduler_file), cwd=root)
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() or not scheduler_file.read_text().strip():
            assert time.monotonic() < deadline and processes[0].poll() is None, (root / "scheduler.log").read_text()
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        logs = {}
        for name in WORKERS:
            folder = root / name
            folder.mkdir()
            logs[name] = start(name, "worker", address, "--name", name, "--nthreads", "1", "--host", "127.0.0.1",
                               "--no-dashboard", "--local-directory", str(folder / "scratch"), cwd=folder)
        found = Cluster(root, address, logs)
        wait_for_registrations(found, 0, len(WORKERS))
        yield found
    finally:
        # SIGKILL to each process group (a nanny, its worker, its resource tracker): nothing to save here,
        # and a graceful close waits seconds for a worker a nanny is restarting.
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for process in processes:
            process.wait()
        _wait_until_gone(root)  # a kernel notices within a second that its worker is gone


def _wait_until_gone(folder: Path, seconds: float = 10) -> None:
    """Until no process works inside folder: workers, their kernels (in the workers' scratch folders)."""
    deadline = time.monotonic() + seconds
    while (left := processes_in(folder)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], left


def notebook(site: Site, rel: str, *cells: str, front: str = "") -> None:
    name = Path(rel).stem
    site.post(rel, nb(raw(f"---\ntitle: {name}\ndate: 2024-01-01\n{front}---"), *(code(c) for c in cells)))


def cluster_site(root: Path) -> Site:
    return make_site(root, toml='title = "t"\n')


def cache_entries(site: Site) -> dict[str, dict[str, object]]:
    """The cache, less what differs between two runs of the same notebook (when, how long)."""
    entries = {}
    for path in sorted((site.root / ".nbpress" / "cache").glob("*.json")):
        entry = json.loads(path.read_text())
        entry.pop("executed")
        entry.pop("seconds")
        entries[path.name] = entry
    return entries


def test_outputs_embedded_the_cache_filled_and_a_cached_build_connects_to_nothing(cluster: Cluster,
                                                                                  tmp_path: Path) -> None:
    site = cluster_site(tmp_path / "site")
    site.write("nbpress.toml", f'title = "t"\nexecutor = "{cluster.url}"\n')
    notebook(site, "squares.ipynb", "squares = [n * n for n in range(5)]", "print('squares:', squares)",
             "from IPython.display import HTML\nHTML('<b id=\"bold\">bold</b>')")
    site.post("loop.py", "# ---\n# title: Loop\n# date: 2024-01-01\n# ---\n\n# %%\nprint(sum(range(10)))\n")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "squares: [0, 1, 4, 9, 16]" in site.read("posts/squares/index.html")
    assert '<b id="bold">bold</b>' in site.read("posts/squares/index.html")
    assert "45" in site.read("posts/loop/index.html")
    assert re.search(r"running notebooks/squares.ipynb on w[12]", result.stderr)
    assert re.search(r"executed notebooks/loop.py \(\d+\.\d s on w[12]\)", result.stderr)
    assert "executed 2, from cache 0, failed 0" in result.stdout
    assert "2 ran on the Dask cluster" in result.stdout
    on_cluster = cache_entries(site)
    assert len(on_cluster) == 2

    # The same cache as a local run writes: same entries, same outputs.
    local = cluster_site(tmp_path / "local")
    for rel in ("nbpress.toml", "notebooks/squares.ipynb", "notebooks/loop.py"):
        local.write(rel, (site.root / rel).read_bytes())
    assert local.cli("build", "--executor", "local").returncode == 0
    assert cache_entries(local) == on_cluster

    # Everything cached: the build never connects (nothing listens at this address).
    site.post("squares.ipynb", (site.root / "notebooks/squares.ipynb").read_text().replace("title: squares",
                                                                                         "title: Squares"))
    started = time.monotonic()
    again = site.cli("build", "--executor", f"dask://127.0.0.1:{free_port()}")
    assert again.returncode == 0, again.stderr
    assert "executed 0, from cache 2, failed 0" in again.stdout
    assert "Dask" not in again.stdout + again.stderr
    assert time.monotonic() - started < 8
    assert "squares: [0, 1, 4, 9, 16]" in site.read("posts/squares/index.html")


def test_depends_files_travel_with_the_task_to_a_worker_in_another_folder(cluster: Cluster, tmp_path: Path) -> None:
    site = cluster_site(tmp_path / "site")
    site.write("data/table.csv", "a,b\n1,2\n3,4\n")
    site.post("course/week1/notes.txt", "read me on the worker")
    notebook(site, "course/week1/lab.ipynb",
             "import os\nprint('cwd:', os.getcwd())",
             "rows = open('../../../data/table.csv').read().splitlines()\nprint('rows:', len(rows) - 1)",
             "print(open('notes.txt').read())",
             front="depends: [../../../data/table.csv, notes.txt]\n")
    env = dict(os.environ, PYTHONWARNINGS="error", NO_COLOR="1", NBPRESS_EXECUTOR=cluster.address)
    result = subprocess.run([sys.executable, "-m", "nbpress", "build", "--site", str(site.root)], capture_output=True,
                            text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = site.read("posts/lab/index.html")
    assert "rows: 2" in page
    assert "read me on the worker" in page
    cwd = Path(re.search(r"cwd: (\S+)", page).group(1))  # type: ignore[union-attr]
    assert cluster.root in cwd.parents  # in a worker's scratch folder, not in the site
    assert site.root not in cwd.parents
    assert cwd.as_posix().endswith(f"{site.root.as_posix()}/notebooks/course/week1")  # same relative paths
    assert not cwd.exists()  # removed afterwards
    assert "1 ran on the Dask cluster" in result.stdout


def test_failures_read_as_they_do_on_this_machine(cluster: Cluster, tmp_path: Path) -> None:
    site = cluster_site(tmp_path / "site")
    site.post("hello.md", "---\ntitle: Hello\ndate: 2024-01-01\n---\nHi.\n")
    site.write("data.csv", "1\n")
    notebook(site, "zero.ipynb", "x = 1", "x / 0")
    notebook(site, "slow.ipynb", "import time\ntime.sleep(30)", front="execute: {timeout: 1}\n")
    notebook(site, "ask.ipynb", "input('name? ')")
    notebook(site, "crash.ipynb", "import os\nos._exit(3)")
    here = site.cli("build", "--executor", "local", "--execute", "cache")
    assert here.returncode == 1
    assert site.cli("build", "--execute", "off").returncode == 0
    before = tree(site.output)

    notebook(site, "undeclared.ipynb", "open('../data.csv').read()")  # fine here, missing on a worker
    there = site.cli("build", "--executor", cluster.url, "--execute", "cache")
    assert there.returncode == 1
    assert "Traceback (most recent call last):" not in there.stderr  # nbpress's own; a cell's is quoted
    errors = sorted(line for line in there.stderr.splitlines() if line.startswith("notebooks/"))
    expected = sorted(line for line in here.stderr.splitlines() if line.startswith("notebooks/"))
    assert len(expected) == 4
    assert [e for e in errors if "undeclared" not in e] == expected
    assert "notebooks/undeclared.ipynb: cell 2: FileNotFoundError" in there.stderr
    assert "notebooks/slow.ipynb: cell 2: timed out: the cell ran longer than 1 s" in there.stderr
    assert "build failed: 5 error(s)" in there.stderr
    assert tree(site.output) == before


def test_an_unreachable_scheduler_is_a_clear_error_and_the_output_is_untouched(tmp_path: Path) -> None:
    site = cluster_site(tmp_path / "site")
    notebook(site, "one.ipynb", "1 + 1")
    assert site.cli("build", "--execute", "off").returncode == 0
    before = tree(site.output)
    address = f"dask://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = site.cli("build", "--executor", address)
    took = time.monotonic() - started
    assert result.returncode == 2
    assert f"cannot reach the Dask scheduler at {address}" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert took < 15
    assert tree(site.output) == before


def test_a_tls_address_without_certificates_says_what_is_missing(tmp_path: Path) -> None:
    site = cluster_site(tmp_path / "site")
    notebook(site, "one.ipynb", "1 + 1")
    address = f"tls://127.0.0.1:{free_port()}"
    result = site.cli("build", "--executor", address)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"cannot reach the Dask scheduler at {address}: no TLS certificates (set distributed.comm.tls.ca-file, "
        ".client.cert and .client.key in Dask's configuration, e.g. DASK_DISTRIBUTED__COMM__TLS__CA_FILE)")


def test_interrupted_the_cluster_kernels_stop_too(cluster: Cluster, tmp_path: Path) -> None:
    site = cluster_site(tmp_path / "site")
    marker = endless(site, "forever")
    process = start_build(site, "--executor", cluster.url)
    wait_for([marker])
    kernel = int(marker.read_text())
    took, said = interrupt(process, signal.SIGINT)
    assert process.returncode == 130, said
    assert said == ("build interrupted (SIGINT): every notebook was stopped; "
                    "the previous output was left as it was")
    assert took < 2, f"took {took:.1f} s"
    deadline = time.monotonic() + 5  # the worker sees its task cancelled within a fraction of a second
    while alive(kernel):
        assert time.monotonic() < deadline, "the kernel on the worker still runs"
        time.sleep(0.05)
    assert not list(site.root.glob("output"))


def test_a_worker_killed_mid_run_is_replaced_and_the_build_completes(cluster: Cluster, tmp_path: Path) -> None:
    site = cluster_site(tmp_path / "site")
    pids = tmp_path / "pids.txt"
    notebook(site, "long.ipynb",
             f"import os, time\nfirst = not os.path.exists({str(pids)!r})\n"
             f"open({str(pids)!r}, 'a').write(f'{{os.getppid()}} {{os.getpid()}}\\n')\n"
             "time.sleep(60 if first else 0)",
             "print('survived')")
    registered = cluster.registered()
    process = start_build(site, "--executor", cluster.url)
    wait_for([pids])
    worker, kernel = map(int, pids.read_text().split())
    os.kill(worker, signal.SIGKILL)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "survived" in site.read("posts/long/index.html")
    runs = pids.read_text().splitlines()
    assert len(runs) == 2 and runs[0].split()[0] != runs[1].split()[0]  # run again, by another worker process
    deadline = time.monotonic() + 5  # the orphaned kernel notices its worker is gone
    while alive(kernel):
        assert time.monotonic() < deadline, "the killed worker's kernel still runs"
        time.sleep(0.1)
    wait_for_registrations(cluster, registered, 1)  # the nanny restarts the killed worker, for the next tests


def test_a_notebook_that_kills_every_worker_is_an_error_naming_it(cluster: Cluster, tmp_path: Path) -> None:
    site = cluster_site(tmp_path / "site")
    notebook(site, "fine.ipynb", "print('fine')")
    # It runs a moment before it crashes its process, as a cell that runs out of memory does.
    notebook(site, "killer.ipynb", "x = 1",
             "import os, signal, time\ntime.sleep(0.5)\nos.kill(os.getppid(), signal.SIGKILL)")
    registered = cluster.registered()
    result = site.cli("build", "--executor", cluster.url)
    assert result.returncode == 1
    assert ("notebooks/killer.ipynb: cell 3: every Dask worker that ran this notebook died while running it "
            "(2 of them, the last tcp://127.0.0.1:") in result.stderr
    assert "Traceback" not in result.stderr
    assert "build failed: 1 error(s)" in result.stderr
    assert [name.split("--")[0] for name in cache_entries(site)] == ["notebooks__fine.ipynb"]  # the others ran
    wait_for_registrations(cluster, registered, 2)


def wait_for_registrations(cluster: Cluster, registered: int, more: int, seconds: float = 60) -> None:
    """Until workers registered `more` times since `registered` (a nanny restarts a killed worker)."""
    deadline = time.monotonic() + seconds
    while cluster.registered() < registered + more:
        assert time.monotonic() < deadline, "the nannies did not restart their workers"
        time.sleep(0.1)
