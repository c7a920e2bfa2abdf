"""The marketing rules a scenario is checked against beyond its fields: every send's channel
response reachable in its effect window, every learned response or uplift audience usable.

Registered with the scenario loader when it is imported, without the marketing runtime, so
`sim validate` does not load what only a simulation needs."""

from __future__ import annotations

from sim.config.loader import register_check
from sim.marketing import learned
from sim.marketing.response import response_problems

register_check(response_problems)
register_check(learned.problems)
