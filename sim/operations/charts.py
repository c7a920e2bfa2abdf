"""Chart of chat load against the planned capacity (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def plot_load_vs_capacity(table: pd.DataFrame, path: str | Path) -> Path:
    """Save a step chart of offered load vs chat places by hour from a `plan_agents` table."""
    fig, ax = plt.subplots(figsize=(9, 4))
    hours = list(table["hour"]) + [table["hour"].iloc[-1] + 1]  # close the last hour's step

    def step(values: pd.Series, **style) -> None:
        ax.step(hours, list(values) + [values.iloc[-1]], where="post", **style)

    step(table["offered_load"], label="offered load (erlangs)")
    step(table["capacity_chats"], label="chat places, simulated plan")
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
