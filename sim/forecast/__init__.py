"""Pre-event forecasting pieces: the pre-sale's deposits in the engine, event-day metrics, the
GMV decomposition, KPI plan, one-at-a-time sensitivity and backtest. The forecast study that
combines them is `sim.studies.forecast`; the pre-sale's settings are `sim.config.presale`.
"""
