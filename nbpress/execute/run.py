"""Stage: which notebooks run, through the cache, and their outputs put back into the pages."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import glob
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbpress import __version__
from nbpress.config import Settings
from nbpress.errors import Diagnostic
from nbpress.execute.cache import LOCK_FILES, cache_get, cache_put, earlier_format, execution_key
from nbpress.execute.jobs import Executor, Job, Progress, Status
from nbpress.hashing import digest
from nbpress.model import Page
from nbpress.store import Store

log = logging.getLogger(__name__)

@dataclass
class ExecutionReport:
    executed: int = 0
    cached: int = 0
    failed: int = 0
    seconds: float = 0.0
    watched: list[str] = field(default_factory=list)  # files whose change must trigger a rebuild
    notes: list[str] = field(default_factory=list)  # said once: why cached outputs could not be used


def _needs_run(nb: dict[str, Any]) -> bool:
    """`auto` runs only a notebook that was never run: no code cell holds an output or an execution count
    (every jupytext text notebook; an .ipynb saved without outputs). One that holds any is published as saved:
    a re-saved `import` without a count must not re-run the author's `!pip install` or redraw their random data.
    """
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    if any(c.get("outputs") or c.get("execution_count") is not None for c in code):
        return False
    return any(c.get("source", "").strip() and "skip-execution" not in (c.get("metadata", {}).get("tags") or [])
               for c in code)


def mode_for(page: Page, settings: Settings) -> str:
    """The execution mode of one notebook: --execute off or force wins, then front matter, then settings."""
    if settings.execute == "off":
        return "off"
    chosen = page.execute.get("mode")
    if settings.execute == "force" and chosen != "off":
        return "force"
    return chosen or settings.execute


def _inputs(page: Page, settings: Settings) -> tuple[list[tuple[str, bytes]], list[Path], list[Diagnostic]]:
    """The data files a notebook depends on (its `depends:` globs) and the environment's lock files.

    Also the `depends:` files alone, which a task on a cluster carries to its worker.
    """
    site = settings.site_dir
    folder = (site / page.source).parent
    found: list[tuple[str, bytes]] = []
    depends: list[Path] = []
    problems: list[Diagnostic] = []
    for pattern in page.depends:
        matches = sorted(glob.glob(str(folder / pattern), recursive=True))
        files = [Path(m) for m in matches if Path(m).is_file()]
        if not files:
            problems.append(Diagnostic(f"depends: '{pattern}' matches no file", page.source))
        for path in files:
            found.append((os.path.relpath(path, site).replace(os.sep, "/"), path.read_bytes()))
            depends.append(path)
    for name in LOCK_FILES:
        path = site / name
        if path.is_file():
            found.append((name, path.read_bytes()))
    return found, depends, problems


def _apply(nb: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any] | None:
    """The notebook with a cache entry's outputs in its code cells; None if they do not line up."""
    result = copy.deepcopy(nb)
    code = [c for c in result.get("cells", []) if c.get("cell_type") == "code"]
    stored = entry.get("cells", [])
    if not isinstance(stored, list) or len(code) != len(stored) or not all(isinstance(c, dict) for c in stored):
        return None  # an entry that does not fit (or was edited by hand): a miss, so the notebook runs
    for cell, saved in zip(code, stored, strict=True):
        cell["outputs"] = saved.get("outputs", [])
        cell["execution_count"] = saved.get("execution_count")
    meta = entry.get("metadata", {})
    result.setdefault("metadata", {}).update(meta if isinstance(meta, dict) else {})
    return result


def _entry(executed: dict[str, Any], kernel: str, language: str, seconds: float) -> dict[str, Any]:
    cells = [{"execution_count": c.get("execution_count"), "outputs": c.get("outputs", [])}
             for c in executed.get("cells", []) if c.get("cell_type") == "code"]
    meta = {k: v for k, v in executed.get("metadata", {}).items() if k in ("language_info", "widgets")}
    when = dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kernel": kernel, "language": language, "executed": when, "seconds": round(seconds, 2),
            "cells": cells, "metadata": meta}


def _provenance(entry: dict[str, Any]) -> dict[str, Any]:
    """How a page's outputs were made: the same whether they were made now or come from the cache, so that
    a build that takes them from the cache gives the page a fresh build gives."""
    return {"status": "executed", "when": entry["executed"], "kernel": entry["kernel"], "language": entry["language"]}


def execute(pages: list[Page], settings: Settings, executor: Executor | None = None,
            progress: Progress | None = None) -> tuple[list[Page], list[Diagnostic], ExecutionReport]:
    """Pages whose notebooks ran (or came from the cache), every failure, and what happened."""
    started = time.perf_counter()
    progress = progress or _quiet
    report = ExecutionReport()
    problems: list[Diagnostic] = []
    by_source = {p.source: p for p in pages}
    keys: dict[str, str] = {}
    todo: list[Job] = []
    site = settings.site_dir
    store = Store(site)
    report.watched = sorted(name for name in LOCK_FILES if (site / name).is_file())
    upgraded: list[tuple[str, str]] = []
    for page in pages:
        if page.notebook is None:
            continue
        mode = mode_for(page, settings)
        if mode == "off" or (mode == "auto" and not _needs_run(page.notebook)):
            continue
        inputs, depends, missing = _inputs(page, settings)
        problems.extend(missing)
        report.watched.extend(path for path, _ in inputs if path not in LOCK_FILES)
        kernel = page.execute.get("kernel") or (page.notebook.get("metadata", {}).get("kernelspec") or {}).get(
            "name") or "python3"
        allow_errors = bool(page.execute.get("allow_errors", False))
        key = execution_key(page.notebook, kernel, inputs, allow_errors)
        keys[page.source] = key
        entry = cache_get(store, key) if mode != "force" else None
        applied = _apply(page.notebook, entry) if entry else None
        if entry and applied is not None:
            report.cached += 1
            progress(page.source, "cached", 0.0)
            by_source[page.source] = dataclasses.replace(
                page, notebook=applied, provenance=_provenance(entry),
                digest=digest(page.digest, key, entry["executed"]))
            continue
        if mode != "force" and (made_by := earlier_format(store, page.source)):
            upgraded.append((page.source, made_by))
        timeout = float(page.execute.get("timeout", settings.timeout))
        cwd = str((site / page.source).parent)
        todo.append(Job(page.source, page.notebook, cwd, kernel, timeout, allow_errors,
                        tuple(os.path.normpath(path) for path in depends)))
        progress(page.source, "queued", 0.0)
    if upgraded:
        names = ", ".join(source for source, _ in upgraded[:3]) + (f" and {len(upgraded) - 3} more" if len(upgraded) > 3
                                                                 else "")
        report.notes.append(f"the cached outputs of {names} were made by {upgraded[0][1]}, whose cache this nbpress "
                            f"{__version__} cannot read: running them again")
    if todo:
        # Only now, with notebooks to run, does an executor start kernels or connect to a cluster.
        outcomes = (executor or executor_for(settings)).run(todo, settings.jobs, progress)
        for job, outcome in zip(todo, outcomes, strict=True):
            if outcome.error is not None or outcome.notebook is None:
                report.failed += 1
                problems.append(outcome.error or Diagnostic("the notebook did not run", job.source))
                continue
            report.executed += 1
            entry = _entry(outcome.notebook, job.kernel, outcome.language, outcome.seconds)
            cache_put(store, job.source, keys[job.source], entry)
            page = by_source[job.source]
            applied = _apply(page.notebook or {}, entry)
            by_source[job.source] = dataclasses.replace(
                page, notebook=applied, provenance=_provenance(entry),
                digest=digest(page.digest, keys[job.source], entry["executed"]))
    report.seconds = time.perf_counter() - started
    report.watched = sorted(set(report.watched))
    return [by_source[p.source] for p in pages], problems, report


def _quiet(source: str, status: Status, seconds: float, where: str = "") -> None:
    pass


def executor_for(settings: Settings) -> Executor:
    """The executor the settings ask for: kernels on this machine, or a Dask cluster's address."""
    if settings.executor != "local":
        from nbpress.execute.dask import DaskExecutor  # distributed is imported only when something runs

        return DaskExecutor(settings.executor)
    from nbpress.execute.local import LocalExecutor  # nbclient is imported only when something runs

    return LocalExecutor()
