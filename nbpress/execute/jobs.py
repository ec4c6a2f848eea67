"""What an executor is given and gives back: the seam between planning a run and running kernels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from nbpress.errors import Diagnostic

Status = Literal["queued", "running", "executed", "cached", "failed"]


class Progress(Protocol):
    """Told when a notebook is queued, runs and ends; `where` names the Dask worker (empty: this machine)."""

    def __call__(self, source: str, status: Status, seconds: float, where: str = "") -> None: ...


@dataclass(frozen=True)
class Job:
    """Run this notebook with these settings."""

    source: str
    notebook: dict[str, Any]
    cwd: str
    kernel: str
    timeout: float
    allow_errors: bool
    depends: tuple[str, ...] = ()  # the files its front matter lists under `depends:`, as paths on this machine


@dataclass(frozen=True)
class Outcome:
    """The executed notebook, or the error that stopped it."""

    source: str
    notebook: dict[str, Any] | None
    error: Diagnostic | None
    language: str = ""
    seconds: float = 0.0
    worker: str = ""  # the Dask worker that ran it (empty: this machine)


class Executor(Protocol):
    """Runs notebooks: kernels on this machine (local.py), or tasks on a Dask cluster (dask.py).

    `parallel` caps how many run at once; 0 means as many as the executor has room for.
    """

    def run(self, jobs: Sequence[Job], parallel: int, progress: Progress) -> list[Outcome]: ...
