"""Runs saved as they go: an interrupted run resumes to exactly the uninterrupted result."""

import json

import pandas as pd
import pytest

import sim
from sim.store.run_folder import RunFolder, RunFolderError
from tests.conftest import make_scenario

SCENARIO = make_scenario(population={"size": 1200}, traffic={"daily_visitors": 300},
                         policies={"a": {}, "b": {"waves": [{"day": -2, "channel": "push"}]}},
                         run={"replications": 5, "seed": 21})


def interrupt_after(n):
    def progress(done, total):
        if done >= n:
            raise KeyboardInterrupt
    return progress


def test_interrupted_run_is_marked_incomplete_and_resumes_identically(tmp_path):
    with pytest.raises(sim.RunStopped) as info:
        sim.run(SCENARIO, results_dir=tmp_path, progress=interrupt_after(2))
    stopped = info.value
    assert stopped.interrupted and stopped.done == 2 and stopped.total == 5
    folder = stopped.folder
    assert folder.name.endswith(".incomplete")
    assert json.loads((folder / "manifest.json").read_text())["status"] == "incomplete"
    assert len(RunFolder(folder).finished()) == 2
    assert not (folder / "replications.parquet").exists()

    seen = []
    resumed = sim.resume(folder, progress=lambda d, t: seen.append(d))
    assert seen[0] == 2 and seen[-1] == 5  # finished work is not redone
    final = resumed.folder
    assert final.exists() and not folder.exists() and not final.name.endswith(".incomplete")
    assert json.loads((final / "manifest.json").read_text())["status"] == "complete"
    assert not (final / "parts").exists()

    whole = sim.run(SCENARIO, results_dir=tmp_path / "whole")
    pd.testing.assert_frame_equal(pd.read_parquet(final / "replications.parquet"),
                                  pd.read_parquet(whole.folder / "replications.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(final / "daily.parquet"),
                                  pd.read_parquet(whole.folder / "daily.parquet"))


def test_resume_refuses_complete_or_foreign_folders(tmp_path):
    done = sim.run(SCENARIO, results_dir=tmp_path, replications=1)
    with pytest.raises(RunFolderError, match="already complete"):
        sim.resume(done.folder)
    with pytest.raises(RunFolderError, match="not an interrupted run"):
        sim.resume(tmp_path / "nowhere")


def test_cli_interrupt_message_and_resume(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli import app

    scenario = tmp_path / "s.yaml"
    scenario.write_text("version: 1\nname: tiny\npopulation: {size: 800}\nrun: {replications: 3, seed: 2}\n")
    original = sim.run

    def run_then_interrupt(*args, **kwargs):
        kwargs["progress"] = interrupt_after(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(sim, "run", run_then_interrupt)
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(scenario), "--results", str(tmp_path / "r"), "-w", "1"])
    assert result.exit_code == 130 and "sim run --resume" in result.output
    (incomplete,) = (tmp_path / "r").glob("*.incomplete")
    monkeypatch.setattr(sim, "run", original)
    result = runner.invoke(app, ["run", "--resume", str(incomplete), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "r").glob("tiny-*"))) == 1 and not incomplete.exists()
