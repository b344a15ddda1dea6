"""Where runs execute: in this process, or in a pool of local processes.

An executor takes a function and a list of independent tasks and yields
``(task, outcome)`` as each finishes, in completion order; ``outcome`` is the
function's return value or the exception it raised, so one failing run never
stops the others. Each task carries everything it needs (its seeds included),
so results are bit-identical whatever the executor and the worker count.

Data shared by every task (the training images) is handed to each worker
once through ``shared`` rather than pickled with every task.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from typing import Any, Callable, Iterator, Sequence

_shared: Any = None


def _install_shared(shared: Any) -> None:
    global _shared
    _shared = shared


def _call(function: Callable[[Any, Any], Any], task: Any) -> Any:
    return function(task, _shared)


def default_workers() -> int:
    return os.cpu_count() or 1


class InProcessExecutor:
    name = "in-process"
    workers = 1

    def run(self, function: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any) -> Iterator[tuple[Any, Any]]:
        for task in tasks:
            try:
                yield task, function(task, shared)
            except Exception as error:  # one failed run must not stop the rest
                yield task, error


class ProcessPoolExecutor:
    name = "process pool"

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()

    def run(self, function: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any) -> Iterator[tuple[Any, Any]]:
        if not tasks:
            return
        # fork starts workers fastest and they inherit the imported modules
        context = multiprocessing.get_context("fork")
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)), mp_context=context, initializer=_install_shared, initargs=(shared,)
        )
        try:
            futures = {pool.submit(_call, function, task): task for task in tasks}
            for future in concurrent.futures.as_completed(futures):
                error = future.exception()
                yield futures[future], (error if error is not None else future.result())
        finally:
            # on Ctrl-C or an error in the caller, drop queued runs instead of waiting for them
            pool.shutdown(wait=True, cancel_futures=True)


def create(kind: str = "process", workers: int | None = None):
    if kind == "inprocess" or workers == 1:
        return InProcessExecutor()
    return ProcessPoolExecutor(workers)
