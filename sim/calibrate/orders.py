"""Read an order export (CSV) into a clean table of orders: customer, timestamp, amount.

Shop back-ends (Taobao/Tmall, JD, Youzan) export CSV with Chinese headers, often in GBK; the
encoding is detected (utf-8, utf-8 with BOM, then gb18030) unless given. Every problem with the
file is a `DataError` naming the file and the column, with the first offending rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.errors import DataError

DETECT_ENCODINGS = ("utf-8-sig", "gb18030")
_SHOW_ROWS = 5
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


def decode_bytes(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode the file's bytes with the given encoding or the first that decodes cleanly."""
    candidates = (encoding,) if encoding else DETECT_ENCODINGS
    for enc in candidates:
        try:
            text = raw.decode(enc)
            if enc == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf"):
                enc = "utf-8"
            return text, enc
        except LookupError:
            raise DataError(f"{path}: unknown encoding {enc!r}") from None
        except UnicodeDecodeError as exc:
            if encoding:
                hint = "leave --encoding out to detect it, or try gb18030"
                raise DataError(
                    f"{path}: cannot be read as {enc}: invalid byte at position {exc.start} "
                    f"({raw[exc.start:exc.start + 2]!r}); {hint}"
                ) from None
    raise DataError(f"{path}: not readable as any of {', '.join(DETECT_ENCODINGS)}; "
                    "give the encoding with --encoding")


def _other_clean_encoding(raw: bytes, used: str) -> str | None:
    """Another common encoding that also decodes the bytes (a hint that `used` was wrong)."""
    if raw.isascii():
        return None
    for enc in DETECT_ENCODINGS:
        if enc.replace("-sig", "") == used.lower().replace("-sig", ""):
            continue
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return None


def _sniff_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _parse_table(path: Path, text: str) -> pd.DataFrame:
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    try:
        table = pd.read_csv(io.StringIO(text), sep=_sniff_delimiter(text), dtype=str,
                            keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise DataError(f"{path}: the file has a header but no orders")
    return table


def _check_columns(path: Path, table: pd.DataFrame, cols: ColumnMap, hint: str) -> None:
    for role, name in cols.as_dict().items():
        if name is not None and name not in table.columns:
            available = ", ".join(repr(c) for c in table.columns)
            raise DataError(f"{path}: no column {name!r} (given for the {role}); "
                            f"available columns: {available}{hint}")


def _bad_rows(path: Path, table: pd.DataFrame, bad: pd.Series, column: str, what: str) -> DataError:
    """A DataError listing the first rows (file line numbers) where `column` is `what`."""
    rows = table.loc[bad, column].head(_SHOW_ROWS)
    shown = "; ".join(f"line {i + 2}: {v!r}" for i, v in rows.items())
    return DataError(f"{path}: column {column!r} has {int(bad.sum())} {what} value(s), "
                     f"first: {shown}")


def _parse_dates(path: Path, table: pd.DataFrame, column: str) -> pd.Series:
    raw = table[column].str.strip()
    parsed = pd.to_datetime(raw, errors="coerce")
    retry = parsed.isna() & (raw != "")
    if retry.any():
        parsed[retry] = pd.to_datetime(raw[retry], errors="coerce", format="mixed")
    bad = parsed.isna() & (raw != "")
    if bad.any():
        raise _bad_rows(path, table, bad, column, "unparseable date")
    return parsed


def _parse_amounts(path: Path, table: pd.DataFrame, column: str) -> pd.Series:
    raw = table[column].str.strip()
    cleaned = raw.str.strip(_CURRENCY_CHARS).str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce")
    bad = values.isna()
    if bad.any():
        raise _bad_rows(path, table, bad, column, "non-numeric amount")
    negative = values < 0
    if negative.any():
        raise _bad_rows(path, table, negative, column, "negative amount (refunds are not orders)")
    return values.astype("float64")


def read_orders(path: str | Path, cols: ColumnMap, encoding: str | None = None) -> Orders:
    """Read and validate an order export; rows without a date (e.g. unpaid orders) are skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    text, used = decode_bytes(path, raw, encoding)
    table = _parse_table(path, text)
    other = _other_clean_encoding(raw, used) if encoding else None
    hint = f" (the file also reads as {other}: is --encoding {encoding} right?)" if other else ""
    _check_columns(path, table, cols, hint)
    notes: list[str] = []
    customers = table[cols.customer].str.strip()
    if (customers == "").any():
        raise _bad_rows(path, table, customers == "", cols.customer, "empty customer")
    times = _parse_dates(path, table, cols.date)
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
