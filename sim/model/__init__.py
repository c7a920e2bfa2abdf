"""The simulated world's core: calendar, customers, the engine and the orders it records."""
