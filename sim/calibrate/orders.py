"""Read an order export (CSV) into a clean table of orders: customer, timestamp, amount.

The file is read by `sim.io.csv_tables` (encoding detected, GBK included). Every problem with the
file is a `DataError` naming the file and the column, with the first offending rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import DataError
from sim.io.csv_tables import bad_rows, other_clean_encoding, parse_table, read_text

_CURRENCY_CHARS = "¥￥$€£元 \u00a0"


@dataclass(frozen=True)
class ColumnMap:
    """Which columns of the export hold the customer, order time, order value and category."""

    customer: str
    date: str
    amount: str
    category: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"customer": self.customer, "date": self.date, "amount": self.amount,
                "category": self.category}


@dataclass
class Orders:
    """Clean orders (columns customer_id, time, amount[, category]) and how they were read."""

    table: pd.DataFrame
    encoding: str
    n_rows: int
    warnings: list[str] = field(default_factory=list)


def _check_columns(path: Path, table: pd.DataFrame, cols: ColumnMap, hint: str) -> None:
    for role, name in cols.as_dict().items():
        if name is not None and name not in table.columns:
            available = ", ".join(repr(c) for c in table.columns)
            raise DataError(f"{path}: no column {name!r} (given for the {role}); "
                            f"available columns: {available}{hint}")


def _parse_dates(path: Path, table: pd.DataFrame, column: str, notes: list[str]) -> pd.Series:
    """Dates of any one format; rows in a second format are read too, with a note naming lines,
    and so are day/month orders that cannot be told apart (read month first)."""
    raw = table[column].str.strip()
    parsed = pd.to_datetime(raw, errors="coerce")
    retry = parsed.isna() & (raw != "")
    if retry.any():
        parsed[retry] = pd.to_datetime(raw[retry], errors="coerce", format="mixed")
        first = int(np.flatnonzero(~retry & (raw != ""))[0]) if (~retry & (raw != "")).any() else 0
        other = int(np.flatnonzero(retry)[0])
        notes.append(f"{path}: column {column!r} mixes date formats (line {first + 2}: {raw.iloc[first]!r}, "
                     f"line {other + 2}: {raw.iloc[other]!r}); check that each was read as meant")
    parts = raw.str.extract(r"^(\d{1,2})[/.](\d{1,2})[/.]\d{2,4}")
    if parts.notna().all(axis=1).any():
        both = parts.dropna().astype(int)
        if (both <= 12).all(axis=None):
            line = int(both.index[0]) + 2
            notes.append(f"{path}: column {column!r}: day and month cannot be told apart (line {line}: "
                         f"{raw.iloc[both.index[0]]!r}); read as month first. Write dates as YYYY-MM-DD "
                         "to be sure")
    bad = parsed.isna() & (raw != "")
    if bad.any():
        raise bad_rows(path, table, bad, column, "unparseable date(s)")
    future = parsed > pd.Timestamp.now() + pd.Timedelta(days=1)
    if future.any():
        raise bad_rows(path, table, future, column, "date(s) in the future")
    return parsed


_DECIMAL_COMMA = r"^\d{1,3}(?:\.\d{3})*,\d{1,2}$|^\d+,\d{1,2}$"  # 1.299,00 or 50,50
_THOUSANDS_COMMA = r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$"  # 1,299 or 1,299.00


def _parse_amounts(path: Path, table: pd.DataFrame, column: str) -> pd.Series:
    """Amounts with currency signs and thousands separators ("¥1,299.00") or decimal commas
    ("1.299,00", "50,50"); a column using both conventions is refused as ambiguous."""
    raw = table[column].str.strip()
    bare = raw.str.strip(_CURRENCY_CHARS).str.strip()
    decimal = bare.str.match(_DECIMAL_COMMA)
    thousands = bare.str.match(_THOUSANDS_COMMA)
    if decimal.any() and thousands.any():
        raise bad_rows(path, table, decimal, column,
                       "amount(s) with a decimal comma beside others with a thousands comma (ambiguous)")
    if decimal.any():
        cleaned = bare.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = bare.str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce")
    bad = values.isna()
    if bad.any():
        raise bad_rows(path, table, bad, column, "non-numeric amount(s)")
    negative = values < 0
    if negative.any():
        raise bad_rows(path, table, negative, column, "negative amount(s) (refunds are not orders)")
    return values.astype("float64")


def read_orders(path: str | Path, cols: ColumnMap, encoding: str | None = None) -> Orders:
    """Read and validate an order export; rows without a date (e.g. unpaid orders) are skipped."""
    path = Path(path)
    text, used, raw = read_text(path, encoding)
    table = parse_table(path, text, "orders")
    other = other_clean_encoding(raw, used) if encoding else None
    hint = f" (the file also reads as {other}: is --encoding {encoding} right?)" if other else ""
    _check_columns(path, table, cols, hint)
    notes: list[str] = []
    customers = table[cols.customer].str.strip()
    if (customers == "").any():
        raise bad_rows(path, table, customers == "", cols.customer, "empty customer id(s)")
    times = _parse_dates(path, table, cols.date, notes)
    amounts = _parse_amounts(path, table, cols.amount)
    out = pd.DataFrame({"customer_id": customers, "time": times, "amount": amounts})
    if cols.category is not None:
        out["category"] = table[cols.category].str.strip().replace("", "(none)")
    undated = out["time"].isna()
    if undated.any():
        notes.append(f"{int(undated.sum())} row(s) without a value in {cols.date!r} skipped "
                     "(e.g. unpaid orders)")
        out = out[~undated]
    if out.empty:
        raise DataError(f"{path}: column {cols.date!r} has no dates; no orders to use")
    return Orders(out.reset_index(drop=True), used, len(table), notes)
