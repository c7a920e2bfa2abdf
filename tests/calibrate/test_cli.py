"""`sim calibrate` end to end: outputs on good data, one clear message and exit 2 on bad data."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from sim.calibrate import load_population_file
from sim.calibrate.rfm import GROUPS
from sim.errors import DataError

runner = CliRunner()
BASE = ["--customer", "customer_id", "--date", "date", "--amount", "amount"]


def _run(path, out, *extra):
    return runner.invoke(app, ["calibrate", str(path), *BASE, "--out", str(out), *extra])


def test_calibrate_writes_population_and_report(sample_csv, tmp_path) -> None:
    out = tmp_path / "cal"
    res = _run(sample_csv, out, "--calibration-end", "1997-09-30", "--category", "category")
    assert res.exit_code == 0, res.output
    assert "zero-value" in res.output
    doc = load_population_file(out / "population.yaml")
    assert doc["buying"]["r"] == pytest.approx(0.243, abs=0.0015)
    assert doc["buying"]["alpha"] == pytest.approx(4.414, abs=0.0015)
    assert set(doc["segments"]) == set(GROUPS)
    assert sum(doc["segments"].values()) == pytest.approx(1.0)
    assert doc["size"] == 2357 and doc["source"]["same_day"] == "merge"
    assert set(doc["categories"]) == {"pop", "classical"}
    assert all(v["cycle_days"] > 0 for v in doc["categories"].values())
    for name in ("report.md", "customers.csv", "holdout_by_frequency.csv",
                 "holdout_cumulative.csv", "holdout_cumulative.png", "segments.png"):
        assert (out / name).stat().st_size > 0, name
    customers = pd.read_csv(out / "customers.csv")
    assert {"rfm_group", "p_alive", "expected_purchases", "expected_value"} <= set(customers)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_daily_unit_is_converted_to_weeks(sample_csv, tmp_path) -> None:
    res = _run(sample_csv, tmp_path / "d", "--unit", "day", "--keep-same-day")
    assert res.exit_code == 0, res.output
    doc = load_population_file(tmp_path / "d" / "population.yaml")
    weekly = _run(sample_csv, tmp_path / "w", "--keep-same-day")
    assert weekly.exit_code == 0
    week_doc = load_population_file(tmp_path / "w" / "population.yaml")
    assert doc["source"]["unit"] == "day"
    for key in ("r", "alpha", "a", "b"):
        assert doc["buying"][key] == pytest.approx(week_doc["buying"][key], rel=1e-3), key


@pytest.mark.parametrize("edit, flag, expected", [
    (lambda d: d.rename(columns={"customer_id": "buyer"}), None, "'customer_id'"),
    (lambda d: d.assign(date=d["date"].where(d.index != 3, "not a date")), None, "'date'"),
    (lambda d: d.assign(amount=d["amount"].where(d.index != 5, -3.0)), None, "negative"),
    (lambda d: d.assign(amount=d["amount"].astype(str).where(d.index != 5, "abc")), None,
     "non-numeric"),
    (lambda d: d, ["--calibration-end", "2001-01-01"], "outside the data range"),
    (lambda d: d.iloc[:0], None, "no orders"),
])
def test_bad_input_exits_2_with_one_message(sample_csv, tmp_path, edit, flag, expected) -> None:
    bad = tmp_path / "bad.csv"
    edit(pd.read_csv(sample_csv)).to_csv(bad, index=False)
    out = tmp_path / "never"
    res = _run(bad, out, *(flag or []))
    assert res.exit_code == 2, res.output
    assert expected in res.output and "bad.csv" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_missing_column_lists_available(sample_csv, tmp_path) -> None:
    res = runner.invoke(app, ["calibrate", str(sample_csv), "--customer", "buyer", "--date", "date",
                              "--amount", "amount", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "'buyer'" in res.output and "available columns" in res.output
    assert "'customer_id'" in res.output


def test_empty_file(tmp_path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    res = _run(empty, tmp_path / "o")
    assert res.exit_code == 2 and "empty" in res.output


def test_population_file_validation(tmp_path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("kind: scenario\nversion: 1\n")
    with pytest.raises(DataError, match="not a population file"):
        load_population_file(path)
    path.write_text("kind: population\nversion: 2\n")
    with pytest.raises(DataError, match="version"):
        load_population_file(path)
