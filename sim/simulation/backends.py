"""Where replications run: this process, local worker processes, or a Dask cluster.

Every backend takes a list of independent tasks and yields (task index, result) as tasks
finish. A task that fails is retried once; a second failure stops the run with the task's
description, so the failing replication can be reproduced by itself.

What all tasks of a run share (the scenario) is given once as `shared`: it reaches each
worker once, and each task `(fn, args)` is then called as `fn(shared, *args)`, so a task
sends only its own few arguments. Local workers are forked where the platform allows it, so
a plain script needs no `if __name__ == "__main__":` guard, and they end when the process
that started them dies, however it dies.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from sim.errors import SimError


class TaskFailed(SimError):
    """A replication failed twice."""


Call = tuple[Callable[..., Any], tuple]
"""A task: a picklable function and its arguments."""

_shared: Any = None
"""In a worker: what every task of the run shares, received once."""


def _call(fn: Callable[..., Any], args: tuple, shared: Any) -> Any:
    return fn(*args) if shared is None else fn(shared, *args)


def _with_shared(fn: Callable[..., Any], args: tuple) -> Any:
    return fn(_shared, *args)


def serial(tasks: Sequence[Call], describe: Callable[[int], str], shared: Any = None) -> Iterator[tuple[int, Any]]:
    """Run tasks one after another in this process."""
    for i, (fn, args) in enumerate(tasks):
        try:
            result = _call(fn, args, shared)
        except Exception:
            try:
                result = _call(fn, args, shared)
            except Exception as exc:
                raise TaskFailed(f"{describe(i)} failed twice: {exc!r}") from exc
        yield i, result


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def process_context() -> multiprocessing.context.BaseContext:
    """Fork on Linux: workers start at once with what this process has imported, and a
    script without a main guard is not run again in them. Elsewhere the platform's default."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)


def _end_with_parent(parent: int) -> None:
    """End this worker when `parent` dies: the kernel's parent-death signal on Linux, else a
    thread that watches the parent."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        else:
            if os.getppid() != parent:  # it died before the signal was set
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="sim-parent-watch", daemon=True).start()


def _start_worker(shared: Any, parent: int) -> None:
    global _shared
    _end_with_parent(parent)
    _shared = shared


def processes(tasks: Sequence[Call], describe: Callable[[int], str], workers: int,
              shared: Any = None) -> Iterator[tuple[int, Any]]:
    """Run tasks in a pool of local worker processes; at most 2 x workers in flight.

    Forked workers start with this process's objects frozen out of their garbage collector,
    which would otherwise visit, and so copy, every page of the parent's heap they share.
    """
    context = process_context()
    frozen = context.get_start_method() == "fork"
    if frozen:
        gc.freeze()  # until the workers are forked, at the first submit
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=(shared, os.getpid())) as pool:
            pending: dict = {}
            attempts = [0] * len(tasks)
            queue = list(range(len(tasks)))[::-1]
            try:
                while queue or pending:
                    while queue and len(pending) < 2 * workers:
                        i = queue.pop()
                        fn, args = tasks[i]
                        attempts[i] += 1
                        future = pool.submit(fn, *args) if shared is None else pool.submit(_with_shared, fn, args)
                        pending[future] = i
                    if frozen:
                        gc.unfreeze()
                        frozen = False
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        i = pending.pop(future)
                        exc = future.exception()
                        if exc is None:
                            yield i, future.result()
                        elif attempts[i] < 2:
                            queue.append(i)
                        else:
                            raise TaskFailed(f"{describe(i)} failed twice: {exc!r}") from exc
            except BaseException:
                for future in pending:
                    future.cancel()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        if frozen:
            gc.unfreeze()


@contextmanager
def _forked_dask_workers():
    """A LocalCluster's workers forked (Linux), like the local pool's: quick to start, and no
    main guard needed in the script that starts them.

    Each worker ends with this process, as the pool's do. Dask's own watch, a pipe whose
    write end only the parent should hold, fails with forked workers: a worker forked after
    another inherits that one's write end, which then never sees the parent go (and waits
    for its scheduler connection to time out). The preload, run in each worker as it starts,
    sets the parent-death signal instead. The cluster must be made inside: its workers are
    forked as it starts."""
    import dask

    if not sys.platform.startswith("linux"):
        yield
        return
    preload = f"from sim.simulation.backends import _end_with_parent\n_end_with_parent({os.getpid()})\n"
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork",
                          "distributed.worker.preload": [preload]}):
        gc.freeze()  # as for the pool: the workers' collections leave the parent's objects alone
        try:
            yield
        finally:
            gc.unfreeze()


def dask(tasks: Sequence[Call], describe: Callable[[int], str], address: str,
         shared: Any = None) -> Iterator[tuple[int, Any]]:
    """Run tasks on a Dask cluster at `address`, or on a new LocalCluster for 'local'.

    `shared` is sent once to every worker (a broadcast scatter), not with each task."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise SimError("the Dask backend needs dask.distributed: pip install 'dask[distributed]'") from exc
    cluster = None
    if address == "local":
        with _forked_dask_workers():
            cluster = LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None)
    try:
        client = Client(cluster if cluster is not None else address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise SimError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        common = None if shared is None else client.scatter([shared], broadcast=True, hash=False)[0]
        futures = {(client.submit(fn, *args, pure=False, retries=1) if shared is None else
                    client.submit(_call, fn, args, common, pure=False, retries=1)): i
                   for i, (fn, args) in enumerate(tasks)}
        for future in as_completed(futures):
            i = futures[future]
            if future.status == "error":
                raise TaskFailed(f"{describe(i)} failed twice: {future.exception()!r}")
            yield i, future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
