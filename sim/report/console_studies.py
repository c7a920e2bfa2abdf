"""What the command line shows for the studies: calibration, capacity, forecast, power and selection.

Like `sim.report.console`, each function takes the study's result (and a few labels) and prints
it to the `rich.console.Console` it is given.
"""

from __future__ import annotations

from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from sim.report.console import fmt, fmt_count, fmt_percent, fmt_setting, fmt_value, is_count
from sim.vocabulary import metric


def print_calibration(out: Console, result, err: Console | None = None) -> None:
    """`sim calibrate`: the data, the fitted models, the holdout check, warnings (to `err`) and files."""
    src = result.population["source"]
    kept = src.get("same_day") == "keep"
    out.print(f"{src['n_customers']:,} customers, {src['n_transactions']:,} transactions "
              f"({'same-day orders kept apart' if kept else 'same-day orders merged into one transaction'}).")
    table = Table(title=f"Fitted models (time unit: {result.unit})", title_justify="left")
    for column in ("model", "parameters (std. error)", "log-likelihood"):
        table.add_column(column)
    for fit in (result.bgnbd, result.pareto_nbd, result.gamma_gamma):
        if not getattr(fit, "fitted", True):
            table.add_row(fit.model, "not fitted (see the warning)", "-")
            continue
        pooled = fit is result.gamma_gamma and getattr(result, "spend_fallback", None)
        params = ", ".join(f"{k}={v:.3g}" if pooled else f"{k}={v:.3f} ({_num(fit.se[k], '.3f')})"
                           for k, v in fit.params.items())
        table.add_row(fit.model + (" (pooled)" if pooled else ""), params, _num(fit.loglik, ",.1f"))
    out.print(table)
    if result.holdout is not None:
        h = result.holdout
        pareto = h.predicted_pareto_nbd
        out.print(f"Holdout repeat transactions: actual {h.actual:,}, BG/NBD forecast {h.predicted_bgnbd:,.0f} "
                  f"({fmt_percent(h.error_bgnbd, 1)}), Pareto/NBD forecast "
                  f"{'not fitted' if pareto != pareto else f'{pareto:,.0f}'}.")
    if result.tracking is not None:
        t = result.tracking
        out.print(f"Simulated (engine, no marketing, {t.replications} replications): no season "
                  f"{t.baseline.holdout_mean:,.0f} ({fmt_percent(t.error_simulated, 1)}) beside the BG/NBD "
                  f"forecast's {fmt_percent(t.error_forecast, 1)}.")
        if t.seasonal is not None:
            windows = "; ".join(w.label(t.calibration_end) for w in t.seasonal.season)
            how = "fitted on the holdout, a backcast" if t.seasonal.fitted else "set"
            out.print(Padding(f"with season {windows} ({how}): {t.seasonal.holdout_mean:,.0f} "
                              f"({fmt_percent(t.error_seasonal, 1)}).", (0, 0, 0, 2), expand=False))
    for note in result.warnings:
        (err or out).print(f"[bold yellow]warning:[/] {note}", highlight=False, soft_wrap=True)
    out.print(f"Wrote {', '.join(result.files)} to [bold]{result.out_dir}[/]")


def _num(value: float, spec: str) -> str:
    """A number in `spec`, or '-' when it is missing (NaN)."""
    return "-" if value != value else format(value, spec)


def print_capacity(out: Console, plan, folder) -> None:
    """`sim capacity`: chat agents by hour, the agents' and the warehouse's notes, the folder written."""
    h, a, s = plan.hourly, plan.achieved, plan.staff
    per_agent = int(h["chats_per_agent"].iloc[0]) if len(h) else 1
    view = Table(title=f"{plan.scenario} - chat agents by hour of day 0 (policy {plan.policy}, mean of "
                       f"{plan.replications} simulated days; target {plan.service_level:.0%} within "
                       f"{plan.answer_within_seconds:g} s; {per_agent} chats per agent)", title_justify="left",
                 box=None, padding=(0, 1, 0, 0), header_style="bold underline")
    for column in ("hour", "chats", "P90", "Erlang C", "steady", "planned", "achieved"):
        view.add_column(column, justify="right")
    view.add_column("note", overflow="fold")
    for r in h.itertuples():
        view.add_row(f"{r.hour:02d}", f"{r.arrivals:,.0f}", f"{r.arrivals_p90:,.0f}", str(r.erlang_agents),
                     str(r.sim_agents), str(r.agents), "-" if r.achieved_service_level != r.achieved_service_level
                     else f"{r.achieved_service_level:.0%}", r.note)
    out.print(view)
    out.print(f"Agents: {plan.agent_hours:,} agent-hours ({plan.erlang_agent_hours:,} by Erlang C), "
              f"{plan.agent_cost:,.0f} yuan. Simulated with this schedule: {a['service_level']:.1%} answered "
              f"within {plan.answer_within_seconds:g} s, {a['abandonment_rate']:.1%} abandoned, mean wait "
              f"{a['mean_wait_s']:.0f} s; {a['service_sales_share']:.0%} of paid sales through service, "
              f"{a['sales_lost_to_waiting']:,.0f} yuan lost to waiting.", highlight=False)
    if plan.fresh is not None:
        f, short = plan.fresh, plan.fresh["short_hours"]
        out.print(f"On {plan.replications} other simulated days, not used to plan: {f['service_level']:.1%} "
                  f"answered within {plan.answer_within_seconds:g} s, {f['abandonment_rate']:.1%} abandoned, mean "
                  f"wait {f['mean_wait_s']:.0f} s; {short} hour{'' if short == 1 else 's'} below target.",
                  highlight=False)
    out.print("Erlang C assumes one chat per agent slot, exponential handling, customers who never leave and "
              "a steady rate; 'steady' is simulated at the hour's mean rate, pooling several chats per agent, "
              "letting impatient customers leave and drawing handle times as configured. 'planned' adds an "
              "agent to each hour short of the target when the simulated days are replayed (arrivals burst "
              "above the hour's mean, queues carry over between hours), round after round until none is "
              f"({plan.replays} round{'' if plan.replays == 1 else 's'} here); 'achieved' is the last replay.",
              highlight=False)
    staffed = int((h["staff"] > 0).sum())
    out.print(f"Warehouse: {s.staff} pick/pack staff on each of {staffed} staffed hours a day "
              f"({h['pack_capacity'].max():,.0f} orders/h), {s.staff_hours:,.0f} staff-hours over the "
              f"operations horizon, {s.cost:,.0f} yuan; {s.on_time_share:.1%} shipped within "
              f"{plan.ship_within_hours:g} h (95th percentile {s.ship_hours_p95:.1f} h) on the busiest of "
              f"{plan.replications} simulated days ({a['paid_orders']:,.0f} paid orders on average).",
              highlight=False)
    out.print(f"Wrote [bold]{folder}[/] (capacity.csv, load_vs_capacity.png)", soft_wrap=True)


_COUNTS = {"traffic", "returning", "first_orders"}  # event-day quantities outside `sim.vocabulary`


def _show(name: str, value: float) -> str:
    """An event-day quantity: conversion in %, money in ¥ (gmv, aov and every yuan metric of
    `sim.vocabulary`), counts (orders, visitors) as `fmt_count`."""
    if name == "conversion":
        return f"{value:.2%}"
    money = name == "aov" or metric(name).unit == "yuan"
    return ("¥" if money else "") + (fmt_count(value) if name in _COUNTS or is_count(name) else fmt(value))


def print_forecast(out: Console, fc, folder) -> None:
    """`sim forecast`: the event day's quantiles, the target's chance and what it takes, the
    sensitivity tornado, the backtest and the folder written."""
    view = Table(title=f"{fc.scenario.name}: event day (day 0), policy {fc.policy}, {len(fc.outcomes)} replications",
                 title_justify="left")
    for column in ("quantity", "mean", "P10", "P50", "P90"):
        view.add_column(column, justify="left" if column == "quantity" else "right")
    for r in fc.table().itertuples():
        if r.section in ("event_day", "decomposition", "presale"):
            view.add_row(r.quantity, *(_show(r.quantity, v) for v in (r.mean, r.p10, r.p50, r.p90)))
    out.print(view)
    out.print("GMV = traffic x conversion x aov in every replication (traffic: new visitors + existing "
              "customers who ordered on day 0).", highlight=False)
    import math

    def span(low: float, high: float) -> str:  # one end only when the other needs more replications
        if low == low and high == high:
            return f"¥{fmt(low)}..¥{fmt(high)}"
        return f"below ¥{fmt(high)}" if high == high else (f"above ¥{fmt(low)}" if low == low else "n/a")

    gmv = next(r for r in fc.table().itertuples() if r.quantity == "gmv")
    ends = [f"{name} {span(getattr(gmv, f'{name.lower()}_low'), getattr(gmv, f'{name.lower()}_high'))}"
            for name in ("P10", "P50", "P90")]
    n_open = math.ceil(math.log(0.025) / math.log(0.9))  # replications before P10 has a lower end
    out.print(f"GMV quantiles' 95 % intervals (order statistics of {len(fc.outcomes)} replications): "
              f"{', '.join(ends)}" + (f" (closing P10 and P90 needs {n_open})." if len(fc.outcomes) < n_open
                                      else "."), highlight=False)
    if fc.chance is not None:
        c = fc.chance
        out.print(f"Target ¥{c.target:,.0f}: reached in {c.probability:.0%} of replications "
                  f"(95 % interval {c.ci_low:.0%}..{c.ci_high:.0%}).", highlight=False)
        # the needed levers: simulated P50, needed P50, factor on the input, achieved chance, ok
        rerun = getattr(fc, "resimulated", True)
        how = "each lever re-simulated alone" if rerun else "GMV assumed proportional, not re-simulated"
        need = Table(title=f"Needed for a chance of {fc.probability:.0%} ({how})", title_justify="left")
        for column in ("lever", "P50", "needed", "x", "achieved", "ok"):
            need.add_column(column, justify="left" if column in ("lever", "ok") else "right")
        for r in fc.required:
            got = f"{r.achieved:.0%} ({r.achieved_low:.0%}..{r.achieved_high:.0%})" if r.achieved == r.achieved else "-"
            need.add_row(r.lever, _show(r.lever, r.current), _show(r.lever, r.needed) if r.needed == r.needed else "-",
                         f"{r.scale:.3f}", got, ("yes" if rerun else "?") if r.feasible else "no")
        out.print(need)
        inputs = ", ".join(f"{r.input} ({r.lever})" for r in fc.required)
        if rerun:
            out.print(f"x: factor on the input moved, {inputs}; needed: the lever's P50 there; achieved: share "
                      f"of its {len(fc.outcomes)} replications reaching the target (95 % interval); "
                      f"{sum(r.runs for r in fc.required)} runs, same seed.", highlight=False)
        else:
            out.print(f"x: factor on each lever's input ({inputs}) if GMV were proportional to it.", highlight=False)
        works = [r.lever for r in fc.required if r.feasible]
        out.print(f"Works alone{'' if rerun else ' (unchecked)'}: {', '.join(works) if works else 'none'}."
                  + "".join(f" {r.lever}: {r.reason}." for r in fc.required if not r.feasible)
                  + "".join(f" {r.lever}: {r.note}." for r in fc.required if rerun and r.feasible and r.note),
                  highlight=False)
    if fc.tornado is not None and len(fc.tornado):
        tv = Table(title=f"Sensitivity: mean event-day GMV (¥{fc.baseline_gmv:,.0f}) with each input "
                         f"-/+{fc.tornado['step'].iloc[0]:.0%}", title_justify="left")
        for column in ("input", "value", "GMV at -", "GMV at +", "change -", "change +"):
            tv.add_column(column, justify="left" if column == "input" else "right")
        for r in fc.tornado.itertuples():
            tv.add_row(r.input, fmt_setting(r.value), f"¥{r.gmv_low:,.0f}", f"¥{r.gmv_high:,.0f}",
                       fmt_percent(r.change_low, 1), fmt_percent(r.change_high, 1))
        out.print(tv)
    if fc.backtest is not None:
        b = fc.backtest
        factors = ", ".join(f"{k} x {v:.3f}" for k, v in b.factors.items() if k != "predicted_orders_fit_days")
        out.print(f"Backtest: fitted {factors}; last {b.holdout_days} day(s) held out.", highlight=False)
        bt = Table(title="Backtest error on the held-out days", title_justify="left")
        for column in ("metric", "MAPE", "bias", "inside P10-P90", "days"):
            bt.add_column(column, justify="left" if column == "metric" else "right")
        for r in b.errors().itertuples():
            bt.add_row(r.metric, f"{r.mape:.1%}", fmt_percent(r.bias, 1), f"{r.covered:.0%}", str(r.days))
        out.print(bt)
    out.print(f"Forecast folder: [bold]{folder}[/]", soft_wrap=True)


def print_power(out: Console, summary, title: str, metric: str, alpha: float) -> None:
    """`sim power`: detected share, its interval, the mean effect and the analytic power per holdout.

    The tested policy is `summary.attrs["policy"]` (set by `holdout_power`)."""
    table = Table(title=f"{title}: power to detect {summary.attrs.get('policy', '')} vs holdout on {metric} "
                        f"(alpha {alpha})", title_justify="left")
    for column in ("holdout", "held out (mean)", "detected", "95 % interval", "mean effect", "analytic power"):
        table.add_column(column, justify="right")
    for _, r in summary.iterrows():
        table.add_row(f"{r.holdout:.0%}", f"{r.n_held_out:,.0f}", f"{r.power:.0%}",
                      f"{r.power_ci_low:.0%}..{r.power_ci_high:.0%}", _effect(r.mean_difference, metric),
                      "-" if r.analytic_power != r.analytic_power else f"{r.analytic_power:.0%}")
    out.print(table)
    unit = {"repurchased": "points of the share who bought", "orders": "orders per customer"}
    out.print(f"mean effect: policy minus holdout, in {unit.get(metric, 'yuan per customer')}; analytic power: "
              "a two-proportion z-test at the simulated rates and group sizes (rates only).", style="dim")


def _effect(value: float, metric: str) -> str:
    """A per-customer difference: points for the bought-or-not share, else signed with its precision."""
    if metric == "repurchased":
        return fmt_value(value, "proportion", signed=True)
    return "-" if value != value else ("+" if value > 0 else "") + fmt(value)


def print_selection(out: Console, result, names: list[str], metric: str) -> None:
    """`sim select`: the chosen policy and its guarantee, replications and mean per policy, the total."""
    out.print(f"Best policy on {metric}: [bold]{names[result.best]}[/] "
              f"(probability of correct selection >= {1 - result.alpha:.0%} when it leads by {result.delta:,g} or more"
              f"{'; stopped at the cap, so the guarantee does not hold' if result.stopped_at_max else ''}).")
    table = Table(title_justify="left")
    for column in ("policy", "replications", f"mean {metric}", "eliminated after"):
        table.add_column(column, justify="right" if column != "policy" else "left")
    gone = dict(result.eliminated)
    for i, name in enumerate(names):
        table.add_row(name, str(result.replications[i]), fmt(result.means[i]),
                      str(gone[i]) if i in gone else ("chosen" if i == result.best else "-"))
    out.print(table)
    out.print(f"{sum(result.replications)} replications spent in all.")
