"""What `sim optimize` prints: the winner with its interval and guarantee, the finalists, the folder."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from sim.report.console import short_names


def print_optimum(out: Console, result) -> None:
    """The chosen values, the confirmation and the finalists (fits 80 columns)."""
    label = short_names(list(result.best))
    best = ", ".join(f"{label[path]} = {value:.4g}" for path, value in result.best.items())
    out.print(f"Best for {result.policy} on {result.metric}: {best} (exact values in trials.csv)")

    def line(text: str) -> None:  # indented, and wrapped lines keep the indent
        out.print(Padding(text, (0, 0, 0, 2), expand=False))

    line(f"{result.metric} {result.best_mean:,.0f} (95 % interval {result.best_low:,.0f}..{result.best_high:,.0f})")
    now = ", ".join(f"{label[path]} = {value:.4g}" for path, value in result.current.items())
    gain, low, high = result.gain
    line(f"against the current values ({now}): {gain:+,.0f} ({low:+,.0f}..{high:+,.0f}, paired)")
    if low <= 0 <= high:
        line("the gain over the current values is within the noise: they are as good as any point found")
    sel = result.selection
    if sel is not None:
        tail = "; it stopped at its cap, so the guarantee does not hold" if sel.stopped_at_max else ""
        line(f"chosen by Kim-Nelson among {len(result.finalists)} finalists: the best with probability "
             f">= {1 - sel.alpha:.0%} when it leads by {sel.delta:,.0f} or more{tail}")
    view = Table(title="Finalists (refined replications)", title_justify="left", box=box.SIMPLE_HEAD,
                 pad_edge=False)
    for p in result.params:
        view.add_column(label[p.path], justify="right", no_wrap=True)
    for name in ("reps", "mean", "s.e."):
        view.add_column(name, justify="right", no_wrap=True)
    view.add_column("", no_wrap=True)
    refined = result.trials[result.trials["stage"].isin(["refine", "current"])]
    for _, row in refined.iterrows():
        view.add_row(*(f"{row[p.path]:.4g}" for p in result.params), str(int(row["replications"])),
                     f"{row['mean']:,.0f}", f"{row['se']:,.0f}", "current" if row["stage"] == "current" else "")
    out.print(view)
    out.print(f"{result.evaluations:,} replications in {result.wall_seconds:.1f} s; folder: {result.folder}")
