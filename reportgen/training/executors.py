"""Where runs execute: in this process, in a pool of local processes, or on a Dask cluster.

An executor takes a function and a list of independent tasks and yields
``(task, outcome)`` as each finishes, in completion order; ``outcome`` is the
function's return value or the exception it raised, so one failing run never
stops the others. Each task carries everything it needs (its seeds included),
so results are bit-identical whatever the executor and the worker count.

Data shared by every task (the training images) is handed to each worker
once through ``shared`` rather than pickled with every task.

Every executor is a context manager; leaving it releases what it started
(the Dask executor's cluster and client), the others hold nothing.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import threading
import time
import uuid
from typing import Any, Callable, Iterator, Sequence

from reportgen.errors import ConfigError

_shared: Any = None
PARENT_POLL_SECONDS = 0.2


def _install_shared(shared: Any, parent: int) -> None:
    global _shared
    _shared = shared
    # Ctrl-C reaches the whole process group; the parent alone handles it (stops the workers).
    # A worker interrupted while waiting for a task would print a multiprocessing traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the command line's SIGTERM handler; the parent ends workers with SIGTERM.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="reportgen-parent-watch").start()


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent is gone (kill -9, the OOM killer): an orphan would train for no one."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _call(function: Callable[[Any, Any], Any], task: Any) -> Any:
    return function(task, _shared)


def default_workers() -> int:
    return os.cpu_count() or 1


class Executor:
    name = "executor"
    workers = 1

    def run(self, function: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any) -> Iterator[tuple[Any, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers this executor started; the local executors start theirs per ``run``."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class InProcessExecutor(Executor):
    name = "in-process"
    workers = 1

    def run(self, function: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any) -> Iterator[tuple[Any, Any]]:
        for task in tasks:
            try:
                yield task, function(task, shared)
            except Exception as error:  # one failed run must not stop the rest
                yield task, error


class ProcessPoolExecutor(Executor):
    name = "process pool"

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()

    def run(self, function: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any) -> Iterator[tuple[Any, Any]]:
        if not tasks:
            return
        # fork starts workers fastest and they inherit the imported modules
        context = multiprocessing.get_context("fork")
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)), mp_context=context, initializer=_install_shared, initargs=(shared, os.getpid())
        )
        finished = False
        try:
            futures = {pool.submit(_call, function, task): task for task in tasks}
            for future in concurrent.futures.as_completed(futures):
                error = future.exception()
                yield futures[future], (error if error is not None else future.result())
            finished = True
        finally:
            if not finished:
                # Ctrl-C, SIGTERM or an error in the caller: the runs in progress would be thrown
                # away, so stop their workers now rather than wait for them. concurrent.futures
                # offers no public way to do this before Python 3.14 (terminate_workers).
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)


DASK_EXTRA = "reportgen[dask]"
DASK_RETRIES = 2  # a task whose worker raised is tried this many more times
CONNECT_TIMEOUT = "10s"


class DaskExecutor(Executor):
    """The same tasks on a Dask distributed cluster: an existing one at ``scheduler``, or a
    LocalCluster of ``workers`` single-threaded processes started on first use.

    ``shared`` is scattered to every worker once per ``run``. A task whose
    worker dies is rescheduled by the scheduler (up to its
    ``distributed.scheduler.allowed-failures``, then it comes back as
    ``KilledWorker``); a task that raises is retried ``retries`` times, then
    its exception is the outcome. Workers import ``function`` by name, so
    reportgen must be installed on them.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None, retries: int = DASK_RETRIES):
        try:
            import distributed  # noqa: F401  (optional dependency: fail here, with the fix)
        except ImportError:
            raise ConfigError(f"--executor dask: needs the optional extra {DASK_EXTRA}; install it with: pip install '{DASK_EXTRA}'") from None
        self.scheduler, self.retries = scheduler, retries
        self._workers = workers or default_workers()
        self._cluster = self._client = None

    @property
    def client(self):
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler:
                try:
                    self._client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
                except (OSError, TimeoutError) as error:
                    raise ConfigError(f"--scheduler: cannot reach a Dask scheduler at {self.scheduler!r}: {error}") from None
            else:
                # One thread per worker: the engine is single-threaded NumPy, and threads
                # of one process would contend for the GIL between BLAS calls. The
                # scheduler's HTTP server starts even without a dashboard; ":0" gives it
                # a free port instead of 8787, which another cluster may hold.
                self._cluster = LocalCluster(
                    n_workers=self._workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
                )
                self._client = Client(self._cluster)
        return self._client

    @property
    def workers(self) -> int:
        return sum(self.client.nthreads().values()) or 1

    def run(self, function: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any) -> Iterator[tuple[Any, Any]]:
        if not tasks:
            return
        from distributed import as_completed

        client = self.client
        scattered = client.scatter([shared], broadcast=True, hash=False)

        def submit(index, task):
            return client.submit(function, task, scattered[0], retries=self.retries, key=f"{function.__name__}-{index}-{uuid.uuid4().hex}")

        futures = {submit(index, task): (index, task) for index, task in enumerate(tasks)}
        resubmitted = set()
        pending = as_completed(futures)
        try:
            for future in pending:
                index, task = futures[future]
                try:
                    outcome = future.result()
                except concurrent.futures.CancelledError as error:
                    # A worker that dies can take the scattered data with it before its copies spread (seen under load):
                    # the tasks that needed it are cancelled, not failed. Scatter it again and rerun them, once.
                    if index in resubmitted:
                        yield task, error
                        continue
                    resubmitted.add(index)
                    scattered = client.scatter([shared], broadcast=True, hash=False)
                    retry = submit(index, task)
                    futures[retry] = index, task
                    pending.add(retry)
                    continue
                except Exception as error:  # the task's own error or KilledWorker: reported, not raised
                    outcome = error
                yield task, outcome
        finally:
            # on Ctrl-C or an error in the caller, drop the queued tasks from the cluster
            client.cancel(list(futures) + scattered)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._cluster = self._client = None


EXECUTORS = ("process", "inprocess", "dask")


def settings(table: dict) -> dict:
    """An ``[executor]`` table of an experiment TOML: ``kind`` and, for dask, ``scheduler``."""
    if not isinstance(table, dict):
        raise ConfigError(f"executor: expected a table [executor], got {table!r}")
    for key in table:
        if key not in ("kind", "scheduler"):
            raise ConfigError(f"executor.{key}: unknown key; expected kind or scheduler")
    kind, scheduler = table.get("kind", "process"), table.get("scheduler", "")
    if kind not in EXECUTORS:
        raise ConfigError(f"executor.kind: {kind!r} is not one of {', '.join(EXECUTORS)}")
    if not isinstance(scheduler, str):
        raise ConfigError(f"executor.scheduler: expected an address like \"tcp://10.0.0.5:8786\", got {scheduler!r}")
    return {"kind": kind, "scheduler": scheduler or None}


def create(kind: str = "process", workers: int | None = None, scheduler: str | None = None) -> Executor:
    if kind not in EXECUTORS:
        raise ConfigError(f"executor: {kind!r} is not one of {', '.join(EXECUTORS)}")
    if scheduler and kind != "dask":
        raise ConfigError(f"--scheduler: a scheduler address needs the dask executor, not {kind!r}")
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    if kind == "inprocess" or workers == 1:
        return InProcessExecutor()
    return ProcessPoolExecutor(workers)
