"""Backends: the same seed gives the same numbers in-process, in local processes and on Dask."""

import os

import pandas as pd
import pytest

import sim
from sim.simulation import backends
from tests.conftest import make_scenario

SCENARIO = make_scenario(population={"size": 1500}, traffic={"daily_visitors": 400},
                         policies={"none": {}, "sms": {"holdout": 0.2, "waves": [{"day": -3, "channel": "sms"}]}},
                         run={"replications": 4, "seed": 11})


@pytest.fixture(scope="module")
def serial_result():
    return sim.run(SCENARIO, workers=1)


def test_local_processes_match_serial(serial_result):
    two = sim.run(SCENARIO, workers=2)
    pd.testing.assert_frame_equal(serial_result.replications, two.replications)
    pd.testing.assert_frame_equal(serial_result.daily, two.daily)
    for name, table in serial_result.tables.items():
        pd.testing.assert_frame_equal(table, two.tables[name])


def test_dask_local_cluster_matches_serial(serial_result):
    pytest.importorskip("dask.distributed")
    on_dask = sim.run(SCENARIO, scheduler="local")
    pd.testing.assert_frame_equal(serial_result.replications, on_dask.replications)
    pd.testing.assert_frame_equal(serial_result.daily, on_dask.daily)


def flaky(marker: str, value: int) -> int:
    """Fails the first time it is called for a marker file, then succeeds."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("transient failure")
    return value


def always_fails(value: int) -> int:
    raise RuntimeError(f"broken {value}")


@pytest.mark.parametrize("backend", ["serial", "processes"])
def test_failed_task_is_retried_once_then_reported(tmp_path, backend):
    run = backends.serial if backend == "serial" else (lambda t, d: backends.processes(t, d, 2))
    tasks = [(flaky, (str(tmp_path / f"m{i}"), i)) for i in range(3)]
    assert sorted(v for _, v in run(tasks, str)) == [0, 1, 2]
    with pytest.raises(backends.TaskFailed, match="replication 7 .seed 5.* failed twice: RuntimeError"):
        list(run([(always_fails, (1,))], lambda i: "replication 7 (seed 5)"))
