"""A calibrated customers table (`customers.csv` of sim calibrate), read once as arrays.

The scenario loader reads it when a population file names one (checking its columns and
warming the cache); the customer draw then takes it from the cache in every replication.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.vocabulary import SEGMENTS

if TYPE_CHECKING:
    import pandas as pd


class TableProblem(ValueError):
    """A customers table that cannot be simulated (missing columns, impossible histories)."""


@dataclass(frozen=True)
class CustomerRecords:
    """A calibrated customers table as arrays, time in WEEKS (read once per file and hash).

    x: repeat transactions; t_x: time of the last one since the first purchase; T: time from
    the first purchase to the calibration end; gg_x, gg_mean: number and mean value of the
    positive repeat transactions (Gamma-Gamma); segment: index into SEGMENTS (RFM group);
    category: index into `category_names`, or None without a category column.
    """

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    gg_x: np.ndarray
    gg_mean: np.ndarray
    segment: np.ndarray
    category: np.ndarray | None
    category_names: tuple[str, ...]


@lru_cache(maxsize=4)
def customer_records(file: str, sha256: str, unit_days: float = 7.0) -> CustomerRecords:
    """Read a `customers.csv` written by sim calibrate, converting t_x and T to weeks.

    Refuses a file whose SHA-256 is not `sha256`. Tables from before gg_x/gg_mean were
    written use x and spend / n_tx for the Gamma-Gamma posterior. Cached by path and hash,
    so replications (and sweeps) read a table once per process.
    """
    import pandas as pd
    raw = Path(file).read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != sha256:
        raise TableProblem(f"{file} was edited after calibration (its SHA-256 is {actual}, "
                           f"expected {sha256})")
    df = pd.read_csv(io.BytesIO(raw))
    missing = [c for c in ("x", "t_x", "T", "rfm_group") if c not in df]
    if missing:
        raise TableProblem(f"{file} lacks the column(s) {', '.join(missing)} of a calibrated customers table")
    weeks = unit_days / 7.0
    x = df["x"].to_numpy(dtype=float)
    t_x, T = df["t_x"].to_numpy(dtype=float) * weeks, df["T"].to_numpy(dtype=float) * weeks
    bad = ~(np.isfinite(x) & np.isfinite(t_x) & np.isfinite(T) & (x >= 0) & (x == np.round(x))
            & (t_x >= 0) & (t_x <= T + 1e-9) & ((x > 0) | (t_x == 0)))
    if bad.any():
        raise TableProblem(f"{file}: row {int(np.argmax(bad)) + 2} is not a customer history "
                           "(need whole x >= 0 and 0 <= t_x <= T, t_x = 0 when x = 0)")
    unknown = sorted(set(df["rfm_group"].astype(str)) - set(SEGMENTS))
    if unknown:
        raise TableProblem(f"{file}: unknown rfm_group(s) {unknown}; expected some of {list(SEGMENTS)}")
    if "gg_x" in df and "gg_mean" in df:
        gg_x, gg_mean = df["gg_x"].to_numpy(dtype=float), df["gg_mean"].to_numpy(dtype=float)
    else:
        gg_x = x
        gg_mean = (df["spend"] / df["n_tx"]).to_numpy(dtype=float) if {"spend", "n_tx"} <= set(df) \
            else np.full(len(x), np.nan)
    gg_mean = np.nan_to_num(gg_mean, nan=0.0)
    gg_x = np.where(gg_mean > 0, np.nan_to_num(gg_x), 0.0)
    segment = pd.Categorical(df["rfm_group"].astype(str), categories=SEGMENTS).codes.astype(np.int8)
    category, names = None, ()
    if "category" in df:
        cat = pd.Categorical(df["category"].astype(str))
        category, names = cat.codes.astype(np.int32), tuple(str(c) for c in cat.categories)
    return CustomerRecords(x, t_x, T, gg_x, gg_mean, segment, category, names)
