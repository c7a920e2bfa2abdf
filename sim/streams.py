"""Random streams: every generator in a run derives from one seed through SeedSequence.

A stream is named by (replication, stream, *keys). Keys never depend on the policy, so two
policies of the same replication see the same customers, the same visitors and the same
uniform draws for each customer in each stretch of time (common random numbers), and a
replication's numbers do not depend on which worker runs it or in what order.
"""

from __future__ import annotations

import numpy as np

POPULATION = 0
ACQUISITION = 1
PURCHASES = 2
ORDERS = 3
MARKETING = 4
OPERATIONS = 5
ROLES = 6
HOLDOUT = 7
EXPERIMENT = 8
STIMULATED = 9  # values, times and pull-forward of purchases marketing adds
BUNDLES = 12  # which orders take each bundle layer
FEATURES = 11  # customer-table rows of simulated customers, and a learned response's bootstrap draw
PAID = 13  # visitors and newcomers bought through ad channels (keyed by the channel's index)
REFERRAL = 14  # who shares a referral offer, the friends who open it and those who buy
NEWCOMERS = 15  # a run's draws for customers a policy brought in (paid traffic, referrals)


def sequence(seed: int, replication: int, stream: int, *keys: int) -> np.random.SeedSequence:
    """The SeedSequence of one named stream of one replication."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, stream, *keys))


def generator(seed: int, replication: int, stream: int, *keys: int) -> np.random.Generator:
    """A numpy Generator for one named stream of one replication."""
    return np.random.default_rng(sequence(seed, replication, stream, *keys))
