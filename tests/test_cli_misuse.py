"""Commands used wrongly: each is refused with exit 2, one message and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parent.parent
QUICK = str(ROOT / "scenarios" / "quickstart.yaml")
PREHEAT = str(ROOT / "scenarios" / "double11_preheat.yaml")

# (case id, arguments, a fragment the message must contain); "FILE" and "DIR" name a plain file
# and an empty folder in the working folder.
CASES = [
    ("no-scenario", ["run"], "give a scenario file"),
    ("unknown-command", ["runn", QUICK], "No such command"),
    ("scenario-and-resume", ["run", QUICK, "--resume", "DIR"], "not both"),
    ("scenario-is-a-folder", ["run", "DIR"], "is a folder"),
    ("scenario-missing", ["run", "missing.yaml"], "file not found"),
    ("replications-zero", ["run", QUICK, "--replications", "0"], "--replications"),
    ("replications-text", ["run", QUICK, "-n", "abc"], "valid integer"),
    ("workers-zero", ["run", QUICK, "--workers", "0"], "--workers"),
    ("seed-negative", ["run", QUICK, "--seed", "-1"], "--seed"),
    ("results-is-a-file", ["run", QUICK, "--results", "FILE"], "it is a file"),
    ("resume-not-a-run", ["run", "--resume", "DIR"], "DIR"),
    ("compare-not-a-run", ["compare", "DIR"], "not a run folder"),
    ("report-not-a-run", ["report", "DIR"], "not a run folder"),
    ("sweep-unknown-path", ["sweep", QUICK, "--set", "nosuch.path=1"], "no field 'nosuch'"),
    ("sweep-no-values", ["sweep", QUICK, "--set", "traffic.conversion"], "expected PATH=VALUE"),
    ("sweep-bad-value-names-file", ["sweep", QUICK, "--set", "traffic.conversion=0.01,9"], "quickstart.yaml"),
    ("plan-neither", ["plan", "--baseline", "0.2"], "give exactly one"),
    ("select-negative-delta", ["select", PREHEAT, "--delta", "-5"], "--delta"),
    ("capacity-level", ["capacity", QUICK, "--service-level", "1.5", "--answer-within", "20s"], "strictly between"),
    ("capacity-duration", ["capacity", QUICK, "--service-level", "0.8", "--answer-within", "20 parsecs"],
     "20 parsecs"),
    ("forecast-probability", ["forecast", QUICK, "--probability", "2"], "--probability"),
    ("monitor-missing-export", ["monitor", "missing.csv", "--arm", "a", "--control", "b", "--metric", "m",
                                "--look", "d"], "file not found"),
    ("analyze-missing-export", ["analyze", "missing.csv", "--arm", "a", "--control", "b", "--metric", "m"],
     "file not found"),
    ("calibrate-missing-export", ["calibrate", "missing.csv", "--customer", "c", "--date", "d", "--amount", "a",
                                  "--out", "cal"], "missing.csv"),
]


@pytest.mark.parametrize("args,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_misuse_is_refused_with_one_message(args, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "DIR").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert fragment in result.output, result.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written
