"""Run folders survive what goes wrong: unwritable results, edited scenarios, damaged parts,
and a failure while writing the tables or the report."""

import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from cli import app
from sim.store import run_folder
from sim.store.run_folder import RunFolderError
from tests.test_resume import SCENARIO, interrupt_after


def _stopped(tmp_path, n=2):
    with pytest.raises(sim.RunStopped) as info:
        sim.run(SCENARIO, results_dir=tmp_path, progress=interrupt_after(n))
    return info.value.folder


def test_results_naming_a_file_is_one_line_and_exit_2(tmp_path):
    target = tmp_path / "results"
    target.write_text("mine")
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nname: s\npopulation: {size: 500}\nrun: {replications: 1}\n")
    result = CliRunner().invoke(app, ["run", str(path), "--results", str(target)])
    assert result.exit_code == 2 and "cannot write a run folder there" in result.output
    assert "Traceback" not in result.output and target.read_text() == "mine"


def test_resume_refuses_an_edited_scenario_before_any_work(tmp_path):
    folder = _stopped(tmp_path)
    saved = folder / "scenario.yaml"
    saved.write_text(saved.read_text().replace("size: 1200", "size: 1300"))
    with pytest.raises(RunFolderError, match="changed since the run started"):
        sim.resume(folder)


def test_resume_names_a_damaged_part_before_any_work(tmp_path):
    folder = _stopped(tmp_path)
    part = sorted((folder / "parts").iterdir())[0]
    (part / "daily.parquet").write_bytes(b"PAR1 truncated")
    seen = []
    with pytest.raises(RunFolderError, match=f"{part.name}: damaged"):
        sim.resume(folder, progress=lambda d, t: seen.append(d))
    assert seen == []  # refused up front, not after recomputing the rest


def test_a_failure_while_writing_the_report_leaves_a_resumable_folder(tmp_path, monkeypatch):
    def full_disk(folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_folder, "_FINISHERS", [*run_folder._FINISHERS, full_disk])
    with pytest.raises(sim.RunStopped, match="No space left") as info:
        sim.run(SCENARIO, results_dir=tmp_path)
    folder = info.value.folder
    assert folder.name.endswith(".incomplete")
    assert run_folder.RunFolder(folder).manifest()["status"] == "incomplete"
    monkeypatch.undo()
    resumed = sim.resume(folder)
    whole = sim.run(SCENARIO)
    pd.testing.assert_frame_equal(resumed.replications, whole.replications)
    assert (resumed.folder / "report.html").is_file()


def test_scenario_and_resume_together_are_refused(tmp_path):
    folder = _stopped(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nname: s\n")
    result = CliRunner().invoke(app, ["run", str(path), "--resume", str(folder)])
    assert result.exit_code == 2 and "not both" in result.output


def _small_disk(tmp_path, size="300k"):
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    return disk


def test_a_full_disk_stops_the_run_resumably_with_one_line(tmp_path):
    import shutil
    import subprocess

    disk = _small_disk(tmp_path)
    try:
        path = tmp_path / "s.yaml"
        path.write_text("version: 1\nname: s\npopulation: {size: 3000}\ntraffic: {daily_visitors: 500}\n"
                        "policies: {a: {}, b: {waves: [{day: -2, channel: push}]}}\nrun: {replications: 12}\n")
        result = CliRunner().invoke(app, ["run", str(path), "--results", str(disk), "-w", "1"])
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert "No space left on device" in result.output and "--resume" in result.output
        (folder,) = [p for p in disk.iterdir() if p.name.endswith(".incomplete")]
        assert run_folder.RunFolder(folder).manifest()["status"] == "incomplete"
        moved = tmp_path / "roomy" / folder.name
        shutil.copytree(folder, moved)  # space is found: the run finishes where there is room
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
    resumed = sim.resume(moved)
    assert resumed.folder.is_dir() and len(resumed.replications) == 24
