"""Run folders to report on: the bundled pre-heat scenario, and a small one with a Chinese policy name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import sim
from tests.conftest import make_scenario

ROOT = Path(__file__).resolve().parents[2]
CHINESE_POLICY = "三波预热"


@pytest.fixture(scope="session")
def preheat_folder(tmp_path_factory) -> Path:
    """A run folder of scenarios/double11_preheat.yaml with 3 replications (never modified)."""
    scenario = sim.load_scenario(ROOT / "scenarios" / "double11_preheat.yaml")
    return sim.run(scenario, replications=3).write(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def preheat_copy(preheat_folder, tmp_path) -> Path:
    """A private copy of the pre-heat run folder, free to change."""
    return Path(shutil.copytree(preheat_folder, tmp_path / preheat_folder.name))


@pytest.fixture(scope="session")
def chinese_folder(tmp_path_factory) -> Path:
    """A small run whose marketing policy has a Chinese name, against a do-nothing control."""
    waves = [{"name": "预热短信", "day": -3, "hour": 12, "channel": "sms",
              "coupon": {"threshold": 199, "discount": 20, "valid_days": [0, 0], "budget": 20000}},
             {"name": "final_notice", "day": -1, "hour": 20, "channel": "push"}]
    scenario = make_scenario(name="cn_policy", population={"size": 3000}, traffic={"daily_visitors": 600},
                             policies={CHINESE_POLICY: {"holdout": 0.2, "waves": waves}, "no_waves": {}},
                             run={"replications": 3, "seed": 11})
    return sim.run(scenario).write(tmp_path_factory.mktemp("runs"))
