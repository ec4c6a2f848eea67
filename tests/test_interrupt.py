"""Ctrl-C and SIGTERM while notebooks run: every kernel stopped, out within 2 s, output/ untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Site, code, nb, processes_in, raw, tree

ENDLESS = """\
import os, time
open({marker!r}, "w").write(str(os.getpid()))
while True:
    time.sleep(0.05)
"""


def endless(site: Site, name: str) -> Path:
    """A notebook whose cell never ends; once it runs, its kernel's pid is in the returned file."""
    marker = site.root / f"{name}.pid"
    site.post(f"{name}.ipynb", nb(raw(f"---\ntitle: {name}\ndate: 2024-01-01\n---"),
                                  code(ENDLESS.format(marker=str(marker)))))
    return marker


def wait_for(paths: list[Path], count: int = 0, seconds: float = 90) -> list[Path]:
    """Until `count` (default: all) of the marker files are written; those that are."""
    deadline = time.monotonic() + seconds
    while len(written := [p for p in paths if p.is_file() and p.read_text()]) < (count or len(paths)):
        assert time.monotonic() < deadline, f"never ran: {[p.name for p in paths if p not in written]}"
        time.sleep(0.05)
    return written


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "zombie" not in status


def start_build(site: Site, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONWARNINGS="error", NO_COLOR="1")
    return subprocess.Popen([sys.executable, "-m", "nbpress", "build", "--site", str(site.root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=site.root)


def interrupt(process: subprocess.Popen[str], signum: int) -> tuple[float, str]:
    """Send the signal; the seconds until the build exited, and what it said on stderr besides progress."""
    sent = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    took = time.monotonic() - sent
    said = [line for line in err.splitlines() if not line.lstrip().startswith("running ")]
    return took, "\n".join(said)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_every_kernel_and_leaves_the_output_as_it_was(site: Site, signum: int, status: int) -> None:
    site.write("nbpress.toml", 'title = "t"\njobs = 2\n')
    site.post("hello.md", "---\ntitle: Hello\ndate: 2024-01-01\n---\nHi.\n")
    assert site.cli("build").returncode == 0
    before = tree(site.output)
    markers = [endless(site, name) for name in ("one", "two", "three")]  # --jobs 2: one of them waits
    process = start_build(site)
    try:
        running = wait_for(markers, count=2)
    finally:
        if process.poll() is not None:
            pytest.fail(f"the build ended before it was interrupted: {process.communicate()}")
    kernels = [int(p.read_text()) for p in running]
    took, said = interrupt(process, signum)
    assert process.returncode == status, said
    assert said == (f"build interrupted ({signal.Signals(signum).name}): every notebook was stopped; "
                    "the previous output was left as it was"), said
    assert took < 2, f"took {took:.1f} s"
    assert [pid for pid in kernels if alive(pid)] == []
    assert processes_in(site.root) == []  # a kernel works in its notebook's folder: none is left there
    assert tree(site.output) == before
    assert len(wait_for(markers, count=2)) == 2  # the third never ran
