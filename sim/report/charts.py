"""The report's charts: DataFrames in, PNG bytes out (matplotlib Figure, Agg canvas).

No pyplot, so nothing global changes and figures are freed as soon as they are saved.
Money is in yuan (¥); days are relative to the event day (day 0 = 11.11).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, MultipleLocator, NullFormatter

from sim.report.console import fmt_setting, short_names
from sim.report.fonts import chart_style, label
from sim.report.ticks import COUNT, LOG_COUNT, PERCENT, YUAN, share

CONTROL_COLOR = "#7f7f7f"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
EVENT_WINDOW = (-14, 7)
_HORIZONTAL = ({"orientation": "horizontal"} if tuple(map(int, matplotlib.__version__.split(".")[:2])) >= (3, 10)
               else {"vert": False})
"""Days shown in the close-up of the daily series."""


def policy_colors(policies: Sequence[str], control: str) -> dict[str, str]:
    """One colour per policy, grey for the control, stable in scenario order."""
    others = [p for p in policies if p != control]
    colors = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(others)}
    colors[control] = CONTROL_COLOR
    return colors


def png(fig: Figure) -> bytes:
    """The figure, laid out by `tight_layout`, as PNG bytes.

    Laid out and drawn on one Agg canvas, so the text measured for the layout is not measured
    again for the drawing, and with no layout engine left on the figure, so `savefig` draws it
    once (after `tight_layout` a figure keeps a placeholder engine, for which savefig draws
    twice): about a seventh less time a chart. Not `bbox_inches="tight"`: that measures
    everything once more. zlib's fastest level: a tenth less time than the default for 3 %
    larger files.
    """
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.set_layout_engine(None)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def distributions(reps: pd.DataFrame, metrics: Sequence[tuple[str, str, str]], policies: Sequence[str],
                  colors: dict[str, str]) -> bytes:
    """Box plot and replication dots of money metrics per policy; metrics as (column, en, zh)."""
    with chart_style():
        fig = Figure(figsize=(5.2 * len(metrics), 0.5 * len(policies) + 2.6))
        axes = fig.subplots(1, len(metrics), squeeze=False, sharey=True)[0]
        jitter = np.random.default_rng(0)
        for ax, (column, english, chinese) in zip(axes, metrics):
            values = [reps.loc[reps["policy"] == p, column].dropna().to_numpy(float) for p in policies]
            box = ax.boxplot(values, **_HORIZONTAL, widths=0.55, patch_artist=True, showfliers=False,
                             medianprops={"color": "black"})
            for patch, p in zip(box["boxes"], policies):
                patch.set(facecolor=colors[p], alpha=0.35, edgecolor=colors[p])
            for i, (v, p) in enumerate(zip(values, policies), start=1):
                ax.scatter(v, i + jitter.uniform(-0.15, 0.15, len(v)), s=12, color=colors[p], zorder=3)
            ax.set_yticks(range(1, len(policies) + 1), labels=list(policies))
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.xaxis.set_major_formatter(YUAN)
            ax.set_xlabel(label(f"{english} per replication (¥, yuan)", chinese))
        axes[0].invert_yaxis()
        fig.suptitle(label("Distribution over replications", "各次模拟的分布"))
        return png(fig)


def _band(daily: pd.DataFrame, column: str) -> pd.DataFrame:
    g = daily.groupby("day")[column]
    return pd.DataFrame({"mean": g.mean(), "low": g.quantile(0.1), "high": g.quantile(0.9)})


def daily_series(daily: pd.DataFrame, policies: Sequence[str], colors: dict[str, str],
                 waves: Sequence[tuple[float, str, str]]) -> bytes:
    """Daily orders and GMV: mean over replications, 10-90 % band, waves and day 0 marked.

    `waves` are (day, label, policy); a wave is marked on the day it is sent.
    """
    panels = [("orders", label("Orders per day", "每日订单"), COUNT),
              ("gmv", label("GMV per day (¥, yuan)", "每日成交额"), YUAN)]
    with chart_style():
        fig = Figure(figsize=(13, 7.5))
        axes = fig.subplots(2, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        for row, (column, ylabel, fmt) in enumerate(panels):
            for col, window in enumerate((None, EVENT_WINDOW)):
                ax = axes[row, col]
                part = daily if window is None else daily[daily["day"].between(*window)]
                for p in policies:
                    band = _band(part[part["policy"] == p], column)
                    ax.fill_between(band.index, band["low"], band["high"], color=colors[p], alpha=0.15, lw=0)
                    ax.plot(band.index, band["mean"], color=colors[p], lw=1.6, label=p)
                _mark_days(ax, waves, colors, names=row == 0 and col == 1)
                ax.yaxis.set_major_formatter(fmt)
                ax.set_ylabel(ylabel)
                ax.set_xlabel(label("day relative to 11.11 (day 0)", "相对双十一天数"))
        axes[0, 0].set_title(label("Whole calendar", "全周期"))
        axes[0, 1].set_title(label("Around the event, waves marked", "活动前后与触达波次"))
        axes[0, 0].legend(loc="upper left", fontsize=9)
        fig.suptitle(label("Daily orders and GMV: mean over replications, band 10-90 %",
                           "每日订单与成交额"))
        return png(fig)


def _mark_days(ax, waves: Sequence[tuple[float, str, str]], colors: dict[str, str], names: bool) -> None:
    ax.axvline(0, color="#444444", lw=1.2, ls="-", zorder=1)
    top = ax.get_ylim()[1]
    ax.annotate(label("day 0 (11.11)", "双十一"), (0, top), xytext=(3, -12), textcoords="offset points",
                fontsize=8, color="#444444")
    seen: dict[float, list[str]] = {}
    for day, name, policy in waves:
        ax.axvline(day, color=colors.get(policy, CONTROL_COLOR), lw=0.9, ls=":", zorder=1)
        seen.setdefault(day, [])
        if name not in seen[day]:
            seen[day].append(name)
    if names:
        for day, labels in seen.items():
            ax.annotate(", ".join(labels), (day, top), xytext=(-10, -4), textcoords="offset points",
                        rotation=90, fontsize=7.5, va="top", ha="right", color="#333333")


def funnel(stages: pd.DataFrame, colors: dict[str, str]) -> bytes:
    """Grouped horizontal bars per panel: stage (rows, in order) x policy, mean per replication.

    `stages` has columns panel, policy, stage, value. Each bar is labelled with its count and,
    from the second stage of its panel on, its share of the panel's first stage. A panel whose
    stages span more than two orders of magnitude gets a log axis.
    """
    panels = list(dict.fromkeys(stages["panel"]))
    rows = max(stages.groupby("panel")["stage"].nunique().max() * stages.groupby("panel")["policy"].nunique().max(), 1)
    with chart_style():
        fig = Figure(figsize=(6.5 * len(panels), 0.42 * rows + 1.8))
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, panel in zip(axes, panels):
            _funnel_panel(ax, stages[stages["panel"] == panel], colors)
            ax.set_title(panel)
        fig.suptitle(label("Funnel, mean per replication", "漏斗（每次模拟平均）"))
        return png(fig)


def _funnel_panel(ax, stages: pd.DataFrame, colors: dict[str, str]) -> None:
    order = list(dict.fromkeys(stages["stage"]))
    policies = list(dict.fromkeys(stages["policy"]))
    height = 0.8 / len(policies)
    positive = stages["value"][stages["value"] > 0]
    log = len(positive) > 0 and positive.max() / positive.min() > 100
    for j, p in enumerate(policies):
        values = stages[stages["policy"] == p].set_index("stage")["value"].reindex(order)
        y = np.arange(len(order)) + j * height
        ax.barh(y, values.fillna(0.0), height=height * 0.92, color=colors.get(p, CONTROL_COLOR), label=p)
        first = values.iloc[0]
        for k, (yi, v) in enumerate(zip(y, values)):
            if np.isfinite(v):
                part = f" ({share(v / first)})" if k and np.isfinite(first) and first > 0 else ""
                ax.annotate(f" {v:,.0f}{part}", (max(v, 1.0) if log else v, yi), va="center", fontsize=8)
    ax.set_yticks(np.arange(len(order)) + height * (len(policies) - 1) / 2, labels=order)
    ax.invert_yaxis()
    top = float(np.nanmax(stages["value"])) if len(stages) else 1.0
    if log:
        ax.set_xscale("log")
        ax.set_xlim(max(float(positive.min()) / 3, 0.5), top * 8)
        ax.xaxis.set_major_formatter(LOG_COUNT)  # 1,000 and 10K like the other axes, not 10³
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_xlim(0, top * 1.35 or 1.0)
        ax.xaxis.set_major_formatter(COUNT)
    ax.set_xlabel(label("per replication" + (" (log scale)" if log else ""), "每次模拟"))
    ax.legend(loc="lower right", fontsize=8)


def repurchase_curves(rep: pd.DataFrame, colors: dict[str, str]) -> bytes:
    """Share ordering within each horizon (2, 10, 30 days) of each action: targeted (filled) vs
    holdout (hollow), one row per policy and action, one panel per horizon.

    Rates are pooled over replications, weighted by group size when sizes are present. Three
    panels whatever the number of actions, so a policy of many sends stays one readable chart.
    """
    rows = list(dict.fromkeys(zip(rep["policy"], rep["action"])))
    pooled = {key: _pooled(g) for key, g in rep.groupby(["policy", "action"], sort=False)}
    horizons = sorted(float(h) for h in rep["horizon_days"].dropna().unique())
    y = np.arange(len(rows))
    with chart_style():
        fig = Figure(figsize=(4.2 * max(len(horizons), 1) + 2.2, 0.3 * len(rows) + 1.9))
        axes = fig.subplots(1, max(len(horizons), 1), squeeze=False, sharey=True)[0]
        for ax, horizon in zip(axes, horizons):
            for policy in dict.fromkeys(p for p, _ in rows):  # one set of artists a policy, not a row
                shown = [(yi, pooled[key].loc[horizon]) for yi, key in zip(y, rows)
                         if key[0] == policy and horizon in pooled[key].index]  # a late send lacks a horizon
                if not shown:
                    continue
                at = [yi for yi, _ in shown]
                targeted, held = [r["assigned"] for _, r in shown], [r["held_out"] for _, r in shown]
                color = colors.get(policy, CONTROL_COLOR)
                ax.hlines(at, held, targeted, color=color, lw=1.2, alpha=0.6)
                ax.plot(held, at, "o", ls="", color=color, mfc="white", ms=5)
                ax.plot(targeted, at, "o", ls="", color=color, ms=5)
            ax.set_title(label(f"within {horizon:g} days", f"{horizon:g} 天内"))
            ax.xaxis.set_major_formatter(PERCENT)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.grid(axis="y", color="#eeeeee", lw=0.8)
            ax.set_xlabel(label("share who ordered", "下单比例"))
        axes[0].set_yticks(y, labels=[f"{policy}: {action}" for policy, action in rows])
        axes[0].invert_yaxis()
        axes[-1].legend(handles=[Line2D([], [], color="#444444", marker="o", ls="", label=label("targeted", "触达组")),
                                 Line2D([], [], color="#444444", marker="o", mfc="white", ls="",
                                        label=label("holdout", "对照组"))], fontsize=8, loc="best")
        fig.suptitle(label("Repurchase after each action: targeted vs holdout", "复购率：触达组与对照组"))
        return png(fig)


def _pooled(g: pd.DataFrame) -> pd.DataFrame:
    def rate(side: str) -> pd.Series:
        n = g[f"{side}_n"] if f"{side}_n" in g else pd.Series(1.0, index=g.index)
        r = g[f"{side}_rate"]
        ok = r.notna() & (n > 0)
        return (r[ok] * n[ok]).groupby(g.loc[ok, "horizon_days"]).sum() / n[ok].groupby(g.loc[ok, "horizon_days"]).sum()

    return pd.DataFrame({"assigned": rate("assigned"), "held_out": rate("held_out")}).sort_index()


def coupons(table: pd.DataFrame, colors: dict[str, str]) -> bytes:
    """Coupons issued and redeemed, and their cost (¥), per policy and coupon, mean per replication."""
    mean = table.groupby(["policy", "coupon"], sort=False)[["issued", "redeemed", "cost"]].mean().reset_index()
    names = [f"{r.policy}\n{r.coupon}" for r in mean.itertuples()]
    y = np.arange(len(mean))
    with chart_style():
        fig = Figure(figsize=(12, 0.6 * len(mean) + 2.0))
        left, right = fig.subplots(1, 2, sharey=True)
        bar_colors = [colors.get(p, CONTROL_COLOR) for p in mean["policy"]]
        left.barh(y, mean["issued"], color=bar_colors, alpha=0.3, label=label("issued", "发放"))
        left.barh(y, mean["redeemed"], color=bar_colors, label=label("redeemed", "核销"))
        for yi, r in zip(y, mean.itertuples()):
            rate = r.redeemed / r.issued if r.issued else float("nan")
            left.annotate(f" {r.redeemed:,.0f} of {r.issued:,.0f} ({share(rate)})", (r.issued, yi), va="center", fontsize=8)
        left.set_yticks(y, labels=names)
        left.invert_yaxis()
        left.set_xlim(0, float(mean["issued"].max()) * 1.6 or 1)
        left.xaxis.set_major_formatter(COUNT)
        left.set_xlabel(label("coupons per replication", "每次模拟的优惠券数"))
        left.legend(handles=[Patch(color=CONTROL_COLOR, alpha=0.3, label=label("issued", "发放")),
                             Patch(color=CONTROL_COLOR, label=label("redeemed", "核销"))], fontsize=8)
        right.barh(y, mean["cost"], color=bar_colors)
        for yi, cost in zip(y, mean["cost"]):
            right.annotate(f" ¥{cost:,.0f}", (cost, yi), va="center", fontsize=8)
        right.set_xlim(0, float(mean["cost"].max()) * 1.3 or 1)
        right.xaxis.set_major_formatter(YUAN)
        right.set_xlabel(label("redemption cost per replication (¥, yuan)", "核销成本"))
        fig.suptitle(label("Coupon redemption and cost", "优惠券核销与成本"))
        return png(fig)


def hourly_lines(hourly: pd.DataFrame, panels: Sequence[tuple[str, str, Sequence[tuple[str, str, str]]]],
                 policies: Sequence[str], colors: dict[str, str], xlabel: str, title: str) -> bytes:
    """Hour-by-hour lines, mean over replications per policy, one panel per (title, y label, lines).

    Lines are (column, label, line style); the first line of a panel gets a 10-90 % band. Money
    columns (named gmv or *_gmv) get yuan ticks.
    """
    with chart_style():
        fig = Figure(figsize=(12, 3.3 * len(panels) + 0.6))
        axes = np.atleast_1d(fig.subplots(len(panels), 1, squeeze=False, sharex=True)).ravel()
        for ax, (panel_title, ylabel, lines) in zip(axes, panels):
            for p in policies:
                part = hourly[hourly["policy"] == p]
                if part.empty:
                    continue
                for k, (column, name, style) in enumerate(lines):
                    g = part.groupby("hour")[column]
                    x = np.r_[g.mean().index.to_numpy(float), g.mean().index.max() + 1]  # close the last hour

                    def closed(series: pd.Series) -> np.ndarray:
                        return np.r_[series.to_numpy(float), series.iloc[-1]]

                    if k == 0:
                        ax.fill_between(x, closed(g.quantile(0.1)), closed(g.quantile(0.9)), color=colors[p],
                                        alpha=0.15, lw=0, step="post")
                    ax.step(x, closed(g.mean()), where="post", color=colors[p], ls=style, lw=1.4, label=f"{p}: {name}")
                if lines[0][0] == "gmv" or lines[0][0].endswith("_gmv"):
                    ax.yaxis.set_major_formatter(YUAN)
            ax.set_title(panel_title, fontsize=10)
            ax.set_ylabel(ylabel)
            ax.legend(fontsize=7.5, ncol=2)
        axes[-1].set_xlabel(xlabel)
        axes[-1].xaxis.set_major_locator(MultipleLocator(6 if hourly["hour"].max() <= 48 else 24))
        fig.suptitle(title)
        return png(fig)


def sweep_grid(grid: pd.DataFrame, x: str, facets: Sequence[str], colors: dict[str, str], ylabel: str) -> bytes:
    """Mean and 95 % interval per policy against swept value `x`, one panel per value of `facets`.

    `grid` has the swept columns, policy, mean, ci_low, ci_high (sweep.csv).
    """
    groups = list(grid.groupby(list(facets), sort=True)) if facets else [((), grid)]
    names = short_names(list(facets))  # intensity.0, not a bare list index
    cols = min(len(groups), 3)
    rows = int(np.ceil(len(groups) / cols))
    with chart_style():
        fig = Figure(figsize=(max(4.6 * cols, 7.5), 3.5 * rows + 0.6))  # the title fits one panel too
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, sharey=True)).ravel()  # panels compare
        for ax, (key, g) in zip(axes, groups):
            key = key if isinstance(key, tuple) else (key,)
            for k, (p, line) in enumerate(g.groupby("policy", sort=False)):
                line = line.sort_values(x)
                xs = line[x].to_numpy(float) + (k - 1) * 0.01 * (np.ptp(line[x].to_numpy(float)) or 1.0)
                ax.errorbar(xs, line["mean"], yerr=[line["mean"] - line["ci_low"], line["ci_high"] - line["mean"]],
                            color=colors.get(str(p), CONTROL_COLOR), marker="o", capsize=3, label=str(p))
            ax.set_title(", ".join(f"{names[f]} = {fmt_setting(v)}" for f, v in zip(facets, key)), fontsize=9)
            ax.set_xlabel(x)
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.yaxis.set_major_formatter(YUAN)
            ax.legend(fontsize=8)
        axes[0].set_ylabel(ylabel)
        for ax in axes[len(groups):]:
            ax.set_visible(False)
        fig.suptitle(label("Sweep: mean and 95 % interval per grid point", "参数扫描"))
        return png(fig)
