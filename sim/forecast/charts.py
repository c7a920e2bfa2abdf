"""Forecast charts: the KPI fan chart and the sensitivity tornado (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

_YUAN = FuncFormatter(lambda v, _: f"¥{v / 1e6:,.2f}M" if abs(v) >= 1e6 else f"¥{v:,.0f}")


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
        ax.yaxis.set_major_formatter(_YUAN)
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
    ax.xaxis.set_major_formatter(_YUAN)
    ax.legend(loc="lower right")
    ax.set_title(title or "What moves event-day GMV")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
