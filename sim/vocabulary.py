"""The model's shared vocabulary: customer segments and product roles.

Every layer names segments and roles with these tuples; their order is the order of the
integer codes the population arrays hold.
"""

from __future__ import annotations

SEGMENTS: tuple[str, ...] = (
    "important_value",        # recent, frequent, high spend
    "important_development",  # recent, high spend, not frequent
    "important_retention",    # frequent and high spend, not recent: about to be lost
    "important_maintenance",  # high spend, neither recent nor frequent
    "general",
)

ROLES: tuple[str, ...] = ("traffic", "profit", "marginal", "potential")
