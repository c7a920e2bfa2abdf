"""Wall time and peak memory of a whole `sim run` (1 replication, 1 worker) by scenario and size.

Run by hand (not in CI):
    python benchmarks/full_model.py                                   # quick: two scenarios at 100k
    python benchmarks/full_model.py --scenarios all --sizes 100000 1000000 5000000

Each row is one `sim run SCENARIO -n 1 --workers 1 --set population.size=N` in its own process:
total seconds (start to exit, imports included), split into simulate (the replication), tables
(writing the run folder's tables) and report (charts and report.html); the system seconds of
that process (mostly faulting in fresh memory); peak RSS of that process and per customer; and the ratio of its total and simulate times to the bare batched kernel
(`benchmarks/engine_speed.py`'s scenario, one replication of the same size, its own process),
measured right before it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK_SCENARIOS = ("quickstart", "double11_preheat")
QUICK_SIZES = (100_000,)

# `sim run` itself, with timers around its three steps; the spans go to the file $SIM_BENCH_SPANS.
SIM_RUN = """
import atexit, json, os, sys, time
import cli
import sim.store.results as results, sim.studies.run as study
spans = {}
def timed(owner, name, key):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spans[key] = spans.get(key, 0.0) + time.perf_counter() - start
    setattr(owner, name, wrapper)
timed(study, "execute", "simulate")
timed(results.RunResult, "write_into", "tables")
timed(study, "finish", "report")
atexit.register(lambda: open(os.environ["SIM_BENCH_SPANS"], "w").write(json.dumps(spans)))
sys.argv[0] = "sim"
cli.app()
"""

KERNEL = """
import json, sys, time
sys.path.insert(0, {benchmarks!r})
from engine_speed import scenario
from sim.simulation.replication import simulate_replication
s = scenario({size})
start = time.perf_counter()
simulate_replication(s, 0)
print(json.dumps({{"simulate": time.perf_counter() - start}}))
"""


def measured(command: list[str], env: dict | None = None) -> tuple[float, resource.struct_rusage, str]:
    """Run a process; its wall seconds, resource usage (peak RSS, system time) and standard output."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage: its peak RSS
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if child.returncode != 0:
        raise RuntimeError(f"{command[-1]} failed ({child.returncode}):\n{problem[-2000:]}")
    return wall, usage, text


def kernel(size: int) -> float:
    """Seconds of one bare batched-kernel replication of `size` customers (imports excluded)."""
    code = KERNEL.format(benchmarks=str(ROOT / "benchmarks"), size=size)
    _, _, text = measured([sys.executable, "-c", code])
    return json.loads(text.strip().splitlines()[-1])["simulate"]


def full_run(scenario: Path, size: int, results: Path) -> dict:
    """One whole `sim run` process: total and step seconds, peak RSS."""
    spans_file = results / f"{scenario.stem}-{size}.json"
    command = [sys.executable, "-c", SIM_RUN, "run", str(scenario), "-n", "1", "--workers", "1",
               "--set", f"population.size={size}", "--results", str(results)]
    wall, usage, _ = measured(command, {**os.environ, "SIM_BENCH_SPANS": str(spans_file)})
    spans = json.loads(spans_file.read_text())
    return {"total": wall, "peak": usage.ru_maxrss * 1024.0, "system": usage.ru_stime, **spans}


def scenarios(names: list[str]) -> list[Path]:
    bundled = sorted((ROOT / "scenarios").glob("*.yaml"))
    if names == ["all"]:
        return bundled
    by_name = {p.stem: p for p in bundled}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown scenarios {unknown}; bundled: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=list(QUICK_SCENARIOS),
                        help="bundled scenario names (file stems), or 'all'")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(QUICK_SIZES), help="population sizes")
    args = parser.parse_args()
    chosen = scenarios(args.scenarios)
    print(f"{'scenario':<22} {'customers':>10} {'total s':>8} {'simulate':>8} {'tables':>7} {'report':>7} "
          f"{'sys s':>6} {'peak MB':>8} {'B/cust':>7} {'kernel s':>8} {'total/k':>8} {'sim/k':>6}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            bare = kernel(size)
            for path in chosen:
                row = full_run(path, size, Path(tmp))
                print(f"{path.stem:<22} {size:>10,} {row['total']:>8.2f} {row.get('simulate', float('nan')):>8.2f} "
                      f"{row.get('tables', float('nan')):>7.2f} {row.get('report', float('nan')):>7.2f} "
                      f"{row['system']:>6.1f} {row['peak'] / 2**20:>8.0f} {row['peak'] / size:>7.0f} {bare:>8.2f} "
                      f"{row['total'] / bare:>8.1f} {row.get('simulate', float('nan')) / bare:>6.1f}", flush=True)


if __name__ == "__main__":
    main()
