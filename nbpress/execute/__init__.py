"""Stage 3: run notebooks at build time, in parallel, through the cache; the only code that starts kernels."""

from nbpress.execute.jobs import Executor, Job, Outcome, Progress, Status
from nbpress.execute.run import ExecutionReport, execute

__all__ = ["ExecutionReport", "Executor", "Job", "Outcome", "Progress", "Status", "execute"]
