"""The marketing rules a scenario is checked against beyond its fields: every send's channel
response reachable in its effect window, every learned response or uplift audience usable.

Registered with the scenario loader when it is imported, without the marketing runtime, so
`sim validate` does not load what only a simulation needs."""

from __future__ import annotations

from sim.config.loader import register_check
from sim.config.scenario import Scenario
from sim.marketing.response import response_problems


def learned_problems(scenario: Scenario) -> list[str]:
    """`sim.marketing.learned.problems`, loading the fitted-response code (the uplift models,
    the customer draw) only for a scenario that names a customer table, a learned response
    or an uplift or assignment audience."""
    if scenario.population.features is None and all(
            a.response is None and a.audience.uplift is None and a.audience.assignment is None
            for _, a in scenario.actions()):
        return []
    from sim.marketing import learned

    return learned.problems(scenario)


register_check(response_problems)
register_check(learned_problems)
