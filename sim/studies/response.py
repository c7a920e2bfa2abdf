"""Learning a response from a campaign test and using it: the `sim response` and `sim target` studies.

`fit_response` reads the export, fits (sim.uplift.fit) and writes the model folder whole:
response.yaml, models.pkl and report.html (drawn by the writer registered with
`on_report`, so this layer needs no charts). `predict_response` and `target_customers` score
a customer table and write one CSV; an existing file is replaced only with `force`, and an
input is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from sim.errors import DataError
from sim.store.atomic import atomic_file, atomic_folder, check_destination, mark
from sim.uplift import fit as _fit
from sim.uplift.fit import ResponseModel
from sim.uplift.model_file import MODELS_FILE, REPORT_FILE, RESPONSE_FILE, describe, load_response, models_blob
from sim.uplift.predict import predict_uplift
from sim.uplift.table import read_customers
from sim.uplift.targeting import Targeting, target

COMMAND = "response fit"
_REPORT: list[Callable[[ResponseModel, Path], object]] = []


def on_report(writer: Callable[[ResponseModel, Path], object]) -> Callable:
    """Register the writer of a response folder's report.html (the report layer does)."""
    _REPORT.append(writer)
    return writer


def fit_response(export: str | Path, out: str | Path, *, arm: str, control: str, outcomes: Sequence[str],
                 features: Sequence[str], id_column: str | None = None, method: str = "auto",
                 validation_share: float = 0.3, bootstrap: int = 30, seed: int = 0,
                 encoding: str | None = None, force: bool = False,
                 progress: _fit.Progress | None = None) -> ResponseModel:
    """Fit the response of every arm and outcome of `export` and write the folder `out`."""
    out = Path(out)
    check_destination(out, COMMAND, force, inputs=(export,))
    model = _fit.fit_response(export, arm=arm, control=control, outcomes=outcomes, features=features,
                              id_column=id_column, method=method, validation_share=validation_share,
                              bootstrap=bootstrap, seed=seed, encoding=encoding, progress=progress)
    blob = models_blob(model)
    with atomic_folder(out, replace=out.exists()) as tmp:
        mark(tmp, COMMAND)
        (tmp / MODELS_FILE).write_bytes(blob)
        (tmp / RESPONSE_FILE).write_text(describe(model, blob), encoding="utf-8")
        for writer in _REPORT:
            writer(model, tmp / REPORT_FILE)
    model.folder = out
    return model


def predict_response(folder: str | Path, customers: str | Path, out: str | Path, *, id_column: str | None = None,
                     encoding: str | None = None, force: bool = False) -> pd.DataFrame:
    """Score `customers` with the model in `folder`; write and return the long uplift table."""
    model = load_response(folder)
    _check_output(out, customers, force)
    features, ids = read_customers(customers, model.features, id_column, encoding)
    table = predict_uplift(model, features, ids)
    _write_csv(table, out)
    return table


def target_customers(folder: str | Path, customers: str | Path, out: str | Path, *, costs: dict[str, float],
                     value: str, margin: float = 1.0, budget: float | None = None,
                     id_column: str | None = None, encoding: str | None = None, force: bool = False) -> Targeting:
    """Each customer's best arm (or none) by expected incremental profit; write the assignment."""
    model = load_response(folder)
    _check_output(out, customers, force)
    features, ids = read_customers(customers, model.features, id_column, encoding)
    result = target(model, features, ids, costs, value, margin, budget)
    _write_csv(result.assignment, out)
    return result


def parse_costs(items: Sequence[str]) -> dict[str, float]:
    """`ARM=YUAN` options as {arm: yuan}; a malformed one is a DataError naming it."""
    costs = {}
    for item in items:
        arm, _, amount = item.rpartition("=")
        try:
            yuan = float(amount)
        except ValueError:
            yuan = None
        if yuan is None or not arm.strip():
            raise DataError(f"--cost {item!r}: expected ARM=YUAN, e.g. --cost 'Mens E-Mail=0.1'")
        costs[arm.strip()] = yuan
    return costs


EXAMPLES = ("hillstrom",)


def write_example(name: str, out: str | Path, force: bool = False) -> list[Path]:
    """Write a worked example's files into the folder `out`: the Hillstrom test as hillstrom.csv
    and the scenario emails.yaml that replays it from a model fitted into out/model."""
    if name not in EXAMPLES:
        raise DataError(f"unknown example {name!r}; available: {', '.join(EXAMPLES)}")
    from importlib import resources

    from sim.io.datasets import load_hillstrom

    out = Path(out)
    check_destination(out, f"example {name}", force)
    scenario = resources.files("sim").joinpath("data", "hillstrom_emails.yaml").read_text(encoding="utf-8")
    with atomic_folder(out, replace=out.exists()) as tmp:
        mark(tmp, f"example {name}")
        load_hillstrom().to_csv(tmp / "hillstrom.csv", index=False)
        (tmp / "emails.yaml").write_text(scenario, encoding="utf-8")
    return [out / "hillstrom.csv", out / "emails.yaml"]


def _check_output(out: str | Path, source: str | Path, force: bool) -> None:
    out = Path(out)
    if out.is_dir():
        raise DataError(f"--out {out}: is a folder; give the CSV file to write")
    if out.exists() and out.resolve() == Path(source).resolve():
        raise DataError(f"--out {out}: is the customer table being read; write to another file")
    if out.exists() and not force:
        raise DataError(f"--out {out}: exists; give a new file name, or add --force to replace it")
    if not out.parent.is_dir():
        raise DataError(f"--out {out}: the folder {out.parent} does not exist")


def _write_csv(table: pd.DataFrame, out: str | Path) -> None:
    with atomic_file(out) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
