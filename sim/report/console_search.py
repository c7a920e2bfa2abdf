"""What `sim sensitivity` prints (80 columns or more): the indices per input, what they mean, the folder."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from sim import vocabulary
from sim.report.console import fmt, unsigned_zero


def _table(columns: tuple[str, ...]) -> Table:
    """Inputs fold onto more lines when they must; numbers never split."""
    view = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    view.add_column(columns[0], justify="left", overflow="fold")
    for name in columns[1:]:
        view.add_column(name, justify="right", no_wrap=True)
    return view


def _share(value: float) -> str:
    """A Sobol index with 3 decimals; '-' when missing (the metric did not vary)."""
    return "-" if value != value else unsigned_zero(f"{value:.3f}")


def print_sensitivity(out: Console, result) -> None:
    """`sim sensitivity`: the indices, largest first, the note on what they mean, the folder written."""
    t, n, inputs = result.indices, result.samples, len(result.indices)
    morris = result.method == "morris"
    unit = vocabulary.metric(result.metric).unit
    unit = f" ({unit})" if unit else ""
    kind = "Morris elementary effects" if morris else "Sobol indices"
    out.print(f"{result.scenario.name}, policy {result.policy}: {kind} of mean {result.metric}", highlight=False)
    if morris:
        view = _table(("input", "mu*", "± 95 %", "sigma"))
        for r in t.itertuples():
            view.add_row(r.param, fmt(r.mu_star), fmt(r.mu_star_conf), fmt(r.sigma))
    else:
        view = _table(("input", "S1", "± 95 %", "ST", "± 95 % "))
        for r in t.itertuples():
            view.add_row(r.param, _share(r.S1), _share(r.S1_conf), _share(r.ST), _share(r.ST_conf))
    out.print(view)
    if morris:
        out.print(f"mu*: mean absolute change of mean {result.metric}{unit} when the input alone moves 2/3 "
                  "of its range, with the half-width of its 95 % bootstrap interval; sigma: the spread of "
                  "those changes, large against mu* when the input acts non-linearly or with others. An input "
                  "with mu* near 0 can be fixed anywhere in its range.", highlight=False)
    else:
        out.print(f"S1: share of the variance of mean {result.metric} over the ranges that the input explains "
                  "alone; ST: with its interactions (ST - S1 is interaction); ± the half-width of a 95 % "
                  "bootstrap interval. An input whose ST is near 0 can be fixed anywhere in its range.",
                  highlight=False)
    if result.points["mean"].nunique() <= 1:
        out.print(f"{result.metric} was the same at every point: no input moved it.", highlight=False)
    points = len(result.points)
    shape = f"{n} trajectories of {inputs + 1}" if morris else f"Saltelli's {n} x {inputs + 2}"
    out.print(f"{points:,} points ({shape}), {result.replications} replication"
              f"{'' if result.replications == 1 else 's'} each, seed {result.seed}: the same customers at "
              f"every point.", highlight=False)
    if result.folder is not None:
        out.print(f"Sensitivity folder: [bold]{result.folder}[/]", soft_wrap=True)
