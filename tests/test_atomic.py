"""Atomic writes leave the destination whole: the old content or the new, never half of either."""

import pytest

from sim.store.atomic import atomic_file, atomic_folder, write_text


def test_a_failed_file_write_keeps_the_old_file_and_leaves_no_litter(tmp_path):
    path = write_text(tmp_path / "table.csv", "old\n")
    with pytest.raises(RuntimeError):
        with atomic_file(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert path.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_a_failed_folder_keeps_the_users_folder(tmp_path):
    mine = tmp_path / "calibrated"
    mine.mkdir()
    (mine / "population.yaml").write_text("mine")
    with pytest.raises(KeyboardInterrupt):
        with atomic_folder(mine, replace=True) as tmp:
            (tmp / "population.yaml").write_text("new")
            raise KeyboardInterrupt
    assert (mine / "population.yaml").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["calibrated"]
    with atomic_folder(mine, replace=True) as tmp:
        (tmp / "population.yaml").write_text("new")
    assert (mine / "population.yaml").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["calibrated"]
