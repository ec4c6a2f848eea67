"""What an executor is given and gives back: the seam between planning a run and running kernels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from nbpress.errors import Diagnostic

Status = Literal["queued", "running", "executed", "cached", "failed"]
Progress = Callable[[str, Status, float], None]  # (source, status, seconds)


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
