"""Charts of the studies' own files: the forecast's fan chart and tornado, the capacity chart,
the global sensitivity chart.

Studies write their tables; `draw_study_charts` draws the matching charts into the same
folder when it is finished (registered with the store in `sim/__init__.py`), so the run's
report can show them. matplotlib, Agg backend.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sim.report.ticks import YUAN  # noqa: E402

FAN_CHART, TORNADO, LOAD_CHART = "fan_chart.png", "tornado.png", "load_vs_capacity.png"
SENSITIVITY_CHART = "sensitivity.png"


def draw_study_charts(folder: str | Path) -> list[Path]:
    """Draw the chart of each study table found in `folder`; return the charts drawn."""
    folder = Path(folder)
    manifest = _manifest(folder)
    name = manifest.get("scenario", folder.name)
    drawn = []
    if (folder / "kpi_plan.csv").is_file():
        drawn.append(fan_chart(pd.read_csv(folder / "kpi_plan.csv"), folder / FAN_CHART,
                               f"{name}: GMV plan, 80 % bands"))
    if (folder / "sensitivity.csv").is_file():
        table = pd.read_csv(folder / "sensitivity.csv")
        if len(table) and "baseline_gmv" in table:
            drawn.append(tornado_chart(table, float(table["baseline_gmv"].iloc[0]), folder / TORNADO,
                                       f"{name}: event-day GMV, each input moved ±{table['step'].iloc[0]:.0%}"))
        elif len(table) and ("mu_star" in table or "S1" in table):  # sim sensitivity's global indices
            drawn.append(sensitivity_chart(table, folder / SENSITIVITY_CHART, manifest.get("metric", "metric"),
                                           f"{name}: what drives {manifest.get('metric', 'the metric')} of "
                                           f"{manifest.get('policy', 'the policy')} ({manifest.get('method')})"))
    if (folder / "capacity.csv").is_file():
        drawn.append(plot_load_vs_capacity(pd.read_csv(folder / "capacity.csv"), folder / LOAD_CHART))
    return drawn


def _manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def fan_chart(plan: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """GMV by day and by event-day hour: P10-P90 band, median and mean."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    for ax, scope, x, xlabel in ((axes[0], "day", "day", "day (0 = event day)"),
                                 (axes[1], "event_hour", "hour", "hour of the event day")):
        g = plan[(plan["scope"] == scope) & (plan["metric"] == "gmv")].sort_values(x)
        xs = g[x].astype(float)
        ax.fill_between(xs, g["p10"], g["p90"], color="tab:blue", alpha=0.25, label="P10-P90")
        ax.plot(xs, g["p50"], color="tab:blue", label="P50")
        ax.plot(xs, g["mean"], color="tab:orange", lw=0.8, ls="--", label="mean")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("GMV per " + ("day" if scope == "day" else "hour") + " (¥)")
        ax.yaxis.set_major_formatter(YUAN)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left")
    fig.suptitle(title or "GMV plan with 80 % bands")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def tornado_chart(table: pd.DataFrame, baseline: float, path: str | Path, title: str = "") -> Path:
    """Horizontal bars: mean event-day GMV with each input at -step and +step, largest swing on top."""
    t = table.iloc[::-1]
    step = float(t["step"].iloc[0]) if len(t) else 0.1
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(t), 3) + 1.5))
    y = range(len(t))
    ax.barh(y, t["gmv_low"] - baseline, left=baseline, color="tab:red", alpha=0.7, label=f"input -{step:.0%}")
    ax.barh(y, t["gmv_high"] - baseline, left=baseline, color="tab:green", alpha=0.7, label=f"input +{step:.0%}")
    ax.axvline(baseline, color="black", lw=1)
    ax.set_yticks(list(y), t["input"])
    ax.set_xlabel("mean event-day GMV (¥)")
    ax.xaxis.set_major_formatter(YUAN)
    ax.legend(loc="lower right")
    ax.set_title(title or "What moves event-day GMV")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def sensitivity_chart(table: pd.DataFrame, path: str | Path, metric: str, title: str = "") -> Path:
    """Morris mu* (with its 95 % interval) and sigma, or Sobol S1 and ST with theirs; largest on top."""
    morris = "mu_star" in table
    bars = (("mu_star", "mu*"), ("sigma", "sigma")) if morris else (("S1", "S1 (alone)"), ("ST", "ST (with interactions)"))
    t = table.sort_values(bars[0][0] if morris else "ST", kind="stable")
    fig, ax = plt.subplots(figsize=(9, 0.6 * max(len(t), 3) + 1.5))
    y = list(range(len(t)))
    for k, ((column, label), colour) in enumerate(zip(bars, ("tab:blue", "tab:orange"))):
        conf = t[f"{column}_conf"] if f"{column}_conf" in t else None
        ax.barh([v + (0.2 if k == 0 else -0.2) for v in y], t[column], height=0.4, xerr=conf, capsize=3,
                color=colour, alpha=0.8, label=label + (" ± 95 %" if conf is not None else ""))
    ax.set_yticks(y, t["param"])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"))
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"change of mean {metric} per step of 2/3 of a range" if morris else f"share of {metric}'s variance")
    ax.legend(loc="lower right")
    ax.set_title(title or f"What drives {metric}")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_load_vs_capacity(table: pd.DataFrame, path: str | Path) -> Path:
    """Save a step chart of offered load vs chat places by hour from capacity.csv (or a `plan_agents` table)."""
    fig, ax = plt.subplots(figsize=(9, 4))
    hours = list(table["hour"]) + [table["hour"].iloc[-1] + 1]  # close the last hour's step

    def step(values: pd.Series, **style) -> None:
        ax.step(hours, list(values) + [values.iloc[-1]], where="post", **style)

    step(table["offered_load"], label="offered load (erlangs)")
    step(table["capacity_chats"], label="chat places, planned")
    if "erlang_agents" in table and "chats_per_agent" in table:
        step(table["erlang_agents"] * table["chats_per_agent"], linestyle="--",
             label="chat places, Erlang C")
    ax.set_xlabel("hour of the event day (h)")
    ax.set_ylabel("concurrent chats (erlangs / places)")
    ax.set_title("Customer-service load vs capacity")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
