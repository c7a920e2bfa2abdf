"""Reading CSV exports from shop back-ends: encoding, delimiter, a table of text, clear errors.

Taobao/Tmall, JD and Youzan export CSV with Chinese headers, often in GBK. The encoding is
detected (UTF-8 with or without BOM, then gb18030) unless given; a given encoding that does
not fit the bytes is an error, not mojibake. Every problem is a `DataError` naming the file.
Order logs (sim.calibrate) and experiment exports (sim.io.experiment_export) both read through here.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from sim.errors import DataError

DETECT_ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in order when no encoding is given."""

SHOW_ROWS = 5


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str, bytes]:
    """The file's text, the encoding used and the file's bytes (gzip-compressed files are opened)."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a CSV file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    content = raw
    if raw[:2] == b"\x1f\x8b":  # a gzip-compressed export (file.csv.gz)
        try:
            content = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: a damaged gzip file ({exc})") from None
    text, used = decode_bytes(path, content, encoding)
    return text, used, raw


def decode_bytes(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode with the given encoding or the first of DETECT_ENCODINGS that decodes cleanly."""
    for enc in (encoding,) if encoding else DETECT_ENCODINGS:
        try:
            text = raw.decode(enc)
        except LookupError:
            raise DataError(f"{path}: unknown encoding {enc!r}") from None
        except UnicodeDecodeError as exc:
            if encoding:
                raise DataError(
                    f"{path}: cannot be read as {enc}: invalid byte at position {exc.start} "
                    f"({raw[exc.start:exc.start + 2]!r}); leave --encoding out to detect it, or try gb18030"
                ) from None
            continue
        return text, "utf-8" if enc == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf") else enc
    raise DataError(f"{path}: not readable as any of {', '.join(DETECT_ENCODINGS)}; is it a CSV file? "
                    "Give the encoding with --encoding")


def other_clean_encoding(raw: bytes, used: str) -> str | None:
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


def parse_table(path: Path, text: str, rows_are: str = "rows") -> pd.DataFrame:
    """The CSV as a table of stripped text (comma, tab, semicolon or pipe separated)."""
    import pandas as pd

    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    try:
        sep = csv.Sniffer().sniff(text[:65536], delimiters=",\t;|").delimiter
    except csv.Error:
        sep = ","
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff").splitlines()[0]), delimiter=sep), [])
    names = [h.strip() for h in header]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataError(f"{path}: line 1: column name(s) {', '.join(repr(n) for n in twice)} appear more "
                        "than once; rename them so each column is named once")
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise DataError(f"{path}: the file has a header but no {rows_are}")
    return table


def bad_rows(path: Path, table: pd.DataFrame, bad: pd.Series, column: str, what: str) -> DataError:
    """A DataError listing the first offending rows by file line (line 1 is the header)."""
    shown = "; ".join(f"line {i + 2}: {v!r}" for i, v in table.loc[bad, column].head(SHOW_ROWS).items())
    return DataError(f"{path}: column {column!r} has {int(bad.sum()):,} {what}, first: {shown}")
