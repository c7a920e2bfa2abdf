"""The pre-sale and the event day's hours as a replication feature."""

from __future__ import annotations

from sim.forecast.deposits import PresalePlugin
from sim.forecast.event_day import event_hours, presale_metrics
from sim.model.plugins import EngineView, Measured, Plugin, Setting, register


class Forecast:
    name = "forecast"
    tables = ("hourly",)

    def plugins(self, setting: Setting) -> list[Plugin]:
        presale = setting.scenario.presale
        return [PresalePlugin(presale, setting.calendar)] if presale.enabled else []

    def measure(self, setting: Setting, engine: EngineView, orders, plugins: list[Plugin]) -> Measured:
        presale = next((p for p in plugins if isinstance(p, PresalePlugin)), None)
        return Measured(presale_metrics(presale, orders),
                        {"hourly": event_hours(setting.calendar, orders, setting.visitors, engine)})


register(Forecast())
