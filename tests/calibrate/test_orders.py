"""Real shop exports: Chinese headers, GBK encoding, date-times, zero-value orders."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sim.calibrate import CalibrationWarning, calibrate
from sim.calibrate.orders import ColumnMap, read_orders
from sim.calibrate.transactions import to_transactions
from sim.errors import DataError

COLS = ColumnMap(customer="买家会员名", date="订单付款时间", amount="实付金额", category="宝贝类目")


def _taobao_export(rng: np.random.Generator, n_customers: int = 300) -> pd.DataFrame:
    """A small Taobao-like export: several orders per buyer over a year, times of day included."""
    rows = []
    start = pd.Timestamp("2023-01-01")
    for i in range(n_customers):
        first = rng.integers(0, 90)
        gaps = rng.exponential(40.0, rng.geometric(0.4))  # buys until dropping out
        days = first + np.floor(np.cumsum(np.concatenate([[0.0], gaps[:-1]])))
        days = days[days < 365]
        level = rng.gamma(3.0, 1.0 / 3.0)  # the buyer's own spend level
        for d in days:
            t = start + pd.Timedelta(days=int(d), minutes=int(rng.integers(0, 1440)))
            rows.append({"订单编号": len(rows) + 1, "买家会员名": f"买家{i:04d}",
                         "订单付款时间": t.strftime("%Y-%m-%d %H:%M:%S"),
                         "实付金额": round(float(rng.gamma(4.0, 40.0 * level)), 2),
                         "宝贝类目": ["女装", "美妆", "母婴"][i % 3]})
    df = pd.DataFrame(rows)
    df.loc[3, "实付金额"] = 0.0
    return df


@pytest.fixture()
def gbk_file(tmp_path):
    path = tmp_path / "淘宝订单.csv"
    _taobao_export(np.random.default_rng(7)).to_csv(path, index=False, encoding="gbk")
    return path


def test_gbk_export_is_detected(gbk_file) -> None:
    orders = read_orders(gbk_file, COLS)
    assert orders.encoding == "gb18030"
    assert orders.table["customer_id"].str.startswith("买家").all()
    assert orders.table["time"].dt.hour.nunique() > 1
    assert set(orders.table["category"]) == {"女装", "美妆", "母婴"}


def test_wrong_explicit_encoding_is_a_data_error(gbk_file) -> None:
    with pytest.raises(DataError, match="cannot be read as utf-8"):
        read_orders(gbk_file, COLS, encoding="utf-8")
    assert len(read_orders(gbk_file, COLS, encoding="gbk").table) > 300


def test_calibrate_gbk_export_with_zero_value_order(gbk_file, tmp_path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = calibrate(gbk_file, customer=COLS.customer, date=COLS.date, amount=COLS.amount,
                        category=COLS.category, calibration_end="2023-07-31",
                        out_dir=tmp_path / "out")
    assert any("zero-value" in w for w in res.warnings)
    assert any(issubclass(w.category, CalibrationWarning) for w in caught)
    assert res.population["source"]["columns"]["customer"] == "买家会员名"
    assert set(res.population["categories"]) == {"女装", "美妆", "母婴"}
    text = (tmp_path / "out" / "population.yaml").read_text(encoding="utf-8")
    assert "买家会员名" in text and "美妆" in text


def test_same_day_orders_merge_or_stay_apart() -> None:
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b"],
        "time": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 21:00", "2024-01-03 10:00",
                                "2024-01-02 08:00"]),
        "amount": [10.0, 5.0, 7.0, 3.0],
    })
    merged = to_transactions(orders, "merge")
    assert len(merged) == 3
    assert merged.loc[merged["customer_id"] == "a", "amount"].tolist() == [15.0, 7.0]
    assert len(to_transactions(orders, "keep")) == 4


def test_undated_rows_are_skipped_with_a_note(tmp_path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("买家会员名,订单付款时间,实付金额\nx,2024-01-01 10:00,5\ny,,8\n", encoding="utf-8")
    orders = read_orders(path, ColumnMap("买家会员名", "订单付款时间", "实付金额"))
    assert len(orders.table) == 1 and "without a value" in orders.warnings[0]
