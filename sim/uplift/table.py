"""Reading a past campaign test for learning its response: arms, outcomes and customer features.

The export of a randomised test (an e-mail or SMS to part of the base, a random holdout) has
one row per customer: the arm, outcome columns (0/1 rates such as visit or conversion, money
such as spend) and the customers' features before the send (numeric or categorical, possibly
missing). Every problem is a `DataError` naming the file, the column and the first lines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from sim.errors import DataError
from sim.io.csv_tables import bad_rows, parse_table, read_text
from sim.io.experiment_export import _check_arms, _check_columns, _numbers

MISSING = {"", "na", "n/a", "nan", "null", "none", "-"}
"""Cell texts read as a missing feature value (case-insensitive)."""

MIN_PER_ARM = 50
"""Fewest customers an arm needs for a response to be learned from it."""


@dataclass(frozen=True)
class CampaignTable:
    """A checked campaign test: text features, float outcomes, one arm label per customer.

    `features` keeps the raw text of each feature column ("" for missing); `kinds` says for
    each outcome whether it is a `rate` (only 0 and 1) or `money` (any non-negative amount).
    """

    path: Path
    sha256: str
    arm_column: str
    arm: np.ndarray
    control: str
    arms: tuple[str, ...]
    outcomes: pd.DataFrame
    kinds: dict[str, str]
    features: pd.DataFrame
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.arm)


def read_campaign(path: str | Path, arm: str, control: str, outcomes: Sequence[str],
                  features: Sequence[str], id_column: str | None = None,
                  encoding: str | None = None) -> CampaignTable:
    """Read and check a campaign test export for `sim response fit`."""
    import pandas as pd

    path = Path(path)
    if not outcomes:
        raise DataError(f"{path}: give at least one outcome column (--outcome)")
    if not features:
        raise DataError(f"{path}: give at least one feature column (--feature)")
    text, _, raw = read_text(path, encoding)
    table = parse_table(path, text, "customers (no data rows)")
    named = [arm, *outcomes, *features, *([id_column] if id_column else [])]
    _check_columns(path, table, named)
    _check_distinct(path, arm, outcomes, features, id_column)
    labels = table[arm].str.strip()
    if (labels == "").any():
        raise bad_rows(path, table, labels == "", arm, "empty arm label(s)")
    counts = {str(k): int(v) for k, v in labels.value_counts().sort_index().items()}
    _check_arms(path, arm, counts, control, ())
    small = {a: n for a, n in counts.items() if n < MIN_PER_ARM}
    if small:
        raise DataError(f"{path}: arm(s) {', '.join(f'{a!r} ({n})' for a, n in small.items())} have fewer "
                        f"than {MIN_PER_ARM} customers; a response per customer cannot be learned from so few")
    values = pd.DataFrame({name: _numbers(path, table, name) for name in outcomes})
    kinds = {}
    for name in outcomes:
        column = values[name]
        if (column < 0).any():
            raise bad_rows(path, table, column < 0, name, "negative value(s); outcomes are rates (0/1) or money")
        kinds[name] = "rate" if column.isin([0.0, 1.0]).all() else "money"
    ids = table[id_column].str.strip().to_numpy() if id_column else np.arange(1, len(table) + 1).astype(str)
    if id_column:
        twice = table[id_column].str.strip().duplicated(keep=False)
        if twice.any():
            raise bad_rows(path, table, twice, id_column, "repeated customer id(s)")
    feats = pd.DataFrame({name: blank_missing(table[name]) for name in features})
    empty = [name for name in features if (feats[name] == "").all()]
    if empty:
        raise DataError(f"{path}: feature column(s) {', '.join(map(repr, empty))} hold no values")
    return CampaignTable(path=path, sha256=hashlib.sha256(raw).hexdigest(), arm_column=arm, arm=labels.to_numpy(),
                         control=control, arms=tuple(a for a in counts if a != control),
                         outcomes=values, kinds=kinds, features=feats, ids=ids)


def read_customers(path: str | Path, features: Sequence[str], id_column: str | None = None,
                   encoding: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """A customer table to score: its feature columns as text ("" missing) and its ids."""
    import pandas as pd

    path = Path(path)
    text, _, _ = read_text(path, encoding)
    table = parse_table(path, text, "customers (no data rows)")
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise DataError(f"{path}: lacks the feature column(s) {', '.join(map(repr, missing))} the response "
                        f"model was fitted with; available columns: {', '.join(map(repr, table.columns))}")
    if id_column and id_column not in table.columns:
        raise DataError(f"{path}: no id column {id_column!r}; available columns: "
                        f"{', '.join(map(repr, table.columns))}")
    ids = table[id_column].str.strip().to_numpy() if id_column else np.arange(1, len(table) + 1).astype(str)
    return pd.DataFrame({f: blank_missing(table[f]) for f in features}), ids


def blank_missing(column: pd.Series) -> pd.Series:
    """Feature text stripped, with every spelling of a missing value turned into ""."""
    text = column.astype(str).str.strip()
    return text.where(~text.str.lower().isin(MISSING), "")


def _check_distinct(path: Path, arm: str, outcomes: Sequence[str], features: Sequence[str],
                    id_column: str | None) -> None:
    roles = [("arm", [arm]), ("outcome", list(outcomes)), ("feature", list(features)),
             ("id", [id_column] if id_column else [])]
    seen: dict[str, str] = {}
    for role, names in roles:
        for name in names:
            if name in seen:
                raise DataError(f"{path}: column {name!r} is given as {seen[name]} and as {role}; "
                                "each column may play one part (an outcome cannot also be a feature)")
            seen[name] = role
