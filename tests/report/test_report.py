"""The report page built from run folders: sections, embedded charts, decision table, no network."""

from __future__ import annotations

import base64
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import sim
from sim.analysis import compare_replications
from sim.report import REPORT_FILE, NotARunFolder, write_report
from sim.studies.comparison import default_control, lower_is_better
from sim.report.decisions import METRICS
from tests.conftest import make_scenario
from tests.report.conftest import CHINESE_POLICY
from tests.report.parse import parse_page

CHARTS = {"distributions", "daily", "funnel", "repurchase", "coupons"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _report(folder) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = write_report(folder, strict=True)
    assert path == folder / REPORT_FILE
    return path.read_text(encoding="utf-8")


def _png(src: str) -> bytes:
    assert src.startswith("data:image/png;base64,")
    return base64.b64decode(src.split(",", 1)[1])


def test_every_chart_is_an_embedded_png_and_nothing_is_fetched(preheat_copy):
    html = _report(preheat_copy)
    page = parse_page(html)
    charts = CHARTS | ({"event-hours"} if (preheat_copy / "hourly.parquet").exists() else set())
    assert charts <= set(page.sections)
    assert {"scenario", "headline", "decisions"} <= set(page.sections)
    assert len(page.images) == len(charts)
    for img in page.images:
        assert _png(img["src"]).startswith(PNG_MAGIC) and img["alt"]
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", html)
    assert "<link" not in html and "@import" not in html


def expected_decisions(folder) -> set[tuple[str, str]]:
    """(policy, metric) for every policy but the control and every compared metric of a run folder."""
    reps = pd.read_parquet(folder / "replications.parquet")
    policies = list(dict.fromkeys(reps["policy"]))
    if (folder / "comparison.csv").exists():
        written = pd.read_csv(folder / "comparison.csv")
        control, metrics = written["control"].iloc[0], list(dict.fromkeys(written["metric"]))
    else:
        control, metrics = default_control(policies), [m for m in METRICS if m in reps]
    return {(p, m) for p in policies if p != control for m in metrics}


@pytest.mark.parametrize("with_comparison_csv", [True, False])
def test_decision_table_has_a_row_per_policy_and_metric(preheat_copy, with_comparison_csv):
    if not with_comparison_csv:
        (preheat_copy / "comparison.csv").unlink(missing_ok=True)
    page = parse_page(_report(preheat_copy))
    expected = expected_decisions(preheat_copy)
    assert ("two_waves", "gmv") in expected and not any(p == "no_waves" for p, _ in expected)
    assert set(page.decisions) == expected and len(page.decisions) == len(expected)


def test_computed_verdicts_follow_the_paired_comparison(preheat_copy):
    (preheat_copy / "comparison.csv").unlink(missing_ok=True)
    html = _report(preheat_copy)
    reps = pd.read_parquet(preheat_copy / "replications.parquet")
    metrics = [m for m in METRICS if m in reps]
    table = compare_replications(reps, "policy", "no_waves", metrics, paired=True,
                                 lower_is_better=[m for m in metrics if lower_is_better(m)])
    rows = re.findall(r'<tr class="(\w*)" data-policy="([^"]+)" data-metric="([^"]+)">', html)
    decided = {(p, m): css for css, p, m in rows}
    assert len(decided) == len(table)
    for r in table.itertuples():
        want = r.decision if r.decision in ("better", "worse") else ""
        assert decided[(r.arm, r.metric)] == want


def test_comparison_csv_in_the_folder_is_used(preheat_copy):
    reps = pd.read_parquet(preheat_copy / "replications.parquet")
    table = compare_replications(reps, "policy", "two_waves", ["gmv"], paired=True)
    table.to_csv(preheat_copy / "comparison.csv", index=False)
    page = parse_page(_report(preheat_copy))
    assert set(page.decisions) == {("no_waves", "gmv"), ("three_waves", "gmv")}


def test_report_is_rewritten_atomically(preheat_copy):
    first = _report(preheat_copy)
    second = _report(preheat_copy)
    assert first.count("<img") == second.count("<img")
    leftovers = [p.name for p in preheat_copy.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_run_without_marketing_shows_only_what_it_has(tmp_path):
    scenario = make_scenario(population={"size": 1500}, traffic={"daily_visitors": 300},
                             policies={"baseline": {}}, run={"replications": 2, "seed": 3})
    folder = sim.run(scenario).write(tmp_path)
    page = parse_page(_report(folder))
    assert {"scenario", "headline", "distributions", "daily"} <= set(page.sections)
    assert not {"decisions", "funnel", "repurchase", "coupons"} & set(page.sections)
    assert page.decisions == []


def _chart_png() -> bytes:
    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_other_artefacts_are_embedded_with_their_names(preheat_copy):
    (preheat_copy / "calibration_tracking.png").write_bytes(_chart_png())
    (preheat_copy / "kpi_fan.png").write_bytes(_chart_png())
    pd.DataFrame({"quantile": [0.1, 0.5, 0.9], "gmv": [5.1e6, 5.4e6, 5.8e6]}).to_csv(
        preheat_copy / "kpi_plan.csv", index=False)
    hours = np.arange(24)
    pd.DataFrame({"replication": 0, "policy": "three_waves", "hour": hours, "chat_load": 5 + hours % 7,
                  "agents": 8, "paid": 100 + 10 * hours, "capacity": 250}).to_parquet(
        preheat_copy / "operations_hourly.parquet")
    html = _report(preheat_copy)
    page = parse_page(html)
    assert {"calibration", "forecast", "operations"} <= set(page.sections)
    alts = [img["alt"] for img in page.images]
    assert "calibration_tracking.png" in alts and "kpi_fan.png" in alts
    assert "Load vs capacity by hour" in alts
    assert "kpi_plan.csv" in html and "<figcaption>kpi_fan.png</figcaption>" in html


def test_a_section_with_odd_data_becomes_a_note(preheat_copy):
    pd.DataFrame({"replication": [0], "policy": ["three_waves"], "coupon": ["x"], "issued": ["many"],
                  "redeemed": [1], "cost": [2.0]}).to_parquet(preheat_copy / "coupons.parquet")
    with pytest.warns(UserWarning, match="coupons_section"):
        path = write_report(preheat_copy)
    html = path.read_text(encoding="utf-8")
    assert "could not be drawn" in html and 'id="decisions"' in html


def test_a_chinese_policy_name_reaches_the_table_and_the_charts(chinese_folder):
    page = parse_page(_report(chinese_folder))
    assert {p for p, _ in page.decisions} == {CHINESE_POLICY}
    assert {"funnel", "coupons", "repurchase"} <= set(page.sections)


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_a_folder_that_is_not_a_run_is_a_user_error(tmp_path, make):
    with pytest.raises(NotARunFolder) as info:
        write_report(make(tmp_path))
    assert isinstance(info.value, sim.SimError)


def test_the_policy_brief_names_every_tier_of_a_coupon():
    """A tiered coupon reads ¥199−20 / ¥299−40 / ¥399−60, not its first tier alone."""
    from sim.report.scenario_brief import coupon_text

    tiered = {"threshold": 199.0, "discount": 20.0, "tiers": [[199.0, 20.0], [299.0, 40.0], [399.0, 60.0]],
              "valid_days": [0, 1], "budget": 150000.0}
    assert coupon_text(tiered) == "coupon ¥199−20 / ¥299−40 / ¥399−60, valid D0..D+1, budget ¥150,000"
    assert coupon_text({"threshold": 299.0, "discount": 30.0, "tiers": None}) == "coupon ¥299−30"


def test_the_policy_brief_names_ads_referrals_bundles_and_reminders():
    """A policy that only buys ads or runs a referral is not 'no marketing'."""
    from sim.report.scenario_brief import policy_rows

    policies = {
        "none": {},
        "search": {"acquisition": {"search": {"daily_spend": 4000.0, "max_visitors": None}}},
        "friends": {"referral": {"day": -7, "hour": 10, "channel": "sms", "share_rate": 0.06, "invitees_per_share": 3,
                                 "reward": {"inviter": 10.0, "invitee": 15.0}, "pay_on": "first_order",
                                 "budget": 30000.0, "red_packet": None, "name": "referral"}},
        "basket": {"bundles": [{"take_rate": 0.15, "value_uplift": 0.25, "margin": None}], "payment_reminders": True},
    }
    actions = {row[0]: row[2] for row in policy_rows(policies, "none")}
    assert actions["none (control)"] == "no marketing"
    assert actions["search"] == "ads: search ¥4,000 a day"
    assert actions["friends"] == ("D-7 10:00 referral by sms · everyone reachable · 6% share, 3 friends each; reward "
                                  "¥10 inviter / ¥15 invitee, paid on the first order, budget ¥30,000")
    assert actions["basket"] == "bundle: 15% of orders add 25% of their value\npayment reminders on"


def test_paid_traffic_has_its_section_and_headline_rows(tmp_path):
    """Each channel a policy pays for: spend, paid visitors, first orders and what a new customer
    cost, as the ads table has them; policies without ads get no row, and ads.parquet is not
    listed as left out."""
    from sim.config.variants import derive

    scenario = sim.load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "ad_budget_split.yaml")
    folder = sim.run(derive(scenario, {"population": {"size": 3000}}, "a small base"), replications=2).write(tmp_path)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="ads"' in page and "Also in the folder" not in page
    ads = pd.read_parquet(folder / "ads.parquet")
    paying = ads[ads["spend"] > 0].groupby(["policy", "channel"], sort=False)[["spend", "first_orders"]].mean()
    body = page[page.index('id="ads"'):]
    body = body[:body.index("</section>")]
    rows = re.findall(r"<tr[^>]*><td>([^<]*)</td><td>([^<]*)</td>", body)
    assert [tuple(r) for r in rows] == list(paying.index)
    r = paying.loc[("search_only", "search")]
    assert f"¥{r.spend / r.first_orders:,.2f}" in body
    assert "first orders from ads" in page and "ad spend" in page
    # a run without ads or referrals keeps its headline as it was
    plain = sim.run(derive(scenario, {"population": {"size": 3000}, "policies": {"no_ads": {}}}, "no ads"),
                    replications=2).write(tmp_path / "plain")
    assert "new buyers" not in (plain / "report.html").read_text(encoding="utf-8")


def test_a_metric_the_policy_never_touches_says_so():
    """With common random numbers an untouched metric is equal in every replication: the verdict
    says so rather than 'no detectable difference'."""
    from types import SimpleNamespace

    from sim.report.decisions import verdict

    same = SimpleNamespace(metric="repurchase_rate", difference=0.0, lift=0.0, decision="none detected",
                           ci_low=0.0, ci_high=0.0)
    assert verdict(same, 24) == "The same repurchase rate in every replication: the policy does not touch it."
    close = SimpleNamespace(**{**vars(same), "ci_low": -0.001, "ci_high": 0.001})
    assert verdict(close, 24).startswith("No detectable difference in repurchase rate")
