"""The default executor: kernels on this machine, several at a time, on one asyncio event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from nbpress.ansi import strip_ansi
from nbpress.errors import Diagnostic
from nbpress.execute.jobs import Job, Outcome, Progress

# Set for every kernel so that rich outputs work in a static page without other hosts.
KERNEL_ENV = {
    "PLOTLY_RENDERER": "plotly_mimetype",
    "BOKEH_RESOURCES": "inline",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "JUPYTER_PLATFORM_DIRS": "1",
}


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

        if job.kernel.lower() not in _installed_kernels():  # else jupyter_client logs its own traceback first
            from jupyter_client.kernelspec import NoSuchKernel

            progress(job.source, "failed", 0.0)
            return Outcome(job.source, None, _failure(job, NoSuchKernel(job.kernel), None))
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
