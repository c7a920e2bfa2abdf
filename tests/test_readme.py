"""Every command in the README works as written.

Concrete commands (no placeholders) are run from a scratch folder that sees the project's
`scenarios/` and `tests/`; synopsis lines (`sim run SCENARIO [--seed S]`) are checked against
the command line: the command exists and takes every option they name. The install steps
(`pip install ...`, `pytest`) are what runs this test, so only the command after them runs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"<|\[|\.\.\.|\||\b[A-Z][A-Z_0-9]{1,}\b(?![-\w])")


def _commands() -> list[str]:
    """Indented code lines (joined over trailing backslashes) and inline `sim ...` spans."""
    found, pending = [], ""
    for line in README.splitlines():
        if line.startswith("    ") and (pending or line.strip().startswith(("sim ", "pip ", "python "))):
            text = pending + line.strip()
            if text.endswith("\\"):
                pending = text[:-1] + " "
                continue
            found.append(text)
        pending = ""
    found += re.findall(r"`(sim [^`]+)`", README)
    commands = []
    for text in found:
        text = text.split("  #")[0].strip()
        for part in (p.strip() for p in text.split("&&")):
            if part.startswith(("pip ", "pytest")) or part in commands:
                continue
            commands.append(part)
    return commands


COMMANDS = _commands()
CLICK = typer.main.get_command(app)


def _is_concrete(command: str) -> bool:
    words = shlex.split(command)
    if words[0] == "python":
        return True
    return (len(words) > 2 and words[1] in CLICK.commands and not PLACEHOLDER.search(command))


CONCRETE = [c for c in COMMANDS if _is_concrete(c)]
SYNOPSES = [c for c in COMMANDS if c not in CONCRETE and c.startswith("sim ")]


def test_the_readme_has_the_two_setup_commands():
    assert "pip install . && sim run scenarios/double11_preheat.yaml" in README
    assert 'pip install ".[test]" && pytest' in README
    assert "sim run scenarios/double11_preheat.yaml" in CONCRETE


@pytest.mark.parametrize("command", SYNOPSES)
def test_synopsis_names_real_commands_and_options(command):
    words = shlex.split(command.replace("|", " "))
    name = words[1].rstrip(",")
    if name not in CLICK.commands:
        pytest.skip(f"prose, not a synopsis: {command}")
    options = {o for p in CLICK.commands[name].params for o in (*p.opts, *p.secondary_opts)}
    named = {re.sub(r"[=\]\[].*$", "", w.strip("[]")) for w in words if w.strip("[").startswith("-")}
    assert named <= options, f"{command}: unknown {sorted(named - options)}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    for name in ("scenarios", "tests"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@pytest.mark.parametrize("command", CONCRETE)
def test_command_runs_as_written(command, scratch, monkeypatch):
    monkeypatch.chdir(scratch)
    words = shlex.split(command)
    if words[0] == "python":
        done = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True, cwd=scratch)
        assert done.returncode == 0, done.stderr
        return
    result = CliRunner().invoke(app, words[1:])
    assert result.exit_code == 0, f"{command}\n{result.output}"
