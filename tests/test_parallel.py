"""Spreading work over processes: the same results, also from a process that runs threads (nbpress serve)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from nbpress.parallel import pmap

SEEN = "as imported"  # set by the tests: a forked worker sees the new value, one from a fork server does not


def _square_plus(shared: int, chunk: Sequence[int]) -> list[tuple[int, str]]:
    return [(x * x + shared, SEEN) for x in chunk]


@pytest.fixture
def marked() -> object:
    global SEEN
    SEEN = "set by the test"
    yield
    SEEN = "as imported"


def test_pmap_forks_workers_that_inherit_the_build(marked: object) -> None:
    assert pmap(_square_plus, list(range(100)), 1, jobs=2, threshold=10) == [
        (x * x + 1, "set by the test") for x in range(100)]


def test_pmap_never_forks_a_process_that_runs_threads(marked: object) -> None:
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)  # as the dev server's HTTP and watcher threads
    busy.start()
    try:
        assert pmap(_square_plus, list(range(100)), 2, jobs=2, threshold=10) == [
            (x * x + 2, "as imported") for x in range(100)]
    finally:
        stop.set()
        busy.join()
