"""Notebooks as tasks on a Dask cluster: the same run as on this machine, on a worker, results sent back.

Workers share no file system with the build: a task carries the notebook and the bytes of the files
its front matter lists under `depends:`, which the worker lays out in a temporary folder, at the
same paths relative to the notebook, and removes afterwards. The worker runs `run_notebook`, the
code the local executor runs, so the timeout is enforced there and the errors read the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import queue
import tempfile
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path, PurePath
from typing import Any

from nbpress.errors import Diagnostic, SettingsError
from nbpress.execute.jobs import Job, Outcome, Progress, Status

CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler before the build gives up on it
CLOSE_TIMEOUT = 1.0  # an interrupted build must end within 2 s
WATCH_SECONDS = 0.25  # how often a worker checks that its task is still wanted


def scheduler_address(address: str) -> str:
    """The address as Dask's client takes it: nbpress's dask:// is Dask's plain tcp://."""
    return "tcp://" + address.removeprefix("dask://") if address.startswith("dask://") else address


def _mirrored(path: str) -> str:
    """A path on this machine as a path inside the worker's temporary folder (the same, from the root down).

    Every relative path between the notebook and its files stays as it is, wherever they sit.
    """
    pure = PurePath(path)
    return pure.relative_to(pure.anchor).as_posix()


class DaskExecutor:
    """Each notebook one task on the Dask cluster at `address`; it connects only when a notebook must run."""

    def __init__(self, address: str) -> None:
        self.address = address

    def run(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]:
        client = self._connect()
        try:
            return _Run(client, self.address, jobs, progress).wait(parallel or len(jobs))
        finally:
            with contextlib.suppress(Exception):  # interrupted, the scheduler may already be out of reach
                client.close(timeout=CLOSE_TIMEOUT)

    def _connect(self) -> Any:
        try:
            from distributed import Client
        except ImportError:
            raise SettingsError(f"executor {self.address}: the Dask client is not installed "
                                '(pip install "nbpress[dask]")') from None
        address = scheduler_address(self.address)
        if address.startswith(("tls://", "wss://")):
            from distributed.security import Security

            # Checked first: without them, Dask's client fails in a way that then hangs the exit for 20 s.
            if Security().get_connection_args("client").get("ssl_context") is None:
                raise SettingsError(f"cannot reach the Dask scheduler at {self.address}: no TLS certificates "
                                    "(set distributed.comm.tls.ca-file, .client.cert and .client.key in Dask's "
                                    "configuration, e.g. DASK_DISTRIBUTED__COMM__TLS__CA_FILE)")
        try:
            return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False, name="nbpress")
        except Exception as exc:  # refused, timed out, a TLS setting missing: all mean "not reachable"
            raise SettingsError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None


class _Run:
    """One build's notebooks on the cluster: submitted (at most `cap` at once), watched, collected."""

    def __init__(self, client: Any, address: str, jobs: Sequence[Job], progress: Progress) -> None:
        self.client = client
        self.address = address
        self.jobs = jobs
        self.progress = progress
        self.topic = f"nbpress-{uuid.uuid4().hex}"  # where this build's workers say what they run
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.running: dict[Any, int] = {}  # future -> index of its job
        self.workers: dict[int, str] = {}  # job index -> the worker last seen running it
        self.cells: dict[int, int] = {}  # job index -> the cell it last started, for a worker that died in it

    def wait(self, cap: int) -> list[Outcome]:
        """Every job's outcome, in order; interrupted, the cluster's tasks are cancelled (their kernels stop)."""
        by_source = {job.source: index for index, job in enumerate(self.jobs)}
        outcomes: list[Outcome | None] = [None] * len(self.jobs)
        waiting = deque(range(len(self.jobs)))
        self.client.subscribe_topic(self.topic, lambda event: self.events.put(("event", event[1])))
        try:
            while waiting or self.running:
                while waiting and len(self.running) < cap:
                    index = waiting.popleft()
                    submitted = self._submit(index)
                    if isinstance(submitted, Outcome):
                        outcomes[index] = self._told(index, submitted)
                    else:
                        self.running[submitted] = index
                        submitted.add_done_callback(lambda future: self.events.put(("done", future)))
                if not self.running:
                    continue
                kind, item = self.events.get()
                if kind == "done":
                    index = self.running.pop(item)
                    outcomes[index] = self._told(index, self._outcome(index, item))
                    continue
                index = by_source.get(item.get("source"), -1)
                if index not in self.running.values():
                    continue  # a late word from a task already collected
                self.workers[index] = str(item.get("name", ""))
                if "cell" in item:
                    self.cells[index] = int(item["cell"])
                else:
                    self.progress(self.jobs[index].source, "running", 0.0, where=self.workers[index])
        except BaseException:
            # Dask cannot stop a running task; each worker sees its task released and kills the kernel.
            with contextlib.suppress(Exception):
                self.client.cancel(list(self.running), force=True)
            raise
        finally:
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(self.topic)
        return [outcome for outcome in outcomes if outcome is not None]

    def _submit(self, index: int) -> Any:
        """The task's future, or the outcome of a job whose files cannot be read any more."""
        job = self.jobs[index]
        try:
            files = {_mirrored(path): Path(path).read_bytes() for path in job.depends}
        except OSError as exc:
            return Outcome(job.source, None, Diagnostic(f"depends: cannot read {exc.filename}: {exc.strerror}",
                                                        job.source))
        with warnings.catch_warnings():
            # The files travel inside the task on purpose: scattered data would be lost with its worker.
            warnings.filterwarnings("ignore", message="Sending large graph")
            return self.client.submit(run_task, job, _mirrored(job.cwd), files, self.topic, pure=False,
                                      key=f"nbpress {job.source} {uuid.uuid4().hex[:8]}")

    def _told(self, index: int, outcome: Outcome) -> Outcome:
        status: Status = "failed" if outcome.error is not None else "executed"
        self.progress(outcome.source, status, outcome.seconds, where=outcome.worker or self.workers.get(index, ""))
        return outcome

    def _outcome(self, index: int, future: Any) -> Outcome:
        """What a finished task gave back, or the error that names what happened to it."""
        job = self.jobs[index]
        if future.status == "finished":
            outcome: Outcome = future.result()
            return outcome
        where = self.workers.get(index, "")
        cell = self.cells.get(index)
        if future.status != "error":
            return Outcome(job.source, None, Diagnostic(
                f"lost on the Dask cluster: the scheduler at {self.address} went away or cancelled the task",
                job.source), worker=where)
        from distributed.scheduler import KilledWorker

        exc = future.exception()
        if isinstance(exc, KilledWorker):
            message = (f"every Dask worker that ran this notebook died while running it "
                       f"({exc.allowed_failures + 1} of them, the last {exc.last_worker.address}): "
                       "a cell that needs more memory than a worker has, or that crashes its process, does this")
        else:
            message = f"could not run on the Dask cluster: {type(exc).__name__}: {exc}"
            if isinstance(exc, ImportError):
                message += " (Dask workers need nbpress, ipykernel and the notebooks' own requirements installed)"
        return Outcome(job.source, None, Diagnostic(message, job.source, cell=cell + 1 if cell is not None else None),
                       worker=where)


# --- on the worker -------------------------------------------------------------------------------


def run_task(job: Job, folder: str, files: dict[str, bytes], topic: str) -> Outcome:
    """On a Dask worker: lay out the notebook's files in a temporary folder and run it there."""
    from distributed import get_worker

    from nbpress.execute.local import run_notebook

    worker = get_worker()
    key = worker.get_current_task()
    name = str(worker.name)

    def tell(**message: Any) -> None:
        worker.log_event(topic, {"source": job.source, "name": name, **message})

    def progress(source: str, status: Status, seconds: float, where: str = "") -> None:
        if status == "running":
            tell()

    # In Dask's own folder for this worker, which Dask clears if the worker dies before this does.
    with tempfile.TemporaryDirectory(prefix="nbpress-", dir=worker.local_directory) as tmp:
        root = Path(tmp)
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        cwd = root / folder
        cwd.mkdir(parents=True, exist_ok=True)
        run = run_notebook(dataclasses.replace(job, cwd=str(cwd)), progress, on_cell=lambda cell: tell(cell=cell))
        outcome = asyncio.run(_until_released(job, run, lambda: _released(worker, key)))
    return dataclasses.replace(outcome, worker=name)


def _released(worker: Any, key: Any) -> bool:
    """Whether the scheduler let go of this task: the build was interrupted, or its client is gone."""
    task = worker.state.tasks.get(key)
    return task is None or task.state in ("cancelled", "released", "forgotten")


async def _until_released(job: Job, run: Coroutine[Any, Any, Outcome], released: Callable[[], bool]) -> Outcome:
    """The notebook's outcome; stopped (its kernel killed) as soon as nobody wants it any more."""
    task = asyncio.ensure_future(run)
    while not task.done():
        await asyncio.wait({task}, timeout=WATCH_SECONDS)
        if not task.done() and released():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return Outcome(job.source, None, Diagnostic("stopped: the build no longer wants it", job.source))
    return task.result()
