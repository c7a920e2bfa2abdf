"""Buyers who pay unpaid orders by themselves: gross vs incremental recovery by reminders."""

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from sim.operations import Operations, simulate_operations
from sim.operations.orders import CLOSED, PAID, SHIPPED, UNPAID

NO_CHATS = np.zeros(0)
FLASH = {"traffic": 0.5, "profit": 24, "marginal": 24, "potential": 24}


def _config(reminders: bool = True, **payment) -> Operations:
    payment.setdefault("reminder", {})["enabled"] = reminders
    return Operations.model_validate({"enabled": True, "horizon_days": payment.pop("horizon_days", 3),
                                      "payment": payment})


def _run(orders: dict, cfg: Operations, seed: int, chats=NO_CHATS):
    return simulate_operations(orders, chats, cfg, np.random.default_rng(seed))


@pytest.mark.parametrize("close", [24.0, 0.5])
def test_incremental_recovery_is_recovery_times_the_share_not_paying_by_themselves(make_day, close):
    """One order per buyer; every non-self-payer is reminded (10 min < close).

    P(an unpaid order is not paid unprompted before close) = 1 - s (1 - exp(-close / mean));
    incremental recovered orders per unpaid order are Bernoulli(recovery x that) and, among
    non-self-payers, Bernoulli(recovery). Gross adds the self-payers still unpaid at the
    reminder: s (exp(-delay / mean) - exp(-close / mean)). Tolerance: 4 binomial standard errors.
    """
    s, mean, delay, recovery = 0.4, 0.5, 10 / 60, 0.3
    orders = make_day(np.random.default_rng(2), 60_000)
    cfg = _config(self_pay_share=s, self_pay_minutes=mean * 60, close_after_hours=close,
                  reminder={"delay_minutes": delay * 60, "recovery": recovery})
    res = _run(orders, cfg, 3)
    m, o = res.metrics(), res.orders
    n = m["unpaid_orders"]
    not_self = 1 - s * (1 - np.exp(-close / mean))

    p = recovery * not_self
    assert abs(m["recovered_orders_incremental"] / n - p) < 4 * np.sqrt(p * (1 - p) / n)
    was_unpaid = np.isin(o["status"], (UNPAID, CLOSED)) | (o["paid_time"] > o["time"])
    never = was_unpaid & np.isinf(o["self_pay_time"])
    k = np.sum(never & o["reminded"])
    assert k == never.sum()  # every non-self-payer was reminded
    assert abs(m["recovered_orders_incremental"] / k - recovery) < 4 * np.sqrt(recovery * (1 - recovery) / k)

    g = p + s * (np.exp(-delay / mean) - np.exp(-close / mean))
    assert abs(m["recovered_orders"] / n - g) < 4 * np.sqrt(g * (1 - g) / n)
    assert m["recovered_gmv_incremental"] < m["recovered_gmv"]


@pytest.mark.parametrize("close, horizon_days", [(24.0, 3.0), (FLASH, 3.0), (24.0, 0.75)])
def test_paid_gmv_with_minus_without_reminders_is_the_incremental_recovery(make_day, close, horizon_days):
    """Same seed on and off, several orders per buyer, chat purchases, unlimited stock: exact.

    The run ending before the close timer (horizon 0.75 days) is covered too: a self-payer whose
    own time falls after the end but who pays on the reminder before it counts as incremental.
    """
    orders = make_day(np.random.default_rng(7), 15_000, buyers=5_000)
    kw = dict(unpaid_share=0.35, close_after_hours=close, horizon_days=horizon_days)
    on = _run(orders, _config(True, **kw), 8, chats=None)
    off = _run(orders, _config(False, **kw), 8, chats=None)
    m_on, m_off = on.metrics(), off.metrics()
    # common random numbers: the same orders and the same self-payers at the same times
    assert np.array_equal(on.orders["self_pay_time"], off.orders["self_pay_time"])
    assert m_on["unpaid_orders"] == m_off["unpaid_orders"] and m_on["chats"] == m_off["chats"]

    paid_on, paid_off = (np.isin(r.orders["status"], (PAID, SHIPPED)) for r in (on, off))
    assert not np.any(paid_off & ~paid_on)
    assert np.array_equal(paid_on & ~paid_off, on.orders["recovered_incremental"])
    assert m_on["paid_gmv"] - m_off["paid_gmv"] == pytest.approx(m_on["recovered_gmv_incremental"], rel=1e-9)
    assert m_on["paid_orders"] - m_off["paid_orders"] == m_on["recovered_orders_incremental"]
    assert m_on["recovered_orders"] > m_on["recovered_orders_incremental"] > 0
    assert m_off["recovered_orders"] == m_off["recovered_gmv_incremental"] == 0
    assert on.hourly["recovered_incremental"].sum() == m_on["recovered_orders_incremental"]
    assert on.hourly["recovered"].sum() == m_on["recovered_orders"]


def test_no_self_payers_gross_is_incremental(make_day):
    """self_pay_share 0 is the old model: every order paid after a reminder is incremental."""
    orders = make_day(np.random.default_rng(4), 20_000, buyers=8_000)
    cfg = _config(self_pay_share=0.0, close_after_hours=FLASH)
    res = _run(orders, cfg, 5)
    m, o = res.metrics(), res.orders
    assert np.isinf(o["self_pay_time"]).all()
    assert m["recovered_orders"] > 0
    assert m["recovered_orders_incremental"] == m["recovered_orders"]
    assert m["recovered_gmv_incremental"] == m["recovered_gmv"]
    assert m["closed_orders"] == m["unpaid_orders"] - m["recovered_orders"]
    off = _run(orders, _config(False, self_pay_share=0.0, close_after_hours=FLASH), 5).metrics()
    assert m["paid_gmv"] - off["paid_gmv"] == pytest.approx(m["recovered_gmv"], rel=1e-9)


@pytest.mark.parametrize("share", [0.0, 0.4, 1.0])
def test_money_is_never_negative_and_incremental_within_gross(make_day, share):
    orders = make_day(np.random.default_rng(9), 8_000, buyers=3_000)
    m = _run(orders, _config(self_pay_share=share, close_after_hours=FLASH), 1, chats=None).metrics()
    assert 0 <= m["recovered_gmv_incremental"] <= m["recovered_gmv"] <= m["paid_gmv"]
    assert 0 <= m["recovered_orders_incremental"] <= m["recovered_orders"] <= m["reminded_orders"]
    assert m["reminder_cost"] >= 0


def test_same_seed_same_run(make_day):
    orders = make_day(np.random.default_rng(6), 5_000, buyers=2_000)
    cfg = _config(close_after_hours=FLASH)
    a, b = _run(orders, cfg, 12, chats=None), _run(orders, cfg, 12, chats=None)
    assert a.metrics() == b.metrics()
    assert a.hourly.equals(b.hourly)
    assert a.payment_log == b.payment_log


def test_default_has_self_payers():
    assert 0 < Operations().payment.self_pay_share < 1


@pytest.mark.parametrize("value", ["1.5", "-0.1"])
def test_self_pay_share_outside_zero_one_is_refused_with_its_path(tmp_path, value):
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nname: bad\npopulation: {size: 2000}\n"
                    f"operations: {{enabled: true, payment: {{self_pay_share: {value}}}}}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "operations.payment.self_pay_share" in result.output and "Traceback" not in result.output
