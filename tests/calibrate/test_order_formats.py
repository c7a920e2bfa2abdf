"""Order exports as shops write them: decimal commas, currency signs, and what is refused."""

from __future__ import annotations

import pytest

from sim.calibrate.orders import ColumnMap, read_orders
from sim.errors import DataError

COLS = ColumnMap("buyer", "date", "amount")


def _read(tmp_path, text):
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    return read_orders(path, COLS).table


def test_semicolons_and_decimal_commas(tmp_path):
    table = _read(tmp_path, "buyer;date;amount\na;2024-01-02;50,50\nb;2024-01-03;1.299,00\n")
    assert table["amount"].tolist() == [50.5, 1299.0]


def test_currency_signs_and_thousands_separators(tmp_path):
    table = _read(tmp_path, 'buyer,date,amount\na,2024-01-02,"¥1,299.00"\nb,2024-01-03,￥35\n')
    assert table["amount"].tolist() == [1299.0, 35.0]


@pytest.mark.parametrize("text,message", [
    ('buyer;date;amount\na;2024-01-02;50,50\nb;2024-01-03;"1,299"\n', "ambiguous"),
    ("buyer,date,amount\na,2024-01-02,10\nb,2099-01-03,20\n", "line 3"),
    ("buyer,date,amount,amount\na,2024-01-02,10,11\n", "'amount' appear more than once"),
])
def test_ambiguous_future_or_duplicated_is_refused_naming_the_line(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        _read(tmp_path, text)


def test_mixed_and_ambiguous_dates_are_warned_about_naming_lines(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("buyer,date,amount\na,2024-01-02,10\nb,03/04/2024,20\n", encoding="utf-8")
    notes = read_orders(path, COLS).warnings
    assert any("mixes date formats (line 2: '2024-01-02', line 3: '03/04/2024')" in n for n in notes)
    assert any("day and month cannot be told apart (line 3" in n for n in notes)
