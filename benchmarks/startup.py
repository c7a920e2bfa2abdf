"""Start-up of the command line against a bare `import numpy`, each in a fresh interpreter.

Run by hand (not in CI):  python benchmarks/startup.py [--repeats 21]
The commands are timed in turn, round after round, so a busy moment of the machine falls on
all of them alike; the median of each is divided by the median of `python -c "import numpy"`.
"libraries" is what the command line cannot start without (numpy, pydantic, PyYAML, typer
with its parameter adapters, rich's console), the floor under `sim validate`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = "import numpy, pydantic, yaml, typer, typer.main, typer._adapters, rich.console"


def commands() -> dict[str, list[str]]:
    python = sys.executable
    sim = shutil.which("sim") or str(Path(python).parent / "sim")
    scenario = str(ROOT / "scenarios" / "double11_preheat.yaml")
    return {
        "import numpy": [python, "-c", "import numpy"],
        "import sim": [python, "-c", "import sim"],
        "sim --help": [sim, "--help"],
        "libraries": [python, "-c", LIBRARIES],
        "sim validate": [sim, "validate", scenario],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    timed = commands()
    seconds: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(args.repeats):
        for name, command in timed.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
            seconds[name].append(time.perf_counter() - start)
    numpy = statistics.median(seconds["import numpy"])
    print(f"{'command':<14} {'median s':>9} {'x numpy':>8}")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"{name:<14} {median:>9.3f} {median / numpy:>8.2f}")


if __name__ == "__main__":
    main()
