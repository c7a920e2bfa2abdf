"""Marketing as a replication feature: the policy's waves, programmes and coupons, and what they cost and brought."""

from __future__ import annotations

from sim.config.loader import register_check
from sim.marketing import learned
from sim.marketing.evaluation import channel_table, coupon_table, marketing_metrics, repurchase_table
from sim.marketing.response import response_problems
from sim.marketing.runtime import PolicyRuntime
from sim.model.plugins import EngineView, Measured, Plugin, Setting, register


class Marketing:
    name = "marketing"
    tables = ("channels", "coupons", "repurchase")

    def plugins(self, setting: Setting) -> list[Plugin]:
        policy = setting.scenario.policies[setting.policy]
        if policy.is_empty():
            return []
        return [PolicyRuntime(setting.scenario, setting.policy, policy, setting.customers.sensitivity,
                              setting.holdout_draw, setting.members)]

    def measure(self, setting: Setting, engine: EngineView, orders, plugins: list[Plugin]) -> Measured:
        rt = next((p for p in plugins if isinstance(p, PolicyRuntime)), None)
        metrics = marketing_metrics(rt, orders, len(engine.pop), engine.pulled_forward)
        tables = {"channels": channel_table(rt), "coupons": coupon_table(rt),
                  "repurchase": repurchase_table(rt, orders, setting.calendar.end, engine.pop.segment)}
        return Measured(metrics, tables, cost=metrics["message_cost"])


register(Marketing())
register_check(response_problems)
register_check(learned.problems)
