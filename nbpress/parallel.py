"""Spread a stage's work over processes (fork: workers inherit what the build holds)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_shared: Any = None  # set in each worker by the pool initializer, from the forked parent


def _init(shared: Any) -> None:
    global _shared
    _shared = shared


def _call(job: tuple[Callable[[Any, Sequence[T]], list[R]], Sequence[T]]) -> list[R]:
    func, chunk = job
    return func(_shared, chunk)


def pmap(func: Callable[[Any, Sequence[T]], list[R]], items: Sequence[T], shared: Any, jobs: int,
         threshold: int = 64) -> list[R]:
    """func(shared, chunk) over chunks of items, in order; in this process when the work is small."""
    if jobs <= 1 or len(items) < threshold or "fork" not in multiprocessing.get_all_start_methods():
        return func(shared, items)
    size = -(-len(items) // (jobs * 2))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_init, initargs=(shared,)) as pool:
        results = pool.map(_call, [(func, chunk) for chunk in chunks], chunksize=1)
    return [item for chunk in results for item in chunk]
