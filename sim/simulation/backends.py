"""Where replications run: this process, local worker processes, or a Dask cluster.

Every backend takes a list of independent tasks and yields (task index, result) as tasks
finish. A task that fails is retried once; a second failure stops the run with the task's
description, so the failing replication can be reproduced by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from sim.errors import SimError


class TaskFailed(SimError):
    """A replication failed twice."""


Call = tuple[Callable[..., Any], tuple]
"""A task: a picklable function and its arguments."""


def serial(tasks: Sequence[Call], describe: Callable[[int], str]) -> Iterator[tuple[int, Any]]:
    """Run tasks one after another in this process."""
    for i, (fn, args) in enumerate(tasks):
        try:
            result = fn(*args)
        except Exception:
            try:
                result = fn(*args)
            except Exception as exc:
                raise TaskFailed(f"{describe(i)} failed twice: {exc!r}") from exc
        yield i, result


def processes(tasks: Sequence[Call], describe: Callable[[int], str], workers: int) -> Iterator[tuple[int, Any]]:
    """Run tasks in a pool of local worker processes; at most 2 x workers in flight."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: dict = {}
        attempts = [0] * len(tasks)
        queue = list(range(len(tasks)))[::-1]
        try:
            while queue or pending:
                while queue and len(pending) < 2 * workers:
                    i = queue.pop()
                    fn, args = tasks[i]
                    attempts[i] += 1
                    pending[pool.submit(fn, *args)] = i
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


def dask(tasks: Sequence[Call], describe: Callable[[int], str], address: str) -> Iterator[tuple[int, Any]]:
    """Run tasks on a Dask cluster at `address`, or on a new LocalCluster for 'local'."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise SimError("the Dask backend needs dask.distributed: pip install 'dask[distributed]'") from exc
    cluster = LocalCluster(processes=True, dashboard_address=None) if address == "local" else None
    try:
        client = Client(cluster if cluster is not None else address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise SimError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        futures = {client.submit(fn, *args, pure=False, retries=1): i for i, (fn, args) in enumerate(tasks)}
        for future in as_completed(futures):
            i = futures[future]
            if future.status == "error":
                raise TaskFailed(f"{describe(i)} failed twice: {future.exception()!r}")
            yield i, future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
