"""Event-day operations as a replication feature: each policy's day-0 orders through the queues."""

from __future__ import annotations

from sim.model.plugins import EngineView, Measured, Plugin, Setting, register
from sim.operations.play import operate


class OperationsFeature:
    name = "operations"
    tables = ("operations_hourly",)

    def plugins(self, setting: Setting) -> list[Plugin]:
        return []

    def measure(self, setting: Setting, engine: EngineView, orders, plugins: list[Plugin]) -> Measured:
        scenario = setting.scenario
        if not scenario.operations.enabled:
            return Measured()
        metrics, hourly = operate(scenario.operations, scenario.policies[setting.policy], orders,
                                  setting.seed, setting.replication)
        return Measured(metrics, {"operations_hourly": hourly})


register(OperationsFeature())
