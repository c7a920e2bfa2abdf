"""The optimiser's folder drawn: the search path, a slice per parameter, and report.html.

Read from the folder's own files (trials.csv, manifest.json) when it is finished, so a
folder can be redrawn without the run. matplotlib, Agg backend.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.report.html import Section, image, page, paragraph, table, text, write_atomic  # noqa: E402

SEARCH_PATH, SLICES = "search_path.png", "slices.png"


def write_optimize_report(folder: str | Path) -> Path:
    """Draw the charts and write report.html of an optimiser folder."""
    folder = Path(folder)
    trials = pd.read_csv(folder / "trials.csv")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    paths = [p["path"] for p in manifest["params"]]
    metric = manifest["metric"]
    path_png = _search_path(trials, metric, manifest["larger_is_better"])
    slices_png = _slices(trials, paths, metric, manifest["best"])
    (folder / SEARCH_PATH).write_bytes(path_png)
    (folder / SLICES).write_bytes(slices_png)
    best = ", ".join(f"{k} = {v:g}" for k, v in manifest["best"].items())
    low, high = manifest["best_interval"]
    lead = [f"Policy {manifest['policy']}, {'maximising' if manifest['larger_is_better'] else 'minimising'} "
            f"{metric}; {manifest['evaluations']:,} replications in {manifest['wall_seconds']:.0f} s.",
            f"Best: {best}: {metric} {manifest['best_mean']:,.0f} (95 % interval {low:,.0f}..{high:,.0f}); "
            "against the current values {:+,.0f} ({:+,.0f}..{:+,.0f}, paired).".format(*manifest["gain_over_current"])]
    selection = manifest.get("selection")
    verdict = ("Kim-Nelson selection among the finalists: the chosen point is the best with probability at "
               f"least {1 - selection['alpha']:.0%} whenever it leads by {selection['delta']:,.0f} or more"
               + ("; it stopped at its replication cap, so that guarantee does not hold." if selection["stopped_at_max"]
                  else ".")) if selection else "Only one distinct finalist: no selection was needed."
    refine = trials[trials["stage"].isin(["refine", "current"])]
    rows = [[*(f"{r[p]:g}" for p in paths), int(r["replications"]), f"{r['mean']:,.0f}", f"{r['se']:,.0f}",
             "current values" if r["stage"] == "current" else ""] for _, r in refine.iterrows()]
    sections = [
        Section("best", "Best point", paragraph(text(verdict)) + table([*paths, "replications", "mean", "s.e.", ""], rows,
                                                                       ["num"] * (len(paths) + 3))),
        Section("search", "Search path", image(path_png, "search path",
                                               "Each point's mean over its replications (bars: one standard error) "
                                               "in the order the search tried them; the line is the best so far.")),
        Section("slices", "Slices", image(slices_png, "slices",
                                          "The metric against each parameter over all searched points; the red "
                                          "line marks the chosen value.")),
    ]
    return write_atomic(folder / "report.html", page(f"{manifest['scenario']}: search for the best "
                                                     f"{metric}", lead, sections))


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _search_path(trials: pd.DataFrame, metric: str, larger: bool) -> bytes:
    search = trials[trials["stage"] == "search"].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.errorbar(np.arange(1, len(search) + 1), search["mean"], yerr=search["se"], fmt="o", ms=4, color="tab:blue",
                label="point (mean ± s.e.)")
    best = search["mean"].cummax() if larger else search["mean"].cummin()
    ax.step(np.arange(1, len(search) + 1), best, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    return _png(fig)


def _slices(trials: pd.DataFrame, paths: list[str], metric: str, best: dict) -> bytes:
    search = trials[trials["stage"] == "search"]
    fig, axes = plt.subplots(1, len(paths), figsize=(5 * len(paths), 3.6), squeeze=False)
    for ax, path in zip(axes[0], paths):
        ax.errorbar(search[path], search["mean"], yerr=search["se"], fmt="o", ms=4, color="tab:blue")
        ax.axvline(best[path], color="tab:red", lw=1)
        ax.set_xlabel(path.split(".")[-1] + f"\n({path})", fontsize=8)
        ax.set_ylabel(metric)
    return _png(fig)
