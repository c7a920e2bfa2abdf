"""`sim calibrate --out` never deletes what it did not write: files, folders, the input itself."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from cli import app

BASE = ["--customer", "customer_id", "--date", "date", "--amount", "amount"]


def _run(path, out, *extra):
    return CliRunner().invoke(app, ["calibrate", str(path), *BASE, "--out", str(out), *extra])


def test_an_existing_file_is_refused_and_kept(sample_csv, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    res = _run(sample_csv, target)
    assert res.exit_code == 2 and "is a file" in res.output
    assert target.read_text() == "mine"


def test_the_folder_holding_the_input_is_refused_even_with_force(sample_csv, tmp_path, monkeypatch):
    monkeypatch.chdir(sample_csv.parent)
    before = sorted(os.listdir("."))
    for extra in ((), ("--force",)):
        res = _run(sample_csv, ".", *extra)
        assert res.exit_code == 2 and "holds the input orders.csv" in res.output
    assert sorted(os.listdir(".")) == before and sample_csv.stat().st_size > 0


def test_a_users_folder_is_refused_and_force_replaces_only_an_earlier_calibration(sample_csv, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "plan.xlsx").write_text("keep")
    for extra in ((), ("--force",)):
        res = _run(sample_csv, mine, *extra)
        assert res.exit_code == 2 and "mine" in res.output
    assert [p.name for p in mine.iterdir()] == ["plan.xlsx"]
    out = tmp_path / "cal"
    assert _run(sample_csv, out).exit_code == 0
    again = _run(sample_csv, out)
    assert again.exit_code == 2 and "--force" in again.output
    assert _run(sample_csv, out, "--force").exit_code == 0
    assert (out / "population.yaml").is_file()
    assert oct((out).stat().st_mode & 0o777) == oct(0o755 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_an_edited_population_file_or_customer_table_is_refused(sample_csv, tmp_path):
    out = tmp_path / "cal"
    assert _run(sample_csv, out).exit_code == 0
    scenario = tmp_path / "s.yaml"
    scenario.write_text("version: 1\nname: s\npopulation: {from: cal/population.yaml}\n")
    ok = CliRunner().invoke(app, ["validate", str(scenario)])
    assert ok.exit_code == 0, ok.output
    table = out / "customers.csv"
    original = table.read_text()
    table.write_text(original + "x")
    bad = CliRunner().invoke(app, ["validate", str(scenario)])
    assert bad.exit_code == 2 and "customers.csv was edited after calibration" in bad.output
    table.write_text(original)
    population = out / "population.yaml"
    text = population.read_text()
    population.write_text(text.replace("  r: ", "  r: 9", 1))
    bad = CliRunner().invoke(app, ["validate", str(scenario)])
    assert bad.exit_code == 2 and "was edited after calibration" in bad.output
