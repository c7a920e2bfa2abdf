"""What a policy's marketing cost and brought: spend, coupons, and lift over the holdout."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.marketing.runtime import PolicyRuntime

if TYPE_CHECKING:
    import pandas as pd
    from sim.model.orders import OrderTable

HORIZONS_DAYS = (2, 10, 30)

MARKETING_METRICS = (
    "messages", "message_cost", "opt_outs", "responses", "add_to_cart", "coupons_issued", "coupons_redeemed",
    "redemption_rate", "coupon_cost", "coupon_top_up", "subsidy", "marketing_spend", "pulled_forward_orders",
    "assigned", "held_out", "incremental_orders", "incremental_gmv", "incremental_net_profit", "roms",
)
"""Per replication and policy; money in yuan. `responses` are the stimulated orders (those the
marketing lift added: the counterfactual difference on the same random draws), attributed to
the last send that lifted the customer; `add_to_cart` those of them placed on day 0 after a
pre-heat send. `subsidy` is the coupon cost spent on orders that would have happened anyway;
`pulled_forward_orders` the stimulated orders taken from the customer's later purchases.
Incremental figures compare customers assigned to the policy's actions with their randomly
held-out twins, after first exposure, scaled to the assigned group; they are NaN without a
holdout. roms = incremental GMV / marketing spend."""


def marketing_metrics(rt: PolicyRuntime | None, orders: OrderTable, n: int, pulled_forward: int = 0) -> dict[str, float]:
    """The MARKETING_METRICS of one policy in one replication."""
    if rt is None:
        return {m: (np.nan if m in ("redemption_rate", "incremental_orders", "incremental_gmv",
                                    "incremental_net_profit", "roms") else 0.0) for m in MARKETING_METRICS}
    attribute_responses(rt, orders)
    ch = rt.mailbox.stats.values()
    cp = rt.coupons.stats.values()
    message_cost = float(sum(s.cost for s in ch))
    issued, redeemed = sum(s.issued for s in cp), sum(s.redeemed for s in cp)
    coupon_cost = float(sum(s.cost for s in cp))
    spend = message_cost + coupon_cost
    lift = _holdout_lift(rt, orders, n)
    return {
        "messages": float(sum(s.messages for s in ch)),
        "message_cost": message_cost,
        "opt_outs": float(sum(s.opt_outs for s in ch)),
        "responses": float(sum(s.responses for s in ch)),
        "add_to_cart": float(rt.cart_orders),
        "coupons_issued": float(issued),
        "coupons_redeemed": float(redeemed),
        "redemption_rate": redeemed / issued if issued else np.nan,
        "coupon_cost": coupon_cost,
        "coupon_top_up": float(sum(s.top_up for s in cp)),
        "subsidy": float(orders.coupon[~orders.stimulated & ~orders.first].sum()),
        "marketing_spend": spend,
        "pulled_forward_orders": float(pulled_forward),
        **lift,
        "roms": lift["incremental_gmv"] / spend if spend > 0 else np.nan,
    }


def attribute_responses(rt: PolicyRuntime, orders: OrderTable) -> None:
    """Give each stimulated order to the last send that lifted its customer before it (per
    channel in `mailbox.stats`, and the day-0 orders after pre-heat sends in `cart_orders`)."""
    rt.cart_orders = 0
    for stats in rt.mailbox.stats.values():
        stats.responses = 0
    touches = [t for t in rt.touches if len(t.customers)]
    stim = orders.stimulated
    if not touches or not stim.any():
        return
    oc, ot = orders.customer[stim], orders.time[stim]
    stimulated = np.zeros(int(max(oc.max(), max(int(t.customers.max()) for t in touches))) + 1, dtype=bool)
    stimulated[oc] = True
    mine = [t.customers[stimulated[t.customers]] for t in touches]  # only customers with a stimulated order
    cust = np.concatenate(mine)
    start = np.concatenate([np.full(len(c), t.effect_start) for c, t in zip(mine, touches)])
    which = np.concatenate([np.full(len(c), i) for i, c in enumerate(mine)])
    lo = min(float(start.min()), float(orders.time.min()))
    span = max(float(start.max()), float(orders.time.max())) - lo + 1.0
    key = cust * span + (start - lo)
    by = np.argsort(key, kind="stable")
    key, cust, which = key[by], cust[by], which[by]
    pos = np.searchsorted(key, oc * span + (ot - lo), side="right") - 1
    ok = (pos >= 0) & (cust[np.maximum(pos, 0)] == oc)
    counts = np.bincount(which[pos[ok]], minlength=len(touches))
    for t, k in zip(touches, counts):
        rt.mailbox.stats[t.channel].responses += int(k)
        if t.cart:
            rt.cart_orders += int(k)


def _holdout_lift(rt: PolicyRuntime, orders: OrderTable, n: int) -> dict[str, float]:
    """Assigned minus held-out mean per customer after first exposure, times the assigned count."""
    exposed = np.isfinite(rt.first_exposed)
    assigned = exposed & ~rt.held_out
    held = exposed & rt.held_out
    after = orders.time >= rt.first_exposed[orders.customer]
    cust = orders.customer[after]
    per = {
        "orders": np.bincount(cust, minlength=n).astype(float),
        "gmv": np.bincount(cust, weights=orders.paid[after], minlength=n),
        "net_profit": np.bincount(cust, weights=orders.profit[after], minlength=n) - _message_cost(rt, n),
    }
    out = {"assigned": float(assigned.sum()), "held_out": float(held.sum())}
    for name, x in per.items():
        diff = x[assigned].mean() - x[held].mean() if assigned.any() and held.any() else np.nan
        out[f"incremental_{name}"] = float(diff * assigned.sum())
    return out


def _message_cost(rt: PolicyRuntime, n: int) -> np.ndarray:
    """Message cost per customer is not tracked individually; spread it over the assigned."""
    cost = np.zeros(n)
    assigned = np.isfinite(rt.first_exposed) & ~rt.held_out
    if assigned.any():
        cost[assigned] = sum(s.cost for s in rt.mailbox.stats.values()) / assigned.sum()
    return cost


def channel_table(rt: PolicyRuntime | None) -> pd.DataFrame:
    """Messages, cost, opt-outs, responses and churn per channel."""
    import pandas as pd
    rows = [] if rt is None else [
        {"channel": name, "messages": s.messages, "cost": s.cost, "opt_outs": s.opt_outs,
         "responses": s.responses, "churned": s.churned}
        for name, s in rt.mailbox.stats.items()
    ]
    return pd.DataFrame(rows, columns=["channel", "messages", "cost", "opt_outs", "responses", "churned"])


def coupon_table(rt: PolicyRuntime | None) -> pd.DataFrame:
    """Per coupon (named by the action issuing it) and tier (its threshold; one for a flat coupon):
    redeemed, redemption rate and cost of that tier, and the coupon's issued count on every row."""
    import pandas as pd
    rows = [] if rt is None else [
        {"coupon": name, "tier": tier, "issued": s.issued, "redeemed": used,
         "redemption_rate": used / s.issued if s.issued else np.nan, "cost": cost}
        for name, s in rt.coupons.stats.items() for tier, (used, cost) in s.tiers.items()
    ]
    return pd.DataFrame(rows, columns=["coupon", "tier", "issued", "redeemed", "redemption_rate", "cost"])


def repurchase_table(rt: PolicyRuntime | None, orders: OrderTable, end: float,
                     segment: np.ndarray | None = None) -> pd.DataFrame:
    """Stimulated response against natural repurchase, by action, channel and segment.

    For each action and horizon (2, 10, 30 days), the share of customers assigned to it who
    ordered within the horizon after the send, beside the same share among their held-out
    twins. Sends of the same action are pooled; a send whose horizon runs past the calendar
    end is left out of that horizon (it would be censored). With `segment` (per customer),
    one row per RFM group as well as the row for all (segment "all").
    """
    import pandas as pd
    from sim.vocabulary import SEGMENTS

    cols = ["action", "channel", "segment", "horizon_days", "assigned_n", "assigned_rate",
            "held_out_n", "held_out_rate"]
    if rt is None or not rt.exposures:
        return pd.DataFrame(columns=cols)
    within = _OrderIndex(orders)
    groups = len(SEGMENTS) + 1
    totals: dict[tuple[str, str, int], np.ndarray] = {}
    for e in rt.exposures:
        horizons = [h for h in HORIZONS_DAYS if e.t + 24.0 * h <= end]
        for row, who in ((0, e.assigned), (2, e.held_out)):
            if not horizons:
                break
            seg = segment[who] if segment is not None else np.zeros(len(who), dtype=int)
            counts = np.bincount(seg, minlength=groups - 1).tolist() + [len(who)]
            following = within.next_after(who, e.t)
            for h in horizons:
                acc = totals.setdefault((e.action, e.channel, h), np.zeros((4, groups)))
                ordered = following <= e.t + 24.0 * h
                acc[row] += counts
                acc[row + 1] += np.bincount(seg[ordered], minlength=groups - 1).tolist() + [ordered.sum()]
    names = [*SEGMENTS, "all"]
    rows = []
    for (action, channel, h), v in totals.items():
        for g in range(groups) if segment is not None else [groups - 1]:
            rows.append({"action": action, "channel": channel, "segment": names[g], "horizon_days": h,
                         "assigned_n": v[0, g], "assigned_rate": v[1, g] / v[0, g] if v[0, g] else np.nan,
                         "held_out_n": v[2, g], "held_out_rate": v[3, g] / v[2, g] if v[2, g] else np.nan})
    return pd.DataFrame(rows, columns=cols)


class _OrderIndex:
    """Orders sorted by (customer, time) under one numeric key, to find next orders fast."""

    def __init__(self, orders: OrderTable):
        by = np.lexsort((orders.time, orders.customer))
        self.cust, self.time = orders.customer[by], orders.time[by]
        self.t0 = float(self.time.min()) if len(self.time) else 0.0
        self.span = float(self.time.max()) - self.t0 + 1.0 if len(self.time) else 1.0
        self.key = self.cust * self.span + (self.time - self.t0)

    def next_after(self, who: np.ndarray, t: float) -> np.ndarray:
        """Hour of each customer's first order after hour t (inf if none)."""
        out = np.full(len(who), np.inf)
        if who.size == 0 or self.key.size == 0:
            return out
        idx = np.searchsorted(self.key, who * self.span + max(t - self.t0, -0.5), side="right")
        ok = idx < len(self.key)
        idx = np.minimum(idx, len(self.key) - 1)
        ok &= self.cust[idx] == who
        out[ok] = self.time[idx[ok]]
        return out
