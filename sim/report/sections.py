"""The report's sections, each built only when the run folder has its data.

Every function takes the RunContents (and the policy colours) and returns a Section or None.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.report import charts
from sim.report.decisions import decision_table, format_p, format_value, metric_name
from sim.report.fonts import label
from sim.report.html import Section, image, paragraph, table, text
from sim.report.contents import RunContents
from sim.report.scenario_brief import day_label

HEADLINE = ("orders", "buyers", "gmv", "gross_profit", "net_profit", "repurchase_rate", "marketing_spend",
            "incremental_gmv", "roms", "churned")
ACQUISITION = ("new_buyers", "paid_first_orders", "ad_spend", "referred_buyers", "referral_cost")
"""Headline rows of paid traffic and referrals, shown when some policy buys ads or runs a referral
(new buyers, whom every run has, then show what they added)."""


def headline_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    """Mean and 95 % interval over replications of the headline metrics, per policy: the run's
    summary.csv, else computed (with SciPy's t quantile)."""
    reps = run.replications
    metrics = tuple(m for m in HEADLINE if m in reps and reps[m].notna().any())
    if any(m in reps and (reps[m].fillna(0) != 0).any() for m in ACQUISITION[1:]):
        metrics += tuple(m for m in ACQUISITION if m in reps)
    if not metrics:
        return None
    summary = run.csvs.get("summary")
    if summary is None or not {"policy", "metric", "mean", "ci_low", "ci_high"} <= set(summary.columns) or \
            ("point" in reps) != ("point" in summary):
        from sim.store.results import summarize

        summary = summarize(reps, metrics=metrics)
    summary = summary.astype({"policy": str}).set_index(["policy", "metric"])
    rows = []
    for m in metrics:
        cells = [metric_name(m)]
        for p in run.policies:
            r = summary.loc[(p, m)] if (p, m) in summary.index else None
            if r is None or not np.isfinite(r["mean"]):
                cells.append("–")
                continue
            interval = (f" [{format_value(r['ci_low'], m)} .. {format_value(r['ci_high'], m)}]"
                        if np.isfinite(r["ci_low"]) else "")
            cells.append(format_value(r["mean"], m) + interval)
        rows.append(cells)
    body = (paragraph("Mean per replication with its 95 % t-interval in brackets; money in yuan (¥). "
                      "ROMS is incremental GMV over the holdout per yuan of marketing spend.", "note")
            + table(["metric", *run.policies], rows, ["", *["num"] * len(run.policies)]))
    return Section("headline", "Headline metrics 核心指标", body)


def decision_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    """Each policy against the control: difference, lift, interval, adjusted p and the verdict."""
    t = decision_table(run)
    if t.empty:
        return None
    rows, attrs = [], []
    for r in t.itertuples():
        m = r.metric
        rows.append([r.arm, metric_name(m), format_value(r.estimate_control, m), format_value(r.estimate_arm, m),
                     format_value(r.difference, m, signed=True),
                     "–" if not np.isfinite(r.lift) else f"{r.lift:+.1%}",
                     f"{format_value(r.ci_low, m, True)} .. {format_value(r.ci_high, m, True)}",
                     format_p(r.p_adjusted), r.verdict])
        attrs.append({"class": str(r.decision).split()[0] if r.decision in ("better", "worse") else "",
                      "data-policy": r.arm, "data-metric": m})
    source = ("read from the folder's comparison.csv (as `sim compare` writes it)" if "comparison" in run.csvs
              else "paired t over replications (common random numbers), p adjusted by Holm over the table")
    control = t["control"].iloc[0]
    body = (paragraph(f"Each policy against the control <b>{text(control)}</b>: difference = policy − control "
                      f"per replication; {text(source)}. Costs and spending count as better when they fall.",
                      "note")
            + table(["policy", "metric", "control", "policy value", "difference", "lift", "95 % interval",
                     "adjusted p", "verdict"], rows,
                    ["", "", "num", "num", "num", "num", "num", "num", "verdict"], attrs, table_id="decisions"))
    return Section("decisions", "Decision table 决策表", body)


def distributions_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    reps = run.replications
    metrics = [(c, en, zh) for c, en, zh in (("gmv", "GMV", "成交额"), ("net_profit", "net profit", "净利润"))
               if c in reps and reps[c].notna().any()]
    if not metrics and "gross_profit" in reps:
        metrics = [("gross_profit", "gross profit", "毛利")]
    if not metrics:
        return None
    png = charts.distributions(reps, metrics, run.policies, colors)
    caption = ("Each dot is one replication; boxes span the middle half, whiskers 1.5 times that. "
               "Policies of one replication face the same customers, so their differences are tighter than the "
               "spread suggests; the decision table uses those paired differences.")
    return Section("distributions", "GMV and profit 成交额与利润",
                   image(png, "GMV and profit per replication by policy", text(caption)))


def _waves(run: RunContents) -> list[tuple[float, str, str]]:
    out = []
    for p in run.policies:
        for w in run.policy_spec(p).get("waves") or []:
            day, hour = int(w.get("day", 0)), int(w.get("hour", 10))
            out.append((float(day), f"{w.get('name') or 'wave'} ({day_label(day)} {hour:02d}:00)", p))
    return out


def daily_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    daily = run.table("daily")
    if daily is None or not {"day", "policy", "orders", "gmv"} <= set(daily.columns):
        return None
    daily = daily.assign(policy=daily["policy"].astype(str))
    png = charts.daily_series(daily, run.policies, colors, _waves(run))
    caption = ("Lines are the mean over replications, bands the 10th to 90th percentile; the solid line is day 0 "
               "(11.11), dotted lines the waves' send days in the colour of their policy.")
    return Section("daily", "Daily orders and GMV 每日订单与成交额",
                   image(png, "Daily orders and GMV by policy", text(caption)))


def event_hours_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    """Orders and GMV hour by hour on the event day (hourly.parquet)."""
    hourly = run.table("hourly")
    if hourly is None or not {"hour", "policy", "orders"} <= set(hourly.columns):
        return None
    hourly = hourly.assign(policy=hourly["policy"].astype(str))
    panels = [(label("Orders per hour", "每小时订单"), "orders", [("orders", "orders", "-")])]
    if "gmv" in hourly:
        panels.append((label("GMV per hour (¥, yuan)", "每小时成交额"), "¥ per hour", [("gmv", "GMV", "-")]))
    png = charts.hourly_lines(hourly, panels, [p for p in run.policies if p in set(hourly["policy"])], colors,
                              label("hour of 11.11 (0 = midnight)", "双十一小时"),
                              label("The event day hour by hour", "双十一分时走势"))
    return Section("event-hours", "Event day by hour 双十一分时",
                   image(png, "Event day orders and GMV by hour",
                         text("Mean over replications per hour of day 0, band 10th to 90th percentile: the midnight "
                              "rush decides how much service and warehouse capacity the day needs.")))


MARKETING_STAGES = (
    ("messages", "reached (messages)"),
    ("add_to_cart", "added to cart"),
    ("responses", "responded"),
    ("coupons_redeemed", "redeemed a coupon"),
)
SHOP_STAGES = (
    ("buyers", "ordered (buyers)"),
    ("paid_buyers", "paid (buyers)"),
    ("returning_buyers", "repurchased (returning buyers)"),
)


def funnel_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    reps = run.replications
    marketing = [p for p in run.policies if "messages" in reps and reps.loc[reps["policy"] == p, "messages"].sum() > 0]
    if not marketing:
        return None
    mean = reps.groupby("policy").mean(numeric_only=True)
    rows = []
    for panel, stages, policies in ((label("Marketing sends", "营销触达"), MARKETING_STAGES, marketing),
                                    (label("Customers of the shop", "店铺客户"), SHOP_STAGES, run.policies)):
        rows += [{"panel": panel, "policy": p, "stage": name, "value": float(mean.loc[p, c])}
                 for c, name in stages if c in mean for p in policies]
    body = image(charts.funnel(pd.DataFrame(rows), colors), "Funnel by policy",
                 text("Left: the policy's sends; shares are of the messages reached. A response is a stimulated "
                      "order: one the marketing lift added to the customer's own buying, the difference from the "
                      "same customer without the message (a pre-heat cart lifts day 0); redeemed coupons include "
                      "those used on orders that would have happened anyway (the subsidy). Right: all customers who bought in the simulated period and those of the "
                      "existing base who bought again, natural buying included, against the control."))
    channels = run.table("channels")
    if channels is not None and {"policy", "channel", "messages"} <= set(channels.columns):
        cols = [c for c in ("messages", "cost", "responses", "opt_outs", "churned") if c in channels]
        per = channels.assign(policy=channels["policy"].astype(str)).groupby(["policy", "channel"], sort=False)[cols].mean()
        rows = [[p, ch, *[format_value(v, "cost" if c == "cost" else c) for c, v in zip(cols, values)]]
                for (p, ch), values in zip(per.index, per.to_numpy())]
        body += "<h3>By channel (mean per replication)</h3>" + table(
            ["policy", "channel", *[c.replace("_", " ") + (" (¥)" if c == "cost" else "") for c in cols]], rows,
            ["", "", *["num"] * len(cols)])
    return Section("funnel", "Funnel 营销漏斗", body)


def repurchase_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    rep = run.table("repurchase")
    if rep is None or not {"action", "horizon_days", "assigned_rate", "held_out_rate", "policy"} <= set(rep.columns):
        return None
    rep = rep.assign(policy=rep["policy"].astype(str))
    caption = ("Share of customers who ordered within 2, 10 and 30 days after each action: the targeted (filled) "
               "against the randomly held-out customers (hollow) of the same send. Both include natural buying: "
               "the gap is the action's effect (stimulated orders, less purchases pulled forward from later, "
               "which show at the longer horizons); sends too late for a horizon are left out of it.")
    return Section("repurchase", "Repurchase: targeted vs holdout 复购对比",
                   image(charts.repurchase_curves(rep, colors), "Repurchase curves", text(caption)))


def per_coupon(table):
    """The coupons table with a tiered coupon's tiers added up (issued is the coupon's on each row)."""
    if "tier" not in table:
        return table
    keys = [c for c in table.columns if c not in ("tier", "issued", "redeemed", "redemption_rate", "cost")]
    return table.groupby(keys, sort=False, as_index=False).agg(issued=("issued", "first"),
                                                               redeemed=("redeemed", "sum"), cost=("cost", "sum"))


def coupons_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    c = run.table("coupons")
    if c is None or not {"policy", "coupon", "issued", "redeemed", "cost"} <= set(c.columns):
        return None
    c = per_coupon(c.assign(policy=c["policy"].astype(str)))
    mean = c.groupby(["policy", "coupon"], sort=False)[["issued", "redeemed", "cost"]].mean()
    rows = [[p, name, f"{r.issued:,.0f}", f"{r.redeemed:,.0f}",
             f"{r.redeemed / r.issued:.2%}" if r.issued else "–", format_value(r.cost, "coupon_cost"),
             format_value(r.cost / r.redeemed, "coupon_cost") if r.redeemed else "–"]
            for (p, name), r in zip(mean.index, mean.itertuples())]
    body = (image(charts.coupons(c, colors), "Coupon redemption and cost",
                  text("Mean per replication. Cost is the discount given on redeemed coupons."))
            + table(["policy", "coupon", "issued", "redeemed", "redemption rate", "cost", "cost per redemption"],
                    rows, ["", "", "num", "num", "num", "num", "num"]))
    return Section("coupons", "Coupons 优惠券", body)


def ads_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    """Each ad channel a policy pays for: spend, paid visitors, their first orders and GMV, mean per
    replication, with the cost of a new customer and the return on the spend."""
    ads = run.table("ads")
    if ads is None or not {"policy", "channel", "spend", "visitors", "first_orders", "gmv"} <= set(ads.columns):
        return None
    mean = ads.assign(policy=ads["policy"].astype(str)).groupby(["policy", "channel"], sort=False)[
        ["spend", "visitors", "first_orders", "gmv"]].mean()
    mean = mean[(mean["spend"] > 0) | (mean["visitors"] > 0)]
    if mean.empty:
        return None
    rows = [[p, channel, format_value(r.spend, "ad_spend"), f"{r.visitors:,.0f}", f"{r.first_orders:,.0f}",
             format_value(r.spend / r.first_orders, "ad_spend") if r.first_orders else "–",
             format_value(r.gmv, "gmv"), f"{r.gmv / r.spend:.2f}" if r.spend else "–"]
            for (p, channel), r in zip(mean.index, mean.itertuples())]
    body = (paragraph("Mean per replication over the calendar (ads.parquet). First orders are paid visitors' "
                      "first purchases, each a new customer; GMV is what those new customers paid in the "
                      "calendar; ROAS is that GMV per yuan of spend.", "note")
            + table(["policy", "channel", "spend", "paid visitors", "first orders", "cost per new customer",
                     "GMV", "ROAS"], rows, ["", "", "num", "num", "num", "num", "num", "num"]))
    return Section("ads", "Paid traffic 付费流量", body)


def sweep_section(run: RunContents, colors: dict[str, str]) -> Section | None:
    """sweep.csv as a chart against the first swept path (panels for the others) and the grid points."""
    grid = run.csvs.get("sweep")
    if grid is None or not {"policy", "mean", "ci_low", "ci_high"} <= set(grid.columns):
        return None
    swept = [c for c in run.swept if c in grid] or [c for c in grid.columns if "." in c]
    if not swept:
        return None
    grid = grid.assign(policy=grid["policy"].astype(str))
    # The path with most values goes on the x axis; the others make the panels.
    x = max(swept, key=lambda c: grid[c].nunique())
    facets = [c for c in swept if c != x][:2]
    body = image(charts.sweep_grid(grid, x, facets, colors, label("net profit (¥, yuan)", "净利润")),
                 "Sweep grid", text("sweep.csv: net profit per grid point and policy, mean over replications with "
                                    "its 95 % interval; every point faces the same simulated customers."))
    points = run.points()
    if points:
        body += paragraph(text("Grid points: " + "; ".join(f"{p}: {v}" for p, v in points)), "note")
    return Section("sweep", "Sweep 参数扫描", body)
