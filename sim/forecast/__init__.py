"""Pre-event forecasting: event-day GMV against a target, its decomposition, KPI plan,
sensitivity and backtest (`sim.forecast.api.forecast`), and the pre-sale (`presale`).

Kept free of imports so the scenario model can use `sim.forecast.presale` without cycles.
"""
