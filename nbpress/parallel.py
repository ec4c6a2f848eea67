"""Spread a stage's work over processes.

Workers are forked, so they inherit what the build holds without copying it, except in a process
that runs other threads (`nbpress serve`): forking a process with threads can deadlock the child,
so there they start from a fork server and are sent what they need.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_shared: Any = None  # set in each worker by the pool initializer, from the forked parent


def _init(shared: Any) -> None:
    global _shared
    _shared = shared
    # The build's own SIGINT/SIGTERM handlers (cli.py) are for the parent: a worker that ran them could hang
    # on its way out while the pool ends it. Terminating the pool kills a worker; Ctrl-C is the parent's.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _call(job: tuple[Callable[[Any, Sequence[T]], list[R]], Sequence[T]]) -> list[R]:
    func, chunk = job
    return func(_shared, chunk)


def pmap(func: Callable[[Any, Sequence[T]], list[R]], items: Sequence[T], shared: Any, jobs: int,
         threshold: int = 64) -> list[R]:
    """func(shared, chunk) over chunks of items, in order; in this process when the work is small."""
    methods = multiprocessing.get_all_start_methods()
    if jobs <= 1 or len(items) < threshold or "fork" not in methods:
        return func(shared, items)
    size = -(-len(items) // (jobs * 2))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    alone = threading.active_count() == 1
    context = multiprocessing.get_context("fork" if alone or "forkserver" not in methods else "forkserver")
    with context.Pool(jobs, initializer=_init, initargs=(shared,)) as pool:
        results = pool.map(_call, [(func, chunk) for chunk in chunks], chunksize=1)
    return [item for chunk in results for item in chunk]
