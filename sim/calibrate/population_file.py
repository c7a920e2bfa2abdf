"""The population file: the calibrated parameters the scenario loader reads (`population: {from:}`).

Format (YAML): version 1, kind population, `source` (where the numbers came from), `size`,
`buying` (BG/NBD r, alpha, a, b with time in WEEKS), `buying_se`, `spend` (Gamma-Gamma p, q,
gamma in the file's currency), `spend_se`, `pareto_nbd` (r, alpha, s, beta, weeks),
`pareto_nbd_se`, `loglik`, `segments` (shares of the five RFM groups) and, when a category
column was given, `categories` ({name: {share, order_value, cycle_days}}).

When Gamma-Gamma cannot be identified (see `sim.calibrate.spend`), `spend` holds pooled
parameters (every customer's mean order value is the shop's mean), `spend_se` and
`loglik.gamma_gamma` are null, and `spend_fallback` says why (reason, mean_order_value, counts,
note). When Pareto/NBD cannot be fitted, `pareto_nbd`, `pareto_nbd_se` and its log-likelihood
are null. Either way `notes` lists what happened in plain words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.calibrate.mle import FitResult
from sim.errors import DataError

VERSION = 1
KIND = "population"
REQUIRED = ("buying", "spend", "segments", "size")
# Parameters whose unit is 1/time scale with the unit length when converting days to weeks.
_SCALE_PARAMS = {"alpha", "beta"}


def per_week(values: dict[str, float], unit_days: float) -> dict[str, float]:
    """Express rate-scale parameters (alpha, beta) of a model fitted in `unit_days` in weeks.

    A Gamma(r, alpha) rate per day is Gamma(r, alpha / 7) per week; shape parameters stay.
    """
    factor = 7.0 / unit_days
    return {k: float(v / factor if k in _SCALE_PARAMS else v) for k, v in values.items()}


def _rounded(values: dict[str, float], digits: int = 6) -> dict[str, float]:
    return {k: float(round(v, digits)) for k, v in values.items()}


def population_document(source: dict[str, Any], size: int, bg: FitResult, gg: FitResult,
                        pnbd: FitResult, unit_days: float, segments: dict[str, float],
                        categories: dict[str, dict[str, float]] | None,
                        spend_fallback: dict[str, Any] | None = None,
                        notes: list[str] | None = None) -> dict[str, Any]:
    """The population file's content as plain Python values.

    `spend_fallback` (from `sim.calibrate.spend`) marks `gg` as pooled parameters, not a fit;
    a `pnbd` without parameters (`mle.not_fitted`) is written as null; `notes` are the plain-
    language notes on such fallbacks.
    """
    pooled = spend_fallback is not None
    doc: dict[str, Any] = {
        "version": VERSION,
        "kind": KIND,
        "source": source,
        "size": int(size),
        "buying": _rounded(per_week(bg.params, unit_days)),
        "buying_se": _rounded(per_week(bg.se, unit_days)),
        "spend": _rounded(gg.params),
        "spend_se": dict.fromkeys(gg.params) if pooled else _rounded(gg.se),
        "pareto_nbd": _rounded(per_week(pnbd.params, unit_days)) if pnbd.fitted else None,
        "pareto_nbd_se": _rounded(per_week(pnbd.se, unit_days)) if pnbd.fitted else None,
        "loglik": {"bgnbd": round(bg.loglik, 3),
                   "pareto_nbd": round(pnbd.loglik, 3) if pnbd.fitted else None,
                   "gamma_gamma": None if pooled else round(gg.loglik, 3)},
        "segments": segments,
    }
    if pooled:
        doc["spend_fallback"] = dict(spend_fallback)
    if notes:
        doc["notes"] = list(notes)
    if categories is not None:
        doc["categories"] = categories
    return doc


def write_population_file(path: str | Path, doc: dict[str, Any]) -> None:
    """Write the document as YAML (keys in the order above, unicode kept readable)."""
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)
    Path(path).write_text(text, encoding="utf-8")


def load_population_file(path: str | Path) -> dict[str, Any]:
    """Read and check a population file; DataError if it is not a version-1 population file."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"{path}: cannot read population file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise DataError(f"{path}: not a population file (expected 'kind: {KIND}')")
    if doc.get("version") != VERSION:
        raise DataError(f"{path}: population file version {doc.get('version')!r} is not "
                        f"supported (expected {VERSION})")
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise DataError(f"{path}: population file lacks {', '.join(missing)}")
    return doc
