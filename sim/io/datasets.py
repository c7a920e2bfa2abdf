"""Public data sets shipped with the package (gzip files under `sim/data/`).

- CDNOW order log: every purchase, Jan 1997 - Jun 1998, of the 23,570 customers who first bought
  at CDNOW in Q1 1997 (Fader, Hardie & Lee 2005 use its 1/10 sample of 2,357 customers).
- Hillstrom e-mail experiment (MineThatData, 2008): 64,000 customers randomised into a men's
  e-mail, a women's e-mail and a no-e-mail holdout, outcomes over two weeks.
"""

from __future__ import annotations

import gzip
from importlib import resources

import pandas as pd

_CDNOW_COLUMNS = ["customer_id", "date", "cds", "amount"]

HILLSTROM_COLUMNS = [
    "recency", "history_segment", "history", "mens", "womens", "zip_code",
    "newbie", "channel", "segment", "visit", "conversion", "spend",
]


def _read_gz(name: str, **read_kwargs) -> pd.DataFrame:
    """Read one gzip text file of the package's data folder with pandas."""
    ref = resources.files("sim").joinpath("data", name)
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="ascii", newline=None) as text:
        return pd.read_csv(text, **read_kwargs)


def load_cdnow(sample: bool = False) -> pd.DataFrame:
    """The CDNOW order log, one row per purchase.

    Columns: customer_id (int), date (datetime64, day precision), cds (number of CDs bought),
    amount (dollars). With `sample=True`, the 1/10 sample (2,357 customers, 6,919 rows) used by
    Fader, Hardie & Lee (2005); otherwise the full log (23,570 customers, 69,659 rows).
    Several purchases on the same day are kept as separate rows.
    """
    if sample:
        # No header; the second field is the customer's index within the sample.
        names = ["customer_id", "sample_index", "date", "cds", "amount"]
        df = _read_gz("cdnow_sample.txt.gz", sep=r"\s+", header=None, names=names,
                      dtype={"date": str})
        df = df.drop(columns="sample_index")
    else:
        df = _read_gz("cdnow_master.txt.gz", sep=r"\s+", header=0, names=_CDNOW_COLUMNS,
                      dtype={"date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    df["customer_id"] = df["customer_id"].astype("int64")
    df["cds"] = df["cds"].astype("int64")
    df["amount"] = df["amount"].astype("float64")
    return df[_CDNOW_COLUMNS].reset_index(drop=True)


def load_hillstrom() -> pd.DataFrame:
    """The Hillstrom e-mail experiment, one row per customer (64,000 rows).

    Columns as published: recency (months since last purchase), history_segment, history
    (dollars spent in the past year), mens, womens (0/1), zip_code (Urban / Surburban / Rural),
    newbie (0/1), channel (Phone / Web / Multichannel), segment (Mens E-Mail / Womens E-Mail /
    No E-Mail), visit (0/1), conversion (0/1), spend (dollars over the two weeks).
    """
    df = _read_gz("hillstrom.csv.gz")
    return df[HILLSTROM_COLUMNS]
