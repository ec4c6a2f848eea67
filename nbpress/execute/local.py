"""The default executor: kernels on this machine, several at a time, on one asyncio event loop."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from nbpress.ansi import strip_ansi
from nbpress.errors import Diagnostic
from nbpress.execute.jobs import Job, Outcome, Progress

T = TypeVar("T")

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


async def _kill(client: Any) -> None:
    """Stop a kernel cancelled while it booted, as nbclient does for one that is up (it skips the others)."""
    atexit.unregister(client._cleanup_kernel)  # registered by nbclient as it boots; it would fail at exit
    if client.km is not None:
        await client._async_cleanup_kernel()  # kills the kernel, closes its channels and sockets


async def run_notebook(job: Job, progress: Progress, kernels: AbstractAsyncContextManager[Any] | None = None,
                       running: AbstractAsyncContextManager[Any] | None = None,
                       on_cell: Callable[[int], None] | None = None) -> Outcome:
    """Run one notebook in a kernel of its own: the code every executor runs, here or on a Dask worker.

    `kernels` is held while a kernel boots and runs, `running` while its cells run; `on_cell` is told
    each cell's index as it starts. Cancelling the coroutine kills the kernel.
    """
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, DeadKernelError
    from nbclient.util import ensure_async

    if job.kernel.lower() not in _installed_kernels():  # else jupyter_client logs its own traceback first
        progress(job.source, "failed", 0.0)
        return Outcome(job.source, None, _failure(job, NoSuchKernel(job.kernel), None))
    try:
        nb = nbformat.reads(json.dumps(job.notebook), as_version=4)
    except (nbformat.ValidationError, ValueError) as exc:
        progress(job.source, "failed", 0.0)
        return Outcome(job.source, None, Diagnostic(f"invalid notebook: {exc}", job.source))
    current: list[int | None] = [None]

    def cell_started(cell: Any, cell_index: int) -> None:
        current[0] = cell_index
        if on_cell is not None:
            on_cell(cell_index)

    client = NotebookClient(
        nb, timeout=job.timeout, kernel_name=job.kernel, allow_errors=job.allow_errors,
        resources={"metadata": {"path": job.cwd}}, startup_timeout=60, shutdown_kernel="immediate",
        record_timing=False, on_cell_start=cell_started,
    )
    started = time.perf_counter()
    # The kernel's own stderr goes to a log, shown only if the kernel dies.
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as kernel_log:
        try:
            async with kernels or contextlib.nullcontext():
                client.reset_execution_trackers()
                boot = client.async_setup_kernel(env={**os.environ, **KERNEL_ENV}, cwd=job.cwd,
                                                 stdout=kernel_log, stderr=kernel_log)
                async with boot, running or contextlib.nullcontext():  # NotebookClient.async_execute, once up
                    started = time.perf_counter()
                    progress(job.source, "running", 0.0)
                    assert client.kc is not None
                    reply = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
                    if reply is not None and "language_info" in reply["content"]:
                        nb.metadata["language_info"] = reply["content"]["language_info"]
                    for index, cell in enumerate(nb.cells):
                        await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                    client.set_widgets_metadata()
        except asyncio.CancelledError:
            await _kill(client)
            raise
        # Every way a notebook can fail becomes a located content error: its cells (CellControlSignal is the
        # base of nbclient's cell errors), its kernel (dead, missing, or not answering: RuntimeError and
        # TimeoutError from jupyter_client), the kernel's program (OSError). Anything else is a bug.
        except (CellControlSignal, DeadKernelError, NoSuchKernel, RuntimeError, TimeoutError, OSError) as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # nbclient turns a cancelled cell into DeadKernelError
                await _kill(client)
                raise asyncio.CancelledError from None
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


def run_in_thread(main: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on an event loop in a thread of its own; interrupted, cancel it and let it clean up.

    nbclient catches SIGINT and SIGTERM on the event loop of the main thread, kills one kernel and
    carries on with the others. With the kernels' loop in another thread, the main thread keeps the
    signals: Ctrl-C cancels every notebook, which kills every kernel, before the interrupt goes on.
    """
    loop = asyncio.new_event_loop()
    task = loop.create_task(main)
    stopped = threading.Event()
    ended: list[BaseException] = []

    def target() -> None:
        try:
            loop.run_until_complete(task)
        except BaseException as exc:
            ended.append(exc)
        finally:
            try:
                left = asyncio.all_tasks(loop)  # as asyncio.run does: nbclient's pollers of a cancelled cell
                for pending in left:
                    pending.cancel()
                if left:
                    loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
            finally:
                stopped.set()

    # Waited for with an Event, not Thread.join(): an interrupted join() can leave the thread marked as
    # stopped while it runs (Python 3.11), and then nothing waits for the kernels to stop.
    threading.Thread(target=target, name="nbpress-kernels").start()
    try:
        stopped.wait()
    except BaseException:
        with contextlib.suppress(RuntimeError):  # the loop closed just now: nothing left to cancel
            loop.call_soon_threadsafe(task.cancel)
        stopped.wait()
        raise
    if ended:
        raise ended[0]
    return task.result()


class LocalExecutor:
    """Kernels on this machine, `parallel` running at a time (0: one per core), all on one asyncio event loop.

    One more kernel than that starts while the others run, so a notebook never waits for its
    kernel to boot (about 0.75 s of every notebook run one after another).
    """

    def run(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]:
        return run_in_thread(self._run_all(jobs, parallel or os.cpu_count() or 1, progress))

    async def _run_all(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]:
        kernels = asyncio.Semaphore(parallel + 1)
        running = asyncio.Semaphore(parallel)
        # return_exceptions: cancelled, gather would return at the first notebook to stop, not the last.
        ran = await asyncio.gather(*(run_notebook(job, progress, kernels, running) for job in jobs),
                                   return_exceptions=True)
        for outcome in ran:
            if isinstance(outcome, BaseException):
                raise outcome
        return [outcome for outcome in ran if isinstance(outcome, Outcome)]
