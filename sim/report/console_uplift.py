"""What `sim response fit`, `sim response predict` and `sim target` print (80 columns or more)."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table


def _table(title: str, columns: tuple[tuple[str, str], ...], folding: str = "arm") -> Table:
    """A compact table: only the `folding` column wraps; names and numbers never split."""
    view = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in columns:
        view.add_column(name, justify=justify, overflow="fold", no_wrap=name != folding)
    return view


def _num(value: float, digits: int = 3) -> str:
    """A signed figure with `digits` significant digits; zero prints as 0, never -0."""
    text = f"{value:+.{digits}g}"
    return "0" if float(text) == 0 else text


def _share(value: float) -> str:
    """A Qini coefficient to two decimals; '-' where it is undefined (an outcome that never varied)."""
    return "-" if value != value else f"{value:.2f}"


def print_fit(out: Console, model, folder: Path, seconds: float) -> None:
    """The validation figures of every arm and outcome, and where the model went."""
    for arm in model.arms:
        table = _table(f"{arm} against {model.control} (validation split)",
                       (("outcome", "left"), ("method", "left"), ("lift", "right"), ("±95 %", "right"),
                        ("pred.", "right"), ("Qini", "right"), ("95 %", "right")), folding="outcome")
        for outcome in model.outcomes:
            r = model.responses[(arm, outcome)]
            v = r.validation
            table.add_row(outcome, r.method, _num(v.observed_lift, 2), f"{1.96 * v.observed_lift_se:.1g}",
                          _num(v.predicted_lift, 2), _share(v.qini), f"{_share(v.qini_low)}..{_share(v.qini_high)}")
        out.print(table)
    out.print("lift: treated minus control mean (95 % margin); pred.: mean predicted uplift; Qini: 0 = "
              "random ranking, 1 = perfect. Curves and deciles: report.html.", style="dim")
    out.print(f"Wrote {folder}/ (response.yaml, models.pkl, report.html) in {seconds:.1f} s.")


def print_predict(out: Console, table, path: Path) -> None:
    """Mean baseline and uplift per arm and outcome over the customers scored."""
    summary = table.groupby(["arm", "outcome"], sort=False)[["baseline", "uplift"]].mean().reset_index()
    view = _table(f"{table['id'].nunique():,} customers scored (means)",
                  (("arm", "left"), ("outcome", "left"), ("baseline", "right"), ("uplift", "right")))
    for row in summary.itertuples(index=False):
        view.add_row(row.arm, row.outcome, f"{row.baseline:.4g}", _num(row.uplift, 4))
    out.print(view)
    out.print(f"Wrote {path} ({len(table):,} rows: id, arm, outcome, baseline, uplift, uplift_low, uplift_high).")


def print_targeting(out: Console, result, path: Path) -> None:
    """The assignment against every blanket policy and contacting nobody."""
    title = f"Expected incremental profit, yuan (value: {result.value_outcome} x {result.margin:g})"
    if result.budget is not None:
        title += f", budget {result.budget:,.0f}"
    view = _table(title, (("policy", "left"), ("profit", "right"), ("95 % interval", "right"),
                          ("cost", "right"), ("customers per arm", "left")), folding="customers per arm")
    for p in result.policies:
        shares = ", ".join(f"{arm} {share:.0%}" for arm, share in p.shares.items() if share > 0)
        cost = f"{p.cost:,.0f}" + ("" if p.within_budget else " (over)")
        view.add_row(p.policy, f"{p.profit:,.0f}", f"{p.profit_low:,.0f}..{p.profit_high:,.0f}", cost, shares)
    out.print(view)
    out.print("Intervals: 2.5-97.5 percentiles over the bootstrap refits of the response. The assignment is "
              "chosen on the model that values it, so its figure leans optimistic.", style="dim")
    out.print(f"Wrote {path} ({len(result.assignment):,} customers: id, arm, expected_incremental_value, "
              "cost, expected_incremental_profit).")


def print_uplift_score(out: Console, score) -> None:
    """`sim experiment --score-uplift`: ranking quality and targeting profit against the oracle."""
    out.print(f"Uplift learned from the split ({score.policy} vs {score.control}, GMV per customer, "
              f"method {score.method}, features {', '.join(score.features)}), scored on {score.scored:,} of "
              f"{score.customers:,} customers left out of the fit:")
    out.print(f"  true average effect {score.true_lift:+,.2f} yuan; rank correlation with the true effects "
              f"{score.rank_correlation:.2f}; true gain captured {score.gain_share:.0%} of the oracle's")
    view = _table(f"Targeting at margin {score.margin:.0%} and {score.cost:,.2f} yuan a contact",
                  (("who is contacted", "left"), ("share", "right"), ("profit, yuan", "right")),
                  folding="who is contacted")
    labels = {"model": "margin x predicted uplift > cost", "oracle": "oracle: true effect pays",
              "everyone": "everyone", "nobody": "nobody"}
    for key, label in labels.items():
        view.add_row(label, f"{score.contacted[key]:.0%}", f"{score.profit[key]:,.0f}")
    out.print(view)
    out.print(f"Profit lost against the oracle: {score.profit_lost:,.0f} yuan. The oracle knows each "
              "customer's effect in this world, luck included, so no model can reach it.", style="dim")
