"""Freed memory kept in the process while a large population is simulated (sim.simulation.heap)."""

import pandas as pd
import pytest

import sim.simulation.heap as heap
from sim.config.loader import load_scenario
from sim.config.variants import derive
from sim.simulation.replication import simulate_replication


class FakeGlibc:
    """Records the allocator calls instead of making them."""

    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


@pytest.fixture
def libc(monkeypatch):
    fake = FakeGlibc()
    monkeypatch.setattr(heap, "_glibc", lambda: fake)
    return fake


def test_memory_is_kept_only_for_a_large_population(libc):
    with heap.keep_freed_memory(heap.LARGE - 1):
        assert libc.calls == []
    assert libc.calls == []
    with heap.keep_freed_memory(heap.LARGE):
        assert libc.calls == [("mallopt", heap._M_MMAP_MAX, 0), ("mallopt", heap._M_TRIM_THRESHOLD, heap._KEEP_ALL)]
    assert libc.calls[2:] == [("mallopt", heap._M_MMAP_MAX, heap._GLIBC_MMAP_MAX),
                              ("mallopt", heap._M_TRIM_THRESHOLD, heap._GLIBC_TRIM_THRESHOLD),
                              ("malloc_trim", 0)]


def test_nested_uses_set_once_and_give_memory_back_when_the_last_closes(libc):
    """A run keeps memory across its replications; each replication opens its own inside it."""
    with heap.keep_freed_memory(10**7):
        with heap.keep_freed_memory(10**7):
            pass
        assert len(libc.calls) == 2  # the inner close leaves the setting on
    assert libc.calls[-1] == ("malloc_trim", 0) and len(libc.calls) == 5


def test_the_setting_is_restored_when_the_simulation_fails(libc):
    with pytest.raises(RuntimeError), heap.keep_freed_memory(10**7):
        raise RuntimeError("a replication failed")
    assert libc.calls[-1] == ("malloc_trim", 0) and heap._open == 0


def test_keeping_freed_memory_does_not_change_the_numbers(monkeypatch):
    """The real allocator calls leave every figure as it was."""
    real = heap._glibc()
    if real is None:
        pytest.skip("the C library is not glibc: nothing is kept")
    calls = []

    class Spy:
        def mallopt(self, param, value):
            calls.append(param)
            return real.mallopt(param, value)

        def malloc_trim(self, pad):
            calls.append("trim")
            return real.malloc_trim(pad)

    s = derive(load_scenario("scenarios/double11_preheat.yaml"), {"population.size": 4000}, "test")
    plain = simulate_replication(s, 0)
    monkeypatch.setattr(heap, "_glibc", Spy)
    monkeypatch.setattr(heap, "LARGE", 0)
    kept = simulate_replication(s, 0)
    assert calls[-1] == "trim" and len(calls) == 5  # the real allocator was set, restored and trimmed
    pd.testing.assert_frame_equal(pd.DataFrame(plain.metrics), pd.DataFrame(kept.metrics))
    pd.testing.assert_frame_equal(plain.daily, kept.daily)
    assert heap._open == 0
