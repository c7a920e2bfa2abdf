"""Other artefacts a run folder may hold: PNG charts and CSV tables from calibration, forecasts,
operations and sweeps, grouped by topic from their file names, plus the operations chart.

Unknown files are shown as they are (image with its file name, or the table's first rows), so
the report picks up a new artefact without a change here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sim.report import charts
from sim.report.fonts import label
from sim.report.html import Section, image, paragraph, table, text
from sim.report.contents import RunContents

TOPICS = (
    ("calibration", "Calibration tracking 模型校准", r"calib|track|holdout|p_alive|segment|bgnbd|(^|_)fit"),
    ("forecast", "Targets and forecast 目标与预测", r"kpi|forecast|fan|target|plan"),
    ("operations", "Service and warehouse load 客服与仓储", r"operation|capacity|load|service|warehouse|staff|stock|chat"),
    ("sweep", "Sweep 参数扫描", r"sweep|grid"),
    ("other", "Other files 其他", r"."),
)
"""(anchor, title, file-name pattern), first match wins."""

SHOWN_ELSEWHERE = {"summary", "comparison", "sweep"}
MAX_ROWS = 40


def topic_of(name: str) -> str:
    for anchor, _, pattern in TOPICS:
        if re.search(pattern, name, re.IGNORECASE):
            return anchor
    return "other"


def artefact_sections(run: RunContents, colors: dict[str, str]) -> list[Section]:
    """One section per topic that has a chart or a table."""
    parts: dict[str, list[str]] = {anchor: [] for anchor, _, _ in TOPICS}
    ops = operations_chart(run, colors)
    if ops:
        parts["operations"].append(ops)
    for path in run.images:
        parts[topic_of(path.stem)].append(image(path.read_bytes(), path.name, text(path.name)))
    for name, frame in run.csvs.items():
        if name not in SHOWN_ELSEWHERE and len(frame.columns):
            parts[topic_of(name)].append(csv_table(f"{name}.csv", frame))
    return [Section(anchor, title, "".join(parts[anchor])) for anchor, title, _ in TOPICS if parts[anchor]]


def csv_table(filename: str, frame: pd.DataFrame) -> str:
    """A CSV's first rows, numbers rounded for reading."""
    shown = frame.head(MAX_ROWS)
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    rows = [[_cell(v) for v in row] for row in shown.itertuples(index=False)]
    more = f" (first {MAX_ROWS} of {len(frame):,} rows)" if len(frame) > MAX_ROWS else ""
    return (f"<h3>{text(filename)}{text(more)}</h3>"
            + table([str(c) for c in shown.columns], rows, ["num" if n else "" for n in numeric]))


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "–"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"
    return str(value)


def operations_chart(run: RunContents, colors: dict[str, str]) -> str:
    """Chat load against chat places, and paid orders against packing capacity, by hour."""
    hourly = run.table("operations_hourly")
    if hourly is None or not {"hour", "policy"} <= set(hourly.columns):
        return ""
    hourly = hourly.assign(policy=hourly["policy"].astype(str))
    service = ((run.scenario.get("operations") or {}).get("service") or {})
    panels = []
    if {"chat_load", "agents"} <= set(hourly.columns):
        hourly["chat_places"] = hourly["agents"] * float(service.get("chats_per_agent", 3))
        panels.append((label("Customer service: chats in progress offered vs chat places", "客服负载与产能"),
                       "concurrent chats", [("chat_load", "offered load (erlangs)", "-"),
                                            ("chat_places", "agents x chats per agent", "--")]))
    if {"paid", "capacity"} <= set(hourly.columns):
        lines = [("paid", "paid orders", "-"), ("capacity", "packing capacity", "--")]
        lines += [("backlog", "backlog at hour end", ":")] if "backlog" in hourly else []
        panels.append((label("Warehouse: paid orders vs packing capacity", "仓储：付款订单与打包产能"),
                       "orders per hour; backlog: orders", lines))
    if not panels:
        return ""
    policies = [p for p in run.policies if p in set(hourly["policy"])]
    png = charts.hourly_lines(hourly, panels, policies, colors,
                              label("hours from the start of 11.11", "双十一开始后小时数"),
                              label("Service and warehouse load vs capacity", "客服与仓储负载"))
    return image(png, "Load vs capacity by hour",
                 text("operations_hourly.parquet: mean over replications per hour; the band around the load is "
                      "its 10th to 90th percentile; dashed lines are the capacity."))


def note_missing(run: RunContents) -> str:
    """A line listing run-folder files the report does not show, so nothing is silently skipped."""
    shown = {"scenario.yaml", "manifest.json", "report.html"} | {f"{n}.parquet" for n in
                                                                  ("replications", "daily", "hourly", "channels",
                                                                   "coupons", "repurchase", "operations_hourly",
                                                                   "ads")}
    shown |= {f"{n}.csv" for n in run.csvs} | {p.name for p in run.images}
    rest = sorted(p.name for p in Path(run.path).iterdir()
                  if p.is_file() and p.name not in shown and not p.name.startswith("."))
    return paragraph(f"Also in the folder: {text(', '.join(rest))}.", "note") if rest else ""
