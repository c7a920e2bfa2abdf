"""Tiered threshold coupons (199-20 / 299-40 / 399-60): the highest tier reached, with top-up."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import sim
from cli import app
from sim.config.marketing import Coupon
from sim.marketing.coupons import CouponBook
from tests.conftest import make_scenario

TIERS = [[199, 20], [299, 40], [399, 60]]


def test_each_order_takes_the_highest_tier_it_reaches_or_tops_up_to():
    book = CouponBook(np.ones(6))
    coupon = Coupon(tiers=TIERS, top_up=0.1, valid_for_days=1)
    book.issue("tiered", coupon, np.arange(6), 0.0, order=np.arange(6.0))
    values = np.array([150.0, 180.0, 250.0, 280.0, 390.0, 500.0])
    paid, discount = book.redeem(np.arange(6), np.full(6, 1.0), values)
    # 180 is within 10 % of 199, 280 of 299 and 390 of 399: topped up; 250 keeps the 199 tier.
    np.testing.assert_array_equal(paid, [150.0, 199.0, 250.0, 299.0, 399.0, 500.0])
    np.testing.assert_array_equal(discount, [0.0, 20.0, 20.0, 40.0, 60.0, 60.0])
    stats = book.stats["tiered"]
    assert stats.redeemed == 5 and stats.cost == pytest.approx(200.0)
    assert {t: used for t, (used, _) in stats.tiers.items()} == {199.0: 2, 299.0: 1, 399.0: 2}


def test_a_single_tier_is_the_flat_coupon_exactly():
    def scenario(coupon):
        return make_scenario(policies={"c": {"waves": [{"day": -3, "channel": "sms", "coupon": coupon}]}},
                             population={"size": 4000})
    flat = sim.run(scenario({"threshold": 299, "discount": 30, "valid_days": [0, 1]}), replications=2)
    tier = sim.run(scenario({"tiers": [[299, 30]], "valid_days": [0, 1]}), replications=2)
    assert flat.replications.equals(tier.replications)


def test_tiers_never_exceed_the_budget_and_are_reported_per_tier():
    coupon = {"tiers": TIERS, "valid_days": [0, 1], "budget": 30000}
    run = sim.run(make_scenario(population={"size": 20000}, policies={"c": {"waves": [
        {"day": -3, "channel": "sms", "coupon": coupon}]}}), replications=2)
    table = run.tables["coupons"]
    assert sorted(table["tier"].unique()) == [199.0, 299.0, 399.0]
    per_rep = table.groupby("replication")[["redeemed", "cost"]].sum()
    assert (per_rep["cost"] <= 30000).all() and (per_rep["redeemed"] > 0).all()
    assert (table.groupby("replication")["issued"].first() <= 30000 // 60).all()
    np.testing.assert_allclose(per_rep["redeemed"].to_numpy(), run.replications["coupons_redeemed"].to_numpy())
    top_up = run.replications["coupon_top_up"]  # each topped-up basket adds at most top_up x its tier
    assert (top_up > 0).all() and (top_up <= run.replications["coupons_redeemed"] * 0.3 * 399).all()


@pytest.mark.parametrize("tiers,message", [
    ([[299, 20], [199, 40]], "must increase"),
    ([[199, 40], [299, 20]], "must increase"),
    ([[199, 200]], "free"),
])
def test_tiers_that_do_not_increase_are_refused(tmp_path, tiers, message):
    raw = {"version": 1, "name": "bad", "population": {"size": 1000},
           "policies": {"c": {"waves": [{"day": -3, "channel": "sms", "coupon": {"tiers": tiers}}]}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and message in result.output and "coupon" in result.output, result.output
