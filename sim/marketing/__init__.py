"""Marketing policies: what a strategy does to the population, and when."""

from sim.config.marketing import Policy

__all__ = ["Policy"]
