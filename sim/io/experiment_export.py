"""Reading a real experiment export: one row per customer, an arm label and outcome columns.

The export of an A/B test (or a holdout test of an SMS wave) as a CSV file: a column naming
each customer's arm, 0/1 outcome columns (visited, converted, opted out), money columns (spend)
and perhaps a pre-period covariate. Every problem that would make the comparison wrong or
impossible is a `DataError` naming the file, the column and the first offending lines, raised
before anything is computed or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from sim.errors import DataError
from sim.io.csv_tables import bad_rows, parse_table, read_text

_BOOLEAN = {"true": 1.0, "false": 0.0}
_NUMBER_NOISE = ("¥", "￥", "$", "元", ",")


@dataclass(frozen=True)
class Experiment:
    """A validated experiment table and how it was read.

    `table` has the arm column as text and every requested value column as float64,
    in file order; `counts` is customers per arm, arms in sorted order.
    """

    path: Path
    table: pd.DataFrame
    arm: str
    counts: dict[str, int]
    encoding: str

    @property
    def arms(self) -> list[str]:
        return list(self.counts)


def read_experiment(
    path: str | Path,
    arm: str,
    values: Sequence[str],
    *,
    control: str | None = None,
    expected_arms: Sequence[str] = (),
    encoding: str | None = None,
) -> Experiment:
    """Read and check an experiment export.

    Parameters
    ----------
    path : CSV file (comma, tab, semicolon or pipe separated; UTF-8 or GBK, detected).
    arm : column holding each customer's arm label.
    values : columns that must be numeric (metrics, covariate, guardrails); 0/1 columns may
        also be written true/false. Currency signs and thousands separators are ignored.
    control : if given, this arm must be present.
    expected_arms : arms that must each have rows (e.g. those of a planned split).
    encoding : file encoding; default: detected (`sim.io.csv_tables.DETECT_ENCODINGS`).
    """
    import pandas as pd

    path = Path(path)
    text, used, _ = read_text(path, encoding)
    raw = parse_table(path, text, "customers (no data rows)")
    _check_columns(path, raw, [arm, *values])
    labels = raw[arm].str.strip()
    if (labels == "").any():
        raise bad_rows(path, raw, labels == "", arm, "empty arm label(s)")
    table = pd.DataFrame({arm: labels})
    for column in dict.fromkeys(values):
        if column != arm:
            table[column] = _numbers(path, raw, column)
    counts = {str(k): int(v) for k, v in labels.value_counts().sort_index().items()}
    _check_arms(path, arm, counts, control, expected_arms)
    return Experiment(path=path, table=table, arm=arm, counts=counts, encoding=used)


def _check_columns(path: Path, table: pd.DataFrame, wanted: Sequence[str]) -> None:
    missing = [c for c in dict.fromkeys(wanted) if c not in table.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        available = ", ".join(repr(c) for c in table.columns)
        raise DataError(f"{path}: no column {names}; available columns: {available}")


def _numbers(path: Path, table: pd.DataFrame, column: str) -> pd.Series:
    import pandas as pd

    text = table[column].str.strip()
    cleaned = text
    for noise in _NUMBER_NOISE:
        cleaned = cleaned.str.replace(noise, "", regex=False)
    values = pd.to_numeric(cleaned.str.strip(), errors="coerce")
    values = values.where(values.notna(), text.str.lower().map(_BOOLEAN))
    blank = text == ""
    bad = ~blank & (values.isna() | ~np.isfinite(values.fillna(0.0)))
    if bad.any():
        raise bad_rows(path, table, bad, column, "non-numeric value(s)")
    if blank.any():
        raise bad_rows(path, table, blank, column,
                         "missing value(s) (write 0 for customers without the outcome)")
    return values.astype("float64")


def _check_arms(path: Path, arm: str, counts: dict[str, int], control: str | None,
                expected: Sequence[str]) -> None:
    listing = ", ".join(f"{k!r} ({v:,})" for k, v in counts.items())
    if control is not None and control not in counts:
        raise DataError(f"{path}: control arm {control!r} not found in column {arm!r}; "
                        f"arms present: {listing}")
    empty = [a for a in expected if a not in counts]
    if empty:
        raise DataError(f"{path}: arm(s) {', '.join(repr(a) for a in empty)} have no rows in "
                        f"column {arm!r}; arms present: {listing}")
    if len(counts) < 2:
        raise DataError(f"{path}: column {arm!r} holds a single arm ({listing}); "
                        "a comparison needs a control and at least one other arm")
    tiny = [a for a, n in counts.items() if n < 2]
    if tiny:
        raise DataError(f"{path}: arm(s) {', '.join(repr(a) for a in tiny)} have fewer than "
                        f"2 customers; arms present: {listing}")
