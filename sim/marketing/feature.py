"""Marketing as a replication feature: the policy's waves, programmes, coupons, referral offer
and paid traffic, and what they cost and brought."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.marketing.evaluation import channel_table, coupon_table, marketing_metrics, repurchase_table
from sim.marketing.paid import PaidTraffic
from sim.marketing.referral import referral_metrics
from sim.marketing.runtime import PolicyRuntime
from sim.model.plugins import EngineView, Measured, Plugin, Setting, register

ADS_COLUMNS = ("channel", "spend", "visitors", "first_orders", "cost_per_first_order", "gmv")

if TYPE_CHECKING:
    import pandas as pd


class Marketing:
    name = "marketing"
    tables = ("channels", "coupons", "repurchase", "ads")

    def plugins(self, setting: Setting) -> list[Plugin]:
        policy = setting.scenario.policies[setting.policy]
        made: list[Plugin] = []
        if not policy.is_empty():
            made.append(PolicyRuntime(setting.scenario, setting.policy, policy, setting.customers.sensitivity,
                                      setting.holdout_draw, setting.members))
        ads = setting.scenario.ad_channels(setting.policy)
        if ads:
            made.append(PaidTraffic(setting.scenario, ads, setting.calendar))
        return made

    def measure(self, setting: Setting, engine: EngineView, orders, plugins: list[Plugin]) -> Measured:
        import pandas as pd
        rt = next((p for p in plugins if isinstance(p, PolicyRuntime)), None)
        paid = next((p for p in plugins if isinstance(p, PaidTraffic)), None)
        metrics = marketing_metrics(rt, orders, len(engine.pop), engine.pulled_forward)
        by_customer = np.bincount(orders.customer, weights=orders.paid, minlength=len(engine.pop))
        ads = paid.metrics(by_customer) if paid else {"paid_visitors": 0.0, "paid_first_orders": 0.0,
                                                      "ad_spend": 0.0, "paid_gmv": 0.0}
        referral = referral_metrics(rt.referral if rt else None, rt.referred if rt else np.zeros(0, np.int64),
                                    by_customer)
        inviter_cost = rt.referral.inviter_cost if rt and rt.referral else 0.0
        metrics.update(ads)
        metrics.update(referral)
        metrics["marketing_spend"] += ads["ad_spend"] + referral["referral_cost"]
        tables = {"channels": channel_table(rt), "coupons": coupon_table(rt),
                  "repurchase": repurchase_table(rt, orders, setting.calendar.end, engine.pop.segment),
                  "ads": pd.DataFrame(paid.table(by_customer) if paid else [], columns=list(ADS_COLUMNS))}
        return Measured(metrics, tables, cost=metrics["message_cost"] + ads["ad_spend"] + inviter_cost)


register(Marketing())
