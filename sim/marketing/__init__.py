"""Marketing policies: what a strategy does to the population, and when."""

from sim.marketing.policy import Policy

__all__ = ["Policy"]
