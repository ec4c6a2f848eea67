"""Running one measured child process: wall time, CPU time and peak RSS, read with os.wait4."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """A benchmark step could not run; the message says which and why."""


@dataclass(frozen=True)
class Run:
    """One measured child process (or several run one after the other, see `in_sequence`)."""

    seconds: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str
    kernels: int | None = None  # ipykernel processes seen, when watched
    cpu_seconds: float = 0.0  # user + system CPU time of the child and the descendants it reaped


class KernelWatch:
    """Counts ipykernel processes started under one process tree, by polling /proc.

    Only descendants of `root` count: other users of the machine may be running
    kernels of their own at the same time.
    """

    def __init__(self, root: int, interval: float = 0.02) -> None:
        self.root = root
        self.interval = interval
        self.available = Path("/proc/self/cmdline").exists()
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @staticmethod
    def _parent(pid: int) -> int:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        # The command name may hold spaces and parentheses; the ppid follows the last ")".
        return int(stat[stat.rindex(b")") + 2 :].split()[1])

    def _descends_from_root(self, pid: int) -> bool:
        for _ in range(32):
            if pid == self.root:
                return True
            if pid <= 1:
                return False
            pid = self._parent(pid)
        return False

    def _scan(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) in self.seen:
                continue
            pid = int(entry.name)
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"ipykernel" in f.read() and self._descends_from_root(pid):
                        self.seen.add(pid)
            except (OSError, ValueError, IndexError):  # the process ended while we looked
                continue

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._scan()
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Start polling in a daemon thread."""
        if self.available:
            self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread."""
        if self.available:
            self._stop.set()
            self._thread.join()

    @property
    def count(self) -> int | None:
        """Kernels seen so far; None where there is no /proc."""
        return len(self.seen) if self.available else None


def _maxrss_mib(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return ru_maxrss * scale / (1024 * 1024)


def run_measured(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    watch_kernels: bool = False,
) -> Run:
    """Run cmd as a fresh child; return its wall time, CPU time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [os.fspath(c) for c in cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
        )
        watch = KernelWatch(proc.pid) if watch_kernels else None
        if watch:
            watch.start()
        try:
            # wait4 on exactly this pid: its rusage covers the child and the
            # descendants it reaped, and ru_maxrss is the largest single one.
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        finally:
            if watch:
                watch.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            max_rss_mib=_maxrss_mib(usage.ru_maxrss),
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            kernels=watch.count if watch else None,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
        )


def run_checked(what: str, cmd: Sequence[str | os.PathLike[str]], *, cwd: Path,
                env: dict[str, str] | None = None, watch_kernels: bool = False) -> Run:
    """run_measured, raising BenchError (with the command and the end of its output) unless it exits 0."""
    run = run_measured(cmd, cwd=cwd, env=env, watch_kernels=watch_kernels)
    if run.returncode != 0:
        raise BenchError(
            f"{what} failed with exit status {run.returncode}\n"
            f"  command: {' '.join(os.fspath(c) for c in cmd)} (in {cwd})\n"
            + tail("stderr", run.stderr) + tail("stdout", run.stdout)
        )
    return run


def in_sequence(runs: Sequence[Run]) -> Run:
    """Several children run one after the other, as one figure: times add up, the peak is the largest."""
    return Run(
        seconds=sum(r.seconds for r in runs),
        max_rss_mib=max(r.max_rss_mib for r in runs),
        returncode=next((r.returncode for r in runs if r.returncode), 0),
        stdout="".join(r.stdout for r in runs),
        stderr="".join(r.stderr for r in runs),
        cpu_seconds=sum(r.cpu_seconds for r in runs),
    )


def child_env() -> dict[str, str]:
    """The environment for children: this repository importable from anywhere (nbpress and bench), and
    Python's bytecode cache on as users have it (a sandbox that sets PYTHONDONTWRITEBYTECODE would otherwise
    make every run compile nbpress from source, about 0.1 s a build)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    paths = [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def tail(name: str, text: str, lines: int = 30) -> str:
    """The last lines of a child's output, indented, for an error message."""
    text = text.rstrip()
    if not text:
        return ""
    kept = text.splitlines()[-lines:]
    return f"  {name} (last {len(kept)} lines):\n" + "".join(f"    | {line}\n" for line in kept)


def best(runs: Sequence[Run]) -> Run:
    """The fastest of several runs."""
    return min(runs, key=lambda r: r.seconds)


def spread(runs: Sequence[Run]) -> str:
    """The range of wall times, to show how noisy the machine was."""
    times = [r.seconds for r in runs]
    return f"{len(times)} runs {min(times):.2f}-{max(times):.2f} s" if len(times) > 1 else "1 run"


def peak(runs: Sequence[Run]) -> float:
    """The largest peak RSS among runs, in MiB."""
    return max(r.max_rss_mib for r in runs)


def load_text() -> str:
    """The 1, 5 and 15 minute load averages, or "n/a"."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def warn_if_busy(limit: float = 0.5) -> None:
    """Say so when other processes are using the CPU: every figure is then noisy."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return
    if load > limit:
        print(f"warning: load average {load:.2f} before starting: other processes are busy, "
              "so the figures will be noisy (compare the run ranges in parentheses)", flush=True)
