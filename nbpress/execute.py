"""Stage: run notebooks at build time, in parallel, through the cache; the only code that starts kernels."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import datetime as dt
import glob
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from nbpress.ansi import strip_ansi
from nbpress.cache import LOCK_FILES, cache_get, cache_put, digest, execution_key
from nbpress.config import Settings, jobs
from nbpress.errors import Diagnostic
from nbpress.model import Page

log = logging.getLogger(__name__)
Status = Literal["queued", "running", "executed", "cached", "failed"]
Progress = Callable[[str, Status, float], None]  # (source, status, seconds)

# Set for every kernel so that rich outputs work in a static page without other hosts.
KERNEL_ENV = {
    "PLOTLY_RENDERER": "plotly_mimetype",
    "BOKEH_RESOURCES": "inline",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "JUPYTER_PLATFORM_DIRS": "1",
}


@dataclass(frozen=True)
class Job:
    """Run this notebook with these settings."""

    source: str
    notebook: dict[str, Any]
    cwd: str
    kernel: str
    timeout: float
    allow_errors: bool


@dataclass(frozen=True)
class Outcome:
    """The executed notebook, or the error that stopped it."""

    source: str
    notebook: dict[str, Any] | None
    error: Diagnostic | None
    language: str = ""
    seconds: float = 0.0


class Executor(Protocol):
    """Runs notebooks; the default one runs kernels on this machine on one asyncio loop."""

    def run(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]: ...


def _language(nb: dict[str, Any]) -> str:
    info = nb.get("metadata", {}).get("language_info") or {}
    name = str(info.get("name", "")).capitalize().replace("Python", "Python")
    return f"{name} {info.get('version', '')}".strip()


def _installed_kernels() -> list[str]:
    from jupyter_client.kernelspec import KernelSpecManager

    return sorted(KernelSpecManager().find_kernel_specs())


def _failure(job: Job, exc: BaseException, cell: int | None) -> Diagnostic:
    """The user's view of what stopped a notebook."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    number = cell + 1 if cell is not None else None
    if isinstance(exc, NoSuchKernel):
        installed = ", ".join(_installed_kernels()) or "none"
        return Diagnostic(f"kernel '{job.kernel}' is not installed (installed kernels: {installed})", job.source)
    if isinstance(exc, CellTimeoutError):
        return Diagnostic(f"timed out: the cell ran longer than {job.timeout:g} s "
                          "(raise it with --timeout or `execute: {timeout: ...}` in front matter)", job.source,
                          cell=number)
    if isinstance(exc, DeadKernelError):
        return Diagnostic("the kernel died while running this cell", job.source, cell=number)
    if isinstance(exc, CellExecutionError):
        lines = [line for line in strip_ansi(exc.traceback or "").splitlines() if line.strip()]
        tail = "\n".join("    " + line for line in lines[-8:])
        message = f"{exc.ename}: {exc.evalue}"
        if exc.ename == "StdinNotImplementedError":
            message += " (a notebook cannot ask for input() while it is built)"
        return Diagnostic(message + ("\n" + tail if tail else ""), job.source, cell=number)
    return Diagnostic(f"could not run the notebook: {type(exc).__name__}: {exc}", job.source, cell=number)


class LocalExecutor:
    """Kernels on this machine, `parallel` running at a time, all on one asyncio event loop.

    One more kernel than that starts while the others run, so a notebook never waits for its
    kernel to boot (about 0.75 s of every notebook run one after another).
    """

    def run(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]:
        return asyncio.run(self._run_all(jobs, max(1, parallel), progress))

    async def _run_all(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]:
        kernels = asyncio.Semaphore(parallel + 1)
        running = asyncio.Semaphore(parallel)
        return list(await asyncio.gather(*(self._run_one(job, kernels, running, progress) for job in jobs)))

    async def _run_one(self, job: Job, kernels: asyncio.Semaphore, running: asyncio.Semaphore,
                       progress: Progress) -> Outcome:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.util import ensure_async

        try:
            nb = nbformat.reads(json.dumps(job.notebook), as_version=4)
        except Exception as exc:
            progress(job.source, "failed", 0.0)
            return Outcome(job.source, None, Diagnostic(f"invalid notebook: {exc}", job.source))
        current: list[int | None] = [None]
        client = NotebookClient(
            nb, timeout=job.timeout, kernel_name=job.kernel, allow_errors=job.allow_errors,
            resources={"metadata": {"path": job.cwd}}, startup_timeout=60, shutdown_kernel="immediate",
            record_timing=False, on_cell_start=lambda cell, cell_index: current.__setitem__(0, cell_index),
        )
        started = time.perf_counter()
        # The kernel's own stderr goes to a log, shown only if the kernel dies.
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as kernel_log:
            try:
                async with kernels:
                    client.reset_execution_trackers()
                    boot = client.async_setup_kernel(env={**os.environ, **KERNEL_ENV}, cwd=job.cwd,
                                                     stdout=kernel_log, stderr=kernel_log)
                    async with boot, running:  # what NotebookClient.async_execute does, once the kernel is up
                        started = time.perf_counter()
                        progress(job.source, "running", 0.0)
                        assert client.kc is not None
                        reply = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
                        if reply is not None and "language_info" in reply["content"]:
                            nb.metadata["language_info"] = reply["content"]["language_info"]
                        for index, cell in enumerate(nb.cells):
                            await client.async_execute_cell(cell, index,
                                                            execution_count=client.code_cells_executed + 1)
                        client.set_widgets_metadata()
            except Exception as exc:  # every way a notebook can fail becomes a located content error
                seconds = time.perf_counter() - started
                progress(job.source, "failed", seconds)
                error = _failure(job, exc, current[0])
                kernel_log.seek(0)
                said = [line for line in kernel_log.read().splitlines() if "without encryption" not in line]
                if said and "kernel died" in error.message:
                    error = dataclasses.replace(error, message=error.message + "\n    " + "\n    ".join(said[-5:]))
                return Outcome(job.source, None, error, seconds=seconds)
        seconds = time.perf_counter() - started
        progress(job.source, "executed", seconds)
        executed = json.loads(nbformat.writes(nb))
        return Outcome(job.source, executed, None, _language(executed), seconds)


@dataclass
class ExecutionReport:
    executed: int = 0
    cached: int = 0
    failed: int = 0
    seconds: float = 0.0
    watched: list[str] = field(default_factory=list)  # files whose change must trigger a rebuild


def _needs_run(nb: dict[str, Any]) -> bool:
    """A notebook saved without outputs: a code cell with code that was never run."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", ""))
        tags = cell.get("metadata", {}).get("tags") or []
        if source.strip() and "skip-execution" not in tags and cell.get("execution_count") is None \
                and not cell.get("outputs"):
            return True
    return False


def mode_for(page: Page, settings: Settings) -> str:
    """The execution mode of one notebook: --execute off or force wins, then front matter, then settings."""
    if settings.execute == "off":
        return "off"
    chosen = page.execute.get("mode")
    if settings.execute == "force" and chosen != "off":
        return "force"
    return chosen or settings.execute


def _inputs(page: Page, settings: Settings) -> tuple[list[tuple[str, bytes]], list[Diagnostic]]:
    """The data files a notebook depends on (its `depends:` globs) and the environment's lock files."""
    site = settings.site_dir
    folder = (site / page.source).parent
    found: list[tuple[str, bytes]] = []
    problems: list[Diagnostic] = []
    for pattern in page.depends:
        matches = sorted(glob.glob(str(folder / pattern), recursive=True))
        files = [Path(m) for m in matches if Path(m).is_file()]
        if not files:
            problems.append(Diagnostic(f"depends: '{pattern}' matches no file", page.source))
        for path in files:
            found.append((os.path.relpath(path, site).replace(os.sep, "/"), path.read_bytes()))
    for name in LOCK_FILES:
        path = site / name
        if path.is_file():
            found.append((name, path.read_bytes()))
    return found, problems


def _apply(nb: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any] | None:
    """The notebook with a cache entry's outputs in its code cells; None if they do not line up."""
    result = copy.deepcopy(nb)
    code = [c for c in result.get("cells", []) if c.get("cell_type") == "code"]
    stored = entry.get("cells", [])
    if len(code) != len(stored):
        return None
    for cell, saved in zip(code, stored, strict=True):
        cell["outputs"] = saved.get("outputs", [])
        cell["execution_count"] = saved.get("execution_count")
    result.setdefault("metadata", {}).update(entry.get("metadata", {}))
    return result


def _entry(executed: dict[str, Any], kernel: str, language: str, seconds: float) -> dict[str, Any]:
    cells = [{"execution_count": c.get("execution_count"), "outputs": c.get("outputs", [])}
             for c in executed.get("cells", []) if c.get("cell_type") == "code"]
    meta = {k: v for k, v in executed.get("metadata", {}).items() if k in ("language_info", "widgets")}
    when = dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kernel": kernel, "language": language, "executed": when, "seconds": round(seconds, 2),
            "cells": cells, "metadata": meta}


def _provenance(status: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {"status": status, "when": entry["executed"], "kernel": entry["kernel"], "language": entry["language"]}


def execute(pages: list[Page], settings: Settings, executor: Executor | None = None,
            progress: Progress | None = None) -> tuple[list[Page], list[Diagnostic], ExecutionReport]:
    """Pages whose notebooks ran (or came from the cache), every failure, and what happened."""
    started = time.perf_counter()
    progress = progress or (lambda source, status, seconds: None)
    report = ExecutionReport()
    problems: list[Diagnostic] = []
    by_source = {p.source: p for p in pages}
    keys: dict[str, str] = {}
    todo: list[Job] = []
    site = settings.site_dir
    report.watched = sorted(name for name in LOCK_FILES if (site / name).is_file())
    for page in pages:
        if page.notebook is None:
            continue
        mode = mode_for(page, settings)
        if mode == "off" or (mode == "auto" and not _needs_run(page.notebook)):
            continue
        inputs, missing = _inputs(page, settings)
        problems.extend(missing)
        report.watched.extend(path for path, _ in inputs if path not in LOCK_FILES)
        kernel = page.execute.get("kernel") or (page.notebook.get("metadata", {}).get("kernelspec") or {}).get(
            "name") or "python3"
        allow_errors = bool(page.execute.get("allow_errors", False))
        key = execution_key(page.notebook, kernel, inputs, allow_errors)
        keys[page.source] = key
        entry = cache_get(site, key) if mode != "force" else None
        applied = _apply(page.notebook, entry) if entry else None
        if entry and applied is not None:
            report.cached += 1
            progress(page.source, "cached", 0.0)
            by_source[page.source] = dataclasses.replace(
                page, notebook=applied, provenance=_provenance("cached", entry),
                digest=digest(page.digest, key, entry["executed"]))
            continue
        timeout = float(page.execute.get("timeout", settings.timeout))
        cwd = str((site / page.source).parent)
        todo.append(Job(page.source, page.notebook, cwd, kernel, timeout, allow_errors))
        progress(page.source, "queued", 0.0)
    if todo:
        outcomes = (executor or LocalExecutor()).run(todo, jobs(settings), progress)
        for job, outcome in zip(todo, outcomes, strict=True):
            if outcome.error is not None or outcome.notebook is None:
                report.failed += 1
                problems.append(outcome.error or Diagnostic("the notebook did not run", job.source))
                continue
            report.executed += 1
            entry = _entry(outcome.notebook, job.kernel, outcome.language, outcome.seconds)
            cache_put(site, job.source, keys[job.source], entry)
            page = by_source[job.source]
            applied = _apply(page.notebook or {}, entry)
            by_source[job.source] = dataclasses.replace(
                page, notebook=applied, provenance=_provenance("executed", entry),
                digest=digest(page.digest, keys[job.source], entry["executed"]))
    report.seconds = time.perf_counter() - started
    report.watched = sorted(set(report.watched))
    return [by_source[p.source] for p in pages], problems, report
