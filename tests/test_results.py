"""Run folders: what `RunResult.write` puts in them."""

import sim
from sim.config.loader import load_scenario


def test_calibration_charts_travel_with_a_run_of_a_calibrated_population(tmp_path):
    (tmp_path / "pop.yaml").write_text("version: 1\nkind: population\nsize: 500\n"
                                       "buying: {r: 0.25, alpha: 5, a: 0.7, b: 2}\nspend: {p: 6, q: 4, gamma: 15}\n")
    (tmp_path / "holdout_cumulative.png").write_bytes(b"\\x89PNG fake chart")
    (tmp_path / "s.yaml").write_text("version: 1\nname: cal\npopulation: {from: pop.yaml}\nrun: {replications: 2}\n")
    result = sim.run(load_scenario(tmp_path / "s.yaml"))
    folder = result.write(tmp_path / "results", label="check", extras=lambda f: (f / "extra.csv").write_text("a\n1\n"))
    assert folder.name.startswith("cal-check-")
    assert (folder / "calibration_holdout_cumulative.png").read_bytes() == b"\\x89PNG fake chart"
    assert (folder / "extra.csv").exists() and (folder / "report.html").exists()
    assert "calibration_holdout_cumulative.png" in (folder / "report.html").read_text(encoding="utf-8")
