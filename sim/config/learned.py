"""Scenario fields that take a response learned by `sim response fit` (a model folder).

`response: {from: DIR, arm: NAME, outcome: conversion}` on a wave or programme makes each
reached customer's chance of buying because of the send the model's predicted uplift in that
0/1 outcome, from the customer's features; `audience: {uplift: {...}}` keeps the customers
the model ranks highest. Paths are relative to the scenario file. Whether the folder, arm,
outcome and features fit the scenario is checked before running (sim.marketing.learned).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from sim.config.base import Section


class LearnedResponse(Section):
    """A send's response taken from a fitted model instead of its channel's `response`."""

    from_: Path = Field(alias="from", description="a folder written by sim response fit")
    arm: str = Field(description="the model's arm this send is (e.g. the e-mail it sends)")
    outcome: str = Field("conversion", description="a 0/1 outcome of the model: buying at least once in the window")


class UpliftAudience(Section):
    """Customers chosen by a fitted model's predicted uplift (the point estimate, as a marketer would).

    `top` keeps that share of the candidates with the highest predicted uplift; `best` keeps
    only those for whom `arm` has the highest predicted uplift of the model's arms (the
    better e-mail per customer); `min_uplift` keeps those predicted to gain at least that much.
    """

    from_: Path = Field(alias="from", description="a folder written by sim response fit")
    arm: str
    outcome: str = "conversion"
    top: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    best: bool = False
    min_uplift: float | None = None


class AssignmentAudience(Section):
    """Customers a `sim target` assignment file gives this arm: its `id` column matched to the
    population's customer table (`population.features_id`, or row numbers from 1)."""

    file: Path = Field(description="assignment.csv written by sim target")
    arm: str
