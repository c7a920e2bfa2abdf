"""The model's shared vocabulary: customer segments, product roles and metrics.

Every layer names segments and roles with these tuples; their order is the order of the
integer codes the population arrays hold. `METRICS` says of each metric a replication
records what unit it is in and whether more is better, for comparisons and tables.
"""

from __future__ import annotations

from dataclasses import dataclass

SEGMENTS: tuple[str, ...] = (
    "important_value",        # recent, frequent, high spend
    "important_development",  # recent, high spend, not frequent
    "important_retention",    # frequent and high spend, not recent: about to be lost
    "important_maintenance",  # high spend, neither recent nor frequent
    "general",
)

ROLES: tuple[str, ...] = ("traffic", "profit", "marginal", "potential")


@dataclass(frozen=True)
class Metric:
    """What a metric of a replication measures: its unit, kind and which way is better.

    kind: "money" (unit yuan), "count", "share" (0-1), "ratio" (a quotient such as ROMS or
    AOV) or "time" (unit seconds, hours or days).
    """

    name: str
    unit: str
    kind: str
    higher_is_better: bool = True
    description: str = ""


def _m(name: str, unit: str, kind: str, better: str = "higher", description: str = "") -> Metric:
    return Metric(name, unit, kind, better == "higher", description)


_Y, _C = "yuan", "money"
_LIST: list[Metric] = [
    # the engine's headline (sim.model.measures)
    _m("visitors", "visitors", "count", description="new visitors over the calendar"),
    _m("orders", "orders", "count"),
    _m("buyers", "customers", "count", description="customers with an order in the calendar"),
    _m("new_buyers", "customers", "count", description="first-time buyers acquired in the calendar"),
    _m("returning_buyers", "customers", "count", description="existing customers who bought again"),
    _m("gmv", _Y, _C, description="what customers paid"),
    _m("discount_cost", _Y, _C, "lower", "event discount given"),
    _m("gross_profit", _Y, _C, description="after event and coupon discounts"),
    _m("net_profit", _Y, _C, description="gross profit less message and other feature costs"),
    _m("aov", _Y, "ratio", description="GMV per order"),
    _m("repurchase_rate", "share", "share", description="share of existing customers who bought again"),
    _m("churned", "customers", "count", "lower"),
    _m("alive_start", "customers", "count", description="base customers still active at the start"),
    _m("alive_end", "customers", "count", description="customers still active at the end"),
    _m("customers_end", "customers", "count"),
    _m("bundle_orders", "orders", "count", description="orders that took at least one bundle layer"),
    _m("bundle_value", _Y, _C, description="list value the bundle layers added"),
    # marketing (sim.marketing.evaluation)
    _m("messages", "messages", "count", "lower"),
    _m("message_cost", _Y, _C, "lower"),
    _m("opt_outs", "customers", "count", "lower"),
    _m("responses", "orders", "count", description="stimulated orders: added by the marketing lift"),
    _m("add_to_cart", "orders", "count", description="stimulated day-0 orders after pre-heat sends"),
    _m("coupons_issued", "coupons", "count"),
    _m("coupons_redeemed", "coupons", "count"),
    _m("redemption_rate", "share", "share"),
    _m("coupon_cost", _Y, _C, "lower"),
    _m("coupon_top_up", _Y, _C, description="list value customers added to reach a coupon's threshold or tier"),
    _m("subsidy", _Y, _C, "lower", "coupon cost on orders that would have happened anyway"),
    _m("pulled_forward_orders", "orders", "count", "lower",
       "stimulated orders taken from the customer's later purchases"),
    _m("marketing_spend", _Y, _C, "lower", "messages, redeemed coupons, ads and referral rewards"),
    _m("marketing_cost", _Y, _C, "lower"),
    _m("assigned", "customers", "count"),
    _m("held_out", "customers", "count"),
    _m("incremental_orders", "orders", "count", description="over the holdout, scaled to the assigned"),
    _m("incremental_gmv", _Y, _C, description="over the holdout, scaled to the assigned"),
    _m("incremental_net_profit", _Y, _C, description="over the holdout, scaled to the assigned"),
    _m("roms", "yuan per yuan", "ratio", description="incremental GMV per yuan of marketing spend"),
    _m("incremental_orders_cf", "orders", "count", description="against the same world without the actions"),
    _m("incremental_gmv_cf", _Y, _C, description="against the same world without the actions"),
    _m("incremental_net_profit_cf", _Y, _C, description="against the same world without the actions"),
    # paid traffic (sim.marketing.paid) and referral offers (sim.marketing.referral)
    _m("paid_visitors", "visitors", "count", description="visitors bought through ad channels"),
    _m("paid_first_orders", "orders", "count", description="first orders of paid visitors: new customers"),
    _m("ad_spend", _Y, _C, "lower", "spend on the ad channels"),
    _m("paid_gmv", _Y, _C, description="what the customers paid traffic brought paid in the calendar"),
    _m("referral_shares", "customers", "count", description="customers who shared the referral offer"),
    _m("referral_invitees", "visitors", "count", description="friends who opened a share"),
    _m("referred_buyers", "customers", "count", description="friends who bought: new customers"),
    _m("referral_cost", _Y, _C, "lower", "inviter rewards and invitees' first-order discounts"),
    _m("referred_gmv", _Y, _C, description="what the referred customers paid in the calendar"),
    # the pre-sale (sim.forecast.event_day)
    _m("presale_deposits", "orders", "count"),
    _m("presale_deposit_value", _Y, _C),
    _m("presale_balances_paid", "orders", "count"),
    _m("presale_balances_unpaid", "orders", "count", "lower"),
    _m("presale_deposits_kept", _Y, _C),
    _m("presale_gmv", _Y, _C),
    # event-day operations (sim.operations.play)
    _m("ops_event_gmv", _Y, _C), _m("ops_placed_gmv", _Y, _C), _m("ops_paid_gmv", _Y, _C),
    _m("ops_recovered_gmv", _Y, _C), _m("ops_recovered_orders", "orders", "count"),
    _m("ops_recovered_gmv_incremental", _Y, _C, description="paid after a reminder, not paid without it"),
    _m("ops_recovered_orders_incremental", "orders", "count", description="paid after a reminder, not paid without it"),
    _m("ops_orders_placed", "orders", "count"), _m("ops_paid_orders", "orders", "count"),
    _m("ops_orders_shipped", "orders", "count"), _m("ops_orders_from_service", "orders", "count"),
    _m("ops_unpaid_orders", "orders", "count", "lower"), _m("ops_orders_cancelled", "orders", "count", "lower"),
    _m("ops_orders_waiting", "orders", "count", "lower"), _m("ops_closed_orders", "orders", "count", "lower"),
    _m("ops_reminded_orders", "orders", "count"), _m("ops_reminders_sent", "messages", "count"),
    _m("ops_reminder_cost", _Y, _C, "lower"), _m("ops_agent_cost", _Y, _C, "lower"),
    _m("ops_staff_cost", _Y, _C, "lower"), _m("ops_chats", "chats", "count"),
    _m("ops_service_level", "share", "share", description="chats answered within the target"),
    _m("ops_abandonment_rate", "share", "share", "lower"),
    _m("ops_mean_wait_s", "seconds", "time", "lower"), _m("ops_p95_wait_s", "seconds", "time", "lower"),
    _m("ops_sales_lost_to_waiting", _Y, _C, "lower"), _m("ops_service_sales_share", "share", "share"),
    _m("ops_on_time_share", "share", "share"),
    _m("ops_ship_hours_median", "hours", "time", "lower"), _m("ops_ship_hours_p95", "hours", "time", "lower"),
    _m("ops_days_to_clear", "days", "time", "lower"),
    *[_m(f"ops_lost_gmv_{role}", _Y, _C, "lower") for role in ROLES],
    *[_m(f"ops_lost_orders_{role}", "orders", "count", "lower") for role in ROLES],
]
METRICS: dict[str, Metric] = {m.name: m for m in _LIST}
"""Every metric a replication's record may hold, by name."""


def metric(name: str) -> Metric:
    """The metric of that name; a name outside the vocabulary (a user's own column) counts as a
    higher-is-better number without a unit."""
    return METRICS.get(name) or Metric(name, "", "number")


def register_metric(m: Metric) -> Metric:
    """Add a feature's own metric to the vocabulary (once per name)."""
    METRICS.setdefault(m.name, m)
    return m
