"""What the command line shows: number formats, each command's tables and lines, the progress bar.

Every `print_*` function takes a result of the Python API (and a few labels) and prints it to
the `rich.console.Console` it is given, so the command line only parses, calls and prints:

    from rich.console import Console
    from sim.report.console import print_plan
    print_plan(Console(), sim.studies.test_plan.plan(baseline=0.05, mde=0.01))

The studies' longer outputs (capacity, forecast, power, selection, calibration) are in
`sim.report.console_studies`.
"""

from __future__ import annotations

import numbers
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sim import vocabulary


WRITING = "writing tables and report"
"""The progress bar's closing step after a run's last replication (`progress_bar(..., then=WRITING)`)."""


@contextmanager
def progress_bar(label: str, console: Console, then: str | None = None, unit: str = "rep"):
    """A rich progress bar on `console`; yields a callback progress(done, total).

    The bar appears at the first callback, so work refused before it starts (a bad sweep
    point, an existing folder) prints its message alone. `then` names the work after the last
    step (writing tables and the report): from done == total a second row shows it running,
    with its elapsed time, until the block ends. (rich.progress loads here: commands without
    a bar start faster.)
    """
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    class _Counted(ProgressColumn):
        """`column` on a counted task, nothing on the closing step's row (it has no count or end to estimate)."""

        def __init__(self, column: ProgressColumn):
            super().__init__()
            self.column = column

        def render(self, task):
            return Text("") if task.fields.get("closing") else self.column.render(task)

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), _Counted(MofNCompleteColumn()),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), _Counted(TextColumn("left")),
               _Counted(TimeRemainingColumn()))
    bar = Progress(*columns, console=console, transient=False)
    task = closing = None

    def update(done: int, total: int) -> None:
        nonlocal task, closing
        if task is None:
            bar.start()
            task = bar.add_task(label, total=None, rate="")
        elapsed = bar.tasks[0].elapsed or 0.0
        rate = f"{done / elapsed:.1f} {unit}/s" if elapsed > 0 else ""
        bar.update(task, completed=done, total=total, rate=rate)
        if then and closing is None and total is not None and done >= total:
            closing = bar.add_task(then, total=None, rate="", closing=True)

    try:
        yield update
        if closing is not None:
            bar.update(closing, total=1, completed=1)
    finally:
        if task is not None:
            bar.stop()


# --- number formats -------------------------------------------------------------------------

def unsigned_zero(text: str) -> str:
    """A formatted number without its sign when it shows zero: '-0.00' is '0.00', '+0.0 %' is '0.0 %'.

    A value that rounds to nothing has no direction; every number format here ends with this.
    """
    return text if any(c in "123456789" for c in text) else text.lstrip("+-−")


def fmt(value: float) -> str:
    """A number for a table: 4 decimals below 1, 2 below 100, thousands separators above; NaN is '-'
    and nothing at all is 0 (not 0.00)."""
    if value != value:  # NaN
        return "-"
    if value == 0:
        return "0"
    if abs(value) < 1 and value != 0:
        return unsigned_zero(f"{value:.4f}")
    return unsigned_zero(f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}")


def fmt_count(value: float, signed: bool = False, like: float = 0.0) -> str:
    """A count, or a mean of counts over replications: whole numbers and values from 100 up without
    decimals (588, +12), others with one (77.8); NaN is '-'. `like` as in `fmt_value`."""
    if value != value:
        return "-"
    sign = "+" if signed else ""
    whole = max(abs(value), like) >= 100 or abs(value - round(value)) < 1e-9
    return unsigned_zero(f"{value:{sign},.0f}" if whole else f"{value:{sign},.1f}")


def is_count(name: str) -> bool:
    """Whether a metric counts things (orders, buyers, opt-outs, messages), by `sim.vocabulary`."""
    return vocabulary.metric(name).kind == "count"


def count(n: int, noun: str) -> str:
    """'1 policy', '3 policies', '1,000 replications'."""
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2] not in "aeiou" else noun + "s"
    return f"{n:,} {noun if n == 1 else plural}"


def fmt_p(value: float) -> str:
    """A p-value: 4 decimals, '<0.0001' below that; NaN is '-'."""
    if value != value:
        return "-"
    return f"{value:.4f}" if value >= 0.0001 else "<0.0001"


def fmt_value(value: float, kind: str, signed: bool = False, unit: bool = True, like: float = 0.0) -> str:
    """An estimate: a proportion in % (points when signed), compact above 100,000 (5.44M), a count
    as `fmt_count`, else money with fen below 1,000.

    `like` is the largest magnitude among the numbers printed with this one (a difference and its
    interval), so they share a precision: +655 beside -3,369..+4,679, not +655.17.
    """
    if value != value:
        return "-"
    like = like if like == like else 0.0
    sign = "+" if signed else ""
    if kind == "proportion":
        return unsigned_zero(f"{value * 100:{sign}.2f}") + ((" pt" if signed else " %") if unit else "")
    if abs(value) >= 100_000:  # compact, so the table fits a terminal: 5.44M, +488.5k
        return f"{value / 1e6:{sign}.2f}M" if abs(value) >= 1e6 else f"{value / 1e3:{sign}.1f}k"
    if kind == "count":
        return fmt_count(value, signed, like)
    return unsigned_zero(f"{value:{sign},.2f}" if value and max(abs(value), like) < 1000 else f"{value:{sign},.0f}")


def fmt_decision(text: str) -> str:
    """A comparison's decision, coloured: green better/non-inferior, red worse/inferior."""
    style = {"better": "green", "non-inferior": "green", "worse": "red", "inferior": "red"}.get(text)
    text = "none detected" if text == "no detectable difference" else text
    return f"[{style}]{text}[/]" if style else text


# --- runs and sweeps ------------------------------------------------------------------------

def print_summary(out: Console, summary, metrics: tuple[str, ...], title: str) -> None:
    """One table per policy: mean and 95 % interval of each headline metric."""
    for policy, group in summary.groupby("policy", sort=False):
        table = Table(title=f"{title} - policy [bold]{policy}[/]", title_justify="left")
        table.add_column("metric")
        table.add_column("mean", justify="right")
        table.add_column("95 % interval", justify="right")
        for _, row in group.set_index("metric").loc[list(metrics)].iterrows():
            show = fmt_count if is_count(row.name) else fmt
            table.add_row(row.name, show(row["mean"]), f"{show(row['ci_low'])} .. {show(row['ci_high'])}")
        out.print(table)


def print_sweep(out: Console, table, title: str) -> None:
    """The headline metric across the sweep grid, one row per point and policy.

    Swept field paths are headed by their last part, with the full paths in a legend below,
    so the table fits 80 columns.
    """
    view = Table(title=f"{title} - {table.attrs.get('metric', '')} across the sweep", title_justify="left")
    short = short_names([str(c) for c in table.columns])
    for column in table.columns:
        view.add_column(short[str(column)], justify="right" if column not in ("policy",) else "left", no_wrap=True)
    swept = [c not in ("policy", "mean", "ci_low", "ci_high") for c in table.columns]
    for _, row in table.iterrows():
        view.add_row(*[fmt_setting(v) if is_swept else fmt(v) if isinstance(v, float) else str(v)
                       for v, is_swept in zip(row, swept)])
    out.print(view)
    legend = [f"{name} = {path}" for path, name in short.items() if name != path]
    if legend:
        out.print("; ".join(legend), style="dim", highlight=False)


def fmt_setting(value) -> str:
    """A swept setting as it was given: 0.5, 1, 20,000 (not 0.5000, 1.00); text and yes/no as is."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    return f"{int(value):,}" if float(value).is_integer() else f"{float(value):.6g}"


def short_names(columns: list[str]) -> dict[str, str]:
    """Each dotted field path by its shortest distinct tail (coupon.discount, holdout, and
    intensity.0 rather than a bare list index), for labels."""
    out = {}
    for c in columns:
        parts = c.split(".")
        for k in range(1, len(parts) + 1):
            tail = ".".join(parts[-k:])
            if all(p.isdigit() for p in parts[-k:]) and k < len(parts):
                continue
            if sum(o.split(".")[-k:] == parts[-k:] for o in columns if len(o.split(".")) >= k) == 1:
                break
        out[c] = tail
    return out


def print_run(out: Console, result) -> None:
    """A finished run or sweep: its summary (or sweep table), the comparison and the closing line."""
    from sim.store.results import HEADLINE, MARKETING_HEADLINE, PAID_HEADLINE, REFERRAL_HEADLINE

    spec = result.scenario
    markets = any(not p.is_empty() for p in spec.policies.values())
    headline = HEADLINE + (MARKETING_HEADLINE if markets else ()) + (PAID_HEADLINE if spec.acquisition else ()) \
        + (REFERRAL_HEADLINE if any(p.referral for p in spec.policies.values()) else ())
    if result.sweep:
        print_sweep(out, result.sweep_table(), spec.name)
    else:
        print_summary(out, result.summary(), headline, spec.name)
    if result.comparison is not None:
        print_comparison(out, result.comparison, f"Each policy against {result.comparison['control'].iloc[0]} "
                         "(paired over replications, Holm-adjusted):", 0.05, totals=True)
    points = len(result.replications[["point"]].drop_duplicates()) if result.sweep else 1
    grid = f" x {points} sweep points" if result.sweep else ""
    out.print(f"{count(spec.run.replications, 'replication')} x {count(len(spec.policies), 'policy')}{grid} "
              f"in {result.wall_seconds:.1f} s; run folder: [bold]{result.folder}[/]")


def print_validated(out: Console, path, spec) -> None:
    """The line of a scenario that loaded: its name, policies, customers and days."""
    out.print(f"{path}: valid scenario [bold]{spec.name}[/] with "
              f"{count(len(spec.policies), 'policy')} ({', '.join(spec.policies)}), "
              f"{spec.population.size:,} customers, days {spec.calendar.start_day}..{spec.calendar.end_day}.")


def print_wrote(out: Console, what) -> None:
    """The closing 'Wrote PATH' line of a command that wrote a file or folder."""
    out.print(f"Wrote [bold]{what}[/]", soft_wrap=True)


# --- comparisons and experiments ------------------------------------------------------------

WIDE = 100  # columns from which comparison tables also show lift and the unadjusted p


def print_comparison(out: Console, table, title: str, alpha: float, totals: bool = False) -> None:
    """One table per arm against the control, one row per metric; rates in % and points.

    Numbers never wrap; below WIDE columns the lift and unadjusted p are left out (they are
    in the CSV) and long metric names fold, so the table fits an 80-column terminal or log.
    totals: the rows compare a run's totals over replications (not means per customer), so
    count metrics print as counts.
    """
    wide = out.width >= WIDE
    out.print(title, highlight=False)
    for arm, rows in table.groupby("arm", sort=False):
        view = Table(title=f"[bold]{arm}[/] vs {rows['control'].iloc[0]}", title_justify="left",
                     box=None, padding=(0, 1, 0, 0), header_style="bold underline")
        view.add_column("metric", overflow="fold", ratio=1)
        columns = ["control", "arm", "diff", f"{1 - alpha:.0%} CI"] + (["lift", "p"] if wide else []) + ["adj. p"]
        for column in columns:
            view.add_column(column, justify="right", no_wrap=True)
        view.add_column("decision", no_wrap=True)
        for _, r in rows.iterrows():
            k = "proportion" if r["metric"].endswith("rate") else "count" if totals and is_count(r["metric"]) \
                else r["kind"]
            adjusted = str(r.get("method", "")).startswith("CUPED")
            name = r["metric"] + ("*" if adjusted else "")
            like = max(abs(r["difference"]), abs(r["ci_low"]), abs(r["ci_high"]))
            cells = [name if r["role"] == "primary" else f"{name} (guardrail)",
                     fmt_value(r["estimate_control"], k), fmt_value(r["estimate_arm"], k),
                     fmt_value(r["difference"], k, signed=True, like=like),
                     f"{fmt_value(r['ci_low'], k, True, False, like)}..{fmt_value(r['ci_high'], k, True, False, like)}"]
            if wide:
                cells += ["-" if r["lift"] != r["lift"] else fmt_percent(r["lift"]), fmt_p(r["p_value"])]
            view.add_row(*cells, fmt_p(r["p_adjusted"]), fmt_decision(r["decision"]))
        out.print(view)
    if "method" in table and table["method"].astype(str).str.startswith("CUPED").any():
        out.print("* CUPED-adjusted means (pre-period covariate): each comparison adjusts the control's "
                  "mean too, so it can differ between comparisons", style="dim")
    if not wide:
        out.print(f"(lift and unadjusted p: in the CSV, or on a terminal of {WIDE}+ columns)", style="dim")


def fmt_percent(share: float, decimals: int = 0) -> str:
    """A signed percentage without '-0%': +5%, -12%, 0% (with decimals=1: +0.5%, 0.0%)."""
    return unsigned_zero(f"{share:+.{decimals}%}")


def print_run_comparison(out: Console, table, folder_name: str, adjust: str, alpha: float, path=None) -> None:
    """`sim compare`: each policy of a run folder against the control, and the file written."""
    reps = int(table["n_control"].max()) if len(table) else 0
    print_comparison(out, table, f"{folder_name}: each policy vs the control on {reps} paired "
                                 f"replications; p adjusted by {adjust}", alpha, totals=True)
    if path:
        print_wrote(out, path)


def print_srm(out: Console, result) -> None:
    """The sample-ratio check: customers per arm against the planned split."""
    counts = ", ".join(f"{arm} {n:,} (planned {e:,.0f})" for arm, n, e in
                       zip(result.counts, result.srm.observed, result.srm.expected))
    verdict = ("[bold red]MISMATCH: the split is not what was planned; find the cause before trusting "
               "the comparison[/]" if result.srm.mismatch else "no mismatch")
    out.print(f"Sample ratio: {counts}; chi-square {result.srm.statistic:.2f}, "
              f"p = {fmt_p(result.srm.p_value)}: {verdict}")


def print_experiment(out: Console, result, scenario, adjust: str, alpha: float, path=None) -> None:
    """`sim experiment`: the sample-ratio line, each arm against the control in one world, the file written."""
    print_srm(out, result)
    print_comparison(out, result.comparison, f"{scenario.name}: {len(result.customers):,} customers randomised to "
                     f"{len(scenario.policies)} arms in one world (CUPED on pre-period spend; {adjust}):", alpha)
    if path:
        print_wrote(out, path)


def print_analysis(out: Console, result, adjust: str, alpha: float, path=None) -> None:
    """`sim analyze`: the sample-ratio line, each arm against the control, the CUPED notes, the file written."""
    total = sum(result.counts.values())
    print_srm(out, result)
    print_comparison(out, result.table, f"{result.path.name}: {total:,} customers in {len(result.counts)} arms; "
                                        f"p adjusted by {adjust}", alpha)
    cuped = result.table["method"].str.startswith(("CUPED", "capped"))
    for _, r in result.table[cuped].drop_duplicates("metric").iterrows():
        out.print(f"{r['metric']}: {r['method']}", highlight=False, soft_wrap=True)
    if path:
        print_wrote(out, path)


def print_monitor(out: Console, table, control: str, alpha: float) -> None:
    """`sim monitor`: one line per arm and metric with the latest always-valid interval and a verdict."""
    for (name, m), rows in table.groupby(["arm", "metric"], sort=False):
        last = rows.iloc[-1]
        first = rows[rows.excludes_zero]
        kind = "proportion" if "binomial" in last["method"] else "mean"
        verdict = (f"excludes 0 from look {first.iloc[0]['look']:g} on: the difference is real"
                   if len(first) else "still includes 0: keep the test running (or stop for futility)")
        like = max(abs(last["estimate"]), abs(last["ci_low"]), abs(last["ci_high"]))
        out.print(f"[bold]{name}[/] vs {control}, {m}: {fmt_value(last['estimate'], kind, True, like=like)} "
                  f"(always-valid {1 - alpha:.0%} interval {fmt_value(last['ci_low'], kind, True, False, like)}.."
                  f"{fmt_value(last['ci_high'], kind, True, False, like)} after {len(rows)} looks, "
                  f"{last['n_arm']:,} vs {last['n_control']:,} customers); {verdict}")


def print_plan(out: Console, p) -> None:
    """`sim plan`: the test plan table (customers per arm or the detectable effect) and its method."""
    rate = p.kind == "proportion"
    view = Table(title=f"Test plan ({'rate' if rate else 'money metric'}, two-sided)", title_justify="left")
    view.add_column("quantity")
    view.add_column("value", justify="right")
    if rate:
        view.add_row("control rate", f"{p.baseline:.2%}")
        view.add_row("detectable effect" if p.solved_for == "mde" else "effect to detect",
                     f"{p.mde * 100:+.2f} points ({p.baseline:.2%} -> {p.baseline + p.mde:.2%}, "
                     f"{p.mde / p.baseline:+.1%})")
        view.add_row("Cohen's h", f"{p.effect_size:.4f}")
    else:
        view.add_row("standard deviation", f"{fmt(p.sd)} yuan")
        view.add_row("detectable effect" if p.solved_for == "mde" else "effect to detect",
                     f"{p.mde:+,.2f} yuan per customer")
        view.add_row("Cohen's d", f"{p.effect_size:.4f}")
    view.add_row("customers per arm", f"{p.n_per_arm:,}")
    view.add_row(f"customers in all ({p.arms} arms)", f"{p.total:,}")
    view.add_row("alpha per comparison", f"{p.alpha_per_comparison:.4g}"
                 + (f" ({p.alpha:g} over {p.arms - 1})" if p.arms > 2 else ""))
    view.add_row("power", f"{p.power:.0%}")
    out.print(view)
    out.print(f"Method: {p.method}.", highlight=False)
